"""The sync's history: one dated snapshot per run, kept in SQLite beside the rollup.

Each run records, per school, its completeness, its issue counts by rule, the rollup figures
(overdue steps, open decisions, ...) and every benchmark's cycle, focus, status and actual value.
Running the sync again on the same day replaces that day's snapshot, so a re-run after a fix tells
the truth about the night. Trends (last run vs now, a month ago vs now, the district over time)
are computed from the snapshots by the small functions at the end of this module.

The file is the history's only home and never the reason a sync fails: a missing file starts a new
history, and one that cannot be read is moved aside (kept for a person to look at) and a new one is
started, with a note saying so. Commands that only read (`history`, `report`) never change it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import standard_templates
from .config import District, load_config
from .errors import PlansyncError, RunStateError, unusable_file
from .files import create_with_umask
from .results import (
    BenchmarkRecord,
    Note,
    NoteRecord,
    NoteSpan,
    SchoolResult,
    SchoolSnapshot,
    ScoreSince,
    SyncResult,
)
from .templates import BENCHMARK_TAB, metric_labels
from .values import as_text

HISTORY_NAME = "history.sqlite"
# How long to wait for another program (a backup, a reader) to let go of the file.
BUSY_SECONDS = 30.0
_IN_USE_OR_FULL = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_FULL")
# Marks the file as plansync's history (PRAGMA application_id), so another SQLite file that lands
# at this path is never mistaken for it or written into.
APPLICATION_ID = 0x706C6E68
# 1: the first history; 2: coach notes (the `notes` table) and each school's quality score
# (`schools.quality`, NULL on nights recorded before it). An older file is brought up to date
# when opened for writing (`_migrate`); nothing recorded is changed.
SCHEMA_VERSION = 2

# The template tab whose rows are recorded one by one.
NO_STATUS = "No status"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    day TEXT PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    district TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS schools (
    day TEXT NOT NULL,
    school_id TEXT NOT NULL,
    name TEXT NOT NULL,
    coach TEXT,
    completeness INTEGER NOT NULL,
    expected INTEGER NOT NULL,
    met INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    quality INTEGER,
    PRIMARY KEY (day, school_id)
);
CREATE TABLE IF NOT EXISTS issue_counts (
    day TEXT NOT NULL,
    school_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, school_id, rule)
);
CREATE TABLE IF NOT EXISTS metrics (
    day TEXT NOT NULL,
    school_id TEXT NOT NULL,
    label TEXT NOT NULL,
    value INTEGER,
    PRIMARY KEY (day, school_id, label)
);
CREATE TABLE IF NOT EXISTS benchmarks (
    day TEXT NOT NULL,
    school_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    strategy TEXT NOT NULL,
    cycle TEXT NOT NULL,
    focus TEXT NOT NULL,
    benchmark TEXT NOT NULL,
    target TEXT NOT NULL,
    actual TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (day, school_id, row)
);
"""
# Each coach note's status on each night: no text, only a hash that follows the note from night
# to night, who wrote it and when, so the history can say how long notes stay open.
_NOTES_SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    day TEXT NOT NULL,
    school_id TEXT NOT NULL,
    note TEXT NOT NULL,
    written TEXT,
    author TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (day, school_id, note)
);
"""
# Tables every version of the history has; the others are added by `_migrate`.
_FIRST_TABLES = ("runs", "schools", "issue_counts", "metrics", "benchmarks")

# Each table's columns after the day, as a night's rows hold them.
_COLUMNS = {
    "schools": "school_id, name, coach, completeness, expected, met, errors, warnings, quality",
    "issue_counts": "school_id, rule, count",
    "metrics": "school_id, label, value",
    "benchmarks": "school_id, row, strategy, cycle, focus, benchmark, target, actual, status",
    "notes": "school_id, note, written, author, status",
}
# A note can be listed twice in a school's tab: its last row is the one kept.
_VERB = {"notes": "INSERT OR REPLACE"}
# How a night's rows go into each table (the day first), and how one school's rows are copied
# from an earlier night (the day, that night's day, the school).
_INSERTS = {
    table: f"{_VERB.get(table, 'INSERT')} INTO {table} (day, {columns}) "
    f"VALUES (?{', ?' * len(columns.split(','))})"
    for table, columns in _COLUMNS.items()
}
_COPIES = {
    table: f"{_VERB.get(table, 'INSERT')} INTO {table} (day, {columns}) "
    f"SELECT ?, {columns} FROM {table} WHERE day = ? AND school_id = ?"
    for table, columns in _COLUMNS.items()
}


def _stamped_at(stamp: str | None, run: tuple[str, str] | None) -> bool:
    """Whether `stamp` was made of the night recorded as `run` (History._run): not recorded
    again since, nor the file swapped for another."""
    return stamp is not None and run is not None and stamp.split(" ", 1)[0] == run[0]


def _digest(rows: object) -> str:
    return hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest()


def _night_rows(snapshots: Sequence[SchoolSnapshot]) -> dict[str, dict[str, list[tuple]]]:
    """A night's rows, school by school, for each table but `runs` (without the day, added as
    they are written)."""
    return {s.school_id: _school_rows(s) for s in snapshots}


def _school_rows(s: SchoolSnapshot) -> dict[str, list[tuple]]:
    return {
        "schools": [
            (s.school_id, s.name, s.coach, s.completeness, s.expected, s.met)
            + (s.errors, s.warnings, s.quality)
        ],
        "issue_counts": [(s.school_id, rule, count) for rule, count in s.issues_by_rule.items()],
        "metrics": [(s.school_id, label, value) for label, value in s.metrics.items()],
        "benchmarks": [
            (s.school_id, b.row, b.strategy, b.cycle, b.focus, b.benchmark)
            + (b.target, b.actual, b.status)
            for b in s.benchmarks
        ],
        "notes": [
            (s.school_id, n.id, n.written and n.written.isoformat(), n.author, n.status)
            for n in s.notes
        ],
    }


def _moved(before: dict[str, str], now: dict[str, str]) -> set[str]:
    """The schools whose rows differ between two nights' digests (or are in only one of them)."""
    return {
        school for school in before.keys() | now.keys() if before.get(school) != now.get(school)
    }


