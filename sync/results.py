"""What a run found: the value types every layer shares.

The orchestrator (nightly.py) fills them; the reports, the history and the JSON read them. They
sit at the bottom of the house, above only the typed tables and the config they point into, so
nothing that reads a result has to import the code that produced it.

    WorkbookResult  one school's copy of one template: its typed tables, or why it could not be read
    SchoolResult    one school: its workbooks, issues, completeness tally and rollup figures
    SyncResult      the whole district on one night, and what the run did
    SchoolSnapshot  one school on one night as the history keeps it (BenchmarkRecord: one benchmark)
    Issue           one problem the checks found, at one place in one workbook
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from .config import District, School
from .errors import StoreError
from .grid import OutSheet, parse_a1
from .store import StrayCopy, WorkbookRef
from .tables import WorkbookTables
from .templates import OPEN_DECISIONS, OVERDUE_STEPS, Template

# -- issues: every problem the sync finds, as a small value pointing at one place ----------------

# The JSON output, the rollup's Issues tab and a school's summary tab are three views of the same
# list. Every rule id a school can meet is declared, with its title and severity, in plansync.rules.
Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    rule: str
    severity: Severity
    school: str
    # The workbook's title (PM Tool, Roles and Responsibilities, Decision Log).
    workbook: str
    # The tab as the school named it; None for a problem with the whole workbook.
    sheet: str | None
    # "F7"; "1:1" for a whole row (a missing column is reported on the header row); None when
    # no single place in the tab holds the problem.
    cell: str | None
    message: str
    # Found by a quality rule (the field guides' criteria): it weighs on `quality`, not on
    # `completeness`.
    quality: bool = False

    @property
    def where(self) -> str:
        """'PM Tool › Action Steps!F7', the way a person finds the cell."""
        place = self.workbook
        if self.sheet:
            place += f" › {self.sheet}" + (f"!{self.cell}" if self.cell else "")
        return place

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("school")
        return data


def spoken_place(sheet: str | None, cell: str | None, headers: dict[int, str]) -> str:
    """A place in a tab as a person says it: 'Action Steps, Owner, row 7' for a cell (its
    column named by the header found there), 'Strategies, row 3' for a row, the tab alone when
    no single place holds the problem. `headers` maps column numbers to header text."""
    if not sheet:
        return "whole file"
    if not cell:
        return sheet
    first = cell.split(":")[0]
    if first.isdigit():
        return f"{sheet}, row {first}"
    try:
        row, column = parse_a1(first)
    except ValueError:
        return f"{sheet}, {cell}"
    header = headers.get(column)
    return f"{sheet}, {header}, row {row}" if header else f"{sheet}, cell {first}"


def flatten(issues: Iterable[Issue], fields: Sequence[str]) -> list[tuple]:
    """The issues as tuples of the given fields, for tests and tables."""
    return [tuple(getattr(issue, name) for name in fields) for issue in issues]


def count(issues: Iterable[Issue], severity: Severity) -> int:
    return sum(1 for issue in issues if issue.severity == severity)


# -- what a run found ------------------------------------------------------------------------------


def completeness(expected: int, met: int) -> int:
    """A school's completeness, 0 to 100: the share of required cells that are filled in.

    The required cells are those of every row a school has started, plus those of the rows the
    templates say a plan still needs: 2-3 strategies, 2-3 goals per strategy, 2-4 benchmarks per
    strategy in each cycle that has begun, and so on. A strategy that is missing also counts its
    goals and benchmarks as missing, and a workbook that is missing or cannot be opened counts the
    rows it should hold. A cell holding something unreadable (like "TBD" in a date column) is not
    filled in. Warnings (overdue steps, goals that are not measurable) do not change the score.
    It rounds down, so 100 means nothing required is missing.
    """
    if expected <= 0:
        return 100
    return 100 * met // expected


def quality(judged: int, passed: int) -> int:
    """A school's quality score, 0 to 100: the share of the quality checks its plan passes.

    The quality rules are the field guides' criteria for a good plan, declared in the templates
    (a strategy in one sentence, goals with a baseline and the students they serve, benchmarks
    tied to goals, owners on the roster, meetings held at the cadence set...). Each thing a rule
    looks at (a strategy, a goal, a step, a name) is one check. Completeness does not enter it: a
    blank cell is missing, not poor. A plan with nothing written yet has passed nothing and scores
    0. It rounds down, so 100 means every check passed.
    """
    if judged <= 0:
        return 0
    return 100 * passed // judged


@dataclass(frozen=True)
class BenchmarkRecord:
    """One benchmark row as it stood on a night; text exactly as the school typed it."""

    row: int
    strategy: str
    cycle: str
    focus: str
    benchmark: str
    target: str
    actual: str
    # The status choice, or "" when none is set.
    status: str


@dataclass(frozen=True)
class NoteRecord:
    """A coach note's status on a night, as the history keeps it: no text, only an id that
    follows the note from night to night."""

    id: str
    written: dt.date | None
    author: str
    status: str


@dataclass(frozen=True)
class NoteSpan:
    """One note across the nights: written when, by which school's coach, resolved when."""

    school_id: str
    coach: str | None
    written: dt.date
    resolved: dt.date | None
    # The last night it was seen at all (a deleted note is no longer open).
    last_seen: dt.date | None = None


