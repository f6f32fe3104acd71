"""The Excel store: one folder per school holding .xlsx files, read with calamine.

Reading uses python-calamine (a Rust parser, many times faster than openpyxl). New workbooks and
the rollup are written with openpyxl (render). A school's existing workbook is never loaded and
saved by openpyxl: the summary tab goes in at the package level (package), so nothing else changes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import os
import re
import stat
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import python_calamine

from ..changes import WorkbookChanges
from ..config import District, School
from ..errors import (
    ConfigError,
    RollupNotWritten,
    StoreError,
    WorkbookBusy,
    WorkbookMissing,
    WorkbookNotAFile,
    WorkbookUnreadable,
)
from ..files import TEMPORARY_PREFIX, temporary_beside, write_replacing
from ..grid import DrawnRows, OutSheet, a1
from ..layout import ROSTER_COLUMN, ROSTER_TITLE, STAMP_TAB, WorkbookPlan
from ..packing import pack_sheets
from ..store import (
    RawSheet,
    RawWorkbook,
    ReadRequest,
    StrayCopy,
    WorkbookRef,
    WorkbookWrites,
    WriteOutcome,
    looks_like_copy,
    write_in_turn,
)
from ..templates import Template
from .cells import fill_cells
from .file_kinds import renamed_folder, saved_as_other, why_unreadable
from .guard import (
    BUDGET,
    Budget,
    check_expansion,
    leads_out,
    read_capped,
    regular_file,
    too_much_memory,
)
from .migration import migrate_package
from .package import PackageError, put_sheet, put_sheets, sheet_xml
from .pool import WritePool, read_in_pool
from .scan import SheetScan, scan_workbook, uses_1904_dates, without_cells_left_out

if TYPE_CHECKING:
    from openpyxl import Workbook

ROLLUP_NAME = "District Rollup.xlsx"
# Reading in a process pool pays for itself from this many workbooks on.
PARALLEL_FROM = 24
MAX_WORKERS = 4
# A temporary file written beside its target and moved over it; one older than LEFTOVER_AGE is what
# a killed run left behind.
LEFTOVER_AGE = dt.timedelta(hours=1)

_CORE_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")


# Extensions a copy of an .xlsx workbook may carry.
_COPY_EXTENSIONS = {"xlsx", "xlsm"}


class ExcelStore:
    """Workbooks at `<workbooks>/<school id>/<template title>.xlsx`, rollup in `<rollup>/`."""

    redraws_rollup = False  # its blocks of rows are kept drawn (rollup_file.py)

    def __init__(self, district: District, budget: Budget = BUDGET):
        self.district = district
        self.root = district.workbooks_dir
        self.budget = budget
        # Workbooks are labelled by their path from the district folder (resolved once: resolving
        # every path was a noticeable part of a quiet night).
        root_label = _label(self.root, district.base_dir)
        self._label_root = None if Path(root_label).is_absolute() else Path(root_label)
        self._writers: WritePool[WorkbookWrites, list[WriteOutcome]] | None = None
        # As text, and the school folders seen this run not to be links: a night looks at
        # thousands of workbooks, and most are plain files in plain folders (`_plain_file`).
        self._root_text = str(self.root)
        self._plain_folders: set[str] = set()

    @classmethod
    def check_folders(cls, district: District, *, for_sync: bool) -> None:
        """The workbooks folder must be a folder (and, for a sync, exist already)."""
        workbooks = district.workbooks_dir
        if workbooks.exists() and not workbooks.is_dir():
            raise ConfigError(f"workbooks: {workbooks} is a file, not a folder")
        if for_sync and not workbooks.exists():
            raise ConfigError(
                f"workbooks: the folder {workbooks} does not exist (run `plansync provision` "
                "first, or fix the path)"
            )

    # -- finding -------------------------------------------------------------------------------

    def locate(self, school: School, template: Template) -> WorkbookRef:
        name = f"{template.title}.xlsx"
        location = os.path.join(self._root_text, school.id, name)
        if self._label_root is None:
            label = _label(Path(location), self.district.base_dir)
        else:
            label = os.path.join(self._label_root, school.id, name)
        return WorkbookRef(school.id, template.id, location, label)

    def exists(self, ref: WorkbookRef) -> bool:
        """Anything at the path counts (provisioning never replaces a folder, pipe or link
        someone put there: the sync reports it instead)."""
        return os.path.lexists(ref.location)

    def stray_copies(self, school: School, templates: tuple[Template, ...]) -> list[StrayCopy]:
        """Files in the school's folder named like a copy of one of its workbooks. Excel's lock
        files (`~$PM Tool.xlsx`) and the sync's own temporary files are not copies."""
        folder = self.root / school.id
        try:  # the folder's listing says which entries are files, without a look at each
            with os.scandir(folder) as entries:
                names = sorted(entry.name for entry in entries if entry.is_file())
        except OSError:
            return []
        found = []
        for name in names:
            stem, dot, extension = name.rpartition(".")
            if not dot or extension.casefold() not in _COPY_EXTENSIONS:
                continue
            if name.startswith(("~$", TEMPORARY_PREFIX)):
                continue
            for template in templates:
                if looks_like_copy(stem, template.title):
                    found.append(StrayCopy(template.id, name))
                    break
        return found

    # -- reading -------------------------------------------------------------------------------

    def version(self, ref: WorkbookRef) -> str:
        plain = self._plain_file(ref.location)
        if plain is not None:
            return _version_of(plain)
        return _version(self._file(ref), ref)

    def _plain_file(self, location: str) -> os.stat_result | None:
        """The file's status when it is the usual case, a regular file in its school's own
        folder with no link on the way (one system call); None for anything else, which
        `_file` looks at closely."""
        folder = os.path.dirname(location)
        if os.path.dirname(folder) != self._root_text:
            return None
        if folder not in self._plain_folders:
            if os.path.islink(folder):
                return None
            self._plain_folders.add(folder)
        try:
            info = os.lstat(location)
        except OSError:
            return None
        return info if stat.S_ISREG(info.st_mode) else None

    def digest(self, ref: WorkbookRef) -> str | None:
        try:
            return _digest(read_capped(self._file(ref), ref.label, self.budget))
        except (OSError, StoreError):
            return None

    def read(self, ref: WorkbookRef, skip: tuple[str, ...] = ()) -> RawWorkbook:
        return read_xlsx(Path(ref.location), ref, skip, self.root, self.budget)

    def read_many(self, requests: list[ReadRequest]) -> Iterator[RawWorkbook | StoreError]:
        """Parse (and pack) on every core when there are enough workbooks to pay for starting
        processes; there, a workbook that takes longer than its budget is given up (its worker
        is ended and replaced) and reported."""
        read = functools.partial(_read_request, root=self.root, budget=self.budget)
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
        if workers < 2 or len(requests) < PARALLEL_FROM:
            yield from map(read, requests)
            return
        yield from read_in_pool(read, requests, workers, self.budget)

    @functools.cached_property
    def _real_root(self) -> Path:
        return self.root.resolve()

    def _file(self, ref: WorkbookRef) -> Path:
        """The regular file to read for `ref` (see guard.regular_file)."""
        if self._plain_file(ref.location) is not None:  # nothing to resolve
            folder, name = os.path.split(ref.location)
            return self._real_root / os.path.basename(folder) / name
        path = Path(ref.location)
        try:
            return regular_file(path, self.root, ref.label)
        except FileNotFoundError:
            raise saved_as_other(path) or WorkbookMissing(
                f"The file {ref.label} is not there: it may have been moved, renamed or deleted."
            ) from None
        except OSError as error:
            raise WorkbookUnreadable(
                f"The file {ref.label} cannot be reached ({error.strerror})."
            ) from None

    # -- writing -------------------------------------------------------------------------------

    def create(self, ref: WorkbookRef, plan: WorkbookPlan) -> WorkbookRef:
        path = Path(ref.location)
        from .render import plan_workbook  # openpyxl is slow to import and only writes

        reason = self.refusal(ref)
        if not reason:
            path.parent.mkdir(parents=True, exist_ok=True)
            reason = self.refusal(ref)  # the folder just made may be reached through a link
        if reason:
            raise WorkbookNotAFile(f"{ref.label} was not created: {reason}")
        _save_new(plan_workbook(plan), path)
        return ref

    def refusal(self, ref: WorkbookRef) -> str | None:
        folder = Path(ref.location).parent
        if os.path.lexists(folder) and not folder.is_dir():
            # A link to itself or to nothing, or a file: mkdir would find something there.
            what = "a link that leads to no folder" if folder.is_symlink() else "not a folder"
            return (
                f"the school's folder {folder.name} is {what}. Put the school's folder itself "
                "there."
            )
        if not folder.exists():
            renamed = renamed_folder(folder)
            if renamed:  # new workbooks there would hide the school's own from the sync
                return (
                    f"the school's folder {folder.name} is not there, but there is “{renamed}”. "
                    f"Rename it {folder.name} rather than start new workbooks beside it."
                )
        elif (real := leads_out(folder, self.root)) is not None:
            return f"its folder leads to {real}, outside the district's workbooks folder."
        return None

    def share(
        self, ref: WorkbookRef, school: School, dry_run: bool = False
    ) -> list[tuple[str, str]]:
        """Files on disk are shared by their folder's permissions, which the sync leaves alone."""
        return []

    def migrate(self, ref: WorkbookRef, changes: WorkbookChanges, version: str) -> str | None:
        path = Path(ref.location)
        lock = open_elsewhere(path)
        if lock:
            raise WorkbookBusy(
                f"The workbook is open in a spreadsheet program ({lock} is beside it), so it was "
                "not migrated. Run `plansync migrate` again once the file is closed."
            )
        if read_only(path) or read_only(path.parent):
            raise WorkbookBusy(
                "The file or its folder is marked read-only, so it was not migrated."
            )
        remove_leftovers(path.parent)

        def still_as_read() -> None:
            if _version(path, ref) != version:
                raise WorkbookBusy(
                    "The workbook changed while it was being migrated, so it was left as it is. "
                    "Run `plansync migrate` again."
                )

        still_as_read()
        # The dropdowns' choices sit beside the stamp (layout.LISTS_COLUMN); a new stamp keeps them.
        beside = _lists_beside_the_stamp(path, ref) if changes.stamp is not None else []
        try:
            migrate_package(path, changes, before_replace=still_as_read, stamp_beside=beside)
        except PackageError as error:
            raise WorkbookBusy(f"The workbook could not be migrated: {error}.") from None
        except OSError as error:
            raise WorkbookBusy(
                f"The workbook could not be migrated ({error.strerror or error}); it is unchanged."
            ) from None
        return _version(path, ref)

    def relocate(self, ref: WorkbookRef, to: WorkbookRef) -> WorkbookRef:
        """Move the school's folder to its new name (everything in it goes along), or, when a
        folder of the new name is there already, the one file into it."""
        source, target = Path(ref.location), Path(to.location)
        self._writable(source, "moved to the school's new id")
        try:
            if not target.parent.exists() and source.parent != self.root:
                source.parent.rename(target.parent)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                source.rename(target)
        except OSError as error:
            raise WorkbookBusy(
                f"The workbook could not be moved to {to.label} ({error.strerror or error}); it "
                "stays where it is and is moved on a later run."
            ) from None
        return to

    def restamp(self, ref: WorkbookRef, stamp: dict[str, str]) -> None:
        path = Path(ref.location)
        self._writable(path, "re-stamped")
        sheet = OutSheet(STAMP_TAB, widths=[16, 40])
        beside = _lists_beside_the_stamp(path, ref)
        for index in range(max(len(stamp), len(beside))):
            key, value = list(stamp.items())[index] if index < len(stamp) else (None, None)
            sheet.add(key, value, *(beside[index] if index < len(beside) else []))
        try:
            put_sheet(path, STAMP_TAB, sheet_xml(sheet, protect=False))
        except (PackageError, OSError) as error:
            raise WorkbookBusy(f"The workbook's stamp could not be written: {error}.") from None

    def _rewritable(
        self, ref: WorkbookRef, version: str, words: _Rewrite
    ) -> tuple[Path, Callable[[], None]]:
        """The regular file to rewrite for `ref` (a link inside the district is followed: its
        target is written and the link stays a link), once it is known to be closed, writable
        and still at `version`; and the check that it still is, to run again just before the
        new file takes its place. WorkbookBusy, in `words`, when it is not."""
        path = self._file(ref)
        lock = open_elsewhere(Path(ref.location)) or open_elsewhere(path)
        if lock:
            raise WorkbookBusy(
                f"The workbook is open in a spreadsheet program ({lock} is beside it), so "
                f"{words.what} was not updated. It will be on the first run after the file is "
                "closed."
            )
        if read_only(path) or read_only(path.parent):
            raise WorkbookBusy(words.read_only(read_only(path)))
        remove_leftovers(path.parent)

        def still_as_read() -> None:
            if _version(path, ref) != version:
                raise WorkbookBusy(
                    f"The workbook changed while the sync was running, so {words.what} was not "
                    f"updated (nothing anyone typed was overwritten). It will be next run."
                )

        still_as_read()
        return path, still_as_read

    def write_roster(self, ref: WorkbookRef, names: tuple[str, ...], version: str) -> str | None:
        """Rewrite the stamp tab with its roster column holding `names` (the stamp and the
        dropdowns' choices beside it kept as they are): the stamp sheet alone, at the package
        level, replacing the file in one step, and only if nobody saved it since `version`."""
        path, still_as_read = self._rewritable(ref, version, _ROSTER_WORDS)
        found = _package_and_stamp(path, ref)
        if found is None:
            raise WorkbookBusy(
                f"The workbook has no hidden {STAMP_TAB} tab, so the roster its person columns "
                "offer was not updated. `plansync migrate` adds it."
            )
        package, rows = found
        try:
            with package:
                put_sheet(path, STAMP_TAB, _stamp_xml(rows, names), still_as_read, package)
            return _version(path, ref)
        except PackageError as error:
            raise WorkbookBusy(f"The roster could not be written: {error}.") from None
        except OSError as error:  # a full disk, a network folder gone: this file only
            raise WorkbookBusy(
                f"The roster could not be written ({error.strerror or error}); the workbook is "
                "unchanged."
            ) from None

    def add_rows(self, ref: WorkbookRef, sheet: str, cells: dict[tuple[int, int], Any]) -> int:
        path = self._file(ref)  # a regular file inside the district, through a link if need be
        self._writable(path, "written to")
        try:
            return fill_cells(path, sheet, cells)
        except (PackageError, OSError) as error:
            raise WorkbookBusy(f"The rows could not be written into {sheet!r}: {error}.") from None

    @staticmethod
    def _writable(path: Path, doing: str) -> None:
        lock = open_elsewhere(path)
        if lock:
            raise WorkbookBusy(
                f"The workbook is open in a spreadsheet program ({lock} is beside it), so it "
                f"was not {doing}. Close it and run the command again."
            )
        if read_only(path) or read_only(path.parent):
            raise WorkbookBusy(f"The workbook or its folder is read-only, so it was not {doing}.")

    def start_writers(self, workbooks: int) -> None:
        """Fork the worker processes that rewrite workbooks, when there are enough workbooks
        to pay for them (see write_many)."""
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
        # Forking a process is only sound where it is the norm.
        wanted = workers >= 2 and workbooks >= PARALLEL_FROM and sys.platform == "linux"
        if wanted and self._writers is None:
            self._writers = WritePool(self._write_job, workers)

    def write_many(self, jobs: Iterable[WorkbookWrites]) -> Iterator[list[WriteOutcome]]:
        """Rewrite the workbooks in the worker processes start_writers forked, if it did: a
        rewrite is mostly copying and compressing, which the sync's own process would otherwise
        do alone while it plans the next ones. A workbook's writes stay in one worker, in their
        order. Without workers, one after another here."""
        if self._writers is None:
            yield from map(self._write_job, jobs)
            return
        yield from self._writers.carry_out(jobs)

    def _write_job(self, job: WorkbookWrites) -> list[WriteOutcome]:
        """A workbook's summary and roster copy in one rewrite of its package when it gets both
        (a PM Tool on a school's first night, or the night its team changed); otherwise, or when
        anything keeps that from working, one write after another, each failure in its own
        words (see write_summary and write_roster)."""
        if [write.kind for write in job.writes] == ["summary", "roster"]:
            summary, roster = job.writes
            assert summary.sheet is not None
            try:
                version = self._write_summary_and_roster(
                    job.ref, summary.sheet, roster.names, summary.version
                )
            except (StoreError, PackageError, OSError):
                pass  # nothing was written: the file is replaced in one step or not at all
            else:
                done = WriteOutcome(version, self.digest(job.ref))
                return [done, done]
        return write_in_turn(self, job)

    def _write_summary_and_roster(
        self, ref: WorkbookRef, sheet: OutSheet, names: tuple[str, ...], version: str
    ) -> str:
        path, still_as_read = self._rewritable(ref, version, _SUMMARY_WORDS)
        found = _package_and_stamp(path, ref)
        if found is None:
            raise WorkbookBusy("no stamp tab")
        package, rows = found
        parts = {sheet.name: sheet_xml(sheet), STAMP_TAB: _stamp_xml(rows, names)}
        with package:
            put_sheets(path, parts, still_as_read, package)
        return _version(path, ref)

    def write_summary(self, ref: WorkbookRef, sheet: OutSheet, version: str) -> str | None:
        path, still_as_read = self._rewritable(ref, version, _SUMMARY_WORDS)
        try:
            put_sheet(path, sheet.name, sheet_xml(sheet), before_replace=still_as_read)
            return _version(path, ref)
        except PackageError as error:
            raise WorkbookBusy(f"The summary tab could not be written: {error}.") from None
        except PermissionError:
            raise WorkbookBusy(
                "The sync is not allowed to write to this file or its folder, so the summary tab "
                "was not updated."
            ) from None
        except OSError as error:  # a full disk, a network folder gone: this file only
            raise WorkbookBusy(
                f"The summary tab could not be written in {path.parent} "
                f"({error.strerror or error}); the workbook is unchanged."
            ) from None

    def rollup_location(self) -> str:
        return str(self.district.rollup_dir / ROLLUP_NAME)

    def rollup_exists(self) -> bool:
        return Path(self.rollup_location()).is_file()

    def finish(self) -> None:
        """Nothing to keep (files are written as the run goes); the write workers end."""
        if self._writers is not None:
            self._writers.close()
            self._writers = None

    def write_rollup(self, sheets: list[OutSheet], drawn: DrawnRows | None = None) -> str:
        path = self.district.rollup_dir / ROLLUP_NAME
        if read_only(path) or read_only(path.parent):
            raise RollupNotWritten(
                f"The rollup was not written: {path if read_only(path) else path.parent} is "
                "marked read-only. Make it writable and run the sync again."
            )
        from .rollup_file import write_rollup_file  # openpyxl is slow to import, only writes

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            remove_leftovers(path.parent)
            write_replacing(path, lambda temporary: write_rollup_file(sheets, temporary, drawn))
        except OSError as error:
            raise RollupNotWritten(
                f"The rollup could not be written to {path} ({error.strerror or error}). The "
                "previous rollup, if any, is unchanged."
            ) from None
        return str(path)


