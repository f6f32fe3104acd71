"""What plansync writes into Google Sheets, as Sheets API v4 batchUpdate requests (plain dicts).

The same WorkbookPlan and OutSheet the Excel store renders with openpyxl become requests here:
tabs, headers with notes, frozen rows, dropdowns and date checks (data validation), date formats,
the hidden stamp, the protected coach summary and the rollup's tabs. Every value is written as a
typed value (stringValue, numberValue, ...), never as typed-in text that Sheets would parse, so a
school's text that starts with "=" stays text. No I/O happens here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from ..grid import OutCell, OutSheet, Style
from ..layout import (
    DATE_FORMAT,
    SIDE_COLORS,
    SIDE_LABELS,
    STAMP_TAB,
    TABLE_ROWS,
    TablePlan,
    Validation,
    WorkbookPlan,
    header_note,
)

Request = dict[str, Any]

_EPOCH = dt.datetime(1899, 12, 30)
DATE_TIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FILL = "1F3864"
# Everything plansync sets on a cell; a rewrite clears these on cells it leaves empty.
CELL_FIELDS = "userEnteredValue,userEnteredFormat,note,dataValidation,textFormatRuns"
SUMMARY_PROTECTION = "Written every night by plansync for the coach. Type on the other tabs."

_TEXT: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "fontSize": 16, "color": "1F3864"},
    "subtitle": {"italic": True, "fontSize": 11, "color": "595959"},
    "heading": {"bold": True, "fontSize": 13, "color": "1F3864"},
    "header": {"bold": True, "color": "FFFFFF"},
    "text": {},
    "muted": {"italic": True, "fontSize": 10, "color": "7F7F7F"},
    "good": {"bold": True, "color": "2E7D32"},
    "warn": {"bold": True, "color": "B26A00"},
    "bad": {"bold": True, "color": "C62828"},
}


def color(hex_rgb: str) -> dict[str, float]:
    """'1F3864' -> Sheets' {red, green, blue} in 0..1."""
    red, green, blue = (int(hex_rgb[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return {"red": round(red, 4), "green": round(green, 4), "blue": round(blue, 4)}


def pixels(width: float) -> int:
    """An Excel column width (characters) as Sheets pixels."""
    return round(width * 7 + 5)


def whole_sheet(sheet_id: int) -> dict[str, int]:
    return {"sheetId": sheet_id}


def area(sheet_id: int, rows: tuple[int, int], columns: tuple[int, int]) -> dict[str, int]:
    """A GridRange from 0-based, end-exclusive row and column spans."""
    return {
        "sheetId": sheet_id,
        "startRowIndex": rows[0],
        "endRowIndex": rows[1],
        "startColumnIndex": columns[0],
        "endColumnIndex": columns[1],
    }


# -- cells -----------------------------------------------------------------------------------------


def typed_value(value: Any) -> tuple[dict[str, Any], str | None]:
    """A Python value as an ExtendedValue, and the number format a date needs."""
    if isinstance(value, bool):
        return {"boolValue": value}, None
    if isinstance(value, int | float):
        return {"numberValue": value}, None
    if isinstance(value, dt.datetime):
        days = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return {"numberValue": round(days, 6)}, DATE_TIME_FORMAT
    if isinstance(value, dt.date):
        return {"numberValue": (value - _EPOCH.date()).days}, DATE_FORMAT
    return {"stringValue": str(value)}, None


def cell_data(
    value: Any, style: Style = "text", link: str | None = None, wrap: bool = False
) -> dict[str, Any]:
    """One CellData: the value typed, its font, fill and number format."""
    data: dict[str, Any] = {}
    fmt: dict[str, Any] = {}
    if value is not None and value != "":
        data["userEnteredValue"], number_format = typed_value(value)
        if number_format:
            fmt["numberFormat"] = {"type": "DATE", "pattern": number_format}
    text = _text_format(style)
    if link:
        text.update(underline=True, foregroundColorStyle={"rgbColor": color("1F6FB2")})
        text["link"] = {"uri": link}
    if text:
        fmt["textFormat"] = text
    if style == "header":
        fmt["backgroundColorStyle"] = {"rgbColor": color(HEADER_FILL)}
        fmt["verticalAlignment"] = "MIDDLE"
        wrap = True
    if wrap:
        fmt["wrapStrategy"] = "WRAP"
        fmt.setdefault("verticalAlignment", "TOP")
    if fmt:
        data["userEnteredFormat"] = fmt
    return data


def _text_format(style: Style) -> dict[str, Any]:
    spec = _TEXT[style]
    text: dict[str, Any] = {key: spec[key] for key in ("bold", "italic", "fontSize") if key in spec}
    if "color" in spec:
        text["foregroundColorStyle"] = {"rgbColor": color(spec["color"])}
    return text


def sheet_link(reference: str, gids: dict[str, int]) -> str | None:
    """ "'Action Steps'!F7" as a link inside the spreadsheet ("#gid=12&range=F7"), if the tab is
    there."""
    name, _, cell = reference.rpartition("!")
    if name.startswith("'") and name.endswith("'"):
        name = name[1:-1].replace("''", "'")
    gid = gids.get(name)
    if gid is None or not re.fullmatch(r"[A-Z]{1,3}\d+", cell):
        return None
    return f"#gid={gid}&range={cell}"


# -- whole sheets ------------------------------------------------------------------------------


def write_out_sheet(
    sheet: OutSheet, sheet_id: int, gids: dict[str, int], *, wrap_prose: bool = False
) -> list[Request]:
    """Requests that make an existing tab hold exactly `sheet`: size, widths, every cell.

    The cells are written with one updateCells over the whole tab, so whatever was there before
    (someone's typing, last night's longer summary) is cleared in the same request.
    """
    rows = max(len(sheet.rows), 1) + 5
    columns = max(sheet.width, len(sheet.widths), 1)
    requests: list[Request] = [
        _grid_properties(sheet_id, rows, columns, sheet.freeze_rows, hide_gridlines=wrap_prose),
        {"unmergeCells": {"range": whole_sheet(sheet_id)}},
        {
            "updateCells": {
                "range": whole_sheet(sheet_id),
                "rows": [_row(row, gids, wrap_prose) for row in sheet.rows],
                "fields": CELL_FIELDS,
            }
        },
    ]
    requests += column_widths(sheet_id, sheet.widths)
    if sheet.tab_color:
        requests.append(_tab_color(sheet_id, sheet.tab_color))
    if sheet.filter_row and len(sheet.rows) >= sheet.filter_row:
        span = area(sheet_id, (sheet.filter_row - 1, len(sheet.rows)), (0, columns))
        requests.append({"setBasicFilter": {"filter": {"range": span}}})
    for column in sheet.score_columns:
        requests.append(_score_scale(sheet_id, column, max(len(sheet.rows), 2)))
    return requests


def _row(cells: list[OutCell], gids: dict[str, int], wrap_prose: bool) -> dict[str, Any]:
    values = []
    for index, cell in enumerate(cells):
        link = sheet_link(cell.link, gids) if cell.link else None
        wrap = wrap_prose and (index > 0 or cell.style in ("text", "muted"))
        values.append(cell_data(cell.value, cell.style, link, wrap))
    return {"values": values}


def _grid_properties(
    sheet_id: int, rows: int, columns: int, frozen: int = 0, hide_gridlines: bool = False
) -> Request:
    grid = {
        "rowCount": rows,
        "columnCount": columns,
        "frozenRowCount": frozen,
        "hideGridlines": hide_gridlines,
    }
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": grid},
            "fields": "gridProperties(rowCount,columnCount,frozenRowCount,hideGridlines)",
        }
    }


def column_widths(sheet_id: int, widths: list[int]) -> list[Request]:
    return [
        {
            "updateDimensionProperties": {
                "range": {
                    "sheetId": sheet_id,
                    "dimension": "COLUMNS",
                    "startIndex": index,
                    "endIndex": index + 1,
                },
                "properties": {"pixelSize": pixels(width)},
                "fields": "pixelSize",
            }
        }
        for index, width in enumerate(widths)
    ]


def _tab_color(sheet_id: int, hex_rgb: str) -> Request:
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "tabColorStyle": {"rgbColor": color(hex_rgb)}},
            "fields": "tabColorStyle",
        }
    }