@dataclass(frozen=True)
class SchoolSnapshot:
    """One school on one night."""

    day: dt.date
    school_id: str
    name: str
    coach: str | None
    completeness: int
    expected: int
    met: int
    errors: int
    warnings: int
    issues_by_rule: dict[str, int] = field(default_factory=dict)
    # Rollup figures by metric id; None when the workbook holding it could not be read.
    metrics: dict[str, int | None] = field(default_factory=dict)
    benchmarks: tuple[BenchmarkRecord, ...] = ()
    notes: tuple[NoteRecord, ...] = ()
    # The quality score; None for a night recorded before plansync measured it.
    quality: int | None = None

    @property
    def overdue_steps(self) -> int | None:
        return self.metrics.get(OVERDUE_STEPS)

    @property
    def open_decisions(self) -> int | None:
        return self.metrics.get(OPEN_DECISIONS)


@dataclass(frozen=True)
class ScoreSince:
    """Since which night a school's completeness has stood where it is now, and what it was
    before then (None when every recorded night had the same score)."""

    day: dt.date
    before: int | None = None


@dataclass(frozen=True)
class Note:
    """One coach note in a school's Coach Notes tab, as the sync understood it tonight.

    Its text is the school's and the coach's own words: shown only to that school and its coach,
    always written as text, escaped in HTML."""

    school_id: str
    workbook: str
    sheet: str
    row: int
    # The day it was written; None when the note has no readable date.
    written: dt.date | None
    author: str
    about: str
    text: str
    response: str
    # Open, Answered or Resolved (a blank status reads Open, or Answered once there is a response).
    status: str
    # Where About points (tab as named, cell), None when it points nowhere.
    target_sheet: str | None
    target_cell: str | None
    # The first day the rows it is about were seen edited on or after the note's date.
    changed_since: dt.date | None = None

    @property
    def is_open(self) -> bool:
        """Still waiting on someone: not Resolved."""
        return self.status != "Resolved"

    def days_open(self, today: dt.date) -> int | None:
        return (today - self.written).days if self.written else None

    @property
    def key(self) -> str:
        """What identifies the note from night to night, wherever its row moves."""
        return "|".join(
            (
                self.school_id,
                self.written.isoformat() if self.written else "",
                self.author,
                self.about,
                self.text,
            )
        )

    def as_json(self, today: dt.date) -> dict:
        return {
            "row": self.row,
            "written": self.written.isoformat() if self.written else None,
            "from": self.author,
            "about": self.about,
            "points_to": f"{self.target_sheet}!{self.target_cell}" if self.target_cell else None,
            "status": self.status,
            "days_open": self.days_open(today),
            "changed_since": self.changed_since.isoformat() if self.changed_since else None,
        }


class WorkbookResult:
    """One school's copy of one template: its typed tables, or why it could not be read.

    The tables of a school whose findings came from the state store (nothing changed since they
    were checked) are not unpacked unless something asks for them: `load` does it then.
    """

    def __init__(
        self,
        template: Template,
        ref: WorkbookRef,
        tables: WorkbookTables | None = None,
        error: StoreError | None = None,
        *,
        load: Callable[[], WorkbookTables | None] | None = None,
        absent: bool = False,
        read_tonight: bool = False,
    ):
        self.template = template
        self.ref = ref
        self.error = error
        # The store found no workbook to read (the error says why), as opposed to one it could
        # not read: that finding holds until the place itself changes.
        self.absent = absent
        # Read from the workbook tonight (not taken from the state store as the last run left it).
        self.read_tonight = read_tonight
        self._tables = tables
        self._load = load

    @property
    def tables(self) -> WorkbookTables | None:
        if self._load is not None:
            self._tables, self._load = self._load(), None
        return self._tables

    def let_go(self, load: Callable[[], WorkbookTables | None]) -> None:
        """Let go of the tables held, to be made again with `load` should anything ask."""
        if self._tables is not None:
            self._tables, self._load = None, load

    @property
    def was_read(self) -> bool:
        """Whether the workbook could be read (without unpacking tables kept for later)."""
        return self._load is not None or self._tables is not None

    @property
    def unread_reason(self) -> StoreError:
        """Why a workbook without tables could not be read (every such result carries one)."""
        return self.error or StoreError("The workbook was not read.")