# -- reading helpers -------------------------------------------------------------------------------


def read_file(path: Path) -> RawWorkbook:
    """Every worksheet of the .xlsx file at `path`, outside any district (`plansync check`)."""
    return read_xlsx(path, WorkbookRef("", "", str(path), str(path)))


def write_file(path: Path, sheets: list[OutSheet]) -> None:
    """Write sheets as an .xlsx file at `path`, outside any district (`plansync export`),
    replacing a file there in one step. Text is written as text, never run as a formula. Raises
    OSError when the file cannot be written."""
    from .rollup_file import write_rollup_file  # openpyxl is slow to import, only writes

    write_replacing(path, lambda temporary: write_rollup_file(sheets, temporary))


def _lists_beside_the_stamp(path: Path, ref: WorkbookRef) -> list[list[Any]]:
    """The stamp tab's cells from its third column on (the roster, layout.ROSTER_COLUMN, and the
    dropdowns' choices, layout.LISTS_COLUMN), row by row, so that a new stamp keeps them."""
    return [row[2:] for row in _stamp_rows(path, ref) or []]


@dataclass(frozen=True)
class _Rewrite:
    """How the sync names what it did not write into a workbook, and why a read-only file or
    folder stopped it (`file_itself`: the file is read-only, not only its folder)."""

    what: str
    read_only: Callable[[bool], str]


