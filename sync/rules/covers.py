"""Rule kind `covers`: each group's rows, together, hold every one of some values.

    - {type: covers, tab: goals, group: strategy, groups_from: strategies.id, column: level,
       values: [System, Student Data], why: ...}

Each strategy has goals at both levels; over the year each strategy's benchmarks look at systems
implementation, effectiveness and student outcomes. A group with no rows at all is the `count`
rule's business; each group with rows is one quality check, reported at its first row.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..tables import Row, WorkbookTables
from ..values import normalize_words
from .base import CheckContext, IssueKind, QualityRule, WorkbookCheck

NOT_COVERED = IssueKind(
    "not-covered", "Something the plan should cover is missing", "warning", quality=True
)


class CoversRule(QualityRule):
    """The rows of each group (each strategy) hold every one of `values` in `column`."""

    type: Literal["covers"]
    # The column grouping the rows, and where the expected groups come from ("tab.column").
    group: str
    groups_from: str
    column: str
    values: tuple[str, ...] = Field(min_length=1)

    issues: ClassVar[tuple[IssueKind, ...]] = (NOT_COVERED,)

    def columns_named(self) -> tuple[str, ...]:
        return (self.group, self.column)

    def sources(self) -> tuple[str, ...]:
        return (self.groups_from,)

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        tab_key, _, column_key = self.groups_from.partition(".")
        groups = dict.fromkeys(
            row.text(column_key) for row in tables.tables[tab_key].rows if row.text(column_key)
        )
        members: dict[str, list[Row]] = {}
        for row in table.rows:
            members.setdefault(normalize_words(row.text(self.group)), []).append(row)
        header = table.tab.column(self.column).header
        for group in groups:
            rows = members.get(normalize_words(group), [])
            if not rows or self.column not in table.columns:
                continue
            held = {normalize_words(row.text(self.column)) for row in rows}
            lacking = [value for value in self.values if normalize_words(value) not in held]
            self.verdict(
                result,
                not lacking,
                NOT_COVERED,
                table.sheet_name,
                table.address(self.column, rows[0].number),
                f"{group} has no {table.tab.noun} with {header} {_either(lacking)}.",
            )


def _either(values: list[str]) -> str:
    quoted = [f"“{value}”" for value in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]
