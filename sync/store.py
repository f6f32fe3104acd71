"""The store: where a district's workbooks live (Excel files in folders, or Google Sheets).

Everything above this module talks to a `Store` and never to openpyxl, calamine or gspread. A store
finds a school's workbook, reads it as plain grids of values, creates one from a plan, writes the
coach summary tab into it and writes the district rollup.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from .config import District, School
from .grid import OutSheet
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

    @property
    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.sheets]


class Store(Protocol):
    """What the sync needs from a backend."""

    def locate(self, school: School, template: Template) -> WorkbookRef:
        """Where this school's copy of this template is (or would be created)."""

    def exists(self, ref: WorkbookRef) -> bool:
        """Whether the workbook is there."""

    def read(self, ref: WorkbookRef, skip: tuple[str, ...] = ()) -> RawWorkbook:
        """Every tab's values except the `skip` tabs; raises a StoreError subclass."""

    def create(self, ref: WorkbookRef, plan: WorkbookPlan) -> None:
        """Write a new workbook from a plan. The caller has checked that it does not exist."""

    def write_summary(self, ref: WorkbookRef, sheet: OutSheet, version: str) -> None:
        """Replace (or add) the summary tab and touch nothing else; raise WorkbookBusy if the
        workbook is open or no longer at `version`."""

    def write_rollup(self, sheets: list[OutSheet]) -> str:
        """Write the district rollup and return where it is."""


def open_store(district: District) -> Store:
    """The store the config asks for."""
    from .excel_store import ExcelStore

    return ExcelStore(district)
