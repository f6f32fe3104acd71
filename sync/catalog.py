"""The template catalog: YAML specs loaded into the template model the registered rule kinds make.

`load_template_file` reads one spec (any file, or text) and refuses a bad one with one line naming
the file and the key at fault; `standard_templates` are the three workbooks every school gets, as
shipped in sheet_templates/. The model's `rules` accept the kinds in `plansync.rules.KINDS`.

A district may own its templates (`templates: DIR` in its config, written first by
`write_templates`): `district_templates` loads them, each checked like the shipped ones and
against them (a changed template carries a higher version). A lock file beside them records the
content of every version that was put into workbooks, so that a version is never reused for
other content.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from .config import District
from .errors import ConfigError, one_line_validation_error, validation_error_lines
from .rules import template_schema
from .templates import Template

# A Template whose rules are the registered kinds. Defined at module level, under its own name,
# so that it pickles like any other class.
RegisteredTemplate = template_schema(name="RegisteredTemplate", module=__name__)

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The three standard workbooks, in the order schools see them.
STANDARD = ("pm_tool", "roles", "decisions")
# libyaml's loader where PyYAML was built with it: ten times faster on a template.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Beside a district's templates: the content hash of each version put into workbooks.
LOCK_NAME = "plansync-templates.lock"


def load_template_file(
    path: Path | str, text: str | None = None, schema: type[Template] = RegisteredTemplate
) -> Template:
    """Load one template spec; raise ConfigError with a one-line reason when it is invalid.

    `schema` is the model to validate with (see `plansync.rules.template_schema`).
    """
    name = Path(path).name
    try:
        data = yaml.load(  # noqa: S506 - a safe loader, libyaml's when installed (far faster)
            text if text is not None else Path(path).read_text("utf-8"), Loader=_SAFE_LOADER
        )
    except yaml.YAMLError as error:
        raise ConfigError(f"{name}: not valid YAML ({_yaml_where(error)})") from None
    except OSError as error:
        raise ConfigError(f"{name}: cannot be read ({error.strerror})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: expected a mapping of template keys at the top level")
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{name}: {one_line_validation_error(error)}") from None


def _yaml_where(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or "syntax error"
    return f"{problem} at line {mark.line + 1}" if mark else problem


@cache
def standard_templates() -> tuple[Template, ...]:
    """The PM Tool, the roles tracker and the decision log, as shipped in sheet_templates/."""
    return tuple(load_template_file(f"{key}.yaml", _shipped_text(key)) for key in STANDARD)


def template_by_id(template_id: str) -> Template:
    """One of the standard templates, by its id (KeyError when there is none)."""
    for template in standard_templates():
        if template.id == template_id:
            return template
    raise KeyError(template_id)


def _shipped_text(key: str) -> str:
    return (resources.files("plansync.sheet_templates") / f"{key}.yaml").read_text("utf-8")


def content_hash(template: Template) -> str:
    """What a template says, whatever its layout, comments or version number."""
    data = template.model_dump(mode="json", exclude={"version"})
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def write_templates(folder: Path) -> list[Path]:
    """Write the shipped templates into `folder` as editable YAML, and the lock that records their
    versions. A file already there is left as it is (it may hold the district's edits)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key in STANDARD:
        path = folder / f"{key}.yaml"
        if path.exists():
            continue
        path.write_text(_shipped_text(key), "utf-8")
        written.append(path)
    lock = _read_lock(folder)
    for template in standard_templates():
        lock.setdefault(template.id, {}).setdefault(str(template.version), content_hash(template))
    _write_lock(folder, lock)
    return written


def district_templates(district: District) -> tuple[Template, ...]:
    """The templates in use: the district's own (`templates: DIR`) or the shipped ones.

    A file missing from DIR means the shipped template. Every mistake is one line of the
    ConfigError naming the file and the key: a template that does not load, one whose `id` is not
    the one its file name stands for, one older than the shipped version, one whose content
    changed without a new version (against the shipped one, or against what the lock recorded for
    that version).
    """
    folder = district.templates_dir
    if folder is None:
        return standard_templates()
    if not folder.is_dir():
        raise ConfigError(
            f"templates: {folder} is not a folder (write one: plansync templates DIR)"
        )
    problems: list[str] = []
    lock = _read_lock(folder, problems)
    loaded = []
    for shipped in standard_templates():
        path = folder / f"{shipped.id}.yaml"
        if not path.exists():
            loaded.append(shipped)
            continue
        template = _load_collecting(path, problems)
        if template is None:
            continue
        problems += _version_problems(path.name, template, shipped, lock)
        loaded.append(template)
    if problems:
        raise ConfigError("\n".join(problems))
    return tuple(loaded)


def _load_collecting(path: Path, problems: list[str]) -> Template | None:
    """Load one template file, adding every mistake in it to `problems`."""
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=_FAST_LOADER)
    except yaml.YAMLError as error:
        problems.append(f"{path.name}: not valid YAML ({_yaml_where(error)})")
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{path.name}: cannot be read ({getattr(error, 'strerror', error)})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path.name}: expected a mapping of template keys at the top level")
        return None
    try:
        template: Template = RegisteredTemplate.model_validate(data)
    except ValidationError as error:
        problems += [f"{path.name}: {line}" for line in validation_error_lines(error)]
        return None
    return template


def _version_problems(
    name: str, template: Template, shipped: Template, lock: dict[str, dict[str, str]]
) -> Iterator[str]:
    if template.id != shipped.id:
        yield f"{name}: id: must be {shipped.id!r} (the file stands for the {shipped.title})"
        return
    digest = content_hash(template)
    if template.version < shipped.version:
        yield (
            f"{name}: version: {template.version} is older than the shipped version "
            f"{shipped.version}; start from `plansync templates` again"
        )
    elif template.version == shipped.version and digest != content_hash(shipped):
        yield (
            f"{name}: version: the content differs from the shipped version {shipped.version}; "
            f"a changed template needs a higher version (say {shipped.version + 1})"
        )
    recorded = lock.get(template.id, {}).get(str(template.version))
    if template.version > shipped.version and recorded not in (None, digest):
        yield (
            f"{name}: version: version {template.version} was put into workbooks with other "
            f"content (see {LOCK_NAME}); give the changed template version {template.version + 1}"
        )


def record_template_versions(district: District, templates: tuple[Template, ...]) -> None:
    """Note in the lock the content of each version about to be put into workbooks."""
    folder = district.templates_dir
    if folder is None:
        return
    lock = _read_lock(folder)
    changed = False
    for template in templates:
        versions = lock.setdefault(template.id, {})
        if str(template.version) not in versions:
            versions[str(template.version)] = content_hash(template)
            changed = True
    if changed:
        _write_lock(folder, lock)


def _read_lock(folder: Path, problems: list[str] | None = None) -> dict[str, dict[str, str]]:
    path = folder / LOCK_NAME
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        data = None
    valid = isinstance(data, dict) and all(
        isinstance(v, dict) and all(isinstance(h, str) for h in v.values()) for v in data.values()
    )
    if not valid:
        if problems is not None:
            problems.append(f"{LOCK_NAME}: not a lock plansync wrote; restore it from a backup")
        return {}
    return data


def _write_lock(folder: Path, lock: dict[str, dict[str, str]]) -> None:
    handle, temporary = tempfile.mkstemp(prefix=".~plansync-", suffix=".lock", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(lock, out, indent=2, sort_keys=True)
            out.write("\n")
        os.replace(temporary, folder / LOCK_NAME)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