def _night_digest(district: str, schools: dict[str, str]) -> str:
    """A night's figures as one digest, from each school's (whatever order they came in)."""
    return _digest((district, sorted(schools.items())))


@dataclass(frozen=True)
class Recorded:
    """A night as this sync recorded it: its stamp (when it was recorded, and a digest of its
    figures), a digest of each school's rows, and what each school's rows were made from (see
    `_made_from`; only for schools whose findings were kept). While the history still holds the
    night as stamped, a later run of the same night rewrites only the schools whose rows moved,
    and a later night copies the rows of the schools whose findings are still the same."""

    day: dt.date
    stamp: str
    schools: dict[str, str]
    made_from: dict[str, str] = field(default_factory=dict)

    def packed(self) -> str:
        return json.dumps([self.day.isoformat(), self.stamp, self.schools, self.made_from])

    @classmethod
    def unpacked(cls, text: str | None) -> Recorded | None:
        """The night as packed; None for a damaged one."""
        try:
            day, stamp, schools, *rest = json.loads(text or "null")
            made_from = rest[0] if rest else {}
            if not isinstance(stamp, str):
                return None
            for mapping in (schools, made_from):
                if not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
                    return None
            return cls(dt.date.fromisoformat(day), stamp, schools, made_from)
        except (ValueError, TypeError, AttributeError):
            return None


# -- snapshots of a sync's results -----------------------------------------------------------------


def school_snapshot(school: SchoolResult, day: dt.date) -> SchoolSnapshot:
    """What the history keeps of one school's result."""
    return SchoolSnapshot(
        day=day,
        school_id=school.school.id,
        name=school.school.name,
        coach=school.school.coach,
        completeness=school.completeness,
        expected=school.expected,
        met=school.met,
        errors=school.errors,
        warnings=school.warnings,
        issues_by_rule=dict(Counter(issue.rule for issue in school.issues)),
        metrics=dict(school.metrics),
        benchmarks=benchmark_records(school),
        notes=tuple(
            NoteRecord(_note_id(note), note.written, note.author, note.status)
            for note in school.notes
        ),
        quality=school.quality,
    )


