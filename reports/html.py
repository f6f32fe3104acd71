"""The district report and the coach pages: self-contained HTML files for people to read.

`plansync report` reads and checks every workbook as the sync does (writing nothing into them),
adds the history of nightly runs and writes, into the config's reports folder:

- `District Report.html`: headline figures, a table of schools with their trend, charts
  (completeness by school, completeness over time, benchmark status by cycle and focus) and each
  school's strategies and goals;
- `coaches/<coach>.html`: one page per coach with only that coach's schools, the one that needs
  attention first at the top, each with what is overdue and missing, cell by cell.

Each file opens offline: styles are inline, charts are inline SVG, nothing is loaded from
anywhere. The layout lives in Jinja templates (templates/) with autoescaping on, so whatever a
school typed is shown as text and can never become markup.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..catalog import standard_templates
from ..config import School
from ..errors import ReportNotWritten
from ..files import write_replacing
from ..history import (
    NO_STATUS,
    benchmark_records,
    completeness_series,
    district_series,
    month_ago,
    status_counts,
)
from ..packing import field_values
from ..results import Issue, Note, NoteSpan, SchoolResult, SchoolSnapshot, SyncResult
from ..rules import RULES
from ..rules.helpers import format_date
from ..tables import Row
from ..templates import OPEN_DECISIONS
from ..values import normalize_words
from ..version import __version__
from . import svg
from .palette import STATUS_COLORS, score_color

REPORT_NAME = "District Report.html"
COACH_FOLDER = "coaches"
# Every page's head carries this (base.html.j2), so the sync knows which pages it wrote itself.
GENERATOR_MARK = b'<meta name="generator" content="plansync '
# Enough for a coach to act on; the school's Coach Summary tab and the rollup list them all.
MAX_LISTED = 60

_TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Written:
    """Where the report and the coach pages went, and anything the reader of the log should know."""

    district: Path
    coaches: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Pages of coaches no longer in the config, removed.
    removed: list[Path] = field(default_factory=list)
    # The pages already showed what tonight's would (see `write_report_files`): none written.
    unchanged: bool = False


def write_report_files(
    result: SyncResult,
    past: Sequence[SchoolSnapshot],
    last_year: dict[str, SchoolSnapshot] | None = None,
    spans: Sequence[NoteSpan] = (),
    inputs: str | None = None,
) -> Written:
    """Write the report and the coach pages for a sync's results and the nights before it
    (`last_year`: each school's snapshot from the same point of last school year; `spans`: the
    coach notes the history has seen, for how long notes stay open).

    `inputs`, a fingerprint of everything the pages are made from (the day included), is kept
    in the district page, for `unchanged_report` to find on a later night."""
    return write_pages(page_inputs(result, past, last_year, spans, inputs))


def write_pages(made_from: PageInputs) -> Written:
    """Draw the pages from what `page_inputs` gathered and write them."""
    folder = made_from.folder
    written = Written(folder / REPORT_NAME)
    pages = render_pages(made_from)
    _write_atomically(written.district, pages.district)
    for coach, (name, html) in pages.coaches.items():
        path = folder / COACH_FOLDER / name
        _write_atomically(path, html)
        written.coaches[coach] = path
    written.removed = _remove_old_pages(folder / COACH_FOLDER, set(written.coaches.values()))
    return written


def unchanged_report(result: SyncResult, inputs: str) -> Written | None:
    """The pages already in the reports folder, when they were made from `inputs` and every
    coach's page is there (so they need not be drawn); None otherwise."""
    folder = result.district.reports_dir
    written = Written(folder / REPORT_NAME)
    if not _pages_made_from(inputs, written.district):
        return None
    files = _coach_files([s.school.coach for s in result.schools if s.school.coach])
    coaches = {coach: folder / COACH_FOLDER / name for coach, name in files.items()}
    if not all(path.is_file() for path in coaches.values()):
        return None
    written.coaches, written.unchanged = coaches, True
    return written


def _pages_made_from(inputs: str, district_page: Path) -> bool:
    """Whether the district page was made from `inputs` (its head says so)."""
    try:
        with district_page.open("rb") as file:
            head = file.read(2048)
    except OSError:
        return False
    return f'<meta name="plansync-inputs" content="{inputs}">'.encode() in head


