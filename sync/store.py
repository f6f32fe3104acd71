"""The store: the seam between plansync and wherever a district's workbooks live.

Everything above this module talks to a `Store` and never to a spreadsheet library. A store finds a
school's workbook, reads it as plain grids of values, creates one from a plan, shares it with the
school's people, writes the coach summary tab into it and writes the district rollup. Each backend
implements it in its own subpackage (excel/, google/); `open_store` below picks one for a
district. This module imports no backend: `open_store` loads the one `backends.py` names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from .backends import BACKENDS, load
from .changes import WorkbookChanges
from .config import District, School
from .errors import ConfigError, StoreError
from .grid import DrawnRows, OutSheet
from .layout import WorkbookPlan
from .templates import Template


@dataclass(frozen=True)
class WorkbookRef:
    """Where one school's copy of one template lives."""

    school_id: str
    template_id: str
    # A file path (Excel) or a spreadsheet id (Google).
    location: str
    # How a person finds it: a path relative to the district folder, or a spreadsheet URL.
    label: str


@dataclass
class RawSheet:
    """One tab as stored: `rows[0]` is row 1, `rows[r][c]` is the cell at row r+1, column c+1."""

    name: str
    rows: list[list[Any]]
    hidden: bool = False
    # Merged areas as 1-based (first_row, first_col, last_row, last_col).
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    # Cells ("XFD1048576") holding something so far out that reading them would make the tab too
    # large to read: left out of `rows`, and reported.
    left_out: list[str] = field(default_factory=list)


@dataclass
class RawWorkbook:
    ref: WorkbookRef
    sheets: list[RawSheet]
    # When a person last saved it (the file's own record, not when the sync last wrote to it).
    modified: dt.datetime | None
    # What identifies this exact content; write-back refuses to write over any other version.
    version: str
    # A hash of the stored content, to tell a file saved without changes from an edited one.
    digest: str | None = None
    # A hash of what was read of it (the school's tabs, not the summary the sync writes): the
    # same as long as nobody changes those tabs, whatever else happens to the file.
    content: str | None = None
    # The tabs as the state store keeps them. The backend packs them (packing.pack_sheets, which
    # gives `content` too) where it reads the workbook, so that packing is spread over the cores
    # when reading is.
    packed: bytes | None = None
    # The workbook counts dates from 1904 (Excel for Mac files may): a bare number in a date
    # column is then a day count from 1904-01-01, not from 1899-12-30.
    date1904: bool = False

    @property
    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.sheets]


@dataclass(frozen=True)
class ReadRequest:
    ref: WorkbookRef
    # Tabs not to read (the summary tab the sync writes itself).
    skip: tuple[str, ...] = ()


