"""Type values into empty cells of an existing worksheet, at the package level.

`plansync import` adds a school's rows below what its provisioned workbook already holds. Like the
summary write (package.py), the workbook is never loaded and saved by openpyxl: only the one sheet
part changes, and in it only the `<sheetData>` rows that gain cells (plus the `<dimension>`); every
other byte of the part and every other part of the package stays as it was. A cell that holds
anything at all (a value, a formula, an inline string) is never written over.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ..grid import a1, column_letter, parse_a1
from .package import MAX_CELL_TEXT, PackageError, _escape, _write_package, sheet_parts

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>(.*?)</sheetData>", re.DOTALL)
_ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.DOTALL)
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.DOTALL)
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_COL = re.compile(rb"<col\b([^>]*)/>")
_DIMENSION = re.compile(rb'<dimension ref="([^"]*)"/>')


def fill_cells(
    path: Path,
    sheet: str,
    cells: dict[tuple[int, int], Any],
    before_replace: Callable[[], None] | None = None,
) -> int:
    """Write `cells` ((row, column) -> value) into the empty cells of the tab named `sheet` of
    the .xlsx at `path`, atomically. Returns how many were written (occupied cells are skipped)."""
    try:
        with zipfile.ZipFile(path) as package:
            parts = {name.casefold(): part for name, part in sheet_parts(package).items()}
            part = parts.get(sheet.casefold())
            if part is None:
                raise PackageError(f"the workbook has no tab {sheet!r}")
            xml, written = _filled(package.read(part), cells)
            if written:
                _write_package(path, package, {part: xml}, before_replace)
            return written
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ElementTree.ParseError) as error:
        raise PackageError(f"not a workbook package we can write into ({error})") from None


def _filled(xml: bytes, cells: dict[tuple[int, int], Any]) -> tuple[bytes, int]:
    data = _SHEET_DATA.search(xml)
    if data is None:
        raise PackageError("the tab's rows could not be found")
    styles = _column_styles(xml)
    wanted: dict[int, dict[int, Any]] = {}
    for (row, column), value in cells.items():
        wanted.setdefault(row, {})[column] = value
    rows: list[tuple[int, bytes]] = []
    written = 0
    for match in _ROW.finditer(data.group(1) or b""):
        attrs = dict(_ATTR.findall(match.group(1)))
        number = int(attrs.get(b"r", b"0"))
        if number in wanted:
            body, count = _fill_row(match.group(2) or b"", number, wanted.pop(number), styles)
            written += count
            rows.append((number, b"<row" + match.group(1) + b">" + body + b"</row>"))
        else:
            rows.append((number, match.group(0)))
    for number, values in wanted.items():
        body, count = _fill_row(b"", number, values, styles)
        written += count
        rows.append((number, b'<row r="%d">' % number + body + b"</row>"))
    rows.sort(key=lambda item: item[0])
    new_data = b"<sheetData>" + b"".join(row for _number, row in rows) + b"</sheetData>"
    xml = xml[: data.start()] + new_data + xml[data.end() :]
    return _widened(xml, cells), written


def _fill_row(
    body: bytes, number: int, values: dict[int, Any], styles: dict[int, bytes]
) -> tuple[bytes, int]:
    existing: list[tuple[int, bytes]] = []
    written = 0
    for match in _CELL.finditer(body):
        attrs = dict(_ATTR.findall(match.group(1)))
        _row, column = parse_a1(attrs.get(b"r", b"A1").decode())
        inner = match.group(2) or b""
        if column in values and not re.search(rb"<(v|f|is)\b", inner):
            style = attrs.get(b"s")
            existing.append((column, _cell(number, column, values.pop(column), style, styles)))
            written += 1
        else:
            values.pop(column, None)  # something is there: it stays as the school typed it
            existing.append((column, match.group(0)))
    for column, value in values.items():
        existing.append((column, _cell(number, column, value, None, styles)))
        written += 1
    existing.sort(key=lambda item: item[0])
    return b"".join(cell for _column, cell in existing), written


def _cell(number: int, column: int, value: Any, style: bytes | None, styles: dict[int, bytes]):
    ref = f"{column_letter(column)}{number}".encode()
    style = style or styles.get(column)
    s = b' s="' + style + b'"' if style else b""
    if isinstance(value, bool):
        return b'<c r="%s"%s t="b"><v>%d</v></c>' % (ref, s, int(value))
    if isinstance(value, (int, float)):
        return b'<c r="%s"%s><v>%s</v></c>' % (ref, s, repr(value).encode())
    if isinstance(value, dt.date) and style:  # a date column: a real date, in its format
        moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        serial = (moment - _EXCEL_EPOCH).total_seconds() / 86400
        return b'<c r="%s"%s><v>%s</v></c>' % (
            ref,
            s,
            repr(serial).rstrip("0").rstrip(".").encode(),
        )
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    text = text[:MAX_CELL_TEXT]
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    body = f"<is><t{space}>{_escape(text)}</t></is>".encode()
    return b'<c r="%s"%s t="inlineStr">%s</c>' % (ref, s, body)


def _column_styles(xml: bytes) -> dict[int, bytes]:
    """Column -> the style its `<col>` entry gives new cells (a date column's date format)."""
    styles: dict[int, bytes] = {}
    for match in _COL.finditer(xml):
        attrs = dict(_ATTR.findall(match.group(1)))
        if b"style" not in attrs:
            continue
        for column in range(int(attrs.get(b"min", b"0")), int(attrs.get(b"max", b"0")) + 1):
            styles[column] = attrs[b"style"]
    return styles


def _widened(xml: bytes, cells: dict[tuple[int, int], Any]) -> bytes:
    """The `<dimension>` grown to cover the new cells (readers size the tab by it)."""
    match = _DIMENSION.search(xml)
    if match is None or not cells:
        return xml
    first, _, last = match.group(1).decode().partition(":")
    try:
        top, left = parse_a1(first)
        bottom, right = parse_a1(last or first)
    except ValueError:
        return xml
    bottom = max(bottom, *(row for row, _column in cells))
    right = max(right, *(column for _row, column in cells))
    ref = f"{a1(top, left)}:{a1(bottom, right)}".encode()
    return xml[: match.start()] + b'<dimension ref="' + ref + b'"/>' + xml[match.end() :]
