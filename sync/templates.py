"""Workbook templates: the models of the YAML specs in sheet_templates/.

A template lists a workbook's tabs, each tab's columns (header text, type, required, help), the
rules that span rows, the rollup's figures and the coach summary's sections. Every rule is a
`RuleSpec`; each rule kind's settings, check and issue ids live in one module of `plansync.rules`,
and `plansync.catalog` loads and validates the YAML files. A template's references (a rule or
section naming a tab or column that is not there) are refused here, with one line naming the key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

ColumnType = Literal["text", "date", "number", "choice", "email"]
Severity = Literal["error", "warning"]


class Spec(BaseModel):
    """Every part of a template: unknown keys are refused and nothing changes once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(Spec):
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    # Headers this column had in earlier template versions: read like aliases, and `plansync
    # migrate` gives the column its new header.
    renamed_from: tuple[str, ...] = ()
    type: ColumnType = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    # "tab.column" (values typed in another tab) or "cycles" (the district's monitoring cycles).
    choices_from: str | None = None
    # Other words schools use for a choice, read as that choice: {Done: Complete}.
    choice_aliases: dict[str, str] = Field(default_factory=dict)
    # False: a value outside the list is allowed (the dropdown only suggests).
    strict: bool = True
    # A person's name: it should be on the school's team roster (rule kind `roster`).
    person: bool = False
    width: int = 16
    help: str
    # The sentence that explains, in a school's words, why a blank required cell matters.
    why: str | None = None
    # Who types in this column when the two sides share a tab (the Coach Notes): the coach or the
    # school team. Google protects each side's columns for its own people; Excel marks them.
    typed_by: Literal["coach", "school"] | None = None

    @model_validator(mode="after")
    def _choices_make_sense(self) -> Column:
        if self.type == "choice" and not (self.choices or self.choices_from):
            raise ValueError(f"column {self.key!r} is a choice but lists no choices")
        if self.choices and self.type != "choice":
            raise ValueError(f"column {self.key!r} lists choices but its type is {self.type!r}")
        if self.choice_aliases and not self.choices:
            raise ValueError(f"column {self.key!r} has choice_aliases but lists no choices")
        for alias, choice in self.choice_aliases.items():
            if choice not in self.choices:
                raise ValueError(
                    f"column {self.key!r}: choice_aliases: {alias!r} stands for {choice!r}, "
                    "which is not one of its choices"
                )
        return self

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases, *self.renamed_from)


class Tab(Spec):
    key: str
    title: str
    aliases: tuple[str, ...] = ()
    noun: str
    nouns: str
    purpose: str
    optional: bool = False
    # The `plansync rollover --carry` group whose rows are carried into next year's workbook
    # (strategies, goals, roles); none: the tab starts empty each year.
    carry: str | None = None
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    @property
    def titles(self) -> tuple[str, ...]:
        return (self.title, *self.aliases)


class RuleSpec(Spec):
    """What every template rule has: its kind (`type`) and the tab it checks.

    Each rule kind subclasses this in its own module of `plansync.rules` with its settings (the
    YAML keys) and says which of them name columns of `tab` and which name a "tab.column" or
    "cycles" source, so that a template's references are checked without a list of key names.
    """

    type: str
    tab: str

    def columns_named(self) -> tuple[str, ...]:
        """The keys of the columns of `tab` that this rule reads."""
        return ()

    def sources(self) -> tuple[str, ...]:
        """The "tab.column" or "cycles" sources this rule takes values from."""
        return ()


R = TypeVar("R", bound=RuleSpec)


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
    """A workbook template. `rules` holds rule settings of the kinds registered in
    `plansync.rules`; `plansync.catalog` loads YAML into a subclass whose `rules` accept exactly
    those kinds (a base Template cannot hold rules: a bare RuleSpec has no settings of its own).
    """

    id: str
    version: int
    title: str
    about: str
    summary_tab: str | None = None
    tabs: tuple[Tab, ...]
    rules: tuple[RuleSpec, ...] = ()
    metrics: tuple[Metric, ...] = ()
    # Sections this template adds to the coach summary tab.
    summary: tuple[SummarySection, ...] = ()

    def tab(self, key: str) -> Tab:
        for tab in self.tabs:
            if tab.key == key:
                return tab
        raise KeyError(key)

    def rules_for(self, tab_key: str, kind: type[R]) -> list[R]:
        """The rules of one kind that check one tab."""
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


def _reference_problems(template: Template) -> Iterator[str]:
    """Yield a sentence for each rule, metric or column naming a tab or column that isn't there."""
    tabs = {tab.key: tab for tab in template.tabs}

    def columns_of(tab_key: str) -> set[str]:
        return {column.key for column in tabs[tab_key].columns}

    def check_source(source: str, where: str) -> Iterator[str]:
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
        for column_key in rule.columns_named():
            if column_key not in columns_of(rule.tab):
                yield f"{where}: tab {rule.tab!r} has no column {column_key!r}"
        for source in rule.sources():
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


def metric_labels(templates: tuple[Template, ...]) -> dict[str, str]:
    """Each metric's label by its id, in the templates' order: what people read for a figure."""
    return {metric.id: metric.label for template in templates for metric in template.metrics}
