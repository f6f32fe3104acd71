"""Rule kind `linked`: rows of one tab are tied to rows of another, and every row is followed up.

    - {type: linked, tab: goals, column: id, by: benchmarks.goal, per: cycle, why: ...}

Each end-of-year goal has at least one benchmark measuring it in every monitoring cycle that has
begun (`per` names the cycle column of the `by` tab; left out, one row at all is enough), and each
benchmark names the goal it measures. Each goal and each benchmark is one quality check.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from ..tables import WorkbookTables
from ..values import normalize_words
from .base import CheckContext, IssueKind, QualityRule, WorkbookCheck
from .helpers import row_label

NOT_FOLLOWED = IssueKind("not-followed-up", "Not followed up", "warning", quality=True)
NOT_TIED = IssueKind("not-tied", "Not tied to what it measures", "warning", quality=True)


class LinkedRule(QualityRule):
    """Every row of `tab` is named (by its `column`) in `by` rows, in each begun cycle."""

    type: Literal["linked"]
    column: str
    # "tab.column": the rows that name this tab's rows, and the column naming them.
    by: str
    # The `by` tab's cycle column: a row is expected in each cycle that has begun.
    per: str | None = None

    issues: ClassVar[tuple[IssueKind, ...]] = (NOT_FOLLOWED, NOT_TIED)

    def columns_named(self) -> tuple[str, ...]:
        return (self.column,)

    def sources(self) -> tuple[str, ...]:
        return (self.by,)

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        by_key, _, link = self.by.partition(".")
        others = tables.tables[by_key]
        if self.column not in table.columns or link not in others.columns:
            return  # a missing column is reported by the structure checks
        cycles = list(ctx.cycles_begun) if self.per else [None]
        seen: dict[str, set[str | None]] = {}
        for row in others.rows:
            key = normalize_words(row.text(link))
            cycle = normalize_words(row.text(self.per)) if self.per else None
            seen.setdefault(key, set()).add(cycle)
        header = table.tab.column(self.column).header
        for row in table.rows:
            cell = row.cells[self.column]
            label = row_label(table.tab, row)
            if cell.blank:
                self.verdict(
                    result,
                    False,
                    NOT_FOLLOWED,
                    table.sheet_name,
                    cell.address,
                    f"{label} has no {header}, so no {others.tab.noun} can say it measures it.",
                )
                continue
            found = seen.get(normalize_words(cell.text), set())
            lacking = [c for c in cycles if (normalize_words(c) if c else None) not in found]
            where = (" in " + ", ".join(c for c in lacking if c)) if self.per else ""
            self.verdict(
                result,
                not lacking,
                NOT_FOLLOWED,
                table.sheet_name,
                cell.address,
                f"{header} {cell.text} ({label}) has no {others.tab.noun}{where}.",
            )
        named = others.tab.column(link).header
        for row in others.rows:
            cell = row.cells[link]
            self.verdict(
                result,
                not cell.blank,
                NOT_TIED,
                others.sheet_name,
                cell.address,
                f"{row_label(others.tab, row)} names no {named}.",
            )
