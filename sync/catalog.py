"""The template catalog: YAML specs loaded into the template model the registered rule kinds make.

`load_template_file` reads one spec (any file, or text) and refuses a bad one with one line naming
the file and the key at fault; `standard_templates` are the three workbooks every school gets, as
shipped in sheet_templates/. The model's `rules` accept the kinds in `plansync.rules.KINDS`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from .errors import ConfigError, one_line_validation_error
from .rules import template_schema
from .templates import Template

# A Template whose rules are the registered kinds. Defined at module level, under its own name,
# so that it pickles like any other class.
RegisteredTemplate = template_schema(name="RegisteredTemplate", module=__name__)

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The three standard workbooks, in the order schools see them.
STANDARD = ("pm_tool", "roles", "decisions")


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
    folder = resources.files("plansync.sheet_templates")
    return tuple(
        load_template_file(f"{key}.yaml", (folder / f"{key}.yaml").read_text("utf-8"))
        for key in STANDARD
    )


def template_by_id(template_id: str) -> Template:
    """One of the standard templates, by its id (KeyError when there is none)."""
    for template in standard_templates():
        if template.id == template_id:
            return template
    raise KeyError(template_id)