def _made_from(school: SchoolResult) -> str | None:
    """What a school's rows in the history are made from, when its findings were kept (None
    otherwise): its config (in its fingerprint), its findings as kept and the rule and severity
    of each of its issues (a night adds one when a summary cannot be written). The same tonight
    as on a night recorded, the same rows."""
    if school.facts is None or school.fingerprint is None or not school.facts.digest:
        return None
    issues = [(issue.rule, issue.severity) for issue in school.issues]
    return _digest((school.fingerprint, school.facts.digest, issues))


def _note_id(note: Note) -> str:
    return hashlib.blake2b(note.key.encode(), digest_size=10).hexdigest()


def benchmark_records(school: SchoolResult) -> tuple[BenchmarkRecord, ...]:
    """Every benchmark row of the school's plan (none when its workbook could not be read)."""
    if school.facts is not None:
        return school.facts.benchmarks
    for workbook in school.workbooks:
        if workbook.tables is not None and BENCHMARK_TAB in workbook.tables.tables:
            table = workbook.tables.tables[BENCHMARK_TAB]
            return tuple(
                BenchmarkRecord(
                    row=row.number,
                    strategy=row.text("strategy"),
                    cycle=_choice(row, "cycle"),
                    focus=_choice(row, "focus"),
                    benchmark=row.text("benchmark"),
                    target=row.text("target"),
                    actual=row.text("actual"),
                    status=_choice(row, "status"),
                )
                for row in table.rows
            )
    return ()


def _choice(row, key: str) -> str:
    """A choice as the template spells it when it could be read, else as typed."""
    cell = row.cells.get(key)
    if cell is None:
        return ""
    if cell.problem is None and cell.value is not None:
        return as_text(cell.value)
    return cell.text


def _by_metric_id(recorded: list[tuple]) -> dict[str, int | None]:
    """Recorded figures keyed by metric id. The metrics table's `label` column holds the id; a
    history written before metrics had ids holds the label, which is translated here."""
    ids = {label: key for key, label in metric_labels(standard_templates()).items()}
    return {ids.get(key, key): value for key, value in recorded}


@dataclass(frozen=True)
class ScoresBefore:
    """Each school's completeness on the nights recorded before `today`, oldest first, by id."""

    today: dt.date
    nights: dict[str, list[tuple[str, int]]]

    def since(self, school_id: str, score: int) -> ScoreSince:
        """Since which night the school's completeness has been `score`, counting today, and what
        it was before. Dates, so the coach summary reads the same every night until it moves."""
        since, before = self.today, None
        for day, recorded in reversed(self.nights.get(school_id, [])):
            if recorded != score:
                before = recorded
                break
            since = dt.date.fromisoformat(day)
        return ScoreSince(since, before)


# -- the store -------------------------------------------------------------------------------------


class HistoryUnreadable(Exception):
    """The file at the history's path is not a history this version can use."""


