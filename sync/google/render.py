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

from ..changes import WorkbookChanges, body_rows
from ..grid import OutCell, OutSheet, Style, cell_text
from ..layout import (
    DATE_FORMAT,
    LISTS_COLUMN,
    ROSTER_COLUMN,
    ROSTER_ROWS,
    ROSTER_TITLE,
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


# Google Sheets holds at most 50,000 characters in a cell.
MAX_CELL_TEXT = 50_000


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
    return {"stringValue": cell_text(str(value), MAX_CELL_TEXT)}, None


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
        if name == STAMP_TAB:  # room for the roster and the longest list of choices
            longest = max((len(choices) for choices in plan.lists.values()), default=0)
            rows = max(rows, ROSTER_ROWS + 1, longest + 1, len(plan.stamp))
        requests.append(add_sheet(gids[name], name, index, rows=rows))
    requests += write_out_sheet(plan.instructions, first_sheet_id, gids, wrap_prose=True)
    if plan.summary:
        summary_id = gids[plan.summary.name]
        requests += write_out_sheet(plan.summary, summary_id, gids, wrap_prose=True)
        requests.append(protect(summary_id))
    for table in plan.tables:
        requests += _table(table, gids[table.title])
        requests += side_protections(table, gids[table.title], plan.editors)
    requests += _stamp(plan.stamp, plan.lists, gids[STAMP_TAB])
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
    """Requests that make an existing stamp tab hold exactly `stamp` in its first two columns
    (the dropdowns' choices beside it stay as they are)."""
    rows = [{"values": [cell_data(key), cell_data(value)]} for key, value in stamp.items()]
    stamp_columns = {"sheetId": sheet_id, "startColumnIndex": 0, "endColumnIndex": 2}
    return [
        {"updateCells": {"range": stamp_columns, "rows": rows, "fields": CELL_FIELDS}},
    ]


def roster_requests(names: tuple[str, ...], sheet_id: int, keep_rows: int) -> list[Request]:
    """Requests that make the stamp tab's roster column hold exactly `names` under its title,
    the cells below them cleared down to the rows the dropdown reaches. The tab is first given
    that many rows (tabs made before the roster had fewer), never fewer than `keep_rows`: the
    rows holding anything, or the tab's row count (an upper bound of them)."""
    rows = [{"values": [cell_data(value)]} for value in (ROSTER_TITLE, *names)]
    height = max(ROSTER_ROWS + 1, len(rows), keep_rows)
    area = {
        "sheetId": sheet_id,
        "startRowIndex": 0,
        "endRowIndex": height,
        "startColumnIndex": ROSTER_COLUMN - 1,
        "endColumnIndex": ROSTER_COLUMN,
    }
    grid = {"sheetId": sheet_id, "gridProperties": {"rowCount": height}}
    return [
        {"updateSheetProperties": {"properties": grid, "fields": "gridProperties.rowCount"}},
        {"updateCells": {"range": area, "rows": rows, "fields": "userEnteredValue"}},
    ]


def _stamp(
    stamp: dict[str, str], lists: dict[str, tuple[str, ...]], sheet_id: int
) -> list[Request]:
    rows = [{"values": [cell_data(key), cell_data(value)]} for key, value in stamp.items()]
    # The dropdowns' choices, one column each from LISTS_COLUMN on (see layout.WorkbookPlan).
    columns = [[title, *choices] for title, choices in lists.items()]
    height = max((len(column) for column in columns), default=0)
    choice_rows = [
        {"values": [cell_data(column[row] if row < len(column) else None) for column in columns]}
        for row in range(height)
    ]
    start = {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": LISTS_COLUMN - 1}
    # The roster's column, empty until the nightly sync copies the school's team into it.
    roster = {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": ROSTER_COLUMN - 1}
    titled = [{"values": [cell_data(ROSTER_TITLE)]}]
    listed = (
        [{"updateCells": {"start": start, "rows": choice_rows, "fields": CELL_FIELDS}}]
        if columns
        else []
    )
    return [
        {"updateCells": {"start": {"sheetId": sheet_id}, "rows": rows, "fields": CELL_FIELDS}},
        {"updateCells": {"start": roster, "rows": titled, "fields": CELL_FIELDS}},
        *listed,
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "hidden": True},
                "fields": "hidden",
            }
        },
    ]


# -- plansync migrate ------------------------------------------------------------------------------

# A tab as the migration sees it: its sheet id, rows and columns.
Grid = tuple[int, int, int]


