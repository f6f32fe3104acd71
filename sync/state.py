"""The state store: what the last sync saw, so that a workbook nobody touched is not read again.

One SQLite file in the rollup folder. Per workbook: its version (size and modification time for a
file, the Drive version for a spreadsheet), a hash of its content, and its tabs as read; also a hash
of the summary tab last written into it, and the version right after that write. Per output (the
rollup): a hash of what was last written. The state only ever saves work: a file that is missing,
damaged or from another schema version is started afresh, and `sync --full` ignores it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import sqlite3
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .grid import OutSheet
from .store import RawSheet, RawWorkbook, WorkbookRef
from .values import ErrorValue, FormulaWithoutResult

STATE_NAME = ".plansync-state.sqlite"
SCHEMA_VERSION = "3"  # 2: cells left out of a sheet; 3: a hash of the school's tabs

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
    summary_version TEXT
);
CREATE TABLE outputs (name TEXT PRIMARY KEY, hash TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Remembered:
    """A workbook as the last sync left it."""

    version: str
    digest: str | None
    summary_hash: str | None
    summary_version: str | None


class StateStore:
    """Open (or start afresh) the state file; use as a context manager to commit at the end."""

    def __init__(self, path: Path):
        self.path = path
        self.rebuilt = False
        self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path)
            version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if version and version[0] == SCHEMA_VERSION:
                return db
            db.close()
        except sqlite3.DatabaseError:
            pass  # missing tables, not a database, a damaged file: all mean start afresh
        return self._fresh()

    def _fresh(self) -> sqlite3.Connection:
        self.rebuilt = True
        for suffix in ("", "-journal", "-wal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.path}{suffix}").unlink()
        db = sqlite3.connect(self.path)
        db.executescript(_SCHEMA)
        db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        db.commit()
        return db

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.db.commit()
        self.db.close()

    # -- workbooks --------------------------------------------------------------------------------

    def remembered(self, location: str) -> Remembered | None:
        row = self.db.execute(
            "SELECT version, digest, summary_hash, summary_version FROM workbooks "
            "WHERE location = ?",
            (location,),
        ).fetchone()
        return Remembered(*row) if row else None

    def load(self, ref: WorkbookRef) -> RawWorkbook | None:
        """The workbook as last read, or None when the stored copy cannot be used."""
        row = self.db.execute(
            "SELECT version, digest, content, modified, sheets FROM workbooks WHERE location = ?",
            (ref.location,),
        ).fetchone()
        if row is None:
            return None
        version, digest, content, modified, blob = row
        try:
            sheets = [
                RawSheet(name, rows, hidden, [tuple(m) for m in merged], left_out)
                for name, hidden, merged, rows, left_out in _decode(blob)
            ]
        except (ValueError, TypeError, zlib.error):
            return None
        stamp = dt.datetime.fromisoformat(modified) if modified else None
        return RawWorkbook(ref, sheets, stamp, version, digest, content)

    def save(self, packed: Packed) -> None:
        """Remember a workbook just read (its summary hash is forgotten: it is written anew)."""
        self.db.execute(
            "INSERT OR REPLACE INTO workbooks VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
            (
                packed.location,
                packed.version,
                packed.digest,
                packed.content,
                packed.modified,
                packed.sheets,
            ),
        )

    def touched(self, location: str, version: str) -> None:
        """The file was saved without a change to its content: remember its new version."""
        self.db.execute("UPDATE workbooks SET version = ? WHERE location = ?", (version, location))

    def summary_written(
        self, location: str, summary_hash: str, version: str | None, digest: str | None
    ) -> None:
        """The summary tab was written: the workbook's new version is ours, not a school's edit."""
        self.db.execute(
            "UPDATE workbooks SET summary_hash = ?, summary_version = ?, version = ?, "
            "digest = COALESCE(?, digest) WHERE location = ?",
            (summary_hash, version, version, digest, location),
        )

    def forget(self, location: str) -> None:
        self.db.execute("DELETE FROM workbooks WHERE location = ?", (location,))

    # -- outputs ----------------------------------------------------------------------------------

    def output_hash(self, name: str) -> str | None:
        row = self.db.execute("SELECT hash FROM outputs WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def output_written(self, name: str, content_hash: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO outputs VALUES (?, ?)", (name, content_hash))


@dataclass(frozen=True)
class Packed:
    """A workbook as the state store keeps it, made where the workbook was read."""

    location: str
    version: str
    digest: str | None
    content: str
    modified: str | None
    sheets: bytes


def pack(raw: RawWorkbook) -> Packed:
    """What the state store keeps of a workbook just read; sets raw.content on the way."""
    sheets = [(s.name, s.hidden, s.merged, s.rows, s.left_out) for s in raw.sheets]
    modified = raw.modified.isoformat() if raw.modified else None
    encoded = _encode(sheets)
    raw.content = hashlib.blake2b(encoded, digest_size=16).hexdigest()
    return Packed(raw.ref.location, raw.version, raw.digest, raw.content, modified, encoded)


def content_hash(sheets: list[OutSheet]) -> str:
    """A hash of what sheets would show, to skip writing them when nothing changed."""
    digest = hashlib.blake2b(digest_size=16)
    for sheet in sheets:
        digest.update(
            repr(
                (
                    sheet.name,
                    sheet.widths,
                    sheet.freeze_rows,
                    sheet.filter_row,
                    sheet.tab_color,
                    sheet.score_columns,
                )
            ).encode()
        )
        for row in sheet.rows:
            digest.update(repr(row).encode())
    return digest.hexdigest()


# -- storing cell values: JSON, with dates, times and error cells tagged ---------------------------


def _tag(value: Any) -> dict:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"td": value.total_seconds()}
    if isinstance(value, ErrorValue):
        return {"err": value.code}
    if isinstance(value, FormulaWithoutResult):
        return {"fx": value.formula}
    raise TypeError(f"cannot store {type(value).__name__}")


def _untag(tagged: dict) -> Any:
    if "dt" in tagged:
        return dt.datetime.fromisoformat(tagged["dt"])
    if "d" in tagged:
        return dt.date.fromisoformat(tagged["d"])
    if "t" in tagged:
        return dt.time.fromisoformat(tagged["t"])
    if "td" in tagged:
        return dt.timedelta(seconds=tagged["td"])
    if "err" in tagged:
        return ErrorValue(tagged["err"])
    if "fx" in tagged:
        return FormulaWithoutResult(tagged["fx"])
    raise ValueError("unknown tagged value")


def _encode(value: Any) -> bytes:
    text = json.dumps(value, default=_tag, ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), 1)


def _decode(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob).decode("utf-8"), object_hook=_untag)
