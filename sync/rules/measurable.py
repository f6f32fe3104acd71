"""Rule kind `measurable`: an end-of-year goal names a metric, a baseline, a target and a date.

    - {type: measurable, tab: goals, text: goal, metric: metric, baseline: baseline,
       target: target, date: target_date, measure_words: [percent, "%", rate, ...], why: ...}

Each part may be in its own column or in the goal's words ("from 42% to 55% by May 2027"). A goal
lacking one is a quality warning: it does not lower completeness. `baseline` may be left out of a
rule (a template without a baseline column).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar, Literal

from ..tables import WorkbookTables
from .base import CheckContext, IssueKind, QualityRule, WorkbookCheck

NOT_MEASURABLE = IssueKind("not-measurable", "Goal is not measurable", "warning", quality=True)

_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*%|\b(?!(?:19|20)\d\d\b)\d+(?:\.\d+)?\b")
_DATE_WORDS = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b20\d\d\b|"
    r"\bend of (?:the )?(?:school )?year\b|\beoy\b|\bby (?:spring|summer|fall|winter)\b"
)
# Where the metric starts: "from 42% to 55%", "up from 61", "baseline 3.1", "(currently 40%)".
_BASELINE_WORDS = re.compile(
    r"\bfrom\s+(?:a\s+|an\s+)?(?:baseline\s+of\s+)?\d|\bbaseline\b|\bcurrently\b|\bnow\s+(?:at\s+)?\d"
    r"|\bstarting\s+(?:at|from)\b"
)


class MeasurableRule(QualityRule):
    """An end-of-year goal names a metric, a baseline, a target and a date (in its columns or its
    text)."""

    type: Literal["measurable"]
    text: str
    metric: str
    baseline: str | None = None
    target: str
    date: str
    measure_words: tuple[str, ...]

    issues: ClassVar[tuple[IssueKind, ...]] = (NOT_MEASURABLE,)

    def columns_named(self) -> tuple[str, ...]:
        baseline = (self.baseline,) if self.baseline else ()
        return (self.text, self.metric, *baseline, self.target, self.date)

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        for row in table.rows:
            text = row.text(self.text)
            if not text:
                continue
            lowered = text.casefold()
            parts = {
                "what is measured": bool(row.text(self.metric))
                or any(word in lowered for word in self.measure_words),
                "where it starts (a baseline)": (
                    self.baseline is None
                    or bool(row.text(self.baseline))
                    or bool(_BASELINE_WORDS.search(lowered))
                ),
                "a target": bool(row.text(self.target)) or bool(_NUMBER.search(lowered)),
                "a date": isinstance(row.value(self.date), dt.date)
                or bool(_DATE_WORDS.search(lowered)),
            }
            missing = [name for name, present in parts.items() if not present]
            names = (
                ", ".join(missing[:-1])
                + (" or " if len(missing) > 1 else "")
                + (missing[-1] if missing else "")
            )
            self.verdict(
                result,
                not missing,
                NOT_MEASURABLE,
                table.sheet_name,
                row.cells[self.text].address,
                f"This goal does not name {names}. A measurable goal says what is measured, "
                "where it starts, the target and the date, e.g. “from 42% to 55% of students at "
                "benchmark by May 2027”.",
            )