_SUMMARY_WORDS = _Rewrite(
    "the summary tab",
    lambda file_itself: (
        f"The {'file' if file_itself else 'folder holding the file'} is marked read-only, so the "
        "summary tab was not updated. Make it writable again if the coach summary should stay "
        "up to date."
    ),
)
_ROSTER_WORDS = _Rewrite(
    "the roster its person columns offer",
    lambda _file_itself: (
        "The workbook or its folder is marked read-only, so the roster its person columns offer "
        "was not updated."
    ),
)


def _stamp_xml(rows: list[list[Any]], names: tuple[str, ...]) -> bytes:
    """The stamp tab as it was, with its roster column holding `names` under its title."""
    roster = [ROSTER_TITLE, *names]
    sheet = OutSheet(STAMP_TAB, widths=[16, 40])
    for index in range(max(len(rows), len(roster))):
        cells = list(rows[index]) if index < len(rows) else []
        cells += [None] * (ROSTER_COLUMN - len(cells))
        cells[ROSTER_COLUMN - 1] = roster[index] if index < len(roster) else None
        sheet.add(*cells)
    return sheet_xml(sheet, protect=False)


def _stamp_rows(path: Path, ref: WorkbookRef) -> list[list[Any]] | None:
    """The stamp tab's cells row by row (None for an empty one), or None when the workbook has
    no stamp tab or cannot be read."""
    found = _package_and_stamp(path, ref)
    if found is None:
        return None
    found[0].close()
    return found[1]