class Store(Protocol):
    """What the sync needs from a backend. A store is made with the district: `Store(district)`."""

    @classmethod
    def check_folders(cls, district: District, *, for_sync: bool) -> None:
        """A ConfigError naming the key when a folder this backend keeps workbooks in cannot be
        used (for a sync, it must exist already). Called before the store is opened, so that a
        bad config stops the command before anything is signed in to or written."""

    def locate(self, school: School, template: Template) -> WorkbookRef:
        """Where this school's copy of this template is (or would be created)."""

    def exists(self, ref: WorkbookRef) -> bool:
        """Whether the workbook is there."""

    def version(self, ref: WorkbookRef) -> str | None:
        """What identifies the workbook's current state, cheaply (no content is read), or None
        when the store cannot tell without reading it; raises a StoreError subclass when it is
        missing or out of reach."""

    def digest(self, ref: WorkbookRef) -> str | None:
        """A hash of the workbook's content, or None when the backend cannot tell."""

    def read(self, ref: WorkbookRef, skip: tuple[str, ...] = ()) -> RawWorkbook:
        """Every tab's values except the `skip` tabs, packed (`RawWorkbook.packed`); raises a
        StoreError subclass."""

    def read_many(self, requests: list[ReadRequest]) -> Iterator[RawWorkbook | StoreError]:
        """`read` for many workbooks, as fast as the backend allows. One result per request, in
        order; a StoreError stands for a workbook that could not be read."""

    def create(self, ref: WorkbookRef, plan: WorkbookPlan) -> WorkbookRef:
        """Write a new workbook from a plan and return where it now is. The caller has checked
        that it does not exist. Raises WorkbookNotAFile where `refusal` gives a reason."""

    def refusal(self, ref: WorkbookRef) -> str | None:
        """Why `create` would not write this missing workbook, as the end of a sentence naming
        it (None: it would), so that a dry run says what the real one will do."""

    def share(
        self, ref: WorkbookRef, school: School, dry_run: bool = False
    ) -> list[tuple[str, str]]:
        """Give the school's people the access the config asks for, unless given before; return
        the (email, role) grants made, or that would be made on a dry run."""

    def relocate(self, ref: WorkbookRef, to: WorkbookRef) -> WorkbookRef:
        """Make the workbook at `ref` (a school's, under a previous id) the one at `to` (the same
        school under its id now) and return where it now is: the Excel store moves the file
        (the whole folder when it can), the Google store re-labels the spreadsheet. Nothing in
        the workbook changes. Raises WorkbookBusy when it cannot."""

    def restamp(self, ref: WorkbookRef, stamp: dict[str, str]) -> None:
        """Replace the hidden stamp's entries with `stamp` and touch nothing else; raises
        WorkbookBusy when the workbook is open or cannot be written."""

    def write_roster(self, ref: WorkbookRef, names: tuple[str, ...], version: str) -> str | None:
        """Make the hidden stamp tab's roster column (layout.ROSTER_COLUMN, the person columns'
        dropdown) hold `names` under its title, touching nothing else; raise WorkbookBusy when
        the workbook is open, has no stamp tab or is no longer at `version`. Returns the
        workbook's new version."""

    def add_rows(self, ref: WorkbookRef, sheet: str, cells: dict[tuple[int, int], Any]) -> int:
        """Type values into empty cells of one tab: (row, column), both 1-based -> a str, number
        or date. A cell that already holds anything is left as it is. Returns how many cells
        were written; raises WorkbookBusy when the workbook is open or cannot be written."""

    def write_summary(self, ref: WorkbookRef, sheet: OutSheet, version: str) -> str | None:
        """Replace (or add) the summary tab and touch nothing else; raise WorkbookBusy if the
        workbook is open or no longer at `version`. Returns the workbook's new version."""

    def start_writers(self, workbooks: int) -> None:
        """Called before a night's reading, when about `workbooks` may be written back: a store
        that writes in worker processes may start them now, while the sync is small."""

    def write_many(self, jobs: Iterable[WorkbookWrites]) -> Iterator[list[WriteOutcome]]:
        """Carry out each workbook's writes (its summary tab, its roster copy) and yield their
        outcomes, a list per workbook, in the order the jobs come. A store may work on several
        workbooks at once; `write_in_turn` does one after another."""

    def migrate(self, ref: WorkbookRef, changes: WorkbookChanges, version: str) -> str | None:
        """Apply `plansync migrate`'s changes to the workbook (new tabs and columns, headers,
        dropdowns, the Instructions tab and the stamp) in one step, changing no cell a school
        typed; raise WorkbookBusy when it is open or no longer at `version`. Returns the
        workbook's new version."""

    def write_rollup(self, sheets: list[OutSheet], drawn: DrawnRows | None = None) -> str:
        """Write the district rollup and return where it is. A store may keep its sheets' blocks
        of rows in `drawn` as it drew them, and take them from there on a later night."""

    # Whether every row of the rollup is sent again each time it is written (nothing kept
    # drawn): a school's rollup rows are then kept with its findings, so that a night that does
    # not check it again need not unpack its tables to make them.
    redraws_rollup: bool

    def rollup_location(self) -> str:
        """Where the rollup is written."""

    def rollup_exists(self) -> bool:
        """Whether the rollup is there."""

    def stray_copies(self, school: School, templates: tuple[Template, ...]) -> list[StrayCopy]:
        """Files beside the school's workbooks whose names say they are copies of one of them
        (`looks_like_copy`), which nobody should type into. Never raises: a folder that cannot
        be listed has no copies to report."""

    def finish(self) -> None:
        """Called once at the end of a run, to keep what the store learnt during it."""


