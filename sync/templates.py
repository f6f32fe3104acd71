"""Workbook templates: the YAML specs in sheet_templates/, loaded and validated.

A template lists a workbook's tabs, each tab's columns (header text, type, required, help) and the
rules that span rows. The checks engine interprets the rules; adding a column or a count rule is a
YAML edit, not new Python. A bad spec gives one line naming the file and the key at fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ConfigError, one_line_validation_error

ColumnType = Literal["text", "date", "number", "choice", "email"]
Severity = Literal["error", "warning"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(Spec):
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    type: ColumnType = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    # "tab.column" (values typed in another tab) or "cycles" (the district's monitoring cycles).
    choices_from: str | None = None
    # False: a value outside the list is allowed (the dropdown only suggests).
    strict: bool = True
    width: int = 16
    help: str
    # The sentence that explains, in a school's words, why a blank required cell matters.
    why: str | None = None

    @model_validator(mode="after")
    def _choices_make_sense(self) -> Column:
        if self.type == "choice" and not (self.choices or self.choices_from):
            raise ValueError(f"column {self.key!r} is a choice but lists no choices")
        if self.choices and self.type != "choice":
            raise ValueError(f"column {self.key!r} lists choices but its type is {self.type!r}")
        return self

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


class Tab(Spec):
    key: str
    title: str
    aliases: tuple[str, ...] = ()
    noun: str
    nouns: str
    purpose: str
    optional: bool = False
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    @property
    def titles(self) -> tuple[str, ...]:
        return (self.title, *self.aliases)


class CountRule(Spec):
    """Rows per group must number between min and max (e.g. 2-3 goals per strategy)."""

    type: Literal["count"]
    tab: str
    # Group rows by these columns; each maps to where the expected groups come from:
    # "tab.column" (e.g. every strategy ID) or "cycles" (every cycle that has begun).
    per: dict[str, str] = Field(default_factory=dict)
    min: int = 0
    max: int | None = None
    why: str


class RequiredWhenRule(Spec):
    """A column becomes required when other columns hold given values (e.g. Status = Decided)."""

    type: Literal["required_when"]
    tab: str
    column: str
    when: dict[str, str]
    why: str


class OverdueRule(Spec):
    """A row whose due date has passed and whose status is not one of `done` is overdue."""

    type: Literal["overdue"]
    tab: str
    due: str
    status: str
    done: tuple[str, ...]
    # The column naming who is responsible, shown beside overdue rows in the coach summary.
    owner: str | None = None
    # How many days ahead the coach summary looks for upcoming rows.
    upcoming_days: int = 14


class MeasurableRule(Spec):
    """An end-of-year goal names a metric, a target and a date (in its columns or its text)."""

    type: Literal["measurable"]
    tab: str
    text: str
    metric: str
    target: str
    date: str
    measure_words: tuple[str, ...]


class DateOrderRule(Spec):
    """One date column must not fall after another in the same row (start before due)."""

    type: Literal["date_order"]
    tab: str
    first: str
    then: str


class UniqueRule(Spec):
    """Values in a column must not repeat (strategy IDs)."""

    type: Literal["unique"]
    tab: str
    column: str


Rule = Annotated[
    CountRule | RequiredWhenRule | OverdueRule | MeasurableRule | DateOrderRule | UniqueRule,
    Field(discriminator="type"),
]


class Metric(Spec):
    """A figure per school in the rollup: rows of a tab, optionally filtered or overdue only.

    Results, history and reports key it by `id`; `label` is only what people read."""

    id: str
    label: str
    tab: str
    where: dict[str, str] = Field(default_factory=dict)
    overdue: bool = False


class SummaryList(Spec):
    """A section of the coach summary listing rows of a tab, e.g. the open decisions."""

    type: Literal["list"]
    title: str
    tab: str
    where: dict[str, str] = Field(default_factory=dict)
    columns: tuple[str, ...]


class SummaryBreakdown(Spec):
    """A section of the coach summary counting rows by a choice column, e.g. benchmark status
    per cycle and strategy."""

    type: Literal["breakdown"]
    title: str
    tab: str
    rows: tuple[str, ...]
    count_by: str


SummarySection = Annotated[SummaryList | SummaryBreakdown, Field(discriminator="type")]


class Template(Spec):
    id: str
    version: int
    title: str
    about: str
    summary_tab: str | None = None
    tabs: tuple[Tab, ...]
    rules: tuple[Rule, ...] = ()
    metrics: tuple[Metric, ...] = ()
    # Sections this template adds to the coach summary tab.
    summary: tuple[SummarySection, ...] = ()

    def tab(self, key: str) -> Tab:
        for tab in self.tabs:
            if tab.key == key:
                return tab
        raise KeyError(key)

    def rules_for(self, tab_key: str, kind: type) -> list:
        return [rule for rule in self.rules if rule.tab == tab_key and isinstance(rule, kind)]

    def metric(self, metric_id: str) -> Metric:
        for metric in self.metrics:
            if metric.id == metric_id:
                return metric
        raise KeyError(metric_id)

    @model_validator(mode="after")
    def _references_exist(self) -> Template:
        for problem in (*_reference_problems(self), *_keys_read_by_code_problems(self)):
            raise ValueError(problem)
        return self


# What plansync's own code reads from a template by key, per template id: figures (metric ids)
# and the columns the history, the rollup and the reports name. A template that lacks one is
# refused at load, naming the key, rather than leaving a figure or a column blank.
OVERDUE_STEPS = "overdue_steps"
OPEN_DECISIONS = "open_decisions"
BENCHMARK_TAB = "benchmarks"
KEYS_READ_BY_CODE: dict[str, dict[str, tuple[str, ...]]] = {
    "pm_tool": {
        "metrics": (OVERDUE_STEPS,),
        "strategies": ("id", "strategy", "description", "stage", "owner"),
        "goals": ("strategy", "goal", "goal_type", "metric", "baseline", "target", "target_date"),
        BENCHMARK_TAB: ("strategy", "cycle", "focus", "benchmark", "target", "actual", "status"),
    },
    "decisions": {"metrics": (OPEN_DECISIONS,)},
}


def _keys_read_by_code_problems(template: Template) -> Iterator[str]:
    wanted = KEYS_READ_BY_CODE.get(template.id, {})
    metric_ids = {metric.id for metric in template.metrics}
    for metric_id in wanted.get("metrics", ()):
        if metric_id not in metric_ids:
            yield f"metrics: no metric with id {metric_id!r} (plansync's reports read it)"
    tabs = {tab.key: tab for tab in template.tabs}
    for tab_key, column_keys in wanted.items():
        if tab_key == "metrics":
            continue
        if tab_key not in tabs:
            yield f"tabs: no tab with key {tab_key!r} (plansync's reports read it)"
            continue
        present = {column.key for column in tabs[tab_key].columns}
        for column_key in column_keys:
            if column_key not in present:
                yield (
                    f"tab {tab_key!r}: no column with key {column_key!r} "
                    "(plansync's reports read it)"
                )


def _reference_problems(template: Template):
    """Yield a sentence for each rule, metric or column naming a tab or column that isn't there."""
    tabs = {tab.key: tab for tab in template.tabs}

    def columns_of(tab_key: str) -> set[str]:
        return {column.key for column in tabs[tab_key].columns}

    def check_source(source: str, where: str):
        if source == "cycles":
            return
        tab_key, _, column_key = source.partition(".")
        if tab_key not in tabs or column_key not in columns_of(tab_key):
            yield f"{where}: {source!r} is not a tab.column of this template"

    for tab in template.tabs:
        for column in tab.columns:
            if column.choices_from:
                yield from check_source(
                    column.choices_from, f"tab {tab.key!r} column {column.key!r}"
                )
    for index, rule in enumerate(template.rules):
        where = f"rules[{index}] ({rule.type})"
        if rule.tab not in tabs:
            yield f"{where}: no tab with key {rule.tab!r}"
            continue
        named = [
            getattr(rule, name)
            for name in (
                "column",
                "due",
                "status",
                "owner",
                "text",
                "metric",
                "target",
                "date",
                "first",
                "then",
            )
            if isinstance(getattr(rule, name, None), str)
        ]
        named += list(getattr(rule, "when", {}) or {})
        named += list(getattr(rule, "per", {}) or {})
        for column_key in named:
            if column_key not in columns_of(rule.tab):
                yield f"{where}: tab {rule.tab!r} has no column {column_key!r}"
        for source in (getattr(rule, "per", {}) or {}).values():
            yield from check_source(source, where)
    for index, section in enumerate(template.summary):
        if section.tab not in tabs:
            yield f"summary[{index}]: no tab with key {section.tab!r}"
            continue
        named = [
            *getattr(section, "where", {}),
            *getattr(section, "columns", ()),
            *getattr(section, "rows", ()),
        ]
        named += [section.count_by] if isinstance(section, SummaryBreakdown) else []
        for column_key in named:
            if column_key not in columns_of(section.tab):
                yield f"summary[{index}]: tab {section.tab!r} has no column {column_key!r}"
    metric_ids = [metric.id for metric in template.metrics]
    if len(set(metric_ids)) != len(metric_ids):
        yield "metrics: two metrics share an id"
    for index, metric in enumerate(template.metrics):
        if metric.tab not in tabs:
            yield f"metrics[{index}]: no tab with key {metric.tab!r}"
        elif any(key not in columns_of(metric.tab) for key in metric.where):
            yield f"metrics[{index}]: tab {metric.tab!r} lacks a column named in 'where'"