def _package_and_stamp(
    path: Path, ref: WorkbookRef
) -> tuple[zipfile.ZipFile, list[list[Any]]] | None:
    """The workbook's package (its bytes read once, within the budget, and held in memory: a
    rewrite copies its parts from there) and its stamp tab's cells row by row; None when it has
    no stamp tab or cannot be read. Only that tab is parsed: a tenth of reading every tab, for
    each of a district's thousands of roster copies."""
    try:
        data = read_capped(path, ref.label, BUDGET)
        package = zipfile.ZipFile(io.BytesIO(data))
        check_expansion(package, ref.label, BUDGET)
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
            name = next((n for n in book.sheet_names if n.casefold() == STAMP_TAB), None)
            if name is None:
                return None
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - unreadable, for whatever reason: no stamp to keep
        return None
    return package, [[None if v == "" else v for v in row] for row in rows]


def read_xlsx(
    path: Path,
    ref: WorkbookRef,
    skip: tuple[str, ...] = (),
    root: Path | None = None,
    budget: Budget = BUDGET,
) -> RawWorkbook:
    """Every worksheet's values (except `skip`), with merges, visibility and the last save time,
    and packed as the state store keeps them.

    The file is read once: the same bytes are hashed, scanned and parsed. Error cells and formulas
    without a saved result, which calamine reads as empty, come from the sheet XML (scan); so do
    cells too far out to read, which are left out and reported.

    Only a regular file is read (a link to one inside `root`, by default the file's own folder),
    and only within `budget`.
    """
    with contextlib.suppress(FileNotFoundError):  # _version says what is missing
        path = regular_file(path, root or path.resolve().parent, ref.label)
    version = _version(path, ref)
    try:
        data = read_capped(path, ref.label, budget)
    except OSError as error:
        raise WorkbookUnreadable(
            f"The file {ref.label} cannot be read ({error.strerror})."
        ) from None
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - not a zip at all: say what it is
        raise why_unreadable(path) from None
    with package:
        check_expansion(package, ref.label, budget)
        try:
            scans = scan_workbook(package, skip)
            modified = _core_modified(package)
            date1904 = uses_1904_dates(package)
            source = without_cells_left_out(package, scans) if _trimmed(scans) else io.BytesIO(data)
        except Exception:  # noqa: BLE001 - any parser failure is one unreadable workbook
            raise why_unreadable(path) from None
    skipped = {name.casefold() for name in skip}
    try:
        with python_calamine.CalamineWorkbook.from_filelike(source) as book:
            sheets = [
                _raw_sheet(book, meta, scans.get(meta.name))
                for meta in book.sheets_metadata
                if meta.name.casefold() not in skipped
                and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
            ]
    except Exception:  # noqa: BLE001 - any parser failure is one unreadable workbook, not a crash
        raise why_unreadable(path) from None
    packed = pack_sheets(sheets)
    return RawWorkbook(
        ref,
        sheets,
        modified or _file_time(path),
        version,
        _digest(data),
        content=packed.content,
        packed=packed.sheets,
        date1904=date1904,
    )


