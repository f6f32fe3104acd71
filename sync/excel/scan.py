"""What calamine cannot tell about a worksheet, read from the worksheet's own XML.

python-calamine reads a cell showing an error (#REF!, #N/A, #DIV/0!) and a formula whose result was
never saved both as '' (the same as an empty cell), and it builds each worksheet as one dense grid
from A1 to its last cell: a single value typed at XFD1048576 would need half a terabyte, and the
process would abort. So before calamine reads a workbook, each worksheet part is looked at here:

* plain byte searches decide whether the sheet can hold an error cell, a formula without a result,
  or a cell far enough out to matter; the common sheet needs nothing more (no XML parsing);
* only such a sheet is parsed, to find those cells and their positions;
* cells so far out that the sheet's grid would pass GRID_LIMIT are left out of what calamine reads
  (outermost first), and reported, so one stray value cannot stop the run or hide the table.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree import ElementTree

from ..grid import column_number
from ..values import ErrorValue, FormulaWithoutResult
from .package import sheet_parts

# Cells in the grid calamine builds for one sheet (rows x columns, from A1): 2 million is a
# 50,000-row table 40 columns wide, about 64 MB inside calamine.
GRID_LIMIT = 2_000_000
EXCEL_COLUMNS = 16_384

_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
# The column of every cell written the usual way ('<c r="B7"'), styled empty ones included.
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})\d')
# A cell that holds something (not self-closing), with its reference: '<c r="B7" t="s">'.
_FILLED_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>/]*>')
# Any cell element with its reference, whole: to cut a far-away cell out of the sheet.
_CELL_ELEMENT = re.compile(
    rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*?(?:/>|>.*?</(?:\w+:)?c>)', re.DOTALL
)
# A formula followed by no value, an empty one, or the end of its cell.
_FORMULA_WITHOUT_VALUE = re.compile(
    rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\s[^>]*/>)\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</|</(?:\w+:)?c>)"
)


@dataclass
class SheetScan:
    """What one worksheet holds that calamine will not report."""

    # (row, column) -> ErrorValue or FormulaWithoutResult, 1-based.
    unread: dict[tuple[int, int], object] = field(default_factory=dict)
    # Cells left out because the sheet would be too large to read, as (row, column).
    left_out: list[tuple[int, int]] = field(default_factory=list)
    # The sheet's XML without the left-out cells (None when nothing was left out).
    trimmed: bytes | None = None


def uses_1904_dates(package: zipfile.ZipFile) -> bool:
    """Whether the workbook counts dates from 1904 (`<workbookPr date1904="1"/>`; Excel for Mac
    made such files by default until 2011). calamine converts formatted dates itself; a bare
    number in a date column needs to know."""
    try:
        with package.open("xl/workbook.xml") as part:
            head = part.read(64_000)
    except KeyError:
        return False
    match = re.search(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(1|true)\"", head)
    return match is not None


def scan_workbook(package: zipfile.ZipFile, skip: Iterable[str] = ()) -> dict[str, SheetScan]:
    """Every sheet that holds an error cell, a formula without a result or a far-away cell, by
    name; sheets named in `skip` (compared without case) are not even decompressed: the summary
    and instructions tabs are the largest parts of a workbook and the sync reads neither."""
    skipped = {name.casefold() for name in skip}
    found = {}
    for name, part in sheet_parts(package).items():
        if name.casefold() in skipped or part not in package.NameToInfo:
            continue
        scan = scan_sheet(package.read(part))
        if scan.unread or scan.left_out:
            found[name] = scan
    return found


def scan_sheet(xml: bytes) -> SheetScan:
    """Look at one worksheet part (see the module docstring)."""
    scan = SheetScan()
    if _may_be_too_large(xml):
        scan.left_out = _cells_to_leave_out(_filled_cells(xml))
        if scan.left_out:
            xml = scan.trimmed = _without_cells(xml, set(scan.left_out))
    has_errors = b't="e"' in xml or b"t='e'" in xml
    has_bare_formulas = b"f>" in xml and _FORMULA_WITHOUT_VALUE.search(xml) is not None
    if has_errors or has_bare_formulas:
        scan.unread = _unread_cells(xml)
    return scan


def without_cells_left_out(package: zipfile.ZipFile, scans: dict[str, SheetScan]) -> io.BytesIO:
    """A copy of the package, in memory, whose trimmed sheets lack their left-out cells."""
    parts = sheet_parts(package)
    replaced = {parts[name]: scan.trimmed for name, scan in scans.items() if scan.trimmed}
    copy = io.BytesIO()
    with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as target:
        for info in package.infolist():
            target.writestr(info.filename, replaced.get(info.filename) or package.read(info))
    copy.seek(0)
    return copy


# -- far-away cells --------------------------------------------------------------------------------


def _may_be_too_large(xml: bytes) -> bool:
    """Whether the sheet's grid may pass GRID_LIMIT, from cheap upper bounds: its last row number
    times the widest possible sheet, then times the widest column any cell is in."""
    height = _last_row_number(xml)
    if height * EXCEL_COLUMNS <= GRID_LIMIT:
        return False
    columns = _CELL_COLUMN.findall(xml)
    if not columns or len(columns) != xml.count(b"<c "):
        return True  # cells written another way (prefixed, r not first): look at each one
    widest = max(set(columns), key=lambda letters: (len(letters), letters))
    return height * column_number(widest.decode()) > GRID_LIMIT


def _last_row_number(xml: bytes) -> int:
    """The number of the sheet's last row element (searched from the end, where it is)."""
    end = xml.rfind(b"sheetData>")
    start = xml.rfind(b"row", 0, end)
    while start > 0 and not (xml[start - 1] in b"<:" and xml[start + 3] in b" >"):
        start = xml.rfind(b"row", 0, start)
    if start <= 0:
        return 0
    match = _ROW_NUMBER.search(xml, start, xml.find(b">", start))
    # Rows without numbers follow one another from row 1 (counting every "row" is an upper bound).
    return int(match.group(1)) if match else xml.count(b"row")