def migration_requests(
    changes: WorkbookChanges, tabs: dict[str, Grid], gids: dict[str, int]
) -> list[Request]:
    """Requests that apply `plansync migrate`'s changes to a spreadsheet, for one batchUpdate.

    `tabs` maps each existing tab's title to (sheet id, rows, columns). Only what plansync lays
    out is written: header cells, notes, widths, formats and validations of new columns, renamed
    headers, new tabs, the Instructions tab and the stamp; no cell a school typed."""
    requests: list[Request] = []
    next_id = max((grid[0] for grid in tabs.values()), default=0) + 1
    found = {title.casefold(): grid for title, grid in tabs.items()}
    for table in changes.new_tabs:
        requests.append(add_sheet(next_id, table.title, len(tabs), rows=TABLE_ROWS + 100))
        requests += _table(table, next_id)
        next_id += 1
    grown: dict[int, tuple[int, int]] = {}
    for column in changes.new_columns:
        sheet_id, rows, columns = found[column.sheet.casefold()]
        _first, last = body_rows(column.header_row)
        old_rows, old_columns = grown.get(sheet_id, (rows, columns))
        grown[sheet_id] = (max(old_rows, last), max(old_columns, column.position))
    for sheet_id, (rows, columns) in grown.items():
        requests.append(
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": sheet_id,
                        "gridProperties": {"rowCount": rows, "columnCount": columns},
                    },
                    "fields": "gridProperties(rowCount,columnCount)",
                }
            }
        )
    for column in changes.new_columns:
        sheet_id = found[column.sheet.casefold()][0]
        spec = column.column
        note = spec.help + ("\nRequired." if spec.required else "")
        requests.append(
            _one_cell(
                sheet_id,
                column.header_row,
                column.position,
                {**cell_data(spec.header, "header"), "note": note},
                CELL_FIELDS,
            )
        )
        requests.append(_width(sheet_id, column.position, spec.width))
        body = _body(sheet_id, column.header_row, column.position)
        if spec.type == "date":
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
        requests.append(_validation(body, column.validation))
    for header in changes.new_headers:
        sheet_id = found[header.sheet.casefold()][0]
        value = {"userEnteredValue": {"stringValue": header.header}}
        requests.append(
            _one_cell(sheet_id, header.header_row, header.position, value, "userEnteredValue")
        )
    for change in changes.validations:
        sheet_id = found[change.sheet.casefold()][0]
        body = _body(sheet_id, change.header_row, change.position)
        requests.append(_validation(body, change.validation))
    if changes.instructions is not None:
        name = changes.instructions.name
        if name.casefold() in found:
            sheet_id = found[name.casefold()][0]
        else:
            sheet_id, next_id = next_id, next_id + 1
            requests.append(add_sheet(sheet_id, name, 0))
        requests += write_out_sheet(changes.instructions, sheet_id, gids, wrap_prose=True)
    if changes.stamp is not None:
        if STAMP_TAB in found:
            sheet_id = found[STAMP_TAB][0]
        else:
            sheet_id = next_id
            requests.append(add_sheet(sheet_id, STAMP_TAB, len(tabs) + len(changes.new_tabs)))
        # Only the stamp's own two columns: the dropdowns' choices sit beside it.
        requests += restamp_requests(changes.stamp, sheet_id)
        requests.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sheet_id, "hidden": True},
                    "fields": "hidden",
                }
            }
        )
    return requests


def _one_cell(sheet_id: int, row: int, column: int, data: dict, fields: str) -> Request:
    start = {"sheetId": sheet_id, "rowIndex": row - 1, "columnIndex": column - 1}
    return {"updateCells": {"start": start, "rows": [{"values": [data]}], "fields": fields}}


def _width(sheet_id: int, column: int, width: int) -> Request:
    return {
        "updateDimensionProperties": {
            "range": {
                "sheetId": sheet_id,
                "dimension": "COLUMNS",
                "startIndex": column - 1,
                "endIndex": column,
            },
            "properties": {"pixelSize": pixels(width)},
            "fields": "pixelSize",
        }
    }


def _body(sheet_id: int, header_row: int, column: int) -> dict[str, int]:
    first, last = body_rows(header_row)
    return area(sheet_id, (first - 1, last), (column - 1, column))


def _validation(body: dict[str, int], validation: Validation | None) -> Request:
    """Set (or, for None, clear) the validation of a column's body."""
    request: dict[str, Any] = {"range": body}
    if validation is not None:
        request["rule"] = _rule(validation)
    return {"setDataValidation": request}
