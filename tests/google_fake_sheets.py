"""The spreadsheet half of the Google fake: a spreadsheet's tabs and cells, and the Sheets API v4
requests plansync (and the tests' edit helpers) send, applied the way Sheets applies them.

Strict on purpose: an unknown request kind, a sheet id or tab name that is not there, a write past
the grid, a duplicate tab name or an unsupported option is refused with the error Sheets gives
(400 INVALID_ARGUMENT and a message), so code that passes here does not rely on leniency.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

CellData = dict[str, Any]


class ApiError(Exception):
    """An error reply: HTTP status, Google's status name, message (and Drive's reason)."""

    def __init__(self, code: int, status: str, message: str, reason: str | None = None):
        super().__init__(message)
        self.code, self.status, self.message, self.reason = code, status, message, reason


def invalid(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message, "badRequest")


# -- field masks ("a,b(c,d),e/f"), as in `fields=` and in update requests ----------------------


def parse_mask(text: str) -> dict[str, Any]:
    """A field mask as a tree: name -> subtree, or None for "everything below"."""
    tree, rest = _parse_mask(text.replace(" ", ""), 0)
    if rest != len(text.replace(" ", "")):
        raise invalid(f"Invalid field selection {text}")
    return tree


def _parse_mask(text: str, pos: int) -> tuple[dict[str, Any], int]:
    tree: dict[str, Any] = {}
    while pos < len(text):
        match = re.match(r"[A-Za-z0-9_*]+(?:[./][A-Za-z0-9_*]+)*", text[pos:])
        if not match:
            raise invalid(f"Invalid field selection {text}")
        path = match.group(0).replace("/", ".").split(".")
        pos += match.end()
        sub = None
        if pos < len(text) and text[pos] == "(":
            sub, pos = _parse_mask(text, pos + 1)
            if pos >= len(text) or text[pos] != ")":
                raise invalid(f"Invalid field selection {text}")
            pos += 1
        node = tree
        for name in path[:-1]:
            if node.get(name, {}) is None:  # already selected whole
                break
            node = node.setdefault(name, {})
        else:
            node[path[-1]] = sub
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] == ")":
            return tree, pos
    return tree, pos


def apply_mask(value: Any, tree: dict[str, Any] | None) -> Any:
    """Keep only the masked fields of a resource (partial response)."""
    if tree is None or "*" in tree:
        return copy.deepcopy(value)
    if isinstance(value, list):
        return [apply_mask(item, tree) for item in value]
    if not isinstance(value, dict):
        return copy.deepcopy(value)
    return {name: apply_mask(value[name], sub) for name, sub in tree.items() if name in value}


def check_mask(tree: dict[str, Any] | None, schema: dict[str, Any], where: str) -> None:
    """Refuse a mask naming a field the resource does not have (where the schema knows it)."""
    if tree is None:
        return
    for name, sub in tree.items():
        if name == "*":
            continue
        if name not in schema:
            raise invalid(f"Invalid field selection {name} in {where}")
        if isinstance(schema[name], dict):
            check_mask(sub, schema[name], where)


def copy_masked(source: dict[str, Any], target: dict[str, Any], tree: dict[str, Any]) -> None:
    """Set the masked fields of `target` from `source`; a masked field absent from `source` is
    cleared (how Sheets reads `fields` in update requests).

    Values are shared with `source`, never changed in place: nested dicts of `target` are copied
    before they change, so snapshots of a spreadsheet can share them cheaply.
    """
    for name, sub in tree.items():
        if name == "*":
            target.clear()
            target.update(source)
        elif sub is None or not isinstance(source.get(name, {}), dict):
            if name in source:
                target[name] = source[name]
            else:
                target.pop(name, None)
        else:
            target[name] = dict(target.get(name) or {})
            copy_masked(source.get(name, {}), target[name], sub)
            if not target[name]:
                target.pop(name)


SHEET_SCHEMA: dict[str, Any] = {
    "properties": {
        "sheetId": None,
        "title": None,
        "index": None,
        "sheetType": None,
        "gridProperties": None,
        "hidden": None,
        "tabColor": None,
        "tabColorStyle": None,
        "rightToLeft": None,
        "dataSourceSheetProperties": None,
    },
    "data": None,
    "merges": None,
    "conditionalFormats": None,
    "filterViews": None,
    "protectedRanges": None,
    "basicFilter": None,
    "charts": None,
    "bandedRanges": None,
    "developerMetadata": None,
    "rowGroups": None,
    "columnGroups": None,
    "slicers": None,
    "tables": None,
}
SPREADSHEET_SCHEMA: dict[str, Any] = {
    "spreadsheetId": None,
    "properties": None,
    "sheets": SHEET_SCHEMA,
    "namedRanges": None,
    "spreadsheetUrl": None,
    "developerMetadata": None,
    "dataSources": None,
    "dataSourceSchedules": None,
}
CELL_FIELDS = {"userEnteredValue", "userEnteredFormat", "note", "dataValidation", "textFormatRuns"}


# -- the model ---------------------------------------------------------------------------------


@dataclass
class Sheet:
    properties: dict[str, Any]
    cells: dict[tuple[int, int], CellData] = field(default_factory=dict)
    merges: list[dict[str, int]] = field(default_factory=list)
    protected: list[dict[str, Any]] = field(default_factory=list)
    conditional: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    column_pixels: dict[int, int] = field(default_factory=dict)
    # Data validation rules by area, in the order set: the last one covering a cell applies.
    validations: list[tuple[tuple[int, int, int, int], dict[str, Any] | None]] = field(
        default_factory=list
    )
    # What Sheets' formula engine shows for a formula cell, as an ExtendedValue (the fake has no
    # engine: a test says what the formula comes to). A formula without one shows its text.
    results: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)

    def snapshot(self) -> Sheet:
        """A copy to change: cell dicts are copied, the values in them shared (copy_masked never
        changes a value in place)."""
        return Sheet(
            copy.deepcopy(self.properties),
            {key: dict(cell) for key, cell in self.cells.items()},
            copy.deepcopy(self.merges),
            copy.deepcopy(self.protected),
            list(self.conditional),
            self.basic_filter,
            dict(self.column_pixels),
            list(self.validations),
            dict(self.results),
        )

    def validation(self, row: int, column: int) -> dict[str, Any] | None:
        """The data validation rule of a cell (0-based), if any."""
        for (top, left, bottom, right), rule in reversed(self.validations):
            if top <= row < bottom and left <= column < right:
                return rule
        return None

    @property
    def id(self) -> int:
        return self.properties["sheetId"]

    @property
    def title(self) -> str:
        return self.properties["title"]

    @property
    def rows(self) -> int:
        return self.properties["gridProperties"]["rowCount"]

    @property
    def columns(self) -> int:
        return self.properties["gridProperties"]["columnCount"]

    def as_json(self, grid: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"properties": copy.deepcopy(self.properties)}
        if grid:
            data["data"] = [self.grid_data()]
        for key, value in (
            ("merges", self.merges),
            ("protectedRanges", self.protected),
            ("conditionalFormats", self.conditional),
        ):
            if value:
                data[key] = copy.deepcopy(value)
        for protected in data.get("protectedRanges", []):
            protected.pop("_owner", None)  # the fake's own record, not part of Google's reply
        if self.basic_filter:
            data["basicFilter"] = copy.deepcopy(self.basic_filter)
        return data

    def grid_data(self) -> dict[str, Any]:
        """The whole tab as one GridData (includeGridData without ranges): a RowData for every
        row up to the last cell with anything in it (a value or only a format, as Sheets does),
        `{}` for an empty row or cell, and each value's effectiveValue (the fake computes no
        formula: it is its entered value, as `value` gives it)."""
        last_row = max((row for row, _column in self.cells), default=-1)
        rows: list[dict[str, Any]] = [{} for _ in range(last_row + 1)]
        by_row: dict[int, dict[int, dict[str, Any]]] = {}
        for (row, column), cell in self.cells.items():
            by_row.setdefault(row, {})[column] = cell
        for row, cells in by_row.items():
            values = []
            for column in range(max(cells) + 1):
                cell = copy.deepcopy(cells.get(column, {}))
                value = self.value(row, column)
                if (row, column) in self.results and _is_formula(cell):
                    cell["effectiveValue"] = copy.deepcopy(self.results[(row, column)])
                elif value is not None:
                    cell["effectiveValue"] = _extended(value)
                values.append(cell)
            rows[row] = {"values": values}
        return {"startRow": 0, "startColumn": 0, "rowData": rows}

    def value(self, row: int, column: int) -> Any:
        """The cell's value as UNFORMATTED_VALUE gives it (0-based position)."""
        cell = self.cells.get((row, column), {})
        if (row, column) in self.results and _is_formula(cell):
            (kind, raw), *_ = self.results[(row, column)].items()
            return ERROR_TEXTS[raw["type"]] if kind == "errorValue" else raw
        entered = cell.get("userEnteredValue")
        if not entered:
            return None
        (kind, raw), *_ = entered.items()
        if kind == "numberValue" and float(raw).is_integer():
            return int(raw)
        return raw