def load_template_file(path: Path | str, text: str | None = None) -> Template:
    """Load one template spec; raise ConfigError with a one-line reason when it is invalid."""
    name = Path(path).name
    try:
        data = yaml.safe_load(text if text is not None else Path(path).read_text("utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{name}: not valid YAML ({_yaml_where(error)})") from None
    except OSError as error:
        raise ConfigError(f"{name}: cannot be read ({error.strerror})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: expected a mapping of template keys at the top level")
    try:
        return Template.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{name}: {one_line_validation_error(error)}") from None


def _yaml_where(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or "syntax error"
    return f"{problem} at line {mark.line + 1}" if mark else problem


# The three standard workbooks, in the order schools see them.
STANDARD = ("pm_tool", "roles", "decisions")


@cache
def standard_templates() -> tuple[Template, ...]:
    """The PM Tool, the roles tracker and the decision log, as shipped in sheet_templates/."""
    folder = resources.files("plansync.sheet_templates")
    return tuple(
        load_template_file(f"{key}.yaml", (folder / f"{key}.yaml").read_text("utf-8"))
        for key in STANDARD
    )


def metric_labels(templates: tuple[Template, ...]) -> dict[str, str]:
    """Each metric's label by its id, in the templates' order: what people read for a figure."""
    return {metric.id: metric.label for template in templates for metric in template.metrics}


def template_by_id(template_id: str) -> Template:
    for template in standard_templates():
        if template.id == template_id:
            return template
    raise KeyError(template_id)