def _trimmed(scans: dict[str, SheetScan]) -> bool:
    return any(scan.trimmed for scan in scans.values())


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _read_request(
    request: ReadRequest, root: Path | None = None, budget: Budget = BUDGET
) -> RawWorkbook | StoreError:
    """One read, as a top-level function so that a process pool can run it."""
    try:
        return read_xlsx(Path(request.ref.location), request.ref, request.skip, root, budget)
    except StoreError as error:
        return error
    except MemoryError:
        return too_much_memory(request.ref.label)


def _label(path: Path, base: Path) -> str:
    """The workbook's path as a person finds it: from the district folder, links not followed
    (the label names where the workbook should be, whatever is there)."""
    with contextlib.suppress(ValueError):
        return str(Path(os.path.normpath(path)).relative_to(os.path.normpath(base)))
    with contextlib.suppress(ValueError, OSError, RuntimeError):
        return str(path.parent.resolve().relative_to(base.resolve()) / path.name)
    return str(path)


def _version(path: Path, ref: WorkbookRef) -> str:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise saved_as_other(path) or WorkbookMissing(
            f"The file {ref.label} is not there: it may have been moved, renamed or deleted."
        ) from None
    except OSError as error:
        raise WorkbookUnreadable(
            f"The file {ref.label} cannot be reached ({error.strerror})."
        ) from None
    return _version_of(info)