@dataclass(frozen=True)
class FactDetails:
    """What only the rollup, the places named in issues and the HTML report use of a school's
    facts: a night on which none of them is made does not unpack them."""

    # How many rows the school has on each plan tab of the rollup and on its Issues tab, and a
    # hash of them (rollup.rows_digest, rollup.issues_block), so that the rollup can be counted,
    # compared and drawn without unpacking them or going through the school's issues.
    rollup_blocks: dict[str, tuple[int, str]] = field(default_factory=dict)
    # The header of each column of each tab, by (workbook title, tab name), to name places.
    headers: dict[tuple[str, str], dict[int, str]] = field(default_factory=dict)
    # What the HTML report lists of the school's plan (its strategies with their goals), as
    # reports.html.plan_outline packs it; None when not kept.
    outline: Any = None


@dataclass
class SchoolFacts:
    """What the rollup and the history use of an unchanged school's tables, kept with its
    findings in the state store so that those tables need not be unpacked."""

    last_edit: dt.datetime | None
    benchmarks: tuple[BenchmarkRecord, ...]
    # The school's rows for each rollup tab, by tab title, unpacked when the rollup needs them;
    # None when they were not kept (see Store.redraws_rollup): then they are made from its tables.
    rollup_rows: Callable[[], dict[str, list[list[Any]]] | None]
    # The roster copy the school's workbooks should hold (a hash of the names; None when its
    # roster could not be read) and the workbooks that hold one.
    roster: tuple[str | None, tuple[str, ...]]
    # Its FactDetails, unpacked when first asked for (`details`).
    load_details: Callable[[], FactDetails]
    # A hash of the findings as the state store keeps them: the same hash, the same findings.
    digest: str = ""

    @functools.cached_property
    def details(self) -> FactDetails:
        return self.load_details()

    def unpack_details(self) -> None:
        """Unpack the details now, before they are first asked for."""
        self.details  # noqa: B018 (the property keeps what it unpacks)


@dataclass
class SummaryAhead:
    """A school's summary tab as built where the school was checked, beside the sync."""

    sheet: OutSheet
    # A hash of what it shows (state.content_hash of its summary_content), made there too.
    shows: str
    # The school's workbooks that hold a summary tab, each with its version as read.
    holders: list[tuple[WorkbookResult, str]]


