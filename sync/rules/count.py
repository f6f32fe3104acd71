"""Rule kind `count`: rows per group must number between min and max (2-3 goals per strategy).

    - {type: count, tab: goals, per: {strategy: strategies.id}, min: 2, max: 3, why: ...}

`per` groups a tab's rows by some of its columns; each maps to where the expected groups come
from: a "tab.column" (every strategy ID) or "cycles" (every monitoring cycle that has begun).
"""

from __future__ import annotations

import itertools
from typing import ClassVar, Literal

from pydantic import Field

from ..tables import Row, WorkbookTables
from ..templates import Tab, Template
from ..values import normalize_words
from .base import CheckContext, IssueKind, Rule, WorkbookCheck

TOO_FEW = IssueKind("too-few", "Fewer than the plan needs", "error")
TOO_MANY = IssueKind("too-many", "More than the plan calls for", "warning")


class CountRule(Rule):
    """Rows per group must number between min and max (e.g. 2-3 goals per strategy)."""

    type: Literal["count"]
    # Group rows by these columns; each maps to where the expected groups come from:
    # "tab.column" (e.g. every strategy ID) or "cycles" (every cycle that has begun).
    per: dict[str, str] = Field(default_factory=dict)
    min: int = 0
    max: int | None = None
    why: str

    issues: ClassVar[tuple[IssueKind, ...]] = (TOO_FEW, TOO_MANY)

    def columns_named(self) -> tuple[str, ...]:
        return tuple(self.per)

    def sources(self) -> tuple[str, ...]:
        return tuple(self.per.values())

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        tab = table.tab
        groups, placeholders = _expected_groups(self, tables, ctx)
        members: dict[tuple[str, ...], list[Row]] = {}
        for row in table.rows:
            key = tuple(normalize_words(row.text(column)) for column in self.per)
            members.setdefault(key, []).append(row)
        # A row the plan still needs stands for every required cell it would hold.
        cells_per_row = max(1, sum(1 for column in tab.columns if column.required))
        for labels in groups:
            rows = members.get(tuple(normalize_words(label) for label in labels), [])
            result.tally(max(self.min - len(rows), 0) * cells_per_row, 0)
            if not table.found or table.header_row is None:
                continue  # the missing tab or header is the issue to report
            subject = ("For " + " in ".join(labels) + " there") if labels else "There"
            if len(rows) < self.min:
                first_key = next(iter(self.per), None)
                result.add(
                    TOO_FEW,
                    table.sheet_name,
                    table.next_free(first_key),
                    f"{subject} {_how_many(len(rows), tab)}. {self.why}",
                )
            elif self.max is not None and len(rows) > self.max:
                extra = rows[self.max]
                result.add(
                    TOO_MANY,
                    table.sheet_name,
                    f"A{extra.number}",
                    f"{subject} {_how_many(len(rows), tab)}. {self.why}",
                )
        result.tally(self.min * placeholders * cells_per_row, 0)


def _how_many(count: int, tab: Tab) -> str:
    if count == 0:
        return f"are no {tab.nouns}"
    return f"is 1 {tab.noun}" if count == 1 else f"are {count} {tab.nouns}"


def _expected_groups(
    rule: CountRule, tables: WorkbookTables, ctx: CheckContext
) -> tuple[list[tuple[str, ...]], int]:
    """The groups a count rule expects rows for, plus how many more groups stand for parent rows
    that are missing (a plan with one of the two strategies it needs also lacks the second one's
    goals), so that an empty plan does not look complete."""
    if not rule.per:
        return [()], 0
    choices: list[list[str]] = []
    with_missing = 1
    for source in rule.per.values():
        if source == "cycles":
            keys, missing = list(ctx.cycles_begun), 0
        else:
            tab_key, _, column_key = source.partition(".")
            rows = tables.tables[tab_key].rows
            keys = list(dict.fromkeys(row.text(column_key) for row in rows if row.text(column_key)))
            missing = max(_minimum_rows(tables.template, tab_key) - len(keys), 0)
        choices.append(keys)
        with_missing *= len(keys) + missing
    groups = list(itertools.product(*choices))
    return groups, with_missing - len(groups)


def _minimum_rows(template: Template, tab_key: str) -> int:
    return max(
        (rule.min for rule in template.rules_for(tab_key, CountRule) if not rule.per), default=0
    )