def _version_of(info: os.stat_result) -> str:
    # The inode too: a program that saves by writing a new file and moving it into place (Excel,
    # LibreOffice, a restored backup with its old time) always changes it.
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


def _raw_sheet(
    book: python_calamine.CalamineWorkbook,
    meta: python_calamine.SheetMetadata,
    scan: SheetScan | None,
) -> RawSheet:
    sheet = book.get_sheet_by_name(meta.name)
    rows = sheet.to_python(skip_empty_area=False)
    merged = [
        (first[0] + 1, first[1] + 1, last[0] + 1, last[1] + 1)
        for first, last in (sheet.merged_cell_ranges or [])
    ]
    hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
    left_out = []
    if scan is not None:
        _put_unread_cells(rows, scan.unread)
        left_out = [a1(row, column) for row, column in scan.left_out]
    return RawSheet(meta.name, rows, hidden=hidden, merged=merged, left_out=left_out)


def _put_unread_cells(rows: list[list], unread: dict[tuple[int, int], object]) -> None:
    """Error cells and formulas without a result in place of the '' calamine read for them."""
    for (row, column), value in unread.items():
        while len(rows) < row:
            rows.append([])
        cells = rows[row - 1]
        if len(cells) < column:
            cells.extend([""] * (column - len(cells)))
        cells[column - 1] = value