def _score_scale(sheet_id: int, column: int, last_row: int) -> Request:
    """Red to green shading of a 0-100 score column, as in the Excel rollup."""
    points = (("NUMBER", "0", "F8696B"), ("NUMBER", "70", "FFEB84"), ("NUMBER", "100", "63BE7B"))
    minimum, middle, maximum = (
        {"type": kind, "value": value, "colorStyle": {"rgbColor": color(rgb)}}
        for kind, value, rgb in points
    )
    return {
        "addConditionalFormatRule": {
            "index": 0,
            "rule": {
                "ranges": [area(sheet_id, (1, last_row), (column - 1, column))],
                "gradientRule": {"minpoint": minimum, "midpoint": middle, "maxpoint": maximum},
            },
        }
    }


def protect(sheet_id: int) -> Request:
    """A warning-only protection: Sheets asks before anyone types into the tab."""
    return {
        "addProtectedRange": {
            "protectedRange": {
                "range": whole_sheet(sheet_id),
                "description": SUMMARY_PROTECTION,
                "warningOnly": True,
            }
        }
    }


def add_sheet(sheet_id: int, title: str, index: int, rows: int = 100, columns: int = 26) -> Request:
    grid = {"rowCount": rows, "columnCount": columns}
    properties = {"sheetId": sheet_id, "title": title, "index": index, "gridProperties": grid}
    return {"addSheet": {"properties": properties}}


# -- a new workbook ------------------------------------------------------------------------------


