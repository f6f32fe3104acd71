"""The state store: what the last sync saw, so that a workbook nobody touched is not read again.

One SQLite file in the rollup folder. Per workbook: its version (size and modification time for a
file, the Drive version for a spreadsheet), a hash of its content, and its tabs as read; also a hash
of the summary tab last written into it, and the version right after that write. Per output (the
rollup): a hash of what was last written. Per row of a workbook with coach notes: a hash of it and
the day it was last seen changed. Per school: its findings (issues, completeness tally,
figures, benchmarks, rollup rows) with the fingerprint of what they were made from and the first day
on which they could change by themselves (a step falling overdue), so that an unchanged school is
neither unpacked nor checked again before then. The state only ever saves work: a file that is
missing, damaged or from another schema version is started afresh, and `sync --full` ignores it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RunStateError, unusable_file
from .files import create_with_umask
from .grid import OutSheet
from .packing import pack_value, unpack_sheets, unpack_value
from .store import RawWorkbook, WorkbookRef

STATE_NAME = ".plansync-state.sqlite"
# How long to wait for another program (a backup, a reader) to let go of the file.
BUSY_SECONDS = 30.0
# 2: cells left out of a sheet; 3: a hash of the school's tabs; 4: per-row hashes (notes);
# 5: the 1904 date system; 6: each school's findings; 7: the rollup's rows as drawn; 8: and as
# compressed where they were written
SCHEMA_VERSION = "8"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE workbooks (
    location TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    digest TEXT,
    content TEXT,
    modified TEXT,
    sheets BLOB NOT NULL,
    summary_hash TEXT,
    summary_version TEXT,
    date1904 INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE outputs (name TEXT PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE schools (
    school TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    valid_until TEXT,
    findings BLOB NOT NULL,
    rollup_rows BLOB NOT NULL,
    summary_key TEXT
);
CREATE TABLE drawn (
    part TEXT NOT NULL,
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    drawn BLOB NOT NULL,
    PRIMARY KEY (part, owner)
);
CREATE TABLE rows (
    location TEXT NOT NULL,
    tab TEXT NOT NULL,
    row INTEGER NOT NULL,
    hash TEXT NOT NULL,
    changed TEXT,
    PRIMARY KEY (location, tab, row)
);
"""

# (tab key, row number) -> a hash of what the row holds.
RowHashes = dict[tuple[str, int], str]


@dataclass(frozen=True)
class RowMark:
    """A row as the sync last saw it: its hash, the hash before that night's change, and the day
    it was last seen changed (None while it has only ever been seen as it was first read)."""

    hash: str
    before: str | None
    changed: dt.date | None


@dataclass(frozen=True)
class Remembered:
    """A workbook as the last sync left it."""

    version: str
    digest: str | None
    summary_hash: str | None
    summary_version: str | None
    # A hash of the tabs as read (RawWorkbook.content), and when a person last saved them.
    content: str | None = None
    modified: str | None = None
    # The workbook counts its dates from 1904 (typed dates depend on it).
    date1904: bool = False


@dataclass(frozen=True)
class CachedFindings:
    """A school's findings as packed by the orchestrator, and the key of the summary last shown."""

    findings: Any
    summary_key: str | None
    # A hash of the findings as packed (see SchoolFacts.digest).
    digest: str