def new_sheet(sheet_id: int, title: str, index: int, rows: int = 1000, columns: int = 26) -> Sheet:
    grid = {"rowCount": rows, "columnCount": columns}
    properties = {
        "sheetId": sheet_id,
        "title": title,
        "index": index,
        "sheetType": "GRID",
        "gridProperties": grid,
    }
    return Sheet(properties)


@dataclass
class Spreadsheet:
    id: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    next_protection: int = 1000

    @classmethod
    def blank(cls, spreadsheet_id: str, title: str) -> Spreadsheet:
        return cls(spreadsheet_id, title, [new_sheet(0, "Sheet1", 0)])

    def snapshot(self) -> Spreadsheet:
        return Spreadsheet(
            self.id, self.title, [sheet.snapshot() for sheet in self.sheets], self.next_protection
        )

    def as_json(self, grid: bool = False) -> dict[str, Any]:
        ordered = sorted(self.sheets, key=lambda s: s.properties["index"])
        return {
            "spreadsheetId": self.id,
            "properties": {"title": self.title, "locale": "en_US", "timeZone": "Etc/GMT"},
            "sheets": [sheet.as_json(grid) for sheet in ordered],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.id}/edit",
        }

    def sheet(self, sheet_id: int, where: str = "") -> Sheet:
        for sheet in self.sheets:
            if sheet.id == sheet_id:
                return sheet
        raise invalid(f"Invalid {where}: No grid with id: {sheet_id}")

    def sheet_named(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title.casefold() == title.casefold()), None)

    def reindex(self) -> None:
        for index, sheet in enumerate(sorted(self.sheets, key=lambda s: s.properties["index"])):
            sheet.properties["index"] = index

    # -- A1 ranges ---------------------------------------------------------------------------

    def resolve(self, text: str) -> tuple[Sheet, tuple[int, int, int, int]]:
        """An A1 range as (sheet, (first row, first column, end row, end column)), 0-based and
        end-exclusive, clipped to the grid; "Unable to parse range" like Sheets otherwise."""
        has_cells = "!" in text and not text.endswith("'")
        name, cells = text.rsplit("!", 1) if has_cells else (text, "")
        if len(name) > 1 and name.startswith("'") and name.endswith("'"):
            name = name[1:-1].replace("''", "'")
        sheet = self.sheet_named(name)
        if (
            sheet is None
            and not has_cells
            and re.fullmatch(r"[A-Za-z]{1,3}\d*(:[A-Za-z]{1,3}\d*)?", text)
        ):
            sheet, cells = min(self.sheets, key=lambda s: s.properties["index"]), text
        if sheet is None:
            raise invalid(f"Unable to parse range: {text}")
        if not cells:
            return sheet, (0, 0, sheet.rows, sheet.columns)
        match = re.fullmatch(r"([A-Za-z]{0,3})(\d*)(?::([A-Za-z]{0,3})(\d*))?", cells)
        if not match or not (match.group(1) or match.group(2)):
            raise invalid(f"Unable to parse range: {text}")
        first_col, first_row, last_col, last_row = match.groups()
        if last_col is None and last_row is None:
            last_col, last_row = first_col, first_row
        top = int(first_row) - 1 if first_row else 0
        left = _column(first_col) - 1 if first_col else 0
        bottom = int(last_row) if last_row else sheet.rows
        right = _column(last_col) if last_col else sheet.columns
        if top >= sheet.rows or left >= sheet.columns:
            raise invalid(f"Range ('{sheet.title}'!{cells}) exceeds grid limits.")
        return sheet, (top, left, min(bottom, sheet.rows), min(right, sheet.columns))

    # -- batchUpdate -------------------------------------------------------------------------

    def batch_update(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Apply the requests in order; all or nothing (the caller keeps the old copy)."""
        if not isinstance(requests, list) or not requests:
            raise invalid("Must specify at least one request.")
        replies = []
        for index, request in enumerate(requests):
            if not isinstance(request, dict) or len(request) != 1:
                raise invalid(f"Invalid requests[{index}]: exactly one kind of request expected")
            ((kind, body),) = request.items()
            handler = getattr(self, "_" + kind, None)
            if handler is None:
                raise invalid(
                    f'Invalid JSON payload received. Unknown name "{kind}" at '
                    f"'requests[{index}]': Cannot find field."
                )
            replies.append(handler(body, f"requests[{index}].{kind}") or {})
        return replies

    def _addSheet(self, body, where):  # noqa: N802 - Sheets' own request names
        properties = copy.deepcopy(body.get("properties", {}))
        title = properties.get("title") or f"Sheet{len(self.sheets) + 1}"
        if self.sheet_named(title):
            raise invalid(
                f'Invalid {where}: A sheet with the name "{title}" already exists. '
                "Please enter another name."
            )
        sheet_id = properties.get("sheetId", max((s.id for s in self.sheets), default=0) + 1)
        if any(s.id == sheet_id for s in self.sheets):
            raise invalid(f"Invalid {where}: Sheet with id {sheet_id} already exists.")
        grid = properties.get("gridProperties", {})
        index = properties.get("index", len(self.sheets))
        for sheet in self.sheets:
            if sheet.properties["index"] >= index:
                sheet.properties["index"] += 1
        sheet = new_sheet(
            sheet_id, title, index, grid.get("rowCount", 1000), grid.get("columnCount", 26)
        )
        for key, value in properties.items():
            if key == "gridProperties":
                sheet.properties["gridProperties"].update(value)
            elif key not in ("sheetId", "title", "index"):
                sheet.properties[key] = value
        self.sheets.append(sheet)
        self.reindex()
        return {"addSheet": {"properties": copy.deepcopy(sheet.properties)}}

    def _deleteSheet(self, body, where):  # noqa: N802
        sheet = self.sheet(body.get("sheetId"), where)
        if len(self.sheets) == 1:
            raise invalid(f"Invalid {where}: You can't remove all the sheets in a document.")
        self.sheets.remove(sheet)
        self.reindex()

    def _updateSheetProperties(self, body, where):  # noqa: N802
        properties, fields = body.get("properties", {}), body.get("fields")
        if not fields:
            raise invalid(f"Invalid {where}: At least one field must be updated.")
        sheet = self.sheet(properties.get("sheetId", 0), where)
        tree = parse_mask(fields)
        check_mask(tree, SHEET_SCHEMA["properties"] | {"gridProperties": None}, where)
        title = properties.get("title")
        if "title" in tree and title != sheet.title and self.sheet_named(title or ""):
            raise invalid(f'Invalid {where}: A sheet with the name "{title}" already exists.')
        if "index" in tree:
            sheet.properties["index"] = properties["index"] - 0.5
        copy_masked(properties, sheet.properties, {k: v for k, v in tree.items() if k != "index"})
        self.reindex()
        grid = sheet.properties["gridProperties"]
        sheet.cells = {
            k: v
            for k, v in sheet.cells.items()
            if k[0] < grid["rowCount"] and k[1] < grid["columnCount"]
        }

    def _updateCells(self, body, where):  # noqa: N802
        fields = body.get("fields")
        if not fields:
            raise invalid(f"Invalid {where}: At least one field must be specified.")
        tree = parse_mask(fields)
        if "*" not in tree and not set(tree) <= CELL_FIELDS:
            raise invalid(f"Invalid {where}: Invalid field mask {fields}")
        if "range" in body:
            sheet = self.sheet(body["range"].get("sheetId", 0), where)
            top, left, bottom, right = grid_span(sheet, body["range"], where)
        elif "start" in body:
            sheet = self.sheet(body["start"].get("sheetId", 0), where)
            top, left = body["start"].get("rowIndex", 0), body["start"].get("columnIndex", 0)
            bottom, right = sheet.rows, sheet.columns
        else:
            raise invalid(f"Invalid {where}: range or start is required")
        rows = body.get("rows", [])
        for r, row in enumerate(rows):
            for c, cell in enumerate(row.get("values", [])):
                if top + r >= bottom or left + c >= right:
                    raise invalid(
                        f"Invalid {where}: GridCoordinate ({top + r}, {left + c}) is outside "
                        f"the grid of '{sheet.title}' ({sheet.rows} x {sheet.columns})"
                    )
                _set_cell(sheet, (top + r, left + c), cell, tree)
        if "range" in body:  # cells of the range that `rows` does not cover are cleared
            covered = {
                (top + r, left + c)
                for r, row in enumerate(rows)
                for c in range(len(row.get("values", [])))
            }
            for key in [k for k in sheet.cells if top <= k[0] < bottom and left <= k[1] < right]:
                if key not in covered:
                    _set_cell(sheet, key, {}, tree)

    def _repeatCell(self, body, where):  # noqa: N802
        sheet = self.sheet(body["range"].get("sheetId", 0), where)
        top, left, bottom, right = grid_span(sheet, body["range"], where)
        tree = parse_mask(body.get("fields", ""))
        for row in range(top, bottom):
            for column in range(left, right):
                _set_cell(sheet, (row, column), body.get("cell", {}), _relative(tree))

    def _setDataValidation(self, body, where):  # noqa: N802
        sheet = self.sheet(body["range"].get("sheetId", 0), where)
        top, left, bottom, right = grid_span(sheet, body["range"], where)
        rule = body.get("rule")
        if rule is not None:
            condition = rule.get("condition", {})
            if condition.get("type") not in VALIDATION_TYPES:
                raise invalid(f"Invalid {where}: unknown condition type {condition.get('type')}")
        sheet.validations.append(((top, left, bottom, right), rule))

    def _updateDimensionProperties(self, body, where):  # noqa: N802
        span = body["range"]
        sheet = self.sheet(span.get("sheetId", 0), where)
        if span.get("dimension") != "COLUMNS" or parse_mask(body.get("fields", "")) != {
            "pixelSize": None
        }:
            raise invalid(f"Invalid {where}: the fake supports column pixelSize only")
        if span.get("endIndex", 0) > sheet.columns:
            raise invalid(f"Invalid {where}: column {span['endIndex']} is outside the grid")
        for column in range(span.get("startIndex", 0), span["endIndex"]):
            sheet.column_pixels[column] = body["properties"]["pixelSize"]

    def _insertDimension(self, body, where):  # noqa: N802
        span = body["range"]
        sheet = self.sheet(span.get("sheetId", 0), where)
        if span.get("dimension") != "ROWS":
            raise invalid(f"Invalid {where}: the fake inserts rows only")
        start, count = span.get("startIndex", 0), span["endIndex"] - span.get("startIndex", 0)
        sheet.cells = {
            (r + count if r >= start else r, c): cell for (r, c), cell in sheet.cells.items()
        }
        for merge in sheet.merges:
            if merge.get("startRowIndex", 0) >= start:
                merge["startRowIndex"] = merge.get("startRowIndex", 0) + count
                merge["endRowIndex"] += count
        sheet.properties["gridProperties"]["rowCount"] += count

    def _mergeCells(self, body, where):  # noqa: N802
        sheet = self.sheet(body["range"].get("sheetId", 0), where)
        top, left, bottom, right = grid_span(sheet, body["range"], where)
        for merge in sheet.merges:
            if _overlaps((top, left, bottom, right), _span_of(merge)):
                raise invalid(f"Invalid {where}: You can't merge cells that overlap a merge.")
        sheet.merges.append(
            {
                "sheetId": sheet.id,
                "startRowIndex": top,
                "endRowIndex": bottom,
                "startColumnIndex": left,
                "endColumnIndex": right,
            }
        )
        for key in [k for k in sheet.cells if top <= k[0] < bottom and left <= k[1] < right]:
            if key != (top, left):  # like Sheets, a merge keeps the top-left value only
                _set_cell(sheet, key, {}, {"userEnteredValue": None})

    def _unmergeCells(self, body, where):  # noqa: N802
        sheet = self.sheet(body["range"].get("sheetId", 0), where)
        span = grid_span(sheet, body["range"], where)
        sheet.merges = [m for m in sheet.merges if not _overlaps(span, _span_of(m))]

    def _addProtectedRange(self, body, where):  # noqa: N802
        protected = copy.deepcopy(body.get("protectedRange", {}))
        sheet = self.sheet(protected.get("range", {}).get("sheetId", 0), where)
        grid_span(sheet, protected["range"], where)
        if protected.get("warningOnly") and protected.get("editors"):
            raise invalid(f"Invalid {where}: editors are not supported with warningOnly.")
        protected["protectedRangeId"] = self.next_protection
        self.next_protection += 1
        sheet.protected.append(protected)
        return {"addProtectedRange": {"protectedRange": copy.deepcopy(protected)}}

    def _setBasicFilter(self, body, where):  # noqa: N802
        span = body.get("filter", {}).get("range", {})
        sheet = self.sheet(span.get("sheetId", 0), where)
        grid_span(sheet, span, where)
        sheet.basic_filter = copy.deepcopy(body["filter"])

    def _addConditionalFormatRule(self, body, where):  # noqa: N802
        rule = body.get("rule", {})
        for span in rule.get("ranges", []):
            sheet = self.sheet(span.get("sheetId", 0), where)
            grid_span(sheet, span, where)
        sheet.conditional.insert(body.get("index", 0), copy.deepcopy(rule))

    # -- values --------------------------------------------------------------------------------

    def values(self, text: str) -> dict[str, Any]:
        """One ValueRange, UNFORMATTED_VALUE, trailing empty rows and cells left out."""
        sheet, (top, left, bottom, right) = self.resolve(text)
        filled: dict[int, dict[int, Any]] = {}
        for row, column in sheet.cells:
            if top <= row < bottom and left <= column < right:
                value = sheet.value(row, column)
                if value not in (None, ""):
                    filled.setdefault(row - top, {})[column - left] = value
        rows = []
        for row in range(max(filled, default=-1) + 1):
            cells = filled.get(row, {})
            rows.append([cells.get(column, "") for column in range(max(cells, default=-1) + 1)])
        found = {
            "range": f"{quote(sheet.title)}!{a1(top, left)}:{a1(bottom - 1, right - 1)}",
            "majorDimension": "ROWS",
        }
        if rows:
            found["values"] = rows
        return found

    def check_editor(self, text: str, values: list[list[Any]] | None, caller: str) -> None:
        """Refuse, as Sheets does with 403, a write by someone who is not an editor of a
        protected range it touches (warning-only ranges only warn, in the browser)."""
        sheet, (top, left, bottom, right) = self.resolve(text)
        if values is not None:
            bottom = top + len(values)
            right = left + max((len(row) for row in values), default=0)
        for protected in sheet.protected:
            if protected.get("warningOnly"):
                continue
            span = protected["range"]
            p_top, p_bottom = span.get("startRowIndex", 0), span.get("endRowIndex", sheet.rows)
            p_left = span.get("startColumnIndex", 0)
            p_right = span.get("endColumnIndex", sheet.columns)
            overlaps = top < p_bottom and p_top < bottom and left < p_right and p_left < right
            editors = protected.get("editors", {}).get("users", [])
            if overlaps and caller not in editors and caller != protected.get("_owner"):
                raise ApiError(
                    403,
                    "PERMISSION_DENIED",
                    "You are trying to edit a protected cell or object. Please contact the "
                    "spreadsheet owner to remove protection if you need to edit.",
                )

    def put_values(self, text: str, values: list[list[Any]]) -> dict[str, Any]:
        """Write values as RAW input: text stays text, numbers numbers; None skips a cell."""
        sheet, (top, left, bottom, right) = self.resolve(text)
        for r, row in enumerate(values):
            for c, value in enumerate(row):
                if top + r >= sheet.rows or left + c >= sheet.columns:
                    raise invalid(
                        f"Range ('{sheet.title}'!{a1(top + r, left + c)}) exceeds grid limits."
                    )
                if value is None:
                    continue
                entered = {} if value == "" else {"userEnteredValue": _extended(value)}
                _set_cell(sheet, (top + r, left + c), entered, {"userEnteredValue": None})
        cells = sum(len(row) for row in values)
        return {
            "spreadsheetId": self.id,
            "updatedRange": text,
            "updatedRows": len(values),
            "updatedCells": cells,
        }

    def clear_values(self, text: str) -> dict[str, Any]:
        sheet, (top, left, bottom, right) = self.resolve(text)
        for key in [k for k in sheet.cells if top <= k[0] < bottom and left <= k[1] < right]:
            _set_cell(sheet, key, {}, {"userEnteredValue": None})
        return {"spreadsheetId": self.id, "clearedRange": text}


VALIDATION_TYPES = {
    "ONE_OF_LIST",
    "ONE_OF_RANGE",
    "DATE_IS_VALID",
    "TEXT_IS_EMAIL",
    "CUSTOM_FORMULA",
    "NUMBER_GREATER",
    "DATE_AFTER",
    "BOOLEAN",
}


# What the values API gives, unformatted, for a cell showing an error.
ERROR_TEXTS = {"DIVIDE_BY_ZERO": "#DIV/0!", "REF": "#REF!", "N_A": "#N/A", "VALUE": "#VALUE!"}


def _is_formula(cell: dict[str, Any]) -> bool:
    return "formulaValue" in cell.get("userEnteredValue", {})


def _extended(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    raise invalid(f"Invalid value: {value!r}")


def _set_cell(sheet: Sheet, key: tuple[int, int], cell: CellData, tree: dict[str, Any]) -> None:
    target = sheet.cells.setdefault(key, {})
    entered = cell.get("userEnteredValue")
    if entered is not None and (len(entered) != 1 or not set(entered) <= EXTENDED_KINDS):
        raise invalid(f"Invalid userEnteredValue: {entered}")
    copy_masked(cell, target, tree)
    if not target:
        del sheet.cells[key]


EXTENDED_KINDS = {"numberValue", "stringValue", "boolValue", "formulaValue", "errorValue"}


def _relative(tree: dict[str, Any]) -> dict[str, Any]:
    """repeatCell's fields are rooted at CellData, like updateCells'."""
    if "*" not in tree and not set(tree) <= CELL_FIELDS:
        raise invalid(f"Invalid field mask {tree}")
    return tree


def grid_span(sheet: Sheet, span: dict[str, Any], where: str) -> tuple[int, int, int, int]:
    """A GridRange as 0-based end-exclusive bounds; refused when it leaves the grid."""
    top = span.get("startRowIndex", 0)
    left = span.get("startColumnIndex", 0)
    bottom = span.get("endRowIndex", sheet.rows)
    right = span.get("endColumnIndex", sheet.columns)
    if bottom > sheet.rows or right > sheet.columns or top < 0 or left < 0:
        raise invalid(
            f"Invalid {where}: range ({top}:{bottom}, {left}:{right}) is outside the grid of "
            f"'{sheet.title}' ({sheet.rows} x {sheet.columns})"
        )
    return top, left, bottom, right


def _span_of(merge: dict[str, int]) -> tuple[int, int, int, int]:
    return (
        merge.get("startRowIndex", 0),
        merge.get("startColumnIndex", 0),
        merge["endRowIndex"],
        merge["endColumnIndex"],
    )


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _column(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def a1(row: int, column: int) -> str:
    """0-based (row, column) as 'B3'."""
    letters, column = "", column + 1
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return f"{letters}{row + 1}"


def quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"
