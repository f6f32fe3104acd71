"""The nightly sync: read every school's workbooks, check them, write summaries and the rollup.

    read (store -> tables) -> check (checks) -> write-back (summary tabs) -> rollup

One school's broken file never stops the run: it becomes an issue for that school and the run goes
on. The phases are timed so the benchmark can report them.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import datetime as dt
import functools
import gc
import hashlib
import os
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .catalog import district_templates, standard_templates
from .checks import (
    CheckContext,
    WorkbookCheck,
    check_absent_workbook,
    check_across_workbooks,
    check_workbook,
    findings_change_on,
    metric_value,
    stamp_matches_school,
    stray_copy_issue,
)
from .config import District, School
from .errors import StoreError, WorkbookOfAnotherSchool
from .findings import keep_findings, kept_findings, kept_fingerprint, shared_fingerprint
from .forked import (
    ForkedMap,
    Pending,
    collected_less_often,
    resident_memory,
    set_aside_from_the_collector,
)
from .grid import OutSheet, hash_of
from .history import HISTORY_NAME, History, Recorded, ScoresBefore, last_year, open_history
from .layout import INSTRUCTIONS_TAB, ROSTER_ROWS, STAMP_TAB, needs_migrate
from .notes import check_sides, notes_rule, read_notes, row_hashes
from .renames import Moved, follow_renames
from .reports.html import (
    Written,
    unchanged_report,
    write_report_files,
)
from .reports.rollup import build_rollup, rollup_content
from .reports.summary import build_summary, summary_content
from .results import (
    Issue,
    SchoolResult,
    SummaryAhead,
    SyncResult,
    WorkbookResult,
)
from .rules.roster import school_roster
from .run_lock import district_lock
from .state import STATE_NAME, FindingsAside, Remembered, StateStore, content_hash
from .store import (
    RawWorkbook,
    ReadRequest,
    SheetWrite,
    Store,
    StrayCopy,
    WorkbookRef,
    WorkbookWrites,
    WriteOutcome,
    check_folders,
    open_store,
    read_file,
    write_in_turn,
)
from .tables import WorkbookTables, read_stamp, read_tables, stamp_cycles, stamp_year_end
from .templates import Template
from .version import __version__

Progress = Callable[[str, int, int], None]


def _quiet(phase: str, done: int, total: int) -> None:
    """A progress report nobody is shown."""


def _run_out(steps: Iterator[object]) -> None:
    """Take every item of an iterator, for what taking them does."""
    collections.deque(steps, maxlen=0)


def sync_district(
    district: District,
    *,
    today: dt.date | None = None,
    store: Store | None = None,
    write_back: bool = True,
    full: bool = False,
    progress: Progress | None = None,
) -> SyncResult:
    """Run the whole nightly flow for one district and return what it found and wrote.

    Workbooks that have not changed since the last run come from the state store instead of being
    read again, and a summary tab or the rollup is written only when what it shows has changed;
    `full` reads and writes everything.

    Raises ConfigError for a folder that cannot be used, SyncLocked when another sync of the
    district is running, RollupNotWritten when the rollup cannot be written, RunStateError when
    the state or history file is held by another program past the wait or its folder is full.
    """
    check_folders(district, for_sync=True)
    with district_lock(district.rollup_dir), collected_less_often():
        return _sync(district, today or dt.date.today(), store, write_back, full, progress)


def _sync(
    district: District,
    today: dt.date,
    store: Store | None,
    write_back: bool,
    full: bool,
    progress: Progress | None,
) -> SyncResult:
    result = SyncResult(district, today, [], templates=district_templates(district))
    store = store or open_store(district)
    tick = _Stopwatch(result.timings, ("read", "check", "write_back"))
    report = progress or _quiet
    district.rollup_dir.mkdir(parents=True, exist_ok=True)
    if write_back:
        result.notes += [_moved_note(move) for move in follow_renames(district, store)]

    if write_back:
        # Forked now, while the sync is small (see Store.start_writers).
        store.start_writers(len(district.active_schools) * len(result.templates))
    tick("read")
    with contextlib.ExitStack() as beside:
        with StateStore(district.rollup_dir / STATE_NAME) as state:
            # The rollup of an earlier run is there: a missing history file is news.
            history = open_history(
                district.rollup_dir / HISTORY_NAME,
                ran_before=store.rollup_exists,
                aliases=district.id_aliases(),
            )
            beside.callback(history.close)
            # A school's summary is written as soon as it is checked, while the next schools
            # are read: the workers that write and those that read share the machine's cores.
            scores = history.scores_before(today)
            checked = _scored(
                _read_and_check(
                    result,
                    store,
                    state,
                    full,
                    report if not write_back else _quiet,
                    tick,
                    scores=scores,
                ),
                scores,
            )
            # Closed on the way out of an error too, so that the readers end there and then.
            with contextlib.closing(checked):
                if write_back:
                    write_back_all(store, state, result, full, report, checked)
                else:
                    _run_out(checked)
            tick("write_back")
            # What the night has read and checked lives until it ends: full collections would
            # walk it again and again (0.2 s each at 2,000 schools, twice or more a night).
            beside.enter_context(set_aside_from_the_collector())

            # What the rollup is made from; the HTML pages are made from it too (and more).
            last_night = _last_night(history, state, today)
            if last_night is None:
                _attach_last_night(result, history)
            made_from = _rollup_inputs(result, last_night)
            # One cron line does the whole night: the HTML pages follow the sync's findings,
            # drawn beside the rollup (they are made from the same findings), and begun first:
            # they take longest.
            drawing = (
                beside.enter_context(_draw_report(result, history, made_from, full))
                if write_back
                else None
            )
            if last_night is not None and not rollup_current(store, state, full, made_from):
                _attach_last_night(result, history)  # the rollup shows last night's figures

            # The night is recorded from everything it found, while the rollup is written: the
            # history's work is mostly SQLite's, which lets the rollup's Python run meanwhile.
            # Its thread starts after the night's last fork, and ends before anything else runs.
            made_by = _NIGHT_MADE_FROM.format(today.isoformat())
            kept = None if full else Recorded.unpacked(state.output_hash(_NIGHT_RECORDED))
            same = kept is not None and state.output_hash(made_by) == made_from
            with concurrent.futures.ThreadPoolExecutor(1) as recorder:
                recording = recorder.submit(history.record, result, kept, same)
                result.rollup, result.rollup_written = write_rollup(
                    store, state, result, full, made_from
                )
                store.finish()
                tick("rollup")
                recorded = recording.result()
            if recorded is not None:
                state.output_written(_NIGHT_STAMP.format(today.isoformat()), recorded.stamp)
                state.output_written(_NIGHT_RECORDED, recorded.packed())
                state.output_written(made_by, made_from)
        tick("history")
        if drawing is not None:
            _take_report(result, drawing)
            tick("reports")
    if history.failed:  # the history is sound but could not take tonight: one line, exit 1
        raise history.failed
    result.notes += history.notes
    return result


def _scored(
    schools: Iterable[SchoolResult], scores: ScoresBefore
) -> Generator[SchoolResult, None, None]:
    """Each school, told since when its completeness has been what it is tonight."""
    for school in schools:
        school.score_since = scores.since(school.school.id, school.completeness)
        yield school


# The sync's memory up to which the HTML pages are drawn in a forked process, beside the rollup.
# The child copies each page of the sync's memory that holds an object it reads, and holds the
# pages it draws: at 2,000 schools it comes to about 200 MB of its own, while the sync grows by
# about 50 MB writing the rollup. Up to this, a night of 2,000 schools stays under 512 MB in all
# (measured: 459 MB on a night with 1% edited, drawn beside from 161 MB; 505 MB on a next day
# drawn beside from 189 MB, where 229 MB came to 551). Above it, the pages are drawn after the
# rollup in the sync's own process, so that a night that holds more needs no more memory than
# the sync alone.
DRAW_BESIDE_UP_TO = 200 * 2**20


def _draw_report(
    result: SyncResult, history: History, made_from: str, full: bool
) -> Pending[Written]:
    """The HTML pages, drawn in a process of their own (or, past DRAW_BESIDE_UP_TO, here once
    the rollup is written), unless they already show what tonight's would (then they are left
    as they are)."""
    inputs = _report_inputs(result, history.recorded_before(result.today), made_from)
    kept = None if full else unchanged_report(result, inputs)
    if kept is not None:
        return Pending.ready(kept)
    # Drawn again from every night before this one, read here: the history's connection is this
    # process's alone.
    past = history.snapshots(before=result.today, benchmarks=False, counts=False)
    # What the pages and the rollup show of the schools kept from the last run is unpacked first
    # (both need it tonight), so that the memory the sync holds says what it will hold, and so
    # that a forked child finds it all in memory (it never asks the state store: its connection
    # is this process's alone).
    for school in result.schools:
        if school.facts is not None:
            school.facts.unpack_details()
    draw = functools.partial(write_report_files, result, past, inputs=inputs)
    # Forked, the child gathers what the pages show from the sync's own objects: each page of
    # memory it touches is copied, and that costs less than handing it the same as one block of
    # bytes, pickled here (2,000 schools, a night with 1% edited: the child held 147 MB of its
    # own instead of 194, and the sync did not spend 1.2 s gathering and pickling).
    return Pending(draw, fork=resident_memory() <= DRAW_BESIDE_UP_TO)


def _take_report(result: SyncResult, drawing: Pending[Written]) -> None:
    try:
        written = drawing.answer()
    except OSError as error:
        result.notes.append(
            f"The HTML report could not be written into {result.district.reports_dir} "
            f"({error.strerror or error}); the workbooks and the rollup are done."
        )
    else:
        result.reports = written.district
        result.notes += written.notes


def _moved_note(move: Moved) -> str:
    where = f"{move.school.name}'s {move.template.title}"
    if move.problem:
        return f"{where} is still under its old id {move.old_id}: {move.problem}"
    return f"{where} was moved from its old id {move.old_id} to {move.school.id}."


def read_and_check(
    district: District,
    today: dt.date,
    *,
    store: Store | None = None,
    progress: Progress | None = None,
    keep_state: bool = True,
) -> SyncResult:
    """The sync's read and check phases alone: every school's findings, nothing written into a
    workbook. The state store still saves the next sync from reading what this read, under the
    sync's lock.

    `keep_state=False` writes nothing at all (`plansync.load`): the state store is only read, and
    no lock is taken, since taking it writes the lock file. That is safe beside a running sync:
    SQLite gives a reader the state as last committed, and every workbook the sync writes is
    replaced in one step, so a workbook newer than the state is simply read from its file. A
    store's finish() (the Google registry's save) is not called either.

    Every school is checked (no findings are taken from the state store): the callers read the
    schools' tables after the state store is closed.
    """
    result = SyncResult(district, today, [], templates=district_templates(district))
    report = progress or _quiet
    store = store or open_store(district)
    tick = _Stopwatch(result.timings)
    if not keep_state:
        with (
            StateStore(district.rollup_dir / STATE_NAME, read_only=True) as state,
            collected_less_often(),
        ):
            _run_out(_read_and_check(result, store, state, False, report, tick, False))
        return result
    with (
        district_lock(district.rollup_dir),  # it shares the state store with the nightly sync
        StateStore(district.rollup_dir / STATE_NAME) as state,
        collected_less_often(),
    ):
        _run_out(_read_and_check(result, store, state, False, report, tick, False))
    store.finish()
    return result


def read_and_check_into(
    result: SyncResult, store: Store, state: StateStore, *, full: bool = False
) -> None:
    """The read and check phases into `result`, with a state store of the caller's (the benchmark
    checks a night's output against a full run's this way); no findings are taken from it."""
    _run_out(_read_and_check(result, store, state, full, _quiet, _Stopwatch(result.timings), False))


def report_district(
    district: District,
    today: dt.date,
    *,
    store: Store | None = None,
    progress: Progress | None = None,
) -> Written:
    """Read and check every school (nothing is written into any workbook), then write the
    district report and the coach pages from those findings and the history."""
    result = read_and_check(district, today, store=store, progress=progress)
    history = open_history(
        district.rollup_dir / HISTORY_NAME, writable=False, aliases=district.id_aliases()
    )
    past = history.snapshots(before=today, benchmarks=False, counts=False)
    spans = history.note_spans()
    history.close()
    before = last_year(district, today)
    written = write_report_files(result, past, before.schools, spans)
    written.notes += history.notes + before.notes
    return written


def _read_and_check(
    result: SyncResult,
    store: Store,
    state: StateStore,
    full: bool,
    report: Progress,
    tick: _Stopwatch,
    reuse_findings: bool = True,
    scores: ScoresBefore | None = None,
) -> Iterator[SchoolResult]:
    """Each school read and checked, in the config's order, as soon as its workbooks are read
    (so that the nightly sync writes a school's summary while the next ones are read); each is
    added to result.schools as it comes. The time goes to the "read" and "check" phases.
    With `scores` (the nightly sync's), schools that are checked again only because a day came
    may be checked ahead, beside the sync (see read_district)."""
    shared = shared_fingerprint(result.district, result.templates)
    cycles = result.district.cycles
    year_end = max((cycle.end for cycle in cycles), default=None)
    ahead = None
    if reuse_findings and scores is not None:
        ahead = functools.partial(
            _check_ahead,
            result=result,
            shared=shared,
            year_end=year_end,
            keep_rows=store.redraws_rollup,
            scores=scores,
        )
    schools = read_district(
        store,
        result.district,
        state,
        result,
        full,
        report,
        shared if reuse_findings else None,
        ahead=ahead,
    )
    while True:
        with tick.within("read"):
            school = next(schools, None)
        if school is None:
            break
        if school.facts is None:  # else unchanged since its findings were kept, none falls due yet
            with tick.within("check"):
                _check_read_school(
                    school, result, state, shared, year_end, reuse_findings, store.redraws_rollup
                )
        result.schools.append(school)
        yield school
    result.need_migrate = sum(school.need_migrate for school in result.schools)
    if result.need_migrate:
        many = result.need_migrate != 1
        result.notes.append(
            f"{result.need_migrate} workbook{'s' if many else ''} need{'' if many else 's'} "
            "`plansync migrate`: made from an older version of "
            f"{'their templates' if many else 'its template'} or before the cycles changed. "
            "Migrate adds what they lack without touching what schools typed "
            "(`plansync migrate CONFIG --dry-run` lists it)."
        )


def _check_read_school(
    school: SchoolResult,
    result: SyncResult,
    state: StateStore,
    shared: str,
    year_end: dt.date | None,
    reuse_findings: bool,
    keep_rows: bool,
) -> None:
    """Check a school whose workbooks were read (or unpacked) tonight, and keep its findings
    (with its rollup rows when `keep_rows`: see Store.redraws_rollup)."""
    owed = school.school.cycles_expected(result.district.cycles, result.today)
    begun = tuple(cycle.name for cycle in owed)
    # A school that joined mid-year is judged from its first cycle (meeting cadence).
    year_start = min((cycle.start for cycle in owed), default=None)
    ctx = CheckContext(school.school.id, result.today, begun, year_end, year_start)
    valid_until = check_school(school, ctx)
    school.need_migrate = _need_migrate(school, result.district)
    sides = read_school_notes(school, state, result.today)
    if reuse_findings and not sides:
        # A note changed out of turn is reported the night the change is read, and only
        # then: such a school is checked again the next night.
        roster = _roster_facts(school)
        keep_findings(
            state, school, shared, begun, valid_until, result.templates, roster, keep_rows
        )


@dataclass(frozen=True)
class _Ahead:
    """A school checked ahead, beside the sync: the findings to keep (the arguments of
    StateStore.save_packed_findings), its summary tab and the hash of what it shows, and the
    templates of its workbooks that hold one."""

    kept: tuple
    summary: OutSheet
    shows: str
    holders: tuple[str, ...]


def _check_ahead(
    school: SchoolResult,
    state: FindingsAside,
    *,
    result: SyncResult,
    shared: str,
    year_end: dt.date | None,
    keep_rows: bool,
    scores: ScoresBefore,
) -> _Ahead | None:
    """Check a school as the sync would (its tables unpacked from `state`), and build its
    summary tab; None when its findings would not be kept (then the sync checks it itself)."""
    state.aside = None
    _check_read_school(school, result, state, shared, year_end, True, keep_rows)
    if state.aside is None:
        return None
    school.score_since = scores.since(school.school.id, school.completeness)
    summary = build_summary(school, result.district, result.today)
    holders = tuple(workbook.template.id for workbook, _version in _summary_holders(school))
    return _Ahead(state.aside, summary, _summary_shows(summary), holders)


def _need_migrate(school: SchoolResult, district: District) -> int:
    """How many of the school's workbooks were made from an older version of their template."""
    return sum(
        1
        for wb in school.workbooks
        if wb.tables is not None and needs_migrate(wb.tables.stamp, wb.template, district)
    )


def write_rollup(store: Store, state: StateStore, result: SyncResult, full: bool, inputs: str):
    """Write the rollup unless it would show exactly what it shows now; returns (where, written).
    `inputs`: a hash of what it is made from (_rollup_inputs).

    Cheapest first: when nothing the rollup is made from has changed (the workbooks, the issues,
    the cycles begun, the config), it is not even built; when it is built, it is written only if
    its content differs."""
    if rollup_current(store, state, full, inputs):
        return store.rollup_location(), False
    exists = store.rollup_exists()
    if full:
        state.forget_drawn_rows()  # every row is drawn again
    # A rollup is millions of small tuples that live until it is written and hold no cycles:
    # the cycle collector, walking them again and again as they are made, would only cost time
    # (a fifth of the rollup's at 2,000 schools).
    with _cycle_collector_paused():
        sheets = build_rollup(result)
        fingerprint = content_hash(rollup_content(sheets))
        written = full or not exists or state.output_hash("rollup") != fingerprint
        location = store.write_rollup(sheets, state) if written else store.rollup_location()
    state.output_written("rollup", fingerprint)
    state.output_written("rollup-inputs", inputs)
    return location, written


def rollup_current(store: Store, state: StateStore, full: bool, inputs: str) -> bool:
    """Whether the rollup there was made from `inputs` (so it need not even be built)."""
    return not full and state.output_hash("rollup-inputs") == inputs and store.rollup_exists()


# The state store's name for the stamp of the history's record of a night (History.record), and
# for what that night's findings were made from (the rollup's inputs: each figure the history
# keeps of a school is made from them).
_NIGHT_STAMP = "history {}"
_NIGHT_MADE_FROM = "history made from {}"
# The last night recorded, school by school (history.Recorded): one entry, replaced each night.
_NIGHT_RECORDED = "history recorded"


def _last_night(history: History, state: StateStore, today: dt.date) -> str | None:
    """The history's last night before `today`, as a stamp of its figures: what the rollup
    shows of it. Kept in the state store, so that it is read only when recorded again since (or
    never stamped). None when the history cannot say."""
    day = history.last_run_before(today)
    if day is None:
        return "no night before"
    name = _NIGHT_STAMP.format(day.isoformat())
    kept = state.output_hash(name)
    stamp = history.night_stamp(day, kept)
    if stamp is not None and stamp != kept:
        state.output_written(name, stamp)
    return stamp


def _attach_last_night(result: SyncResult, history: History) -> None:
    """Each school's snapshot of the last night before tonight, from the history: what the
    rollup shows of it (its completeness and benchmarks; not its counts)."""
    previous = history.previous(result.today, counts=False)
    for school in result.schools:
        school.previous = previous.get(school.school.id)


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


def _rollup_inputs(result: SyncResult, last_night: str | None) -> str:
    """What the rollup is made from. Not the day itself: the rollup shows dates, not counts of
    days, and what turns with the date (the cycles begun, a step falling overdue) is here.
    `last_night`: the stamp of the history's last night (_last_night); None when it is not
    known, and then each school's snapshot of that night, read, goes in instead."""
    digest = hashlib.blake2b(digest_size=16)
    begun = [cycle.name for cycle in result.district.cycles_begun(result.today)]
    digest.update(repr((__version__, begun, result.district.model_dump_json())).encode())
    digest.update(repr(last_night).encode())
    for school in result.schools:
        # What the schools typed and when they saved, not the files' versions: writing the
        # summary tabs changes those and nothing the rollup shows.
        if school.fingerprint is not None:
            typed: object = school.fingerprint
        else:
            typed = [
                (wb.tables.content, wb.tables.modified) if wb.tables else wb.unread_reason.reason
                for wb in school.workbooks
            ]
        # Of the last run, the rollup shows the score and the benchmarks (not the day it ran,
        # which changes every night).
        previous = school.previous if last_night is None else None
        before = (previous.completeness, previous.benchmarks) if previous else None
        digest.update(repr((school.school.id, typed, school.issues, before)).encode())
    return digest.hexdigest()


def _report_inputs(result: SyncResult, recorded: tuple[int, str | None], rollup_inputs: str) -> str:
    """What the HTML pages are made from: the rollup's inputs, the day (they count days), the
    schools' coach notes, and the nights before (`recorded`: how many snapshots the history
    holds before tonight and the last night's day; it only grows, night by night)."""
    notes = [(school.school.id, school.notes) for school in result.schools]
    return hash_of((rollup_inputs, result.today, notes, recorded))


def read_district(
    store: Store,
    district: District,
    state: StateStore,
    result: SyncResult,
    full: bool,
    report: Progress,
    shared: str | None = None,
    *,
    ahead: CheckAhead | None = None,
) -> Iterator[SchoolResult]:
    """Every school's workbooks as typed tables: unchanged ones from the state store, the rest
    read (in parallel where the store can) and remembered for the next run. Schools come in the
    config's order, each as soon as its workbooks are read, while the next ones are being read.

    With `shared` (what every school's findings depend on, `findings.shared_fingerprint`), a
    school none of whose workbooks changed, whose findings the state store holds for tonight,
    takes them from there: its tables are not even unpacked unless a later step asks for them.

    With `ahead` too, the schools none of whose workbooks changed but whose findings ran out
    tonight (a step fell overdue: the quiet night's only work) are unpacked and checked in
    processes beside the sync (`ahead` does the check there), and come with their findings
    kept, like the schools above (see _check_ahead)."""
    templates = result.templates or district_templates(district)
    cycles = tuple(cycle.name for cycle in district.cycles)
    aliases = district.id_aliases()
    # By (school, template), not by location: a workbook that was never made has no location.
    typed: dict[tuple[str, str], WorkbookTables | StoreError] = {}
    absent: dict[tuple[str, str], StoreError] = {}
    fresh: set[tuple[str, str]] = set()
    to_read: list[tuple[Template, ReadRequest]] = []
    # Unchanged workbooks of the schools checked again, unpacked in their school's turn.
    from_state: dict[str, list[tuple[Template, WorkbookRef]]] = {}
    located: dict[str, list[tuple[Template, WorkbookRef]]] = {}
    strays: dict[str, list[StrayCopy]] = {}
    # Schools none of whose workbooks changed (see _Unchanged), and of those, the ones whose
    # kept findings do not hold tonight: they are checked again (beside the sync, if `ahead`).
    unchanged: dict[str, _Unchanged] = {}
    woken: set[str] = set()
    active = district.active_schools  # a school that left is not read or checked
    known = {} if full else state.every_remembered()
    held = state.findings_held(result.today) if shared is not None and not full else {}

    def kept_of(school: School) -> SchoolResult | None:
        """The school's findings as kept in the state store, if they hold tonight."""
        same, missing, begun, fingerprint = unchanged[school.id]
        kept = kept_findings(
            state,
            school,
            same,
            missing,
            strays[school.id],
            (shared or "", begun),
            result.today,
            templates,
            functools.partial(_loader, state, store, cycles=cycles, aliases=aliases),
            fingerprint,
        )
        if kept is not None:
            result.workbooks_unchanged += len(same)
        return kept

    def take_checked_beside(school: School, answer: _Ahead | None) -> SchoolResult | None:
        """A school checked beside the sync: its findings kept here, and taken back as kept."""
        if answer is None:
            return None  # checked here instead
        state.save_packed_findings(*answer.kept)
        kept = kept_of(school)
        if kept is not None:
            same = unchanged[school.id][0]
            versions = {template.id: version for template, _ref, version, _r in same}
            holders = [
                (workbook, versions[workbook.template.id])
                for workbook in kept.workbooks
                if workbook.template.id in answer.holders
            ]
            kept.summary_ahead = SummaryAhead(answer.summary, answer.shows, holders)
        return kept

    for school in active:
        slots = located[school.id] = [
            (template, store.locate(school, template)) for template in templates
        ]
        strays[school.id] = store.stray_copies(school, templates)
        same: list[tuple[Template, WorkbookRef, str, Remembered]] = []
        for template, ref in slots:
            try:
                version = store.version(ref)
            except StoreError as error:
                typed[_key(ref)] = absent[_key(ref)] = error
                state.forget(ref.location)
                continue
            remembered = None if full else _unchanged(store, state, ref, version, known)
            if remembered is not None and version is not None:
                same.append((template, ref, version, remembered))
            else:
                to_read.append((template, ReadRequest(ref, _not_read(template))))
        missing = [
            (template, ref, absent[_key(ref)]) for template, ref in slots if _key(ref) in absent
        ]
        if shared is not None and not full and len(same) + len(missing) == len(slots):
            owed = school.cycles_expected(district.cycles, result.today)
            begun = tuple(cycle.name for cycle in owed)
            fingerprint = kept_fingerprint(
                school, same, missing, strays[school.id], (shared, begun)
            )
            unchanged[school.id] = (same, missing, begun, fingerprint)
            if held.get(school.id) != fingerprint:
                woken.add(school.id)
        from_state[school.id] = [(template, ref) for template, ref, _v, _r in same]
    # Workbooks are parsed and packed for the state store where they are read (on every core,
    # for the Excel store) and typed here as they arrive, while the next ones are being parsed.
    # (Typing them where they are read too would cost more: typed cells are slow to send back.)
    outcomes = store.read_many([request for _template, request in to_read])
    arriving = collections.deque(to_read)

    def arrived(template: Template, ref: WorkbookRef, outcome: RawWorkbook | StoreError) -> None:
        """A workbook read tonight (or the error that kept it from being read)."""
        if isinstance(outcome, StoreError):
            state.forget(ref.location)
            typed[_key(ref)] = outcome
            return
        state.save(outcome)
        typed[_key(ref)] = _typed(outcome, template, cycles, aliases)
        fresh.add(_key(ref))
        result.workbooks_read += 1

    def unpack(template: Template, ref: WorkbookRef) -> None:
        raw = state.load(ref)
        if raw is not None:
            typed[_key(ref)] = _typed(raw, template, cycles, aliases)
            result.workbooks_unchanged += 1
            return
        try:  # the stored copy cannot be used: read the file again
            outcome: RawWorkbook | StoreError = store.read(ref, _not_read(template))
        except StoreError as error:
            outcome = error
        arrived(template, ref, outcome)

    def take_next_read() -> None:
        template, request = arriving.popleft()
        arrived(template, request.ref, next(outcomes))
        report("Reading workbooks", len(to_read) - len(arriving), len(to_read))

    def check_beside(school: School) -> _Ahead | None:
        """In a forked process: the school's tables unpacked from the state file, checked."""
        assert ahead is not None and shared is not None
        aside = _state_aside(state.path)
        workbooks = []
        for template, ref in located[school.id]:
            error = absent.get(_key(ref))
            if error is not None:
                workbooks.append(WorkbookResult(template, ref, error=error, absent=True))
                continue
            raw = aside.load(ref)
            found = _typed(raw, template, cycles, aliases) if raw is not None else None
            if not isinstance(found, WorkbookTables):
                return None  # the sync's own process reads it, or says why it cannot
            workbooks.append(WorkbookResult(template, ref, found))
        return ahead(SchoolResult(school, workbooks, stray_copies=strays[school.id]), aside)

    # Taken in turn, after the processes beside the sync have their schools to check: the
    # findings of a school that needs no check are unpacked while they check.
    beside = [school for school in active if school.id in woken]
    processes = min(os.cpu_count() or 1, MAX_AHEAD)
    if ahead is None or len(beside) < AHEAD_FROM or processes < 2:
        beside = []  # on one core, the processes would only take turns with the sync
    with (
        state.writes_held() if beside else contextlib.nullcontext(),
        ForkedMap(check_beside, beside, processes) as answers,
    ):
        checked_beside = {school.id for school in beside}
        for school in active:
            if school.id in unchanged and school.id not in woken:
                kept = kept_of(school)
                if kept is not None:
                    yield kept
                    continue  # else kept findings that cannot be used: checked here
            if school.id in checked_beside:
                taken = take_checked_beside(school, answers.next())
                if taken is not None:
                    yield taken
                    continue
            # Unpacked now rather than all before the first school: only the schools in turn
            # hold their tables (see _let_go_of_tables).
            for template, ref in from_state.get(school.id, []):
                unpack(template, ref)
            # The requests go school by school: a school's last one is soon there.
            while any(_key(ref) not in typed for _template, ref in located[school.id]):
                take_next_read()
            workbooks = []
            for template, ref in located[school.id]:
                found = typed.pop(_key(ref))  # the school's own from now on (_let_go_of_tables)
                if isinstance(found, StoreError):
                    missing_now = _key(ref) in absent
                    workbooks.append(WorkbookResult(template, ref, error=found, absent=missing_now))
                else:
                    read = _key(ref) in fresh
                    workbooks.append(WorkbookResult(template, ref, found, read_tonight=read))
            yield SchoolResult(school, workbooks, stray_copies=strays[school.id])
    _run_out(outcomes)  # none is left: the readers end here, not when the generator is collected


# Schools checked again only because a day came, from which they are checked beside the sync
# (forking the processes costs about what checking a few schools does), in at most this many
# processes.
AHEAD_FROM = 24
MAX_AHEAD = 4
# A school none of whose workbooks changed: those unchanged (template, ref, version, as
# remembered), those missing (template, ref, why), the cycles it owes benchmarks for, and what
# its kept findings must have been made from (findings.kept_fingerprint).
_Unchanged = tuple[
    list[tuple[Template, WorkbookRef, str, Remembered]],
    list[tuple[Template, WorkbookRef, StoreError]],
    tuple[str, ...],
    str,
]
# Checks a school beside the sync (see _check_ahead), its tables unpacked from the state file.
CheckAhead = Callable[[SchoolResult, FindingsAside], "_Ahead | None"]
# The state file as a process beside the sync reads it, opened once there.
_ASIDE: dict[Path, FindingsAside] = {}


def _state_aside(path: Path) -> FindingsAside:
    if path not in _ASIDE:
        _ASIDE[path] = FindingsAside(path)
    return _ASIDE[path]


def _loader(
    state: StateStore,
    store: Store,
    template: Template,
    ref: WorkbookRef,
    *,
    cycles: tuple[str, ...],
    aliases: dict[str, str],
) -> Callable[[], WorkbookTables | None]:
    """Unpack a workbook's tables from the state store (or read the file, when the stored copy
    cannot be used) the first time something asks for them."""

    def load() -> WorkbookTables | None:
        raw = state.load(ref)
        if raw is None:
            try:
                raw = store.read(ref, _not_read(template))
            except StoreError:
                return None
            if not state.closed:
                state.save(raw)
        found = _typed(raw, template, cycles, aliases)
        return found if isinstance(found, WorkbookTables) else None

    return load


def _key(ref: WorkbookRef) -> tuple[str, str]:
    return ref.school_id, ref.template_id


def _not_read(template: Template) -> tuple[str, ...]:
    """Tabs the sync has no use for: the summary it writes itself, and the instructions."""
    return tuple(tab for tab in (template.summary_tab, INSTRUCTIONS_TAB) if tab)


def _unchanged(
    store: Store,
    state: StateStore,
    ref: WorkbookRef,
    version: str | None,
    known: dict[str, Remembered],
) -> Remembered | None:
    """What the last run remembered of the workbook (`known`: what it remembered of every one),
    when its content has not changed since."""
    remembered = known.get(ref.location)
    if remembered is None or version is None or remembered.content is None:
        return None
    if remembered.version != version:
        # Saved again, or edited? Only the content can tell (where the store can hash it).
        if remembered.digest is None or store.digest(ref) != remembered.digest:
            return None
        return state.touched(ref.location, version)
    return remembered


def _typed(raw: RawWorkbook, template: Template, cycles: tuple[str, ...], aliases: dict[str, str]):
    """A workbook's typed tables, unless it is a copy of another school's file: none of that may
    reach this school's summary or rows. A stamp naming one of the school's previous ids (a move
    whose re-stamp has not happened yet) is the school's own."""
    tables = read_tables(raw, template, cycles)
    stamped = (tables.stamp or {}).get("school_id", "")
    if aliases.get(stamped) == raw.ref.school_id:
        return tables
    if not stamp_matches_school(tables, raw.ref.school_id):
        return _another_schools_copy()
    return tables


def _another_schools_copy() -> WorkbookOfAnotherSchool:
    return WorkbookOfAnotherSchool(
        "This workbook was made for another school: it is a copy of that school's file, so the "
        "sync did not read it or write into it. Put this school's own workbook here.",
        sheet=STAMP_TAB,
    )


def check_school(school: SchoolResult, ctx: CheckContext) -> dt.date | None:
    """Check each of a school's workbooks, then what spans them (the roster's names), and total
    its issues, completeness, quality and figures.

    Returns the first day after `ctx.today` on which the same workbooks could give other findings
    (None: only an edit can change them)."""
    changes: list[dt.date] = []
    outcomes: dict[str, WorkbookCheck] = {}
    read: dict[str, WorkbookTables] = {}
    for workbook in school.workbooks:
        if workbook.tables is not None:
            outcome = check_workbook(workbook.tables, ctx)
            read[workbook.template.id] = workbook.tables
            if (day := findings_change_on(workbook.tables, ctx)) is not None:
                changes.append(day)
        else:
            empty = WorkbookTables.empty(workbook.template, workbook.ref)
            outcome = check_absent_workbook(workbook.template, empty, workbook.unread_reason, ctx)
        outcomes[workbook.template.id] = outcome
        for metric in workbook.template.metrics:
            school.metrics[metric.id] = metric_value(metric, workbook.tables, ctx.today)
    check_across_workbooks(read, ctx, outcomes)
    for outcome in outcomes.values():
        _add(school, outcome)
    titles = {workbook.template.id: workbook for workbook in school.workbooks}
    for copy in school.stray_copies:
        workbook = titles[copy.template_id]
        school.issues.append(
            stray_copy_issue(
                school.school.id, workbook.template.title, copy.name, workbook.ref.label
            )
        )
    return min(changes, default=None)


def read_school_notes(school: SchoolResult, state: StateStore, today: dt.date) -> list[Issue]:
    """The school's coach notes, marked "changed since" from the rows' hashes in the state store,
    and the changes to a note that break the coach's and the school's turns (returned too: they
    are seen only on the night the change is read)."""
    sides: list[Issue] = []
    for workbook in school.workbooks:
        tables = workbook.tables
        if tables is None or notes_rule(tables) is None:
            continue
        hashes = row_hashes(tables) if workbook.read_tonight else None
        # A change is dated by the save that brought it (the run sees it the night after).
        saved = tables.modified.date() if tables.modified else today
        marks = state.row_marks(workbook.ref.location, hashes, min(saved, today))
        school.notes += read_notes(school.school.id, tables, marks)
        sides += check_sides(school.school.id, tables, marks, min(saved, today))
    school.issues += sides
    return sides


def _add(school: SchoolResult, outcome: WorkbookCheck) -> None:
    school.issues.extend(outcome.issues)
    school.expected += outcome.expected
    school.met += outcome.met
    school.judged += outcome.judged
    school.passed += outcome.passed


class SchoolWrites:
    """The writes planned into one school's workbooks tonight (its summary tab, its roster
    copies), grouped by workbook, with what to record of each one's outcome."""

    def __init__(self) -> None:
        self.summaries = self.rosters = 0
        self.summary_failed = False
        self._steps: dict[str, list[tuple[SheetWrite, Callable[[WriteOutcome], None]]]] = {}
        self._refs: dict[str, WorkbookRef] = {}
        # Run once every outcome is recorded.
        self.then: list[Callable[[], None]] = []

    def add(
        self, ref: WorkbookRef, write: SheetWrite, record: Callable[[WriteOutcome], None]
    ) -> None:
        self._refs[ref.location] = ref
        self._steps.setdefault(ref.location, []).append((write, record))

    def jobs(self) -> list[WorkbookWrites]:
        return [
            WorkbookWrites(self._refs[location], tuple(write for write, _record in steps))
            for location, steps in self._steps.items()
        ]

    def record(self, job: WorkbookWrites, outcomes: list[WriteOutcome]) -> None:
        for (_write, record), outcome in zip(self._steps[job.ref.location], outcomes, strict=True):
            record(outcome)

    def finish(self) -> None:
        for step in self.then:
            step()
        # The steps refer back to the plan: let go of them, so that reference counting frees a
        # finished plan at once (the night sets what it holds aside from the cycle collector).
        self.then.clear()
        self._steps.clear()


def write_back_all(
    store: Store,
    state: StateStore,
    result: SyncResult,
    full: bool,
    report: Progress,
    schools: Iterable[SchoolResult],
) -> None:
    """Write every school's summary tab and roster copies that changed. The writes are planned
    here, school by school as `schools` come (as they are read and checked, in the nightly
    sync), and carried out by the store as they come (several workbooks at once where it can);
    each outcome is recorded in the state store as it returns."""
    # Each job handed to the store, with its school's plan and how many of the school's jobs
    # follow it: the store answers in the order the jobs come.
    planned: collections.deque[tuple[WorkbookWrites, SchoolWrites, int]] = collections.deque()
    total = len(result.district.active_schools)
    district = result.district
    cycles = tuple(cycle.name for cycle in district.cycles)
    loader = functools.partial(_loader, state, store, cycles=cycles, aliases=district.id_aliases())
    finished = 0

    def finish(plan: SchoolWrites) -> None:
        nonlocal finished
        plan.finish()
        result.summaries_written += plan.summaries
        result.rosters_written += plan.rosters
        finished += 1
        report("Reading workbooks and writing summaries", finished, total)

    def jobs() -> Iterator[WorkbookWrites]:
        for school in schools:
            plan = plan_writes(state, school, result.district, result.today, full)
            _let_go_of_tables(school, loader)
            school_jobs = plan.jobs()
            if not school_jobs:
                finish(plan)
            for index, job in enumerate(school_jobs, start=1):
                planned.append((job, plan, len(school_jobs) - index))
                yield job

    for outcomes in store.write_many(jobs()):
        job, plan, left = planned.popleft()
        plan.record(job, outcomes)
        if not left:
            finish(plan)


def _let_go_of_tables(
    school: SchoolResult,
    loader: Callable[[Template, WorkbookRef], Callable[[], WorkbookTables | None]],
) -> None:
    """Once a school's writes are planned, the rest of the night (the rollup, the history, the
    pages) reads its kept findings, not its tables: they are let go, to be unpacked from the
    state store again should anything ask, so that a night that checks many schools does not
    hold every one's tables to its end. A school whose findings were not kept holds them."""
    if school.facts is None:
        return
    for workbook in school.workbooks:
        workbook.let_go(loader(workbook.template, workbook.ref))


def plan_writes(
    state: StateStore, school: SchoolResult, district: District, today: dt.date, full: bool
) -> SchoolWrites:
    """The school's writes for tonight: its summary (see `_plan_summary`) and its roster
    copies (see `_plan_rosters`), in that order within a workbook."""
    plan = SchoolWrites()
    _plan_summary(plan, state, school, district, today, full)
    _plan_rosters(plan, state, school)
    return plan


def _plan_summary(
    plan: SchoolWrites,
    state: StateStore,
    school: SchoolResult,
    district: District,
    today: dt.date,
    full: bool,
) -> None:
    """Build the school's summary, unless it would show what it showed when last written (same
    findings, same cycles begun, same score since the same day) and nobody saved the workbook
    since. When it is built, it is written only if what it shows (without the day it was
    written) changed."""
    key = None
    if school.fingerprint is not None:
        # Not the day itself: a kept school's findings hold until the first day a step falls
        # overdue (then they, and this key, are made again); the tab shows dates, and the cycles
        # begun and the day the score last moved are in the key.
        begun = tuple(cycle.name for cycle in district.cycles_begun(today))
        key = hash_of((school.fingerprint, begun, school.score_since, district.district))
    if not full and key is not None and school.summary_key == key:
        return
    ahead = school.summary_ahead  # built where the school was checked, beside the sync
    sheet = ahead.sheet if ahead is not None else build_summary(school, district, today)
    _plan_summary_tab(plan, state, school, sheet, full, ahead.shows if ahead else None)
    if key is not None:
        school_id = school.school.id

        def shown() -> None:  # written, or already showing it
            if not plan.summary_failed:
                state.summary_shown(school_id, key)

        plan.then.append(shown)


def write_summary(
    store: Store, state: StateStore, school: SchoolResult, sheet: OutSheet, force: bool = False
) -> int:
    """Write the coach summary into the school's PM Tool unless it would show nothing new or
    could harm the file. Returns how many summary tabs were written (0 or 1)."""
    plan = SchoolWrites()
    _plan_summary_tab(plan, state, school, sheet, force)
    _carry_out_in_turn(store, plan)
    return plan.summaries


def _plan_summary_tab(
    plan: SchoolWrites,
    state: StateStore,
    school: SchoolResult,
    sheet: OutSheet,
    force: bool,
    shows: str | None = None,
) -> None:
    """`shows`: the sheet's _summary_shows, when made already."""
    fingerprint = shows or _summary_shows(sheet)
    for workbook, version in _summary_holders(school):
        template = workbook.template
        location = workbook.ref.location
        remembered = state.remembered(location)
        if (
            not force
            and remembered
            and remembered.summary_hash == fingerprint
            and remembered.summary_version == version
        ):
            continue  # the tab already shows exactly this, and nobody saved the file since

        def record(
            outcome: WriteOutcome,
            location: str = location,
            title: str = template.title,
            tab: str = template.summary_tab or "",  # every holder has one
        ) -> None:
            if outcome.error is not None:
                plan.summary_failed = True
                school.issues.append(
                    Issue(
                        "summary-not-written",
                        "warning",
                        school.school.id,
                        title,
                        tab,
                        None,
                        outcome.error.reason,
                    )
                )
                return
            state.summary_written(location, fingerprint, outcome.version, outcome.digest)
            plan.summaries += 1

        plan.add(workbook.ref, SheetWrite("summary", version, sheet=sheet), record)


def _summary_shows(sheet: OutSheet) -> str:
    """A hash of what a summary tab shows, leaving out the line that says when it last changed
    (the day it is written)."""
    return content_hash([summary_content(sheet)])


def _summary_holders(school: SchoolResult) -> list[tuple[WorkbookResult, str]]:
    """The school's own workbooks that have a summary tab, each with its version as read (never
    another school's file: this school's data is never written into it)."""
    if school.summary_ahead is not None:
        return school.summary_ahead.holders
    holders = []
    for workbook in school.workbooks:
        if not workbook.template.summary_tab:
            continue
        tables = workbook.tables
        if tables is not None and _schools_own(school, tables):
            holders.append((workbook, tables.version))
    return holders


def _carry_out_in_turn(store: Store, plan: SchoolWrites) -> None:
    for job in plan.jobs():
        plan.record(job, write_in_turn(store, job))
    plan.finish()


def _plan_rosters(plan: SchoolWrites, state: StateStore, school: SchoolResult) -> None:
    """Copy the school's roster (the names on its Team tab) into the stamp tab of each of its
    workbooks whose copy differs, for the person columns' dropdowns. A workbook is compared with
    its copy as read tonight or, when it came from the state store, as the sync last wrote it:
    a night the team did not change writes nothing."""
    if _rosters_in_place(state, school):
        return  # without unpacking the tables of a school none of whose files changed
    names, holders = _roster_plan(school)
    if names is None:
        return  # the roster's workbook was not read: keep the copies as they are
    wanted = hash_of(names)
    for workbook in holders:
        template, tables = workbook.template, workbook.tables
        assert tables is not None  # a holder was read
        location = workbook.ref.location
        key = f"roster:{location}"
        held = hash_of(tables.roster) if tables.roster is not None else None
        if not workbook.read_tonight:
            held = state.output_hash(key) or held  # what the sync wrote since it read the file
        elif held is not None and state.output_hash(key) != held:
            state.output_written(key, held)
        if held == wanted:
            continue
        remembered = state.remembered(location)
        current = remembered.version if remembered and remembered.version else tables.version

        def record(
            outcome: WriteOutcome,
            location: str = location,
            key: str = key,
            title: str = template.title,
        ) -> None:
            if outcome.error is not None:
                school.issues.append(
                    Issue(
                        "roster-not-written",
                        "warning",
                        school.school.id,
                        title,
                        STAMP_TAB,
                        None,
                        outcome.error.reason,
                    )
                )
                return
            state.written_by_sync(location, outcome.version, outcome.digest)
            state.output_written(key, wanted)
            plan.rosters += 1

        plan.add(workbook.ref, SheetWrite("roster", current, names=names), record)


def _roster_plan(school: SchoolResult) -> tuple[tuple[str, ...] | None, list[WorkbookResult]]:
    """The names the school's roster copies should hold (None when its roster could not be
    read), and the workbooks that hold a copy: the school's own files with a stamp tab."""
    read = [workbook.tables for workbook in school.workbooks if workbook.tables is not None]
    names = school_roster(read)
    holders = []
    for workbook in school.workbooks:
        tables = workbook.tables
        if tables is None or tables.stamp is None:
            continue  # no stamp tab to hold the copy (the structure rule reports it)
        if not _schools_own(school, tables):
            continue  # another school's file: never write this school's data into it
        holders.append(workbook)
    return (names[:ROSTER_ROWS] if names is not None else None), holders


def _schools_own(school: SchoolResult, tables: WorkbookTables) -> bool:
    """Whether the workbook is the school's own: stamped with its id, or with one of its previous
    ids (a move whose re-stamp has not happened yet)."""
    stamped = (tables.stamp or {}).get("school_id", "")
    return stamped in school.school.previous_ids or stamp_matches_school(tables, school.school.id)


def _roster_facts(school: SchoolResult) -> tuple[str | None, tuple[str, ...]]:
    """What the findings keep of the school's roster copies: a hash of the names they should
    hold (None when its roster could not be read) and the workbooks that hold one."""
    names, holders = _roster_plan(school)
    wanted = hash_of(names) if names is not None else None
    return wanted, tuple(workbook.ref.location for workbook in holders)


def _rosters_in_place(state: StateStore, school: SchoolResult) -> bool:
    """Whether, by the findings kept for the school, every copy of its roster is as the sync
    last wrote it, with none of its files read tonight (a file read may hold another copy)."""
    if school.facts is None or any(workbook.read_tonight for workbook in school.workbooks):
        return False
    wanted, holders = school.facts.roster
    return wanted is None or all(
        state.output_hash(f"roster:{location}") == wanted for location in holders
    )


class _Stopwatch:
    """The time each phase of a night takes, by name. `tick(phase)` gives a phase the time since
    the last tick; `within(phase)` gives it the time spent inside, which the next tick leaves
    out (phases that take turns, school by school: reading, checking and writing back)."""

    def __init__(self, timings: dict[str, float], phases: tuple[str, ...] = ()):
        self.timings = timings
        self.timings.update(dict.fromkeys(phases, 0.0))  # in this order, whichever comes first
        self.last = time.perf_counter()
        self.counted = 0.0  # spent within phases since the last tick

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self._add(phase, now - self.last - self.counted)
        self.last, self.counted = now, 0.0

    @contextlib.contextmanager
    def within(self, phase: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - began
            self._add(phase, spent)
            self.counted += spent

    def _add(self, phase: str, seconds: float) -> None:
        self.timings[phase] = self.timings.get(phase, 0.0) + seconds


# -- one workbook on its own (plansync check) ----------------------------------------------------


def check_file(path: Path, today: dt.date, district: District | None = None):
    """Check one workbook file against its template, outside any district run.

    The template, school and monitoring cycles come from the workbook's hidden stamp; a district
    config, when given, supplies the cycles instead. Returns (template, WorkbookCheck).
    """
    raw = read_file(Path(path))
    stamp = read_stamp(raw) or {}
    templates = district_templates(district) if district is not None else standard_templates()
    template = _template_for(raw.sheet_names, stamp.get("template", ""), templates)
    school_id = stamp.get("school_id") or "(this workbook)"
    if district is not None:
        cycles = [(cycle.name, cycle.start) for cycle in district.cycles]
        school = next((s for s in district.schools if school_id in (s.id, *s.previous_ids)), None)
        owed = school.cycles_expected(district.cycles, today) if school else district.cycles
        begun = tuple(cycle.name for cycle in owed if cycle.start <= today)
    else:
        cycles = stamp_cycles(stamp)
        begun = tuple(name for name, start in cycles if start <= today)
    tables = read_tables(raw, template, tuple(name for name, _start in cycles))
    if district is not None:
        year_end = max((cycle.end for cycle in district.cycles), default=None)
    else:
        year_end = stamp_year_end(stamp)
    year_start = min((start for _name, start in cycles), default=None)
    ctx = CheckContext(school_id, today, begun, year_end, year_start)
    result = check_workbook(tables, ctx)
    # The checks across a school's workbooks, on this one alone (the roles tracker's own names).
    check_across_workbooks({template.id: tables}, ctx, {template.id: result})
    return template, result


def _template_for(
    sheet_names: list[str], stamped: str, templates: tuple[Template, ...]
) -> Template:
    """The template a workbook was made from: its stamp, else the one whose tabs it has most of."""
    for template in templates:
        if template.id == stamped:
            return template
    names = {name.casefold() for name in sheet_names}

    def matches(template: Template) -> int:
        return sum(1 for tab in template.tabs if any(t.casefold() in names for t in tab.titles))

    return max(templates, key=matches)