class StateStore:
    """Open (or start afresh) the state file; use as a context manager to commit at the end.

    `read_only` (for `plansync.load`, which must leave every file as it found it): the file is
    opened read-only, never created, started afresh or written; a missing or unusable one
    remembers nothing, and what would be remembered is dropped."""

    def __init__(self, path: Path, *, read_only: bool = False):
        self.path = path
        self.rebuilt = False
        self.read_only = read_only
        self.closed = False
        self._after: sqlite3.Connection | None = None
        self.db: sqlite3.Connection | None = self._open_read_only() if read_only else self._open()

    def _open_read_only(self) -> sqlite3.Connection | None:
        if not self.path.is_file():
            return None
        try:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.Error:
            return None
        if version and version[0] == SCHEMA_VERSION:
            return db
        db.close()
        return None

    def _open(self) -> sqlite3.Connection:
        if os.path.lexists(self.path) and not self.path.is_file():
            raise RunStateError(
                f"{self.path} is not a file (the sync keeps its state there); move it away and "
                "run the sync again."
            )
        db = None
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_SECONDS)
            version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if version and version[0] == SCHEMA_VERSION:
                return db
        except sqlite3.Error as error:
            if db is not None:
                db.close()
            # Missing tables, not a database, a damaged file all mean start afresh; a file in
            # use or out of reach is left as it is.
            if not _damaged(error):
                raise self._unusable(error) from None
        else:
            db.close()
        try:
            return self._fresh()
        except (sqlite3.Error, OSError) as error:
            raise self._unusable(error) from None

    def _fresh(self) -> sqlite3.Connection:
        self.rebuilt = True
        for suffix in ("", "-journal", "-wal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.path}{suffix}").unlink()
        create_with_umask(self.path)
        db = sqlite3.connect(self.path, timeout=BUSY_SECONDS)
        with db:
            db.executescript(_SCHEMA)
            db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        return db

    def _unusable(self, error: Exception) -> RunStateError:
        return unusable_file(self.path, "state", error, BUSY_SECONDS)

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.db is None:
            return
        self.closed = True
        if self.read_only:
            self.db.close()
            return
        if exc[0] is not None and issubclass(exc[0], sqlite3.Error):
            self.db.close()  # rolled back: the file is as it was
            raise self._unusable(exc[1]) from None
        try:
            if exc[0] is None:
                self.db.commit()
        except sqlite3.Error as error:  # nothing of tonight's is kept: the file is as it was
            raise self._unusable(error) from None
        finally:
            self.db.close()

    def _reading(self) -> sqlite3.Connection | None:
        """The open connection; after the run, a new one: the tables of a school whose findings
        were kept are unpacked only when something asks for them, which may be a report drawn
        from the run's result once the run has ended."""
        if self.db is None or not self.closed:
            return self.db
        if self._after is None:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            self._after = sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS)
        return self._after

    def _row(self, sql: str, params: tuple) -> Any:
        db = self._reading()
        if db is None:
            return None
        try:
            return db.execute(sql, params).fetchone()
        except sqlite3.Error:
            if not self.read_only:
                raise
            return None  # read-only, the state only saves work: read the workbook instead

    def _all(self, sql: str, params: tuple) -> list[Any]:
        db = self._reading()
        if db is None:
            return []
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.Error:
            if not self.read_only:
                raise
            return []

    @contextlib.contextmanager
    def writes_held(self) -> Iterator[None]:
        """Tonight's writes are held in memory until the end, never spilled into the file
        before, while processes beside the sync read it (see FindingsAside): a spill would
        lock them out of it until the night ends."""
        if self.db is None or self.read_only:
            yield
            return
        self.db.execute("PRAGMA cache_spill = OFF")
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("PRAGMA cache_spill = ON")

    def _change(self, sql: str, params: tuple) -> None:
        if self.db is not None and not self.read_only:
            self.db.execute(sql, params)

    def _change_many(self, sql: str, rows: list[tuple]) -> None:
        if self.db is not None and not self.read_only:
            self.db.executemany(sql, rows)

    # -- workbooks --------------------------------------------------------------------------------

    def remembered(self, location: str) -> Remembered | None:
        row = self._row(f"SELECT {_REMEMBERED} FROM workbooks WHERE location = ?", (location,))
        return _remembered(row) if row is not None else None

    def every_remembered(self) -> dict[str, Remembered]:
        """`remembered` of every workbook, by location, in one query (a night asks of all)."""
        rows = self._all(f"SELECT location, {_REMEMBERED} FROM workbooks", ())
        return {row[0]: _remembered(row[1:]) for row in rows}

    def load(self, ref: WorkbookRef) -> RawWorkbook | None:
        """The workbook as last read, or None when the stored copy cannot be used."""
        row = self._row(
            "SELECT version, digest, content, modified, sheets, date1904 FROM workbooks "
            "WHERE location = ?",
            (ref.location,),
        )
        if row is None:
            return None
        version, digest, content, modified, blob, date1904 = row
        try:
            sheets = unpack_sheets(blob)
        except ValueError:
            return None
        stamp = dt.datetime.fromisoformat(modified) if modified else None
        return RawWorkbook(
            ref, sheets, stamp, version, digest, content, blob, date1904=bool(date1904)
        )

    def save(self, raw: RawWorkbook) -> None:
        """Remember a workbook just read, as its backend packed it (its summary hash is
        forgotten: it is written anew)."""
        if raw.packed is None or raw.content is None:
            raise ValueError(f"{raw.ref.label} was not packed where it was read")
        modified = raw.modified.isoformat() if raw.modified else None
        self._change(
            "INSERT OR REPLACE INTO workbooks VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
            (
                raw.ref.location,
                raw.version,
                raw.digest,
                raw.content,
                modified,
                raw.packed,
                int(raw.date1904),
            ),
        )

    def touched(self, location: str, version: str) -> Remembered | None:
        """The file was saved, copied or restored without a change to its content: remember its
        new version, and a summary tab that stood as the sync left it still does (same bytes).
        Returns what is now remembered of it."""
        self._change(
            "UPDATE workbooks SET summary_version = CASE WHEN summary_version = version "
            "THEN ? ELSE summary_version END, version = ? WHERE location = ?",
            (version, version, location),
        )
        return self.remembered(location)

    def summary_written(
        self, location: str, summary_hash: str, version: str | None, digest: str | None
    ) -> None:
        """The summary tab was written: the workbook's new version is ours, not a school's edit."""
        self._change(
            "UPDATE workbooks SET summary_hash = ?, summary_version = ?, version = ?, "
            "digest = COALESCE(?, digest) WHERE location = ?",
            (summary_hash, version, version, digest, location),
        )

    def written_by_sync(self, location: str, version: str | None, digest: str | None) -> None:
        """The sync changed the workbook beyond its summary (the roster copy on its stamp tab):
        the new version is ours, not a school's edit, and a summary tab that stood still does."""
        self._change(
            "UPDATE workbooks SET summary_version = CASE WHEN summary_version = version "
            "THEN ? ELSE summary_version END, version = ?, digest = COALESCE(?, digest) "
            "WHERE location = ?",
            (version, version, digest, location),
        )

    def forget(self, location: str) -> None:
        self._change("DELETE FROM workbooks WHERE location = ?", (location,))
        self._change("DELETE FROM rows WHERE location = ?", (location,))

    # -- rows: when each row of a workbook last changed ------------------------------------------

    def row_marks(
        self, location: str, hashes: RowHashes | None, day: dt.date
    ) -> dict[tuple[str, int], RowMark]:
        """Each row's mark; with `hashes` (the workbook was read again), rows whose hash differs
        from the last one seen, or that are new in a workbook seen before, are marked changed on
        `day`. Without, the marks as they were. Only rows of workbooks read again cost anything."""
        stored = {
            (tab, row): (hash_, dt.date.fromisoformat(changed) if changed else None)
            for tab, row, hash_, changed in self._all(
                "SELECT tab, row, hash, changed FROM rows WHERE location = ?", (location,)
            )
        }
        if hashes is None:
            return {key: RowMark(h, None, changed) for key, (h, changed) in stored.items()}
        seen_before = bool(stored)
        marks: dict[tuple[str, int], RowMark] = {}
        for key, hash_ in hashes.items():
            old = stored.get(key)
            if old is not None and old[0] == hash_:
                marks[key] = RowMark(hash_, None, old[1])
            else:
                changed = day if seen_before else None
                marks[key] = RowMark(hash_, old[0] if old else None, changed)
        # Only what differs is written: most workbooks read again (an edit elsewhere in the file,
        # a full run) have every row as it was, and rewriting them all took 2 s at 2,000 schools.
        self._change_many(
            "DELETE FROM rows WHERE location = ? AND tab = ? AND row = ?",
            [(location, tab, row) for tab, row in stored.keys() - marks.keys()],
        )
        self._change_many(
            "INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?, ?)",
            [
                (location, tab, row, mark.hash, mark.changed.isoformat() if mark.changed else None)
                for (tab, row), mark in marks.items()
                if stored.get((tab, row)) != (mark.hash, mark.changed)
            ],
        )
        return marks

    # -- schools' findings ------------------------------------------------------------------------

    def findings(self, school: str, fingerprint: str, today: dt.date) -> CachedFindings | None:
        """A school's findings as last checked, when made from `fingerprint` and still valid
        `today`; None otherwise (or when the stored copy cannot be used)."""
        row = self._row(
            "SELECT fingerprint, valid_until, findings, summary_key FROM schools WHERE school = ?",
            (school,),
        )
        if row is None or row[0] != fingerprint or not _holds(row[1], today):
            return None
        try:
            findings = unpack_value(row[2])
        except ValueError:
            return None
        return CachedFindings(findings, row[3], _packed_digest(row[2]))

    def findings_held(self, today: dt.date) -> dict[str, str]:
        """The fingerprint of each school's kept findings that still hold `today` (see
        `findings`), in one query: a night asks of every school."""
        rows = self._all("SELECT school, fingerprint, valid_until FROM schools", ())
        return {school: fingerprint for school, fingerprint, until in rows if _holds(until, today)}

    def rollup_rows(self, school: str) -> Any:
        """The school's rollup rows saved with its findings; None when they were not kept (an
        empty blob) or cannot be used."""
        row = self._row("SELECT rollup_rows FROM schools WHERE school = ?", (school,))
        if row is None or not row[0]:
            return None
        try:
            return unpack_value(row[0])
        except ValueError:
            return None

    def save_findings(
        self,
        school: str,
        fingerprint: str,
        valid_until: dt.date | None,
        findings: Any,
        rollup_rows: Any | None,
    ) -> str:
        """Keep a school's findings, and its rollup rows unless None; returns the findings'
        digest (see SchoolFacts.digest)."""
        rows = b"" if rollup_rows is None else pack_value(rollup_rows)
        return self.save_packed_findings(
            school, fingerprint, valid_until, pack_value(findings), rows
        )

    def save_packed_findings(
        self, school: str, fingerprint: str, valid_until: dt.date | None, packed: bytes, rows: bytes
    ) -> str:
        """save_findings, with the findings and the rollup rows packed (b"": none kept)."""
        self._change(
            "INSERT OR REPLACE INTO schools VALUES (?, ?, ?, ?, ?, NULL)",
            (school, fingerprint, valid_until.isoformat() if valid_until else None, packed, rows),
        )
        return _packed_digest(packed)

    def summary_shown(self, school: str, key: str) -> None:
        """The school's summary tab shows what `key` stands for (the findings, the last run's
        figures, the day): the next run with the same key need not build it."""
        self._change("UPDATE schools SET summary_key = ? WHERE school = ?", (key, school))

    def forget_findings(self, school: str) -> None:
        self._change("DELETE FROM schools WHERE school = ?", (school,))

    # -- outputs ----------------------------------------------------------------------------------

    # The rollup's blocks of rows as the store last drew them (grid.DrawnRows), as the store
    # packed them (compressed: a 2,000-school rollup's rows are about 100 MB of XML).

    def drawn_rows(self, part: str) -> dict[str, tuple[str, bytes]]:
        rows = self._all("SELECT owner, key, drawn FROM drawn WHERE part = ?", (part,))
        return {owner: (key, bytes(drawn)) for owner, key, drawn in rows}

    def forget_drawn_rows(self) -> None:
        self._change("DELETE FROM drawn", ())

    def keep_drawn_rows(self, part: str, owner: str, key: str, drawn: bytes) -> None:
        self._change("INSERT OR REPLACE INTO drawn VALUES (?, ?, ?, ?)", (part, owner, key, drawn))

    def output_hash(self, name: str) -> str | None:
        row = self._row("SELECT hash FROM outputs WHERE name = ?", (name,))
        return row[0] if row else None

    def output_written(self, name: str, content_hash: str) -> None:
        self._change("INSERT OR REPLACE INTO outputs VALUES (?, ?)", (name, content_hash))