def _filled_cells(xml: bytes) -> list[tuple[int, int]]:
    return [
        (int(row), column_number(letters.decode())) for letters, row in _FILLED_CELL.findall(xml)
    ]


def _cells_to_leave_out(cells: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The outermost cells to drop so the rest fits GRID_LIMIT: again and again, the cells of the
    last row or of the last column, whichever shrinks the grid more."""
    kept = list(cells)
    dropped: list[tuple[int, int]] = []
    while kept:
        height = max(row for row, _ in kept)
        width = max(column for _, column in kept)
        if height * width <= GRID_LIMIT:
            break
        without_row = [cell for cell in kept if cell[0] < height]
        without_column = [cell for cell in kept if cell[1] < width]
        if _grid(without_row) <= _grid(without_column):
            dropped += [cell for cell in kept if cell[0] == height]
            kept = without_row
        else:
            dropped += [cell for cell in kept if cell[1] == width]
            kept = without_column
    return sorted(dropped)


def _grid(cells: list[tuple[int, int]]) -> int:
    if not cells:
        return 0
    return max(row for row, _ in cells) * max(column for _, column in cells)


def _without_cells(xml: bytes, cells: set[tuple[int, int]]) -> bytes:
    def keep(match: re.Match) -> bytes:
        position = (int(match.group(2)), column_number(match.group(1).decode()))
        return b"" if position in cells else match.group(0)

    return _CELL_ELEMENT.sub(keep, xml)


# -- error cells and formulas without a result ---------------------------------------------------


def _unread_cells(xml: bytes) -> dict[tuple[int, int], object]:
    """Positions of error cells and formulas without a saved result, from a parse of the sheet."""
    found: dict[tuple[int, int], object] = {}
    row_number = column = 0
    for event, element in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
        tag = element.tag.rsplit("}", 1)[-1]
        if event == "start":
            if tag == "row":
                number = element.get("r")
                row_number = int(number) if number else row_number + 1
                column = 0
            continue
        if tag == "row":
            element.clear()
        elif tag == "c":
            column = _column_of(element.get("r"), column)
            value = _unread_value(element)
            if value is not None:
                found[(row_number, column)] = value
    return found


def _column_of(reference: str | None, previous: int) -> int:
    """A cell's column from its reference; cells without one follow the previous cell."""
    if not reference:
        return previous + 1
    return column_number(reference.rstrip("0123456789"))


def _unread_value(cell: ElementTree.Element) -> object | None:
    children = {child.tag.rsplit("}", 1)[-1]: child for child in cell}
    value = children.get("v")
    kind = cell.get("t", "n")
    if kind == "e":
        return ErrorValue((value.text or "").strip() if value is not None else "#N/A")
    formula = children.get("f")
    if formula is None:
        return None
    saved = value is not None and (value.text or kind in ("str", "inlineStr"))
    return None if saved else FormulaWithoutResult((formula.text or "").strip())
