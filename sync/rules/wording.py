"""Rule kind `wording`: a text is as short or as full as the field guides ask.

    - {type: wording, tab: strategies, column: strategy, max_sentences: 1, max_words: 30, why: ...}
    - {type: wording, tab: strategies, column: description, min_words: 25, why: ...}

A strategy is one memorable sentence; its description is a paragraph a family can follow. Each
filled cell is one quality check; a blank one is the `required` check's business.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from ..tables import WorkbookTables
from .base import CheckContext, IssueKind, QualityRule, WorkbookCheck
from .helpers import row_label

WORDY = IssueKind("wordy", "Not one short, memorable sentence", "warning", quality=True)
TOO_BRIEF = IssueKind("too-brief", "Too brief to explain it", "warning", quality=True)

# A sentence ends at . ! or ? followed by a space and a capital letter or digit ("e.g. the" and
# "3.5 points" do not end one).
_SENTENCE_END = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bDr)(?<!\bMs)(?<!\bMr)[.!?]+\s+(?=[A-Z0-9“\"])"
)


def sentences(text: str) -> int:
    """How many sentences a text holds: 'We read daily. We talk.' is two."""
    return len([part for part in _SENTENCE_END.split(text.strip()) if part.strip()])


def words(text: str) -> int:
    return len(re.findall(r"[\w'’%-]+", text))


class WordingRule(QualityRule):
    """A text is at most so many sentences and words, or at least so many words."""

    type: Literal["wording"]
    column: str
    max_sentences: int | None = None
    max_words: int | None = None
    min_words: int | None = None

    issues: ClassVar[tuple[IssueKind, ...]] = (WORDY, TOO_BRIEF)

    def columns_named(self) -> tuple[str, ...]:
        return (self.column,)

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        header = table.tab.column(self.column).header
        for row in table.rows:
            text = row.text(self.column)
            if not text.strip():
                continue
            cell = row.cells[self.column].address
            label = row_label(table.tab, row)
            count, length = sentences(text), words(text)
            if self.max_sentences is not None and count > self.max_sentences:
                problem = f"{header} runs to {count} sentences."
            elif self.max_words is not None and length > self.max_words:
                problem = f"{header} is {length} words long (at most {self.max_words})."
            elif self.min_words is not None and length < self.min_words:
                self.verdict(
                    result,
                    False,
                    TOO_BRIEF,
                    table.sheet_name,
                    cell,
                    f"{label}: {header} is {_words(length)} (at least {self.min_words}).",
                )
                continue
            else:
                result.judge(True)
                continue
            self.verdict(result, False, WORDY, table.sheet_name, cell, f"{label}: {problem}")


def _words(count: int) -> str:
    return "1 word" if count == 1 else f"{count} words"