class History:
    """A district's snapshots in one SQLite file. Open it with `open_history`."""

    def __init__(
        self,
        path: Path,
        connection: sqlite3.Connection | None,
        writable: bool,
        aliases: dict[str, str] | None = None,
    ):
        self.path = path
        # A school's previous ids -> its id now: its older nights read as the same school.
        self.aliases = dict(aliases or {})
        self.connection = connection
        self.writable = writable
        # What the person running the command should know (a history started or set aside).
        self.notes: list[str] = []
        # Why the file turned out to be damaged while reading it, if it did.
        self.damage: str | None = None
        # Why tonight could not be recorded in a sound file (in use past the wait, a full
        # folder): the run ends with this one line and a non-zero exit.
        self.failed: RunStateError | None = None

    # -- writing -------------------------------------------------------------------------------

    def record(
        self, result: SyncResult, kept: Recorded | None = None, same_findings: bool = False
    ) -> Recorded | None:
        """Store the run's snapshot, replacing any earlier one of the same day, and return the
        night as recorded for the caller to keep (None when it could not be recorded). `kept`:
        the last night the caller recorded. While the history still holds it as stamped:
        - the same night: only the schools whose rows moved are written again, and with
          `same_findings` (tonight's findings are made from what that night's were) nothing is
          even gathered;
        - an earlier night: a school whose findings are the same as then (`_made_from`) has its
          rows copied from that night, without being gathered (the next day, most schools)."""
        today = result.today
        if not self.writable:
            raise RuntimeError("this history was opened for reading only")
        held = kept if kept is not None and _stamped_at(kept.stamp, self._run(kept.day)) else None
        if same_findings and held is not None and held.day == today:
            return held
        made_from = {
            school.school.id: source
            for school in result.schools
            if (source := _made_from(school)) is not None
        }
        same = set()
        if held is not None:
            same = {
                school
                for school, source in made_from.items()
                if held.made_from.get(school) == source and school in held.schools
            }
        rows = _night_rows(
            [school_snapshot(s, today) for s in result.schools if s.school.id not in same]
        )
        schools = {school: _digest(school_rows) for school, school_rows in rows.items()}
        schools |= {school: held.schools[school] for school in same} if held else {}
        digest = _night_digest(result.district.district, schools)
        if held is not None and held.day == today:
            if held.stamp.endswith(f" {digest}"):
                return Recorded(today, held.stamp, schools, made_from)
            written = self._record_rows(result, rows, _moved(held.schools, schools))
        else:
            copied = (held.day, same) if held is not None else None
            written = self._record_rows(result, rows, None, copied)
        run = self._run(today) if written else None
        return Recorded(today, f"{run[0]} {digest}", schools, made_from) if run else None

    def night_stamp(self, day: dt.date, kept: str | None) -> str | None:
        """The stamp of the night of `day` as recorded now: `kept` while it is still recorded
        as it was, or else made afresh from its figures, read. None when the history holds no
        such night (or cannot be read)."""
        run = self._run(day)
        if run is None:
            return None
        if _stamped_at(kept, run):
            return kept
        at, district = run
        schools = {s: _digest(r) for s, r in _night_rows(self.snapshots(on=day)).items()}
        return f"{at} {_night_digest(district, schools)}"

    def _run(self, day: dt.date) -> tuple[str, str] | None:
        """When the night of `day` was recorded, and for which district; None when it was not."""
        rows = self._query(
            "SELECT recorded_at, district FROM runs WHERE day = ?", (day.isoformat(),)
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def _record_rows(
        self,
        result: SyncResult,
        rows: dict[str, dict[str, list[tuple]]],
        stale: set[str] | None,
        copied: tuple[dt.date, set[str]] | None = None,
    ) -> bool:
        """Write the night's rows (only those of the `stale` schools, when given: the others are
        recorded as they are; and the rows of the `copied` schools copied from that night's);
        whether they were written."""
        day, district = result.today, result.district.district
        if self.connection is not None:
            try:
                self._write(day, district, rows, stale, copied)
                return True
            except sqlite3.OperationalError as error:  # busy, locked, disk full: file is fine
                self._not_recorded(error)
                return False
            except sqlite3.DatabaseError as error:  # damage found only now, deep in the file
                self.damage = str(error)
        if self.damage is None:  # it could not even be opened: leave it for a person to see
            self._not_recorded(sqlite3.DatabaseError("the file could not be opened"))
            return False
        try:
            self._start_over(self.damage)
            # A new file: the whole night, every school's rows gathered.
            everyone = _night_rows([school_snapshot(s, day) for s in result.schools])
            self._write(day, district, everyone, None)
        except (sqlite3.Error, OSError) as error:
            self._not_recorded(error)
            return False
        return True

    def _not_recorded(self, error: Exception) -> None:
        if getattr(error, "sqlite_errorname", "") in _IN_USE_OR_FULL:
            self.failed = unusable_file(self.path, "history", error, BUSY_SECONDS)
            return
        self.notes.append(
            f"Tonight's figures were not added to the history {self.path} ({error}); the rollup "
            "and the summaries were written as usual."
        )

    def _write(
        self,
        day: dt.date,
        district: str,
        rows: dict[str, dict[str, list[tuple]]],
        stale: set[str] | None,
        copied: tuple[dt.date, set[str]] | None = None,
    ) -> None:
        if self.connection is None:
            raise sqlite3.DatabaseError("the file is not open")
        key = day.isoformat()
        now = dt.datetime.now().replace(microsecond=0).isoformat()
        connection = self.connection
        with connection:  # one transaction: a night is replaced whole or not at all
            connection.execute("DELETE FROM runs WHERE day = ?", (key,))
            connection.execute("INSERT INTO runs VALUES (?, ?, ?)", (key, now, district))
            if stale is None:
                for table in _INSERTS:
                    connection.execute(f"DELETE FROM {table} WHERE day = ?", (key,))
            else:
                for table in _INSERTS:
                    connection.executemany(
                        f"DELETE FROM {table} WHERE day = ? AND school_id = ?",
                        [(key, school) for school in sorted(stale)],
                    )
            written = [rows[s] for s in rows if stale is None or s in stale]
            for table, insert in _INSERTS.items():
                connection.executemany(
                    insert, [(key, *row) for school in written for row in school[table]]
                )
            if copied is not None:
                source, schools = copied
                for copy in _COPIES.values():
                    connection.executemany(
                        copy, [(key, source.isoformat(), school) for school in sorted(schools)]
                    )

    def _start_over(self, reason: str) -> None:
        if self.connection is not None:
            self.connection.close()
        aside = _move_aside(self.path)
        self.notes.append(
            f"The history file {self.path} could not be used ({reason}). It was moved to "
            f"{aside.name} and a new history was started from tonight's run."
        )
        self.connection = _connect(self.path)
        _create_schema(self.connection)

    # -- reading -------------------------------------------------------------------------------

    def days(self) -> list[dt.date]:
        """The nights recorded, oldest first."""
        rows = self._query("SELECT day FROM runs ORDER BY day")
        return [dt.date.fromisoformat(day) for (day,) in rows]

    def last_run_before(self, day: dt.date) -> dt.date | None:
        """The most recent night recorded before `day`."""
        rows = self._query("SELECT MAX(day) FROM runs WHERE day < ?", (day.isoformat(),))
        return dt.date.fromisoformat(rows[0][0]) if rows and rows[0][0] else None

    def recorded_before(self, day: dt.date) -> tuple[int, str | None]:
        """How many school snapshots were recorded before `day`, and the last night's day: what
        the history holds, without reading it."""
        rows = self._query(
            "SELECT COUNT(*), MAX(day) FROM schools WHERE day < ?", (day.isoformat(),)
        )
        return (rows[0][0], rows[0][1]) if rows else (0, None)

    def previous(self, day: dt.date, counts: bool = True) -> dict[str, SchoolSnapshot]:
        """Each school's snapshot from the last run before `day`, by school id (without the
        issues by rule and the metrics unless `counts`: see `snapshots`)."""
        last = self.last_run_before(day)
        if last is None:
            return {}
        return {snapshot.school_id: snapshot for snapshot in self.snapshots(on=last, counts=counts)}

    def scores_before(self, today: dt.date) -> ScoresBefore:
        """Each school's completeness on every night recorded before `today`, to tell since
        when its score has been what it is (ScoresBefore.since)."""
        rows = self._query(
            "SELECT school_id, day, completeness FROM schools WHERE day < ? ORDER BY day",
            (today.isoformat(),),
        )
        nights: dict[str, list[tuple[str, int]]] = {}
        for school_id, day, score in rows:
            nights.setdefault(school_id, []).append((day, score))
        return ScoresBefore(today, nights)

    def snapshots(
        self,
        school_id: str | None = None,
        *,
        before: dt.date | None = None,
        on: dt.date | None = None,
        benchmarks: bool = True,
        counts: bool = True,
    ) -> list[SchoolSnapshot]:
        """Snapshots oldest first: one school's or all, all nights or those before or on a day.
        Without `benchmarks` the benchmark rows are left out, without `counts` the issues by rule
        and the metrics (each quicker over a long history: the HTML pages' trends need neither).
        Nights recorded under a school's previous id read as the school's id now."""
        where: list[str] = ["1 = 1"]
        params: list[str] = []
        if school_id is not None:
            ids = [school_id, *(old for old, new in self.aliases.items() if new == school_id)]
            where.append(f"school_id IN ({', '.join('?' * len(ids))})")
            params.extend(ids)
        for condition, value in (
            ("day < ?", before.isoformat() if before else None),
            ("day = ?", on.isoformat() if on else None),
        ):
            if value is not None:
                where.append(condition)
                params.append(value)
        condition = " AND ".join(where)
        # A history of version 1 opened for reading only has no quality column: NULL for all.
        quality = "quality" if self._has_quality() else "NULL"
        schools = self._query(
            "SELECT day, school_id, name, coach, completeness, expected, met, errors, warnings, "
            f"{quality} FROM schools WHERE {condition} ORDER BY day, school_id",
            params,
        )
        rules = self._grouped("issue_counts", "rule, count", condition, params) if counts else {}
        metrics = self._grouped("metrics", "label, value", condition, params) if counts else {}
        records: dict[tuple[str, str], list[BenchmarkRecord]] = {}
        if benchmarks:
            for day, school, *values in self._query(
                "SELECT day, school_id, row, strategy, cycle, focus, benchmark, target, actual, "
                f"status FROM benchmarks WHERE {condition} ORDER BY day, school_id, row",
                params,
            ):
                records.setdefault((day, school), []).append(BenchmarkRecord(*values))
        found = [
            SchoolSnapshot(
                day=dt.date.fromisoformat(day),
                school_id=self.aliases.get(school, school),
                name=name,
                coach=coach,
                completeness=completeness,
                expected=expected,
                met=met,
                errors=errors,
                warnings=warnings,
                issues_by_rule=dict(rules.get((day, school), [])),
                metrics=_by_metric_id(metrics.get((day, school), [])),
                benchmarks=tuple(records.get((day, school), [])),
                quality=quality_score,
            )
            for (
                day,
                school,
                name,
                coach,
                completeness,
                expected,
                met,
                errors,
                warnings,
                quality_score,
            ) in schools
        ]
        # One night per school: should a night hold both a school's old and new id (a rename
        # half-done by hand), the row under its id now wins.
        unique: dict[tuple[dt.date, str], SchoolSnapshot] = {}
        for (_day, school, *_rest), snapshot in zip(schools, found, strict=True):
            key = (snapshot.day, snapshot.school_id)
            if key not in unique or school == snapshot.school_id:
                unique[key] = snapshot
        return sorted(unique.values(), key=lambda s: (s.day, s.school_id))

    def note_spans(self) -> list[NoteSpan]:
        """Every coach note the history has seen: when it was written, the school's coach, and
        the first night it was seen Resolved (None while it is still open)."""
        if not self._has_notes():
            return []
        rows = self._query(
            "SELECT n.school_id, s.coach, n.note, n.written, n.day, n.status FROM notes n "
            "JOIN schools s ON s.day = n.day AND s.school_id = n.school_id ORDER BY n.day"
        )
        spans: dict[tuple[str, str], NoteSpan] = {}
        for school, coach, note, written, day, status in rows:
            seen = dt.date.fromisoformat(day)
            span = spans.get((school, note))
            if span is None:
                start = dt.date.fromisoformat(written) if written else seen
                span = NoteSpan(school, coach, start, None)
            resolved = span.resolved or seen if status == "Resolved" else None
            spans[(school, note)] = NoteSpan(school, coach, span.written, resolved, seen)
        return list(spans.values())

    def _has_notes(self) -> bool:
        rows = self._query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'notes'")
        return bool(rows)

    def _has_quality(self) -> bool:
        columns = self._query("SELECT name FROM pragma_table_info('schools')")
        return ("quality",) in columns

    def _grouped(
        self, table: str, columns: str, condition: str, params: list
    ) -> dict[tuple[str, str], list[tuple]]:
        grouped: dict[tuple[str, str], list[tuple]] = {}
        sql = f"SELECT day, school_id, {columns} FROM {table} WHERE {condition}"
        for day, school, key, value in self._query(sql, params):
            grouped.setdefault((day, school), []).append((key, value))
        return grouped

    def _query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        if self.connection is None:
            return []
        try:
            return self.connection.execute(sql, params).fetchall()
        except sqlite3.OperationalError as error:  # busy or locked: try again next time
            self.notes.append(f"The history file {self.path} could not be read ({error}).")
            return []
        except sqlite3.DatabaseError as error:
            self.notes.append(f"The history file {self.path} could not be read ({error}).")
            self.damage = str(error)
            self.connection.close()
            self.connection = None
            return []

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def open_history(
    path: Path,
    *,
    writable: bool = True,
    ran_before: Callable[[], bool] | None = None,
    aliases: dict[str, str] | None = None,
) -> History:
    """The history at `path`. Writable: a missing or unusable file is replaced by a new history
    (an unusable one is moved aside) and `notes` says so; a missing one is noted only when
    `ran_before()` says earlier runs were recorded (asked only then). Read-only: such a file
    reads as empty. Never raises for a problem with the file: the nightly run must go on.
    `aliases` (previous school id -> id now, `District.id_aliases`) makes a renamed school's
    nights read as one school's."""
    history = History(path, None, writable, aliases)
    if not path.exists():
        if writable:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                history.connection = _connect(path)
                _create_schema(history.connection)
            except (sqlite3.Error, OSError) as error:
                history.close()
                history.notes.append(f"The history file {path} could not be created ({error}).")
                return history
            if ran_before is not None and ran_before():
                history.notes.append(
                    f"The history file {path} was missing; a new history starts with this run."
                )
        return history
    try:
        connection = _connect(path, read_only=not writable)
    except sqlite3.Error as error:
        history.notes.append(f"The history file {path} could not be opened ({error}).")
        return history
    try:
        _check_schema(connection)
        if writable:
            _migrate(connection)
    except sqlite3.OperationalError as error:  # busy or locked: leave it as it is
        connection.close()
        if writable and getattr(error, "sqlite_errorname", "") in _IN_USE_OR_FULL:
            history.failed = unusable_file(path, "history", error, BUSY_SECONDS)
        else:
            history.notes.append(f"The history file {path} could not be opened ({error}).")
        return history
    except (sqlite3.DatabaseError, HistoryUnreadable) as error:
        connection.close()
        if writable:
            try:
                history._start_over(str(error))
            except (sqlite3.Error, OSError) as failure:
                history.close()
                history.notes.append(f"No history is kept tonight: {failure}.")
        else:
            history.notes.append(
                f"The history file {path} could not be read ({error}); the next sync sets it "
                "aside and starts a new one."
            )
        return history
    if writable:
        try:
            _migrate(connection)
        except sqlite3.Error as error:  # busy or locked: tonight's figures are not recorded
            history.notes.append(f"The history file {path} could not be updated ({error}).")
            connection.close()
            return history
    history.connection = connection
    return history


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """A connection; `read_only` opens the file so that SQLite itself cannot change it."""
    if read_only:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_SECONDS)
    create_with_umask(path)
    # The sync records a night from a thread of its own (see nightly._sync), one user at a time.
    connection = sqlite3.connect(path, timeout=BUSY_SECONDS, check_same_thread=False)
    connection.execute("PRAGMA foreign_keys = OFF")
    return connection


