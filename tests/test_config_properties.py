"""Whatever text a config file holds, loading it gives a district or a ConfigError listing each
problem on a line of its own: never another exception, never a traceback."""

from __future__ import annotations

import copy
import re

import yaml
from district_helpers import CONFIG
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plansync.config import District, load_config
from plansync.errors import ConfigError

# What a person (or an editor, or a paste) puts where a value goes.
SCALARS = st.one_of(
    st.sampled_from(
        [
            "no",
            "on",
            "yes",
            "off",
            "~",
            "null",
            "2026-02-30",
            "20261103",
            "0412",
            "1e999",
            ".nan",
            "-.inf",
            "2026-13-01",
            "0001-01-01",
            "9999-12-31",
            "&a x",
            "*a",
            "!!binary",
            "[",
            "{",
            "'",
            '"',
            "\\x07",
            "- x",
            "? x",
            ": x",
            "|",
            ">",
            "%TAG",
            "\t",
        ]
    ),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.dates().map(str),
)


def _paths(value, prefix=()):
    """Every key path of a nested config."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


PATHS = [path for path in _paths(CONFIG) if path]


@st.composite
def mangled_configs(draw) -> str:
    """The test district's config with some values replaced, keys dropped or junk spliced in."""
    config = copy.deepcopy(CONFIG)
    for path in draw(st.lists(st.sampled_from(PATHS), max_size=4)):
        parent = config
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["replace", "drop", "nest"]))
            if action == "drop" and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif action == "nest":
                parent[path[-1]] = {"x": draw(SCALARS)}
            else:
                parent[path[-1]] = draw(SCALARS)
        except (KeyError, IndexError, TypeError):
            continue
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    if draw(st.booleans()):
        # Raw text spliced in at a random place: a stray paste, a broken line.
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=20)) + text[at:]
    return text


# tmp_path is shared by the examples: each writes the same file afresh.
FIXTURE = [HealthCheck.function_scoped_fixture]
LINE = re.compile(r"^district\.yaml(, line \d+)?: \S")


def _loads_or_lists_problems(tmp_path, data: bytes) -> None:
    path = tmp_path / "district.yaml"
    path.write_bytes(data)
    try:
        district = load_config(path)
    except ConfigError as error:
        lines = str(error).splitlines()
        assert lines, "a ConfigError says what is wrong"
        for line in lines:
            assert LINE.match(line), line
    else:
        assert isinstance(district, District)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=mangled_configs())
def test_a_mangled_config_loads_or_lists_its_problems(tmp_path, text):
    _loads_or_lists_problems(tmp_path, text.encode("utf-8", "surrogatepass"))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_any_bytes_load_or_list_their_problems(tmp_path, data):
    _loads_or_lists_problems(tmp_path, data)