@dataclass(frozen=True)
class SheetWrite:
    """One write the sync makes into a school's workbook: its coach summary tab (`sheet`) or
    the roster copy on its stamp tab (`names`), expected to find the workbook at `version`
    (or at the version a write before it in the same job left)."""

    kind: Literal["summary", "roster"]
    version: str
    sheet: OutSheet | None = None
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkbookWrites:
    """The writes into one workbook in one night, in the order they are made."""

    ref: WorkbookRef
    writes: tuple[SheetWrite, ...]


@dataclass(frozen=True)
class WriteOutcome:
    """What came of one write: the workbook's new version and digest, or why it was not made."""

    version: str | None = None
    digest: str | None = None
    error: StoreError | None = None


def write_in_turn(store: Store, job: WorkbookWrites) -> list[WriteOutcome]:
    """A workbook's writes, one after another: a write that follows one that was made expects
    the version that one left; a write that fails leaves the workbook as it was."""
    outcomes = []
    made: str | None = None
    for write in job.writes:
        version = made or write.version
        try:
            if write.kind == "summary":
                assert write.sheet is not None
                made = store.write_summary(job.ref, write.sheet, version)
            else:
                made = store.write_roster(job.ref, write.names, version)
        except StoreError as error:
            outcomes.append(WriteOutcome(error=error))
            continue
        outcomes.append(WriteOutcome(made, store.digest(job.ref)))
    return outcomes


@dataclass(frozen=True)
class StrayCopy:
    """A file that looks like a copy of one of a school's workbooks."""

    template_id: str
    # Its name as a person sees it ("PM Tool (1).xlsx", "Copy of Lincoln Elementary · PM Tool").
    name: str


# How copies get their names: Excel and the file managers ("PM Tool (1)", "PM Tool - Copy",
# "PM Tool copy 2", "Copy of PM Tool"), and sync clients keeping both sides of a conflict
# (OneDrive's "PM Tool-DESKTOP-AB12", Dropbox's "PM Tool (Ana's conflicted copy 2026-11-20)").
_COPY_SUFFIX = (
    r"(?:\s*\(\d+\)|\s+-\s+copy(?:\s*\(\d+\))?|\s+copy(?:\s+\d+)?|-[A-Za-z0-9]+(?:-\d+)?"
    r"|\s*\([^)]*conflict[^)]*\)|\s+\d+)"
)


def looks_like_copy(name: str, title: str) -> bool:
    """Whether a file's name (without its extension) is a copy's name for the workbook `title`:
    'Copy of PM Tool', 'PM Tool (1)', 'PM Tool-DESKTOP-AB12'; never the title itself."""
    # Most names tested are a workbook's own or another template's: no pattern needed for those.
    name = name.strip()
    folded, wanted = name.casefold(), title.casefold()
    if folded == wanted or wanted not in folded:
        return False
    title = re.escape(title)
    pattern = rf"(?:copy of\s+)+{title}(?:{_COPY_SUFFIX})*|{title}(?:{_COPY_SUFFIX})+"
    return re.fullmatch(pattern, name, re.IGNORECASE) is not None


def open_store(district: District) -> Store:
    """The store the config asks for; a ConfigError when it cannot be opened (e.g. a bad key)."""
    store: Store = _store_class(district)(district)
    return store


def check_folders(district: District, *, for_sync: bool) -> None:
    """A ConfigError naming the key when a folder in the config cannot be used: first the
    backend's own (see Store.check_folders), then the rollup folder, which every backend keeps
    its state, history and lock in. Nothing is signed in to or written."""
    _store_class(district).check_folders(district, for_sync=for_sync)
    rollup = district.rollup_dir
    if rollup.exists() and not rollup.is_dir():
        raise ConfigError(f"rollup: {rollup} is a file, not a folder")


def read_file(path: Path) -> RawWorkbook:
    """Every tab of the workbook file at `path`, outside any district; a StoreError when it
    cannot be read."""
    reader = next(backend.read_file for backend in BACKENDS.values() if backend.read_file)
    workbook: RawWorkbook = load(reader)(path)
    return workbook


def write_file(path: Path, sheets: list[OutSheet]) -> None:
    """Write sheets as one new spreadsheet file at `path` (an .xlsx), outside any district and
    whatever the district's backend; an OSError when it cannot be written."""
    writer = next(backend.write_file for backend in BACKENDS.values() if backend.write_file)
    load(writer)(path, sheets)


def _store_class(district: District) -> Any:
    return load(BACKENDS[district.backend].store)