def new_workbook(plan: WorkbookPlan, first_sheet_id: int) -> list[Request]:
    """Requests that turn a new, one-tab spreadsheet into the planned workbook."""
    names = [plan.instructions.name]
    if plan.summary:
        names.append(plan.summary.name)
    names += [table.title for table in plan.tables] + [STAMP_TAB]
    gids = {name: first_sheet_id if i == 0 else i for i, name in enumerate(names)}
    requests: list[Request] = [
        {
            "updateSheetProperties": {
                "properties": {"sheetId": first_sheet_id, "title": plan.instructions.name},
                "fields": "title",
            }
        }
    ]
    tables = {table.title for table in plan.tables}
    for index, name in enumerate(names[1:], start=1):
        rows = TABLE_ROWS + 100 if name in tables else 100
        requests.append(add_sheet(gids[name], name, index, rows=rows))
    requests += write_out_sheet(plan.instructions, first_sheet_id, gids, wrap_prose=True)
    if plan.summary:
        summary_id = gids[plan.summary.name]
        requests += write_out_sheet(plan.summary, summary_id, gids, wrap_prose=True)
        requests.append(protect(summary_id))
    for table in plan.tables:
        requests += _table(table, gids[table.title])
        requests += side_protections(table, gids[table.title], plan.editors)
    requests += _stamp(plan.stamp, gids[STAMP_TAB])
    return requests


def _table(table: TablePlan, sheet_id: int) -> list[Request]:
    headers = []
    for column in table.columns:
        cell = {**cell_data(column.header, "header"), "note": header_note(column)}
        if column.typed_by:  # whose column it is, at a glance
            side = {"rgbColor": color(SIDE_COLORS[column.typed_by])}
            cell["userEnteredFormat"] = {**cell["userEnteredFormat"], "backgroundColorStyle": side}
        headers.append(cell)
    rows = [{"values": headers}] + [
        {"values": list(_data_row(table, values, table.row_notes.get(number)))}
        for number, values in enumerate(table.rows)
    ]
    requests: list[Request] = [
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
                "fields": "gridProperties.frozenRowCount",
            }
        },
        {"updateCells": {"start": {"sheetId": sheet_id}, "rows": rows, "fields": CELL_FIELDS}},
    ]
    requests += column_widths(sheet_id, [column.width for column in table.columns])
    for index, column in enumerate(table.columns):
        body = area(sheet_id, (1, TABLE_ROWS), (index, index + 1))
        if column.type == "date":
            number_format = {"numberFormat": {"type": "DATE", "pattern": DATE_FORMAT}}
            requests.append(
                {
                    "repeatCell": {
                        "range": body,
                        "cell": {"userEnteredFormat": number_format},
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            )
        validation = table.validations.get(index + 1)
        if validation:
            requests.append({"setDataValidation": {"range": body, "rule": _rule(validation)}})
    return requests


def side_protections(
    table: TablePlan, sheet_id: int, editors: dict[str, tuple[str, ...]]
) -> list[Request]:
    """Each side's columns (a note's Date, From, About and Note for the coach; Response for the
    school) protected so that only that side's people can type there. Google keeps the
    spreadsheet's owner (the sync's account) an editor of every protected range."""
    requests: list[Request] = []
    for index, column in enumerate(table.columns):
        if not column.typed_by:
            continue
        requests.append(
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": area(sheet_id, (1, TABLE_ROWS), (index, index + 1)),
                        "description": f"{column.header}: {SIDE_LABELS[column.typed_by]}",
                        "warningOnly": False,
                        "editors": {"users": list(editors.get(column.typed_by, ()))},
                    }
                }
            }
        )
    return requests


def _data_row(
    table: TablePlan, values: dict[str, Any], note: str | None = None
) -> Iterator[dict[str, Any]]:
    for index, column in enumerate(table.columns):
        data = cell_data(values.get(column.key), wrap=True)
        yield {**data, "note": note} if note and index == 0 else data


def _rule(validation: Validation) -> dict[str, Any]:
    """A layout Validation as a Sheets DataValidationRule."""
    if validation.kind == "list" and validation.source:
        condition = {
            "type": "ONE_OF_RANGE",
            "values": [{"userEnteredValue": "=" + validation.source}],
        }
    elif validation.kind == "list":
        condition = {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": choice} for choice in validation.choices],
        }
    elif validation.kind == "date":
        condition = {"type": "DATE_IS_VALID"}
    else:
        condition = {"type": "TEXT_IS_EMAIL"}
    rule: dict[str, Any] = {
        "condition": condition,
        "strict": validation.strict,
        "showCustomUi": validation.kind == "list",
    }
    if validation.prompt:
        rule["inputMessage"] = validation.prompt
    return rule


def restamp_requests(stamp: dict[str, str], sheet_id: int) -> list[Request]:
    """Requests that make an existing stamp tab hold exactly `stamp` (and stay hidden)."""
    rows = [{"values": [cell_data(key), cell_data(value)]} for key, value in stamp.items()]
    return [
        {"updateCells": {"range": whole_sheet(sheet_id), "rows": rows, "fields": CELL_FIELDS}},
    ]


def _stamp(stamp: dict[str, str], sheet_id: int) -> list[Request]:
    rows = [{"values": [cell_data(key), cell_data(value)]} for key, value in stamp.items()]
    return [
        {"updateCells": {"start": {"sheetId": sheet_id}, "rows": rows, "fields": CELL_FIELDS}},
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "hidden": True},
                "fields": "hidden",
            }
        },
    ]
