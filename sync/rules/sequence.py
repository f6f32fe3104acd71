"""Rule kind `sequence`: a group's rows are in date order, and none falls after the year ends.

    - {type: sequence, tab: action_steps, group: strategy, date: due_date, why: ...}

The steps of one strategy are listed in the order they fall due, so a team reads its plan as a
sequence, and no step is due after the school year's last monitoring cycle ends. Each dated row
is one quality check, reported at its date.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from ..tables import WorkbookTables
from ..values import normalize_words
from .base import CheckContext, IssueKind, QualityRule, WorkbookCheck
from .helpers import format_date, row_label

OUT_OF_SEQUENCE = IssueKind("out-of-sequence", "Out of sequence", "warning", quality=True)
AFTER_YEAR_END = IssueKind(
    "after-year-end", "Due after the school year ends", "warning", quality=True
)


class SequenceRule(QualityRule):
    """Rows of one `group` are listed in `date` order, and no date is after the year's end."""

    type: Literal["sequence"]
    group: str
    date: str

    issues: ClassVar[tuple[IssueKind, ...]] = (OUT_OF_SEQUENCE, AFTER_YEAR_END)

    def columns_named(self) -> tuple[str, ...]:
        return (self.group, self.date)

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        header = table.tab.column(self.date).header
        latest: dict[str, tuple[dt.date, str]] = {}
        for row in table.rows:
            day = row.value(self.date)
            if not isinstance(day, dt.date) or self.date not in row.cells:
                continue
            cell = row.cells[self.date].address
            label = row_label(table.tab, row)
            group = row.text(self.group)
            before = latest.get(normalize_words(group))
            if ctx.year_end is not None and day > ctx.year_end:
                self.verdict(
                    result,
                    False,
                    AFTER_YEAR_END,
                    table.sheet_name,
                    cell,
                    f"{label}: {header} {format_date(day)} is after the school year ends "
                    f"({format_date(ctx.year_end)}).",
                )
            elif before is not None and day < before[0]:
                self.verdict(
                    result,
                    False,
                    OUT_OF_SEQUENCE,
                    table.sheet_name,
                    cell,
                    f"{label} ({header} {format_date(day)}) is listed after {before[1]} "
                    f"({format_date(before[0])}) of {group or 'the same strategy'}.",
                )
            else:
                result.judge(True)
            if before is None or day >= before[0]:
                latest[normalize_words(group)] = (day, label)
