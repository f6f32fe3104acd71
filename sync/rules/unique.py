"""Rule kind `unique`: values in a column must not repeat (strategy IDs).

    - {type: unique, tab: strategies, column: id}

Values are compared ignoring case and spacing; the second and later uses are reported.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from ..tables import WorkbookTables
from ..values import normalize_words, quoted
from .base import CheckContext, IssueKind, Rule, WorkbookCheck

DUPLICATE = IssueKind("duplicate", "Used twice", "error")


class UniqueRule(Rule):
    """Values in a column must not repeat (strategy IDs)."""

    type: Literal["unique"]
    column: str

    issues: ClassVar[tuple[IssueKind, ...]] = (DUPLICATE,)

    def columns_named(self) -> tuple[str, ...]:
        return (self.column,)

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        column = table.tab.column(self.column)
        seen: dict[str, int] = {}
        for row in table.rows:
            key = normalize_words(row.text(self.column))
            if not key:
                continue
            if key in seen:
                result.add(
                    DUPLICATE,
                    table.sheet_name,
                    row.cells[self.column].address,
                    f"{column.header} {quoted(row.text(self.column))} is also used on row "
                    f"{seen[key]}; each {table.tab.noun} needs its own.",
                )
            else:
                seen[key] = row.number
