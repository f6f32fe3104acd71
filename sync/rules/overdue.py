"""Rule kind `overdue`: a row whose due date has passed and that is not marked done is overdue.

    - {type: overdue, tab: action_steps, due: due_date, status: status, owner: owner,
       done: [Complete]}

The coach summary lists the overdue rows and those due next (`overdue_rows`, `pending_rows`;
`upcoming_rows` looks a fixed window ahead), and a rollup figure may count overdue rows only
(`Metric.overdue`).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from ..tables import Row, Table, WorkbookTables
from ..values import normalize_words
from .base import CheckContext, IssueKind, Rule, WorkbookCheck
from .helpers import format_date, row_label

OVERDUE = IssueKind("overdue", "Overdue", "warning")


class OverdueRule(Rule):
    """A row whose due date has passed and whose status is not one of `done` is overdue."""

    type: Literal["overdue"]
    due: str
    status: str
    done: tuple[str, ...]
    # The column naming who is responsible, shown beside overdue rows in the coach summary.
    owner: str | None = None
    # How many days ahead the coach summary looks for upcoming rows.
    upcoming_days: int = 14

    issues: ClassVar[tuple[IssueKind, ...]] = (OVERDUE,)

    def columns_named(self) -> tuple[str, ...]:
        return (self.due, self.status, *((self.owner,) if self.owner is not None else ()))

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        for row, due in overdue_rows(table, self, ctx.today):
            # Dates, not "7 days ago": the message reads the same every night it stays true.
            result.add(
                OVERDUE,
                table.sheet_name,
                row.cells[self.due].address,
                f"{row_label(table.tab, row)} was due {format_date(due)} and is not "
                f"marked {self.done[0]}.",
            )

    def changes_on(self, tables: WorkbookTables, ctx: CheckContext) -> dt.date | None:
        # A step already overdue stays so (its message gives dates, not a count of days): only
        # the next step to fall due changes the findings by itself.
        open_rows = _open_rows(tables.tables[self.tab], self)
        falling_due = [_day(due) for _row, due in open_rows if _day(due) >= ctx.today]
        if not falling_due:
            return None
        return min(falling_due) + dt.timedelta(days=1)  # overdue the day after it was due


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _open_rows(table: Table, rule: OverdueRule) -> list[tuple[Row, dt.date]]:
    """Rows with a due date whose status is not one of the rule's `done` values, in row order."""
    done = {normalize_words(value) for value in rule.done}
    return [
        (row, due)
        for row in table.rows
        if isinstance(due := row.value(rule.due), dt.date)
        and normalize_words(row.text(rule.status)) not in done
    ]


def overdue_rows(table: Table, rule: OverdueRule, today: dt.date) -> list[tuple[Row, dt.date]]:
    """Rows past their due date whose status is not one of the rule's `done` values."""
    return [(row, due) for row, due in _open_rows(table, rule) if due < today]


def pending_rows(table: Table, rule: OverdueRule, today: dt.date) -> list[tuple[Row, dt.date]]:
    """Rows not done yet that are due today or later, soonest first."""
    found = [(row, due) for row, due in _open_rows(table, rule) if today <= due]
    return sorted(found, key=lambda pair: pair[1])


def upcoming_rows(table: Table, rule: OverdueRule, today: dt.date) -> list[tuple[Row, dt.date]]:
    """Rows not done yet that fall due within the rule's look-ahead window."""
    horizon = today + dt.timedelta(days=rule.upcoming_days)
    found = [(row, due) for row, due in _open_rows(table, rule) if today <= due <= horizon]
    return sorted(found, key=lambda pair: pair[1])
