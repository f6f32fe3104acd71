"""Reading a YAML file a person typed, and pointing back at its lines.

YAML accepts much that a person did not mean. Read with PyYAML's defaults, `name: No` is the
boolean false, `id: 0412` the number 266, `start: 2026-02-30` a crash, a key typed twice silently
keeps its last value, and ten lines of anchors and aliases can expand to billions of nodes. The
loader here reads YAML as people mean it:

- only `true` and `false` are booleans (`yes`, `no`, `on`, `off` stay words);
- dates stay text, for the config's own checks to read and report (`2026-02-30` is a problem at
  its line, not an exception);
- a number with a leading zero stays text (`0412`);
- a key given twice in one mapping is a problem naming both lines;
- aliases may not expand the document beyond `MAX_NODES` nodes, nor refer to themselves.

`read_yaml()` returns the data and a `Lines` map from a key path such as ("schools", 3, "id") to
the line holding it, so each problem found later can name its line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Bigger than any district's config (2,000 schools take about 300 kB).
MAX_BYTES = 5_000_000
# Nodes the document may hold once aliases are expanded.
MAX_NODES = 200_000


class YamlProblem(Exception):
    """The text is not a YAML document that can be read; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2's booleans, no timestamps and no octal-looking numbers."""


# Keep every implicit resolver but booleans, timestamps and numbers, then add them back narrowly.
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag
        not in (
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:timestamp",
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
        )
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)


class _FastLoader(getattr(yaml, "CSafeLoader", _Loader)):  # type: ignore[misc]
    """The same loader on libyaml's parser, which PyYAML's wheels carry: ten times faster on a
    2,000-school config (0.1 s instead of 1.2 s), with the same nodes, lines and values."""

    yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


@dataclass
class Lines:
    """Key paths to the 1-based lines holding them (a key's own line for a mapping entry)."""

    lines: dict[tuple, int] = field(default_factory=dict)

    def line(self, path: Sequence[Any]) -> int | None:
        """The line of `path`, or of the nearest enclosing key the file has (a missing key is
        reported where its mapping starts)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def decode(data: bytes, name: str) -> str:
    """The text of a file a person saved: UTF-8 (with or without a byte-order mark) or UTF-16
    with its mark; anything else is a YamlProblem naming the line of the first bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise YamlProblem("not readable text (broken UTF-16); save it as UTF-8") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise YamlProblem(
            f"not UTF-8 text (byte 0x{data[error.start]:02x}); save it as UTF-8 "
            "(in most editors: Save As, Encoding UTF-8)",
            line,
        ) from None


def read_yaml(path: Path) -> tuple[Any, Lines]:
    """The document in the file at `path`, read as described above, and its lines.

    Raises OSError when the file cannot be read, YamlProblem when it is not a document."""
    with path.open("rb") as file:
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise YamlProblem(f"the file is larger than {MAX_BYTES // 1_000_000} MB; is it the config?")
    return parse_yaml(decode(data, path.name))


def parse_yaml(text: str) -> tuple[Any, Lines]:
    """`text` as data and its lines (see `read_yaml`)."""
    if "\x00" in text:
        raise YamlProblem("the file holds NUL characters: it is not a text file")
    try:
        node, data = _load(text, _FastLoader)
    except (yaml.YAMLError, RecursionError):
        # libyaml words its problems differently: the pure-Python parser says what is wrong.
        node, data = _load_saying_why(text)
    lines = Lines()
    if node is not None:
        _map_lines(node, (), lines, set())
    return data, lines


def _load(text: str, loader_class: type[yaml.SafeLoader]) -> tuple[Node | None, Any]:
    """The document's root node and its data (None, None for an empty one), refused with a
    YamlProblem when its aliases expand too far or a key is given twice."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_size(node)
        duplicate = _duplicate_key(node)
        if duplicate:
            raise duplicate
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


def _load_saying_why(text: str) -> tuple[Node | None, Any]:
    """`_load` with the pure-Python parser, its errors turned into a YamlProblem at their line."""
    try:
        return _load(text, _Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = (error.problem or "not valid YAML").rstrip(".")
        raise YamlProblem(f"not valid YAML ({problem})", mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as error:
        raise _unreadable_character(text, error) from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"not valid YAML ({error})") from None
    except RecursionError:
        raise YamlProblem("nested too deeply to be a config") from None


def _unreadable_character(text: str, error: yaml.reader.ReaderError) -> YamlProblem:
    """An invisible control character YAML refuses, at its line."""
    line = text[: max(error.position, 0)].count("\n") + 1
    return YamlProblem(
        f"holds an invisible control character ({error.character:#06x}); retype that line", line
    )


def _check_size(root: Node) -> None:
    """Refuse documents whose aliases expand beyond MAX_NODES, or refer back into themselves."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node, depth: int) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in active:
            raise YamlProblem(
                "an alias refers to the block that holds it", node.start_mark.line + 1
            )
        if depth > 200:
            raise YamlProblem("nested too deeply to be a config", node.start_mark.line + 1)
        active.add(id(node))
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(item, depth + 1) for item in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(id(node))
        sizes[id(node)] = total
        if total > MAX_NODES:
            raise YamlProblem(
                "its anchors and aliases expand to far more than a config holds",
                node.start_mark.line + 1,
            )
        return total

    size(root, 0)


def _duplicate_key(root: Node) -> YamlProblem | None:
    """The first key given twice in one mapping (YAML would keep only the last)."""
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            keys: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    line = key.start_mark.line + 1
                    if key.value in keys:
                        return YamlProblem(
                            f"{key.value}: given twice (lines {keys[key.value]} and {line}); "
                            "keep one",
                            line,
                        )
                    keys[key.value] = line
                stack += [key, value]
        elif isinstance(node, SequenceNode):
            stack += node.value
    return None


def _map_lines(node: Node, path: tuple, lines: Lines, active: set[int]) -> None:
    """Record the line of every key path under `node` (aliases were bounded by _check_size)."""
    if id(node) in active:
        return
    lines.lines.setdefault(path, node.start_mark.line + 1)
    active.add(id(node))
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                lines.lines[(*path, key.value)] = key.start_mark.line + 1
                _map_lines(value, (*path, key.value), lines, active)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _map_lines(item, (*path, index), lines, active)
    active.discard(id(node))
