"""Rule kind `mentions`: rows that meet a condition say something in their words.

    - {type: mentions, tab: goals, columns: [goal, metric], when: {goal_type: Outcome},
       words: [all students, english learners, ...], says: the students it concerns, why: ...}

An outcome goal names the students it serves (the I and E of SMARTIE). Any of `words` found in any
of `columns` (case ignored, whole words) meets the rule; the first column is where it is reported.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field

from ..tables import WorkbookTables
from .base import CheckContext, IssueKind, QualityRule, WorkbookCheck
from .helpers import row_label, rows_where

NOT_MENTIONED = IssueKind("not-mentioned", "Does not say who it serves", "warning", quality=True)


class MentionsRule(QualityRule):
    """Rows meeting `when` name one of `words` in one of `columns`."""

    type: Literal["mentions"]
    columns: tuple[str, ...] = Field(min_length=1)
    when: dict[str, str] = Field(default_factory=dict)
    words: tuple[str, ...] = Field(min_length=1)
    # What the words stand for, as the message says it: "the students it concerns".
    says: str

    issues: ClassVar[tuple[IssueKind, ...]] = (NOT_MENTIONED,)

    def columns_named(self) -> tuple[str, ...]:
        return (*self.columns, *self.when)

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        pattern = _pattern(self.words)
        first = self.columns[0]
        for row in rows_where(table, self.when):
            if not row.text(first).strip() or first not in row.cells:
                continue
            text = " ".join(row.text(column) for column in self.columns)
            self.verdict(
                result,
                bool(pattern.search(text)),
                NOT_MENTIONED,
                table.sheet_name,
                row.cells[first].address,
                f"{row_label(table.tab, row)} does not name {self.says}.",
            )


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(r"\s+".join(map(re.escape, word.split())) for word in words)
    return re.compile(rf"(?<![\w-])(?:{alternatives})s?(?![\w-])", re.IGNORECASE)