def _check_schema(connection: sqlite3.Connection) -> None:
    (application,) = connection.execute("PRAGMA application_id").fetchone()
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    tables = {
        name
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if application != APPLICATION_ID:
        raise HistoryUnreadable("it is not a plansync history")
    if version > SCHEMA_VERSION:
        raise HistoryUnreadable(f"it was written by a newer plansync (history version {version})")
    if not set(_FIRST_TABLES) <= tables:
        raise HistoryUnreadable("some of its tables are missing")


def _migrate(connection: sqlite3.Connection) -> None:
    """Bring a history written by an older plansync up to this version (adding tables only:
    nothing recorded is changed)."""
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version >= SCHEMA_VERSION:
        return
    with connection:
        connection.executescript(_NOTES_SCHEMA)
        columns = {row[1] for row in connection.execute("PRAGMA table_info(schools)")}
        if "quality" not in columns:
            connection.execute("ALTER TABLE schools ADD COLUMN quality INTEGER")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create_schema(connection: sqlite3.Connection) -> None:
    with connection:
        connection.executescript(_SCHEMA + _NOTES_SCHEMA)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _move_aside(path: Path) -> Path:
    """Rename a broken history (and its journal) so a new one can start; nothing is deleted."""
    stamp = dt.date.today().isoformat()
    aside = path.with_name(f"{path.name}.unreadable-{stamp}")
    number = 2
    while aside.exists():
        aside = path.with_name(f"{path.name}.unreadable-{stamp}-{number}")
        number += 1
    if path.exists():
        path.rename(aside)
    for suffix in ("-journal", "-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(aside.with_name(aside.name + suffix))
    return aside


# -- last school year ------------------------------------------------------------------------------


def last_year(district: District, today: dt.date) -> LastYear:
    """Last school year's history, through the config's `previous_year` link: each school's
    snapshot from the same date a year ago (its latest on or before it), read only. Last year's
    files are never written. Empty when there is no link or nothing recorded."""
    found = LastYear({}, None, [])
    link = district.previous_year_config
    if link is None:
        return found
    try:
        before = load_config(link)
    except PlansyncError as error:
        found.notes.append(f"Last year's config could not be read: {error}")
        return found
    aliases = {**before.id_aliases(), **district.id_aliases()}
    history = open_history(before.rollup_dir / HISTORY_NAME, writable=False, aliases=aliases)
    same_date = _year_before(today)
    for snapshot in history.snapshots(benchmarks=False, counts=False):
        if snapshot.day <= same_date:
            found.schools[snapshot.school_id] = snapshot  # oldest first: the latest one stays
    history.close()
    found.notes += history.notes
    found.label = before.school_year
    return found


@dataclass
class LastYear:
    # School id (as it is now) -> its snapshot from about this date a year ago.
    schools: dict[str, SchoolSnapshot]
    # Last year's school year, e.g. "2026-27".
    label: str | None
    notes: list[str]


def _year_before(day: dt.date) -> dt.date:
    """The same date a year earlier (Feb 29 becomes Feb 28)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


# -- trends ----------------------------------------------------------------------------------------

# "Since last month": the latest snapshot at least this many days old.
MONTH_DAYS = 28


def month_ago(
    snapshots: Iterable[SchoolSnapshot], day: dt.date, days: int = MONTH_DAYS
) -> dict[str, SchoolSnapshot]:
    """Each school's snapshot from about a month before `day`: its latest one at least `days`
    old, or, for a school with a shorter history, its oldest one before `day`."""
    cutoff = day - dt.timedelta(days=days)
    chosen: dict[str, SchoolSnapshot] = {}
    for snapshot in sorted(snapshots, key=lambda s: s.day):
        if snapshot.day >= day:
            continue
        current = chosen.get(snapshot.school_id)
        if current is None or snapshot.day <= cutoff:
            chosen[snapshot.school_id] = snapshot
    return chosen


def completeness_series(
    snapshots: Iterable[SchoolSnapshot],
) -> dict[str, list[tuple[dt.date, int]]]:
    """Each school's completeness night by night, oldest first."""
    series: dict[str, list[tuple[dt.date, int]]] = {}
    for snapshot in sorted(snapshots, key=lambda s: s.day):
        series.setdefault(snapshot.school_id, []).append((snapshot.day, snapshot.completeness))
    return series


def district_series(snapshots: Iterable[SchoolSnapshot]) -> list[tuple[dt.date, float]]:
    """The district's average completeness night by night, oldest first."""
    by_day: dict[dt.date, list[int]] = {}
    for snapshot in snapshots:
        by_day.setdefault(snapshot.day, []).append(snapshot.completeness)
    return [(day, sum(scores) / len(scores)) for day, scores in sorted(by_day.items())]


def status_counts(
    benchmarks: Iterable[BenchmarkRecord],
    by: Sequence[str],
    known: Sequence[str] | None = None,
) -> dict[tuple[str, ...], Counter]:
    """Benchmark statuses counted per group, e.g. by ("cycle", "focus"). With `known` statuses,
    any other (a status typed wrongly) counts as NO_STATUS, as the summary tab counts it."""
    group_of = operator.attrgetter(*by)
    # Tallied by (group, status) in one pass first: a district has tens of thousands of rows and
    # a few dozen such pairs.
    pairs = Counter((group_of(record), record.status) for record in benchmarks)
    counts: dict[tuple[str, ...], Counter] = {}
    for (group, status), count in pairs.items():
        key = (group,) if len(by) == 1 else group
        status = status or NO_STATUS
        if known is not None and status not in known:
            status = NO_STATUS
        counts.setdefault(key, Counter())[status] += count
    return counts


def status_change(before: Counter | None, now: Counter, order: Sequence[str]) -> str:
    """'+2 Met, -2 On Track': how the statuses moved since the last run ('' with no last run)."""
    if before is None:
        return ""
    moves = []
    for status in [*order, *sorted((set(before) | set(now)) - set(order))]:
        delta = now.get(status, 0) - before.get(status, 0)
        if delta:
            moves.append(f"{delta:+d} {status}")
    return ", ".join(moves) if moves else "no change"