def _packed_digest(packed: bytes) -> str:
    """A hash of a school's findings as packed (see SchoolFacts.digest)."""
    return hashlib.blake2b(packed, digest_size=16).hexdigest()


_REMEMBERED = "version, digest, summary_hash, summary_version, content, modified, date1904"


def _remembered(row: Sequence[Any]) -> Remembered:
    version, digest, summary_hash, summary_version, content, modified, date1904 = row
    return Remembered(
        version, digest, summary_hash, summary_version, content, modified, bool(date1904)
    )


class FindingsAside(StateStore):
    """The state file opened for reading only, in a process beside the sync's: the findings a
    school would keep are set aside (`aside`: the arguments of save_packed_findings) for the
    sync's own process to save, which alone writes the file."""

    def __init__(self, path: Path):
        super().__init__(path, read_only=True)
        self.aside: tuple[str, str, dt.date | None, bytes, bytes] | None = None
        with contextlib.suppress(sqlite3.Error):
            if self.db is not None:  # the sync writing: give up at once rather than wait
                self.db.execute("PRAGMA busy_timeout = 0")

    # What cannot be read is an error here, not "nothing kept" as for other readers: the sync's
    # own process then checks the school itself.

    def _row(self, sql: str, params: tuple) -> Any:
        return self._open_db().execute(sql, params).fetchone()

    def _all(self, sql: str, params: tuple) -> list[Any]:
        return self._open_db().execute(sql, params).fetchall()

    def _open_db(self) -> sqlite3.Connection:
        if self.db is None:
            raise sqlite3.OperationalError(f"{self.path} cannot be read")
        return self.db

    def save_packed_findings(
        self, school: str, fingerprint: str, valid_until: dt.date | None, packed: bytes, rows: bytes
    ) -> str:
        self.aside = (school, fingerprint, valid_until, packed, rows)
        return super().save_packed_findings(school, fingerprint, valid_until, packed, rows)


def _holds(valid_until: str | None, today: dt.date) -> bool:
    """Whether findings kept as valid until `valid_until` (None: until an edit) hold `today`."""
    if valid_until is None:
        return True
    try:
        return dt.date.fromisoformat(valid_until) > today
    except (TypeError, ValueError):
        return False  # not as this version keeps it: checked again


def _damaged(error: sqlite3.Error) -> bool:
    """A file SQLite cannot use as a database (or an older schema), rather than one it cannot
    get at just now."""
    name = getattr(error, "sqlite_errorname", "")
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_ERROR"):
        return True
    return not name and not isinstance(error, sqlite3.OperationalError)


def content_hash(sheets: list[OutSheet]) -> str:
    """A hash of what sheets would show, to skip writing them when nothing changed."""
    digest = hashlib.blake2b(digest_size=16)
    for sheet in sheets:
        digest.update(repr(sheet.settings()).encode())
        for row in sheet.rows:
            digest.update(repr(row).encode())
        for block in sheet.blocks:  # its key is a hash of what its rows show
            digest.update(f"{block.count}:{block.key}".encode())
    return digest.hexdigest()