def _remove_old_pages(folder: Path, current: set[Path]) -> list[Path]:
    """Remove the pages of coaches no longer in the config. Only pages plansync wrote (they say
    so in their head) are removed; anything else a person put in the folder stays."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in sorted(folder.glob("*.html")):
        if path in current or not path.is_file() or path.is_symlink():
            continue
        try:
            with path.open("rb") as file:
                head = file.read(2048)
            if GENERATOR_MARK not in head:
                continue
            path.unlink()
        except OSError:
            continue  # removed on a later night; a page too many is no harm
        removed.append(path)
    return removed


# -- what the pages show ---------------------------------------------------------------------------


@dataclass
class IssueView:
    where: str
    kind: str
    message: str
    severity: str


@dataclass
class NoteView:
    """A coach note on its coach's page (never on the district page, which only counts them)."""

    school: str
    school_anchor: str
    written: str
    waiting: str
    author: str
    about: str
    where: str
    text: str
    response: str
    status: str
    changed_since: str


@dataclass
class GoalView:
    goal: str
    goal_type: str
    measure: str


@dataclass
class StrategyView:
    id: str
    statement: str
    description: str
    stage: str
    owner: str
    goals: list[GoalView] = field(default_factory=list)


@dataclass
class SchoolView:
    id: str
    name: str
    coach: str | None
    completeness: int
    met: int
    expected: int
    quality: int
    errors: int
    warnings: int
    # Overdue items of every kind: action steps, responsibilities, decisions.
    overdue: int
    open_decisions: int | None
    last_edit: str
    # Completeness about a month ago, and the day it was recorded.
    before: int | None
    since: dt.date | None
    series: list[tuple[dt.date, int]]
    strategies: list[StrategyView]
    loose_goals: list[GoalView]
    benchmarks: str
    unread: list[str]
    late: list[IssueView]
    missing: list[IssueView]
    # The quality rules' findings: what would make the plan stronger.
    stronger: list[IssueView]
    # The coach's notes not yet resolved (open or answered), the longest waiting first.
    notes: list[NoteView] = field(default_factory=list)
    coach_page: str | None = None
    # Completeness at the same point of last school year (see `previous_year` in the config).
    last_year: int | None = None

    @functools.cached_property
    def spark(self) -> Markup:
        """The completeness sparkline, drawn once for the pages that show it."""
        return svg.sparkline(self.series)

    @property
    def open_notes(self) -> int:
        """Notes that wait on the school (Open); answered ones wait on the coach."""
        return sum(1 for note in self.notes if note.status == "Open")

    @property
    def answered_notes(self) -> int:
        return sum(1 for note in self.notes if note.status == "Answered")

    @property
    def anchor(self) -> str:
        return _anchor(self.id)

    @property
    def change(self) -> int | None:
        return None if self.before is None else self.completeness - self.before

    @property
    def color(self) -> str:
        return "#" + score_color(self.completeness)

    @property
    def quality_color(self) -> str:
        return "#" + score_color(self.quality)

    @property
    def attention(self) -> tuple:
        """Who needs the coach first: the most to chase (overdue items and things to fix), then
        the weakest plan, completeness and quality taken together (their mean, lowest first),
        then the steepest fall. A school with nothing overdue but half its plan missing, or a
        complete plan that meets few of the guides' criteria, comes before a complete, sound
        plan with one late step. Notes not yet resolved count as things to chase."""
        to_chase = self.overdue + self.errors + len(self.notes) + (1 if self.unread else 0)
        standing = self.completeness + self.quality
        return (-to_chase, standing, self.change or 0, self.name.casefold())

    def reasons(self) -> list[str]:
        """Why a school sits where it does on its coach's page, in a few words."""
        reasons = []
        if self.overdue:
            reasons.append(f"{self.overdue} overdue")
        if self.errors:
            reasons.append(f"{self.errors} to fix")
        if self.answered_notes:
            reasons.append(
                f"{self.answered_notes} note{'s' if self.answered_notes > 1 else ''} answered"
            )
        if self.open_notes:
            reasons.append(f"{self.open_notes} note{'s' if self.open_notes > 1 else ''} open")
        reasons.append(f"{self.completeness}% complete")
        reasons.append(f"{self.quality}% quality")
        if self.stronger:
            reasons.append(f"{len(self.stronger)} to strengthen")
        if self.change and self.since:
            word = "down" if self.change < 0 else "up"
            reasons.append(f"{word} {abs(self.change)} since {_short(self.since)}")
        if self.unread:
            reasons.append("a workbook could not be read")
        return reasons


