"""Rule kind `required_when`: a column becomes required when other columns hold given values.

    - {type: required_when, tab: decisions, column: outcome, when: {status: Decided}, why: ...}

A blank cell is reported as `required`, like any required cell, naming the condition.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from ..tables import WorkbookTables
from .base import CheckContext, IssueKind, Rule, WorkbookCheck
from .helpers import row_label, rows_where
from .structure import REQUIRED


class RequiredWhenRule(Rule):
    """A column becomes required when other columns hold given values (e.g. Status = Decided)."""

    type: Literal["required_when"]
    column: str
    when: dict[str, str]
    why: str

    issues: ClassVar[tuple[IssueKind, ...]] = (REQUIRED,)

    def columns_named(self) -> tuple[str, ...]:
        return (self.column, *self.when)

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        column = table.tab.column(self.column)
        for row in rows_where(table, self.when):
            cell = row.cells.get(self.column)
            if cell is None:
                result.tally(1, 0)
                continue
            result.tally(1, int(not cell.blank and cell.problem is None))
            if cell.blank:
                condition = ", ".join(
                    f"{table.tab.column(k).header} is {v}" for k, v in self.when.items()
                )
                result.add(
                    REQUIRED,
                    table.sheet_name,
                    cell.address,
                    f"{row_label(table.tab, row)}: {column.header} is empty while "
                    f"{condition}. {self.why}",
                )
