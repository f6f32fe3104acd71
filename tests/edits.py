"""What a school (or district staff) does to its workbooks, on either backend, for the tests.

`ExcelEdits` changes .xlsx files the way a person in a spreadsheet program would (openpyxl load,
edit, save). `GoogleEdits` makes the same changes through the Sheets and Drive APIs as a signed-in
person, against the in-process fake, with gspread's HTTP client. Both also read back what the sync
wrote (a school's tabs, the district rollup) as rows of typed values, dates as dates.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import python_calamine
from google_fake import FakeGoogle
from google_fake_sheets import Sheet, quote
from gspread.http_client import HTTPClient
from gspread.urls import DRIVE_FILES_API_V3_URL
from plansync.catalog import standard_templates
from plansync.config import District
from plansync.google.registry import Registry
from plansync.grid import parse_a1

Grid = list[list[Any]]


def template_id(title: str) -> str:
    return next(t.id for t in standard_templates() if t.title == title)


class ExcelEdits:
    backend = "excel"

    def path(self, district: District, school: str, workbook: str = "PM Tool") -> Path:
        return district.workbooks_dir / school / f"{workbook}.xlsx"

    def _edit(self, district, school, workbook, change) -> None:
        path = self.path(district, school, workbook)
        book = openpyxl.load_workbook(path)
        change(book)
        book.save(path)

    def set_cells(self, district, school, tab, cells: dict[str, Any], workbook="PM Tool") -> None:
        def change(book):
            for ref, value in cells.items():
                book[tab][ref] = value

        self._edit(district, school, workbook, change)

    def rename_tab(self, district, school, tab, new_name, workbook="PM Tool") -> None:
        self._edit(district, school, workbook, lambda book: setattr(book[tab], "title", new_name))

    def hide_tab(self, district, school, tab, workbook="PM Tool") -> None:
        self._edit(
            district, school, workbook, lambda book: setattr(book[tab], "sheet_state", "hidden")
        )

    def delete_tab(self, district, school, tab, workbook="PM Tool") -> None:
        self._edit(district, school, workbook, lambda book: book.remove(book[tab]))

    def clear_row(self, district, school, tab, row: int, workbook="PM Tool") -> None:
        def change(book):
            for cell in book[tab][row]:
                cell.value = None

        self._edit(district, school, workbook, change)

    def merge(self, district, school, tab, cells: str, workbook="PM Tool") -> None:
        self._edit(district, school, workbook, lambda book: book[tab].merge_cells(cells))

    def insert_rows(self, district, school, tab, before: int, count: int, workbook="PM Tool"):
        self._edit(district, school, workbook, lambda book: book[tab].insert_rows(before, count))

    def rows(self, district, school, tab, workbook="PM Tool") -> Grid:
        book = openpyxl.load_workbook(self.path(district, school, workbook))
        return [list(row) for row in book[tab].iter_rows(values_only=True)]

    def delete_workbook(self, district, school, workbook) -> None:
        self.path(district, school, workbook).unlink()

    def copy_from(self, district, school, other_school, workbook="PM Tool") -> None:
        shutil.copy(
            self.path(district, other_school, workbook), self.path(district, school, workbook)
        )

    def make_unreadable(self, district, school, workbook) -> None:
        self.path(district, school, workbook).write_bytes(b"not a workbook")

    def make_stray_copy(self, district, school, workbook="PM Tool") -> str:
        """A copy beside the workbook, as Excel names one saved twice; returns its name."""
        source = self.path(district, school, workbook)
        copy = source.with_name(f"{source.stem} (1).xlsx")
        shutil.copy(source, copy)
        return copy.name

    def titles(self, district, school) -> list[str]:
        return sorted(p.stem for p in (district.workbooks_dir / school).glob("*.xlsx"))

    def version(self, district, school, workbook="PM Tool") -> bytes:
        """Changes whenever anything in the workbook changes: its bytes."""
        return self.path(district, school, workbook).read_bytes()

    def tabs(self, district, school, workbook="PM Tool") -> dict[str, Grid]:
        return _calamine(self.path(district, school, workbook))

    def rollup(self, location: str) -> dict[str, Grid]:
        return _calamine(Path(location))

    def rollup_location(self, district) -> str:
        return str(district.rollup_dir / "District Rollup.xlsx")


class GoogleEdits:
    backend = "google"

    def __init__(self, fake: FakeGoogle, person: str):
        self.fake = fake
        self.person = person
        self.http = HTTPClient(None, session=fake.session_as(person))

    def spreadsheet_id(self, district, school, workbook="PM Tool") -> str:
        registry = Registry.load(district.path(district.google.registry))
        return registry.entry(school, template_id(workbook)).id

    def _sheet(self, district, school, tab, workbook) -> tuple[str, Sheet]:
        key = self.spreadsheet_id(district, school, workbook)
        return key, self.fake.files[key].spreadsheet.sheet_named(tab)

    def _update(self, district, school, workbook, *requests) -> None:
        key = self.spreadsheet_id(district, school, workbook)
        self.http.batch_update(key, {"requests": list(requests)})

    def set_cells(self, district, school, tab, cells: dict[str, Any], workbook="PM Tool") -> None:
        key = self.spreadsheet_id(district, school, workbook)
        data = [
            {"range": f"{quote(tab)}!{ref}", "values": [[_typed(value)]]}
            for ref, value in cells.items()
        ]
        self.http.values_batch_update(key, {"valueInputOption": "RAW", "data": data})

    def set_formula(self, district, school, tab, ref: str, formula: str, workbook="PM Tool"):
        """Type a formula into one cell (what the fake shows for it: FakeGoogle.formula_shows)."""
        _, sheet = self._sheet(district, school, tab, workbook)
        row, column = parse_a1(ref)
        start = {"sheetId": sheet.id, "rowIndex": row - 1, "columnIndex": column - 1}
        cell = {"userEnteredValue": {"formulaValue": formula}}
        self._update(
            district,
            school,
            workbook,
            {
                "updateCells": {
                    "start": start,
                    "rows": [{"values": [cell]}],
                    "fields": "userEnteredValue",
                }
            },
        )

    def rename_tab(self, district, school, tab, new_name, workbook="PM Tool") -> None:
        _, sheet = self._sheet(district, school, tab, workbook)
        properties = {"sheetId": sheet.id, "title": new_name}
        self._update(
            district,
            school,
            workbook,
            {"updateSheetProperties": {"properties": properties, "fields": "title"}},
        )

    def hide_tab(self, district, school, tab, workbook="PM Tool") -> None:
        _, sheet = self._sheet(district, school, tab, workbook)
        properties = {"sheetId": sheet.id, "hidden": True}
        self._update(
            district,
            school,
            workbook,
            {"updateSheetProperties": {"properties": properties, "fields": "hidden"}},
        )

    def delete_tab(self, district, school, tab, workbook="PM Tool") -> None:
        _, sheet = self._sheet(district, school, tab, workbook)
        self._update(district, school, workbook, {"deleteSheet": {"sheetId": sheet.id}})

    def clear_row(self, district, school, tab, row: int, workbook="PM Tool") -> None:
        key = self.spreadsheet_id(district, school, workbook)
        self.http.values_clear(key, f"{quote(tab)}!{row}:{row}")

    def merge(self, district, school, tab, cells: str, workbook="PM Tool") -> None:
        _, sheet = self._sheet(district, school, tab, workbook)
        first, last = (parse_a1(ref) for ref in cells.split(":"))
        span = {
            "sheetId": sheet.id,
            "startRowIndex": first[0] - 1,
            "endRowIndex": last[0],
            "startColumnIndex": first[1] - 1,
            "endColumnIndex": last[1],
        }
        self._update(
            district, school, workbook, {"mergeCells": {"range": span, "mergeType": "MERGE_ALL"}}
        )

    def insert_rows(self, district, school, tab, before: int, count: int, workbook="PM Tool"):
        _, sheet = self._sheet(district, school, tab, workbook)
        span = {
            "sheetId": sheet.id,
            "dimension": "ROWS",
            "startIndex": before - 1,
            "endIndex": before - 1 + count,
        }
        self._update(district, school, workbook, {"insertDimension": {"range": span}})

    def rows(self, district, school, tab, workbook="PM Tool") -> Grid:
        _, sheet = self._sheet(district, school, tab, workbook)
        return _grid(sheet)

    def delete_workbook(self, district, school, workbook) -> None:
        key = self.spreadsheet_id(district, school, workbook)
        url = f"{DRIVE_FILES_API_V3_URL}/{key}"
        self.http.request("delete", url, params={"supportsAllDrives": "true"})

    def copy_from(self, district, school, other_school, workbook="PM Tool") -> None:
        """Put a copy of another school's spreadsheet where this school's is recorded."""
        source = self.spreadsheet_id(district, other_school, workbook)
        url = f"{DRIVE_FILES_API_V3_URL}/{source}/copy"
        copied = self.http.request("post", url, json={}, params={"supportsAllDrives": "true"})
        registry = Registry.load(district.path(district.google.registry))
        registry.entry(school, template_id(workbook)).id = copied.json()["id"]
        registry.save()

    def make_stray_copy(self, district, school, workbook="PM Tool") -> str:
        """Drive's "Make a copy" of the school's spreadsheet, left in the folder; its name."""
        source = self.spreadsheet_id(district, school, workbook)
        url = f"{DRIVE_FILES_API_V3_URL}/{source}/copy"
        copied = self.http.request("post", url, json={}, params={"supportsAllDrives": "true"})
        return self.fake.files[copied.json()["id"]].name

    def make_unreadable(self, district, school, workbook) -> None:
        """Access revoked: every request for this spreadsheet is refused with 403."""
        self.fake.fail(403, times=None, file_id=self.spreadsheet_id(district, school, workbook))

    def titles(self, district, school) -> list[str]:
        registry = Registry.load(district.path(district.google.registry))
        templates = {t.id: t.title for t in standard_templates()}
        return sorted(
            templates[template]
            for template, entry in registry.schools.get(school, {}).items()
            if entry.id in self.fake.files
        )

    def version(self, district, school, workbook="PM Tool") -> int:
        """Changes whenever anything in the spreadsheet changes: Drive's version number."""
        return self.fake.files[self.spreadsheet_id(district, school, workbook)].version

    def tabs(self, district, school, workbook="PM Tool") -> dict[str, Grid]:
        key = self.spreadsheet_id(district, school, workbook)
        return _tabs(self.fake, key)

    def rollup(self, location: str) -> dict[str, Grid]:
        return _tabs(self.fake, location.rstrip("/").rsplit("/", 1)[-1])

    def rollup_location(self, district) -> str:
        registry = Registry.load(district.path(district.google.registry))
        return f"https://docs.google.com/spreadsheets/d/{registry.rollup}"