@dataclass
class SchoolResult:
    school: School
    workbooks: list[WorkbookResult]
    issues: list[Issue] = field(default_factory=list)
    expected: int = 0
    met: int = 0
    # The quality tally: checks made, checks passed (see `quality`).
    judged: int = 0
    passed: int = 0
    # Rollup figures, metric id -> value (None when the workbook holding it could not be read).
    metrics: dict[str, int | None] = field(default_factory=dict)
    # This school on the last night before this run (history.py), for "last run vs now".
    previous: SchoolSnapshot | None = None
    # Files in its folder that look like copies of its workbooks (Store.stray_copies).
    stray_copies: list[StrayCopy] = field(default_factory=list)
    # What the school's findings were made from (its workbooks' content, its config, the templates,
    # the cycles begun), when every workbook could be read; the state store keys them by it.
    fingerprint: str | None = None
    # Set when the findings came from the state store instead of a check tonight (and, after the
    # check, for a school checked tonight, so that the rollup and history use the same values).
    facts: SchoolFacts | None = None
    # What the school's summary tab showed when last written, as the state store keys it (None
    # when unknown, or when the workbook was saved since): the same key tonight means no rebuild.
    summary_key: str | None = None
    # How many of its workbooks `plansync migrate` would bring up to their template.
    need_migrate: int = 0
    # Since when completeness has stood where it is (history.py), for the summary tab.
    score_since: ScoreSince | None = None
    # A school checked ahead in a process beside the sync (nightly.read_district): its summary
    # tab as built there, so that its tables need not be unpacked here to write it.
    summary_ahead: SummaryAhead | None = None
    # Its tabs' headers (see `headers`), worked out when first asked for.
    _headers: dict[tuple[str, str], dict[int, str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    # The coach's notes in its Coach Notes tab, in row order.
    notes: list[Note] = field(default_factory=list)

    @property
    def open_notes(self) -> list[Note]:
        """Notes not yet resolved, the longest waiting first."""
        waiting = [note for note in self.notes if note.is_open]
        return sorted(waiting, key=lambda note: (note.written or dt.date.max, note.row))

    @property
    def completeness(self) -> int:
        return completeness(self.expected, self.met)

    @property
    def quality(self) -> int:
        return quality(self.judged, self.passed)

    @property
    def quality_issues(self) -> list[Issue]:
        """The reasons the quality score is not 100, in the order they were found."""
        return [issue for issue in self.issues if issue.quality]

    @property
    def errors(self) -> int:
        return count(self.issues, "error")

    @property
    def warnings(self) -> int:
        return count(self.issues, "warning")

    @property
    def labelled_metrics(self) -> dict[str, int | None]:
        """The rollup figures named as people read them, in the templates' order."""
        labels = {
            metric.id: metric.label for wb in self.workbooks for metric in wb.template.metrics
        }
        return {labels.get(key, key): value for key, value in self.metrics.items()}

    @property
    def last_edit(self) -> dt.datetime | None:
        if self.facts is not None:
            return self.facts.last_edit
        saved = [wb.tables.modified for wb in self.workbooks if wb.tables and wb.tables.modified]
        return max(saved, default=None)

    def run_problems(self) -> str:
        """What kept the run from doing its work for this school, in a few words (a workbook it
        could not read, a summary it could not write), or ''."""
        # was_read, not tables: a school kept from the last run is not unpacked to say so.
        unread = [wb.template.title for wb in self.workbooks if not wb.was_read]
        unwritten = any(issue.rule == "summary-not-written" for issue in self.issues)
        parts = [f"not read: {', '.join(unread)}"] if unread else []
        if unwritten:
            parts.append("summary not written")
        return "; ".join(parts)

    def place(self, issue: Issue) -> str:
        """Where an issue is, as a person says it ('Action Steps, Owner, row 7'); the A1
        reference stays in the issue itself (and the JSON)."""
        headers = self.facts.details.headers if self.facts is not None else self.headers()
        return spoken_place(
            issue.sheet, issue.cell, headers.get((issue.workbook, issue.sheet or ""), {})
        )

    def headers(self) -> dict[tuple[str, str], dict[int, str]]:
        """The header of each column of each tab read, by (workbook title, tab name): worked out
        once (every issue's place is named from them), as a school's tables, once read, stay."""
        if self._headers is None:
            self._headers = self._read_headers()
        return self._headers

    def _read_headers(self) -> dict[tuple[str, str], dict[int, str]]:
        found: dict[tuple[str, str], dict[int, str]] = {}
        for workbook in self.workbooks:
            if workbook.tables is None:
                continue
            for table in workbook.tables.tables.values():
                if table.sheet_name is None:
                    continue
                found[(workbook.template.title, table.sheet_name)] = {
                    number: table.tab.column(key).header for key, number in table.columns.items()
                }
        return found

    def workbook(self, template_id: str) -> WorkbookResult:
        return next(wb for wb in self.workbooks if wb.template.id == template_id)

    def tables(self, template_id: str) -> WorkbookTables | None:
        return self.workbook(template_id).tables


@dataclass
class SyncResult:
    district: District
    today: dt.date
    schools: list[SchoolResult]
    rollup: str | None = None
    # The district's HTML report, when the run wrote it.
    reports: Path | None = None
    # Seconds per phase: read, check, write_back, rollup, history.
    timings: dict[str, float] = field(default_factory=dict)
    # What the run did: workbooks parsed, workbooks unchanged since the last run (taken from the
    # state store), summary tabs written, and whether the rollup was rewritten.
    workbooks_read: int = 0
    workbooks_unchanged: int = 0
    summaries_written: int = 0
    # Workbooks whose copy of the school's roster (the person columns' dropdown) was rewritten.
    rosters_written: int = 0
    rollup_written: bool = False
    # What the person running the sync should know beyond the schools' issues.
    notes: list[str] = field(default_factory=list)
    # The templates in use (the district's own or the shipped ones), in the order schools see them.
    templates: tuple[Template, ...] = ()
    # Workbooks made from an older template version or before the cycles changed.
    need_migrate: int = 0

    @property
    def issues(self) -> list[Issue]:
        return [issue for school in self.schools for issue in school.issues]

    def one_line(self) -> str:
        """The run in one line, for logs."""
        seconds = sum(self.timings.values())
        errors = sum(school.errors for school in self.schools)
        warnings = sum(school.warnings for school in self.schools)
        rollup = "rollup written" if self.rollup_written else "rollup unchanged"
        rosters = f"{self.rosters_written} rosters copied, " if self.rosters_written else ""
        return (
            f"{len(self.schools)} schools: {self.workbooks_read} workbooks read, "
            f"{self.workbooks_unchanged} unchanged; {errors} errors, {warnings} warnings; "
            f"{self.summaries_written} summary tabs written, {rosters}{rollup}; "
            f"{seconds:.1f} s"
        )
