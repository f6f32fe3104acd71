"""Rule kind `date_order`: one date column must not fall after another in the same row.

- {type: date_order, tab: action_steps, first: start_date, then: due_date}
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from ..tables import WorkbookTables
from .base import CheckContext, IssueKind, Rule, WorkbookCheck
from .helpers import format_date, row_label

DATE_ORDER = IssueKind("date-order", "Dates out of order", "error")


class DateOrderRule(Rule):
    """One date column must not fall after another in the same row (start before due)."""

    type: Literal["date_order"]
    first: str
    then: str

    issues: ClassVar[tuple[IssueKind, ...]] = (DATE_ORDER,)

    def columns_named(self) -> tuple[str, ...]:
        return (self.first, self.then)

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        first, then = table.tab.column(self.first), table.tab.column(self.then)
        for row in table.rows:
            start, end = row.value(self.first), row.value(self.then)
            if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
                result.add(
                    DATE_ORDER,
                    table.sheet_name,
                    row.cells[self.then].address,
                    f"{row_label(table.tab, row)}: {then.header} {format_date(end)} comes "
                    f"before {first.header} {format_date(start)}.",
                )