def _typed(value: Any) -> Any:
    """A value as a person's RAW input: dates become serial day numbers, blanks clear."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    if isinstance(value, dt.date):
        return (value - dt.date(1899, 12, 30)).days
    return value


def _tabs(fake: FakeGoogle, key: str) -> dict[str, Grid]:
    sheets = sorted(fake.files[key].spreadsheet.sheets, key=lambda s: s.properties["index"])
    return {sheet.title: _grid(sheet) for sheet in sheets}


def _grid(sheet: Sheet) -> Grid:
    """A tab's values as a spreadsheet program shows them: dates formatted as dates are dates."""
    if not sheet.cells:
        return []
    height = max(row for row, _ in sheet.cells) + 1
    width = max(column for _, column in sheet.cells) + 1
    grid = [["" for _ in range(width)] for _ in range(height)]
    for (row, column), cell in sheet.cells.items():
        value = sheet.value(row, column)
        number_format = cell.get("userEnteredFormat", {}).get("numberFormat", {})
        if isinstance(value, int | float) and number_format.get("type") == "DATE":
            moment = dt.datetime(1899, 12, 30) + dt.timedelta(days=value)
            value = moment if "h" in number_format.get("pattern", "") else moment.date()
        grid[row][column] = "" if value is None else value
    while grid and all(v == "" for v in grid[-1]):
        grid.pop()
    return grid


def _calamine(path: Path) -> dict[str, Grid]:
    with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
        return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