def _core_modified(package: zipfile.ZipFile) -> dt.datetime | None:
    """When a person last saved the file, from the package's own properties (docProps/core.xml).

    The file's modification time would also move when the sync writes the summary tab; the
    properties record the spreadsheet program's last save and the sync never touches them.
    """
    try:
        match = _CORE_MODIFIED.search(package.read("docProps/core.xml"))
        if match:
            stamp = dt.datetime.fromisoformat(
                match.group(1).decode().strip().replace("Z", "+00:00")
            )
            return stamp.astimezone().replace(tzinfo=None) if stamp.tzinfo else stamp
    except (KeyError, ValueError, zipfile.BadZipFile):
        pass
    return None


def _file_time(path: Path) -> dt.datetime | None:
    with contextlib.suppress(OSError):
        return dt.datetime.fromtimestamp(path.stat().st_mtime)
    return None


def read_only(path: Path) -> bool:
    """Marked read-only: nobody may write it (checked on the permission bits, so that it holds
    for a sync running as an administrator too)."""
    try:
        return not path.stat().st_mode & 0o222
    except OSError:
        return False


def remove_leftovers(folder: Path, older_than: dt.timedelta = LEFTOVER_AGE) -> None:
    """Delete temporary files a killed run left in `folder` (a finished or failed write removes
    its own; a young one may belong to a write still going on, so it is left)."""
    limit = (dt.datetime.now() - older_than).timestamp()
    with contextlib.suppress(OSError):
        for leftover in folder.glob(f"{TEMPORARY_PREFIX}*"):
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < limit:
                    leftover.unlink()


def open_elsewhere(path: Path) -> str | None:
    """The lock file Excel (~$name) or LibreOffice (.~lock.name#) leaves while the file is open."""
    candidates = [f"~${path.name}", f"~${path.name[2:]}", f".~lock.{path.name}#"]
    for name in candidates:
        if (path.parent / name).exists():
            return name
    return None


# -- saving ---------------------------------------------------------------------------------------


def _save_new(book: Workbook, path: Path) -> None:
    """Save, but never over anything that appeared meanwhile (provisioning never overwrites)."""
    from openpyxl.writer.excel import ExcelWriter

    with temporary_beside(path) as temporary:
        # ExcelWriter directly: Workbook.save() would overwrite the recorded save time.
        ExcelWriter(book, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED)).save()
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:  # file systems without hard links
            if os.path.lexists(path):
                raise FileExistsError(path) from None
            os.replace(temporary, path)