@dataclass
class Pages:
    district: str
    # coach name -> (file name, html)
    coaches: dict[str, tuple[str, str]]


@dataclass
class NoteTimes:
    """How long one school's or one coach's notes stay open (figures only, never text)."""

    name: str
    written: int
    resolved: int
    # Days from writing to the first night seen Resolved: the middle value, and the longest.
    median_days: int | None
    open_now: int
    oldest_open: str


def note_times(spans: Sequence[NoteSpan], names: dict[str, str], by: str) -> list[NoteTimes]:
    """Notes grouped per school (`by="school"`) or per coach, with how long they stayed open."""
    groups: dict[str, list[NoteSpan]] = {}
    for span in spans:
        key = span.school_id if by == "school" else (span.coach or "no coach")
        groups.setdefault(key, []).append(span)
    latest = max((span.last_seen for span in spans if span.last_seen), default=None)
    rows = []
    for key, group in sorted(groups.items(), key=lambda item: names.get(item[0], item[0])):
        days = sorted((s.resolved - s.written).days for s in group if s.resolved)
        # Still open: not resolved and still there on the last night (a deleted note is not).
        still = [s.written for s in group if s.resolved is None and s.last_seen == latest]
        rows.append(
            NoteTimes(
                name=names.get(key, key),
                written=len(group),
                resolved=len(days),
                median_days=days[len(days) // 2] if days else None,
                open_now=len(still),
                oldest_open=f"since {format_date(min(still))}" if still else "",
            )
        )
    return rows


@dataclass
class PageInputs:
    """Everything the pages show, gathered from a sync's results and the nights before it."""

    folder: Path
    context: dict[str, Any]
    schools: list[SchoolView]
    with_last_year: bool
    inactive: list[School]
    headline: list[tuple[str, str, str]]
    # The district's average completeness night by night, tonight's last.
    average: list[tuple[dt.date, float]]
    benchmark_bars: BenchmarkBars | None
    # coach -> the file name of their page, in order of first appearance
    coach_files: dict[str, str]
    notes_by_school: list[NoteTimes]
    notes_by_coach: list[NoteTimes]


def page_inputs(
    result: SyncResult,
    past: Sequence[SchoolSnapshot],
    last_year: dict[str, SchoolSnapshot] | None = None,
    spans: Sequence[NoteSpan] = (),
    inputs: str | None = None,
) -> PageInputs:
    """What the pages are drawn from (see `render_pages`)."""
    earlier = [snapshot for snapshot in past if snapshot.day < result.today]
    baseline = month_ago(earlier, result.today)
    series = completeness_series(earlier)
    schools = [_school_view(school, baseline, series, result.today) for school in result.schools]
    for view in schools:
        then = (last_year or {}).get(view.id)
        view.last_year = then.completeness if then else None
    files = _coach_files([school.coach for school in schools if school.coach])
    for school in schools:
        if school.coach:
            school.coach_page = f"{COACH_FOLDER}/{files[school.coach]}"
    average = district_series(earlier)
    if schools:
        average.append((result.today, sum(s.completeness for s in schools) / len(schools)))
    return PageInputs(
        folder=result.district.reports_dir,
        context={
            "district": result.district.district,
            "today": format_date(result.today),
            "version": __version__,
            "inputs": inputs,
        },
        schools=schools,
        with_last_year=bool(last_year),
        inactive=sorted(result.district.inactive_schools, key=lambda s: s.name.casefold()),
        headline=_headline(schools, result),
        average=average,
        benchmark_bars=_benchmark_bars(result),
        coach_files=files,
        notes_by_school=note_times(
            spans, {s.school.id: s.school.name for s in result.schools}, "school"
        ),
        notes_by_coach=note_times(spans, {}, "coach"),
    )


def render_pages(made_from: PageInputs) -> Pages:
    """Every page's HTML, from what `page_inputs` gathered."""
    schools, files = made_from.schools, made_from.coach_files
    env = _environment()
    district_html = env.get_template("district.html.j2").render(
        **made_from.context,
        schools=schools,
        with_last_year=made_from.with_last_year,
        inactive=made_from.inactive,
        headline=made_from.headline,
        charts=_charts(schools, made_from.average, made_from.benchmark_bars),
        coaches=[(coach, f"{COACH_FOLDER}/{name}") for coach, name in files.items()],
        notes_by_school=made_from.notes_by_school,
        notes_by_coach=made_from.notes_by_coach,
    )
    coach_pages = {}
    for coach, name in files.items():
        mine = sorted((s for s in schools if s.coach == coach), key=lambda s: s.attention)
        notes = sorted(
            (note for school in mine for note in school.notes),
            key=lambda note: (note.written, note.school),
        )
        coach_pages[coach] = (
            name,
            env.get_template("coach.html.j2").render(
                **made_from.context, coach=coach, schools=mine, notes=notes, max_listed=MAX_LISTED
            ),
        )
    return Pages(district_html, coach_pages)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["j2", "html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["signed"] = lambda value: f"{value:+d}" if value is not None else ""
    env.filters["short"] = _short
    return env


def _school_view(
    school: SchoolResult,
    baseline: dict[str, SchoolSnapshot],
    series: dict[str, list[tuple[dt.date, int]]],
    today: dt.date,
) -> SchoolView:
    info = school.school
    before = baseline.get(info.id)
    late = [i for i in school.issues if i.rule == "overdue"]
    missing = [i for i in school.issues if i.rule != "overdue" and not i.quality]
    missing.sort(key=lambda issue: issue.severity != "error")
    strategies, loose = _strategies(school)
    edit = school.last_edit
    return SchoolView(
        id=info.id,
        name=info.name,
        coach=info.coach,
        completeness=school.completeness,
        met=school.met,
        expected=school.expected,
        quality=school.quality,
        errors=school.errors,
        warnings=school.warnings,
        overdue=len(late),
        open_decisions=school.metrics.get(OPEN_DECISIONS),
        last_edit=f"{format_date(edit.date())} {edit:%H:%M}" if edit else "",
        before=before.completeness if before else None,
        since=before.day if before else None,
        series=[*series.get(info.id, []), (today, school.completeness)],
        strategies=strategies,
        loose_goals=loose,
        benchmarks=_benchmark_line(school),
        unread=[wb.template.title for wb in school.workbooks if not wb.was_read],
        late=[_issue_view(school, issue) for issue in late],
        missing=[_issue_view(school, issue) for issue in missing],
        stronger=[_issue_view(school, issue) for issue in school.quality_issues],
        notes=[_note_view(school, note, today) for note in school.open_notes],
    )


def _note_view(school: SchoolResult, note: Note, today: dt.date) -> NoteView:
    days = note.days_open(today)
    return NoteView(
        school=school.school.name,
        school_anchor=_anchor(school.school.id),
        written=note.written.isoformat() if note.written else "",
        waiting=(
            f"since {format_date(note.written)} ({days} day{'s' if days != 1 else ''})"
            if note.written and days is not None
            else "no date"
        ),
        author=note.author,
        about=note.about,
        where=(
            f"{note.workbook} › {note.target_sheet}!{note.target_cell}"
            if note.target_cell
            else f"{note.workbook} › {note.sheet}!A{note.row}"
        ),
        text=note.text,
        response=note.response,
        status=note.status,
        changed_since=format_date(note.changed_since) if note.changed_since else "",
    )


def _issue_view(school: SchoolResult, issue: Issue) -> IssueView:
    """An issue with its place as a person says it: 'PM Tool › Action Steps, Owner, row 7'."""
    where = f"{issue.workbook} › {school.place(issue)}" if issue.sheet else issue.workbook
    return IssueView(where, RULES.get(issue.rule, issue.rule), issue.message, issue.severity)


def plan_outline(school: SchoolResult) -> list:
    """What the report lists of the school's plan, as lists: kept with the school's findings so
    that a school nobody edited need not be unpacked to draw it."""
    strategies, loose = _strategies_from_tables(school)
    return [
        [[*field_values(s)[:5], [field_values(goal) for goal in s.goals]] for s in strategies],
        [field_values(goal) for goal in loose],
    ]


def _strategies(school: SchoolResult) -> tuple[list[StrategyView], list[GoalView]]:
    """The school's strategies with their goals, as typed; goals whose strategy is not listed."""
    if school.facts is None or school.facts.details.outline is None:
        return _strategies_from_tables(school)
    strategies, loose = school.facts.details.outline
    return (
        [
            StrategyView(id_, statement, description, stage, owner, [GoalView(*g) for g in goals])
            for id_, statement, description, stage, owner, goals in strategies
        ],
        [GoalView(*goal) for goal in loose],
    )


def _strategies_from_tables(school: SchoolResult) -> tuple[list[StrategyView], list[GoalView]]:
    tables = next(
        (wb.tables for wb in school.workbooks if wb.tables and "strategies" in wb.tables.tables),
        None,
    )
    if tables is None:
        return [], []
    strategies = [
        StrategyView(
            row.text("id"),
            row.text("strategy"),
            row.text("description"),
            _typed(row, "stage"),
            row.text("owner"),
        )
        for row in tables.tables["strategies"].rows
    ]
    by_id = {normalize_words(s.id): s for s in strategies if s.id}
    loose: list[GoalView] = []
    for row in tables.tables["goals"].rows:
        goal = GoalView(row.text("goal"), _typed(row, "goal_type"), _measure(row))
        owner = by_id.get(normalize_words(row.text("strategy")))
        (owner.goals if owner else loose).append(goal)
    return strategies, loose


def _typed(row: Row, key: str) -> str:
    cell = row.cells.get(key)
    if cell is None:
        return ""
    return str(cell.value) if cell.problem is None and cell.value is not None else cell.text


def _measure(row: Row) -> str:
    """'% proficient: 40% → 55% by May 28, 2027', from the goal's own columns."""
    metric, baseline, target = row.text("metric"), row.text("baseline"), row.text("target")
    date = row.value("target_date")
    when = format_date(date) if isinstance(date, dt.date) else row.text("target_date")
    parts = metric
    if baseline or target:
        parts += (": " if metric else "") + " → ".join(p for p in (baseline, target) if p)
    if when:
        parts += f" by {when}"
    return parts.strip()


def _benchmark_line(school: SchoolResult) -> str:
    counts = status_counts(benchmark_records(school), ("cycle",))
    return " · ".join(
        f"{cycle or 'no cycle'}: "
        + ", ".join(f"{number} {status}" for status, number in tally.most_common())
        for (cycle,), tally in sorted(counts.items())
    )


def _headline(schools: list[SchoolView], result: SyncResult) -> list[tuple[str, str, str]]:
    """(figure, label, detail) for the cards at the top of the district report."""
    count = len(schools)
    average = sum(s.completeness for s in schools) / count if count else 0
    with_before = [(s, s.before, s.since) for s in schools if s.before is not None and s.since]
    trend = ""
    if with_before:
        then = sum(before for _s, before, _since in with_before) / len(with_before)
        now = sum(s.completeness for s, _before, _since in with_before) / len(with_before)
        since = min(day for _s, _before, day in with_before)
        moved = round(now - then)
        trend = (
            f"{moved:+d} points since {_short(since)}"
            if moved
            else f"no change since {_short(since)}"
        )
    overdue = sum(s.overdue for s in schools)
    late_schools = sum(1 for s in schools if s.overdue)
    decisions = sum(s.open_decisions or 0 for s in schools)
    cards = [
        (f"{average:.0f}%", "average completeness", trend or "no earlier run to compare"),
        (
            f"{sum(1 for s in schools if s.completeness == 100)} of {count}",
            "plans complete",
            "nothing required is missing",
        ),
        (str(overdue), "overdue items", f"in {late_schools} of {count} schools"),
        (str(decisions), "open decisions", "decisions still to make"),
        (str(sum(s.errors for s in schools)), "things to fix", "empty or unreadable cells"),
    ]
    cycle = _current_cycle(result)
    if cycle:
        tally: Counter[str] = Counter()
        for school in result.schools:
            tally += Counter(
                r.status or NO_STATUS for r in benchmark_records(school) if r.cycle == cycle
            )
        good = tally["Met"] + tally["On Track"]
        total = sum(tally.values())
        cards.append((f"{good} of {total}", f"{cycle} benchmarks", "met or on track"))
    return cards


def _current_cycle(result: SyncResult) -> str | None:
    begun = result.district.cycles_begun(result.today)
    return begun[-1].name if begun else None


@dataclass
class Charts:
    by_school: str
    over_time: str
    benchmarks: str
    since: str


def _charts(
    schools: list[SchoolView],
    average: list[tuple[dt.date, float]],
    benchmark_bars: BenchmarkBars | None,
) -> Charts:
    ranked = sorted(schools, key=lambda s: (-s.completeness, s.name.casefold()))
    by_school = svg.bar_chart(
        [svg.Bar(s.name, s.completeness, s.before, s.color, f"#{s.anchor}") for s in ranked]
    )
    over_time = svg.line_chart({s.name: s.series for s in schools}, ("District average", average))
    days = Counter(s.since for s in schools if s.since)
    since = _short(days.most_common(1)[0][0]) if days else ""
    benchmarks = svg.stacked_bars(*benchmark_bars) if benchmark_bars else ""
    return Charts(by_school, over_time, benchmarks, since)


# Each begun cycle's bars (focus -> count per status), and a colour per status.
BenchmarkBars = tuple[list[tuple[str, list[tuple[str, list[tuple[str, int]]]]]], dict[str, str]]


def _benchmark_bars(result: SyncResult) -> BenchmarkBars | None:
    """The benchmark chart's figures: per cycle begun, per focus, how many benchmarks have each
    status; None before the first cycle begins."""
    templates = result.templates or standard_templates()
    tab = next(t.tab("benchmarks") for t in templates if t.id == "pm_tool")
    statuses = [*tab.column("status").choices, NO_STATUS]
    focuses = list(tab.column("focus").choices)
    records = [record for school in result.schools for record in benchmark_records(school)]
    counts = status_counts(records, ("cycle", "focus"), statuses)
    groups = []
    for cycle in result.district.cycles_begun(result.today):
        bars = [
            (
                focus,
                [
                    (status, counts.get((cycle.name, focus), Counter())[status])
                    for status in statuses
                ],
            )
            for focus in focuses
        ]
        groups.append((cycle.name, bars))
    if not groups:
        return None
    colors = {status: "#" + STATUS_COLORS.get(status, "9E9E9E") for status in statuses}
    return groups, colors


# -- files -----------------------------------------------------------------------------------------


def _coach_files(coaches: Sequence[str]) -> dict[str, str]:
    """A file name per coach, in order of first appearance; two names never share a file."""
    files: dict[str, str] = {}
    taken: set[str] = set()
    for coach in coaches:
        if coach in files:
            continue
        stem = _slug(coach) or "coach"
        name, number = f"{stem}.html", 2
        while name in taken:
            name, number = f"{stem}-{number}.html", number + 1
        taken.add(name)
        files[coach] = name
    return files


@functools.cache
def _anchor(school_id: str) -> str:
    """The id of a school's part of a page (asked for several times per school per page)."""
    return "school-" + _slug(school_id)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _short(day: dt.date) -> str:
    return f"{day:%b} {day.day}"


def _write_atomically(path: Path, text: str) -> None:
    """Write beside the target and move it over in one step: a reader never sees half a page.
    A new page gets the mode the umask gives; a page written again keeps its owner and mode."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_replacing(path, lambda temporary: temporary.write_text(text, "utf-8"))
    except OSError as error:  # a full disk, a read-only folder: the page as it was
        raise ReportNotWritten(
            f"The report page {path} could not be written in {path.parent} "
            f"({error.strerror or error}); the previous page, if any, is unchanged."
        ) from None
