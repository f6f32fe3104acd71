"""What every rule kind is made of, and what its check is given.

A rule kind is a subclass of `Rule`: a pydantic model whose fields are its settings (the YAML keys
of a rule of its `type`), a `check` method that applies one such rule to one workbook's tables,
and the `IssueKind`s that check may report. The table in `plansync.rules` lists the kinds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import ClassVar

from ..results import Issue, Severity
from ..tables import WorkbookTables
from ..templates import RuleSpec


@dataclass(frozen=True)
class IssueKind:
    """A rule id a school can meet, with its title (for reports) and its severity."""

    id: str
    title: str
    # What it is reported as unless the check says otherwise (a missing column is an error when
    # the column is required and a warning when not).
    severity: Severity
    # A quality rule's issue: it weighs on the quality score (`results.quality`), not on
    # completeness.
    quality: bool = False


@dataclass(frozen=True)
class CheckContext:
    school_id: str
    today: dt.date
    # Names of the monitoring cycles that have begun: benchmarks are expected for these.
    cycles_begun: tuple[str, ...]
    # The last day of the school year (the last cycle's end), when the cycles are known.
    year_end: dt.date | None = None
    # Its first day (the first cycle's start).
    year_start: dt.date | None = None


@dataclass
class WorkbookCheck:
    """What checking one workbook found: its issues, its share of the completeness tally and its
    share of the quality tally (how many quality checks were made, how many the plan passed)."""

    workbook: str
    school_id: str
    issues: list[Issue] = field(default_factory=list)
    expected: int = 0
    met: int = 0
    judged: int = 0
    passed: int = 0

    def add(
        self,
        kind: IssueKind,
        sheet: str | None,
        cell: str | None,
        message: str,
        severity: Severity | None = None,
    ) -> None:
        """Record one issue of `kind` at a place (`severity` overrides the kind's)."""
        self.issues.append(
            Issue(
                kind.id,
                severity or kind.severity,
                self.school_id,
                self.workbook,
                sheet,
                cell,
                message,
                kind.quality,
            )
        )

    def tally(self, expected: int, met: int) -> None:
        self.expected += expected
        self.met += met

    def judge(self, passed: bool) -> None:
        """Count one quality check, passed or not (see `results.quality`)."""
        self.judged += 1
        self.passed += int(passed)


class Rule(RuleSpec):
    """The base of every rule kind: settings (the fields), the issues it reports, its check."""

    # Every issue id `check` may report; the registry lists them with their titles.
    issues: ClassVar[tuple[IssueKind, ...]] = ()

    def changes_on(self, tables: WorkbookTables, ctx: CheckContext) -> dt.date | None:
        """The first day after `ctx.today` on which this rule could find something else in the
        same tables (a due date passing); None when only an edit can change what it finds.

        The sync keeps a school's findings until then, so a kind whose findings depend on the
        date must say so here."""
        return None

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        """Apply this rule to one workbook: add its issues and tally the required cells it
        expects (see `checks.completeness`).

        A tab that was not found, or has no header row, is reported by the structure checks: a
        rule adds no issue about it, but still tallies what it expects there. The same holds for
        a workbook that could not be read, which is checked as empty tables.
        """
        raise NotImplementedError(f"rule kind {self.type!r} has no check")

    def check_school(
        self,
        workbooks: dict[str, WorkbookTables],
        ctx: CheckContext,
        results: dict[str, WorkbookCheck],
    ) -> None:
        """Checks that look across a school's workbooks (every roster name, say), run once per
        school after each workbook's own checks. `workbooks` and `results` are keyed by template
        id and hold only the workbooks that could be read. Most kinds have none."""


class QualityRule(Rule):
    """A rule from the field guides about how good a plan is rather than how complete: each
    thing it looks at is one quality check, passed or not, and what it finds is a warning that
    says why the rule exists (`why`, in the team's words)."""

    why: str

    def verdict(
        self,
        result: WorkbookCheck,
        passed: bool,
        kind: IssueKind,
        sheet: str | None,
        cell: str | None,
        message: str,
    ) -> None:
        """Count one quality check; when it failed, report it with the rule's reason."""
        result.judge(passed)
        if not passed:
            result.add(kind, sheet, cell, f"{message} {self.why}")
