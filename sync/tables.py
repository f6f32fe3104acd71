"""From raw grids to typed rows: find each template tab, its header row and its columns.

Tabs are found by their title (or an alias); a renamed tab is still found when its header row
matches the template. Columns are matched by header text, never by position, so teams may reorder
columns, add their own or type notes above the header. Merged cells count for every cell they cover.
Each typed cell keeps its address so that every problem can point at it. Nothing here decides what
is wrong; checks.py does.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .grid import a1, column_letter
from .layout import INSTRUCTIONS_TAB, ROSTER_COLUMN, ROSTER_TITLE, STAMP_TAB
from .store import RawSheet, RawWorkbook, WorkbookRef
from .templates import Column, Tab, Template
from .values import as_text, normalize_words, parse_value

# Notes or a title typed above the header row are allowed within this many rows.
HEADER_SEARCH_ROWS = 15
# Longer text is a note or data, never a header; skipping it keeps the header search cheap.
MAX_HEADER = 80


@dataclass(slots=True)
class TypedCell:
    raw: Any
    value: Any
    problem: str | None
    address: str
    blank: bool

    @property
    def text(self) -> str:
        return as_text(self.raw)


@dataclass(slots=True)
class Row:
    number: int
    cells: dict[str, TypedCell]

    def value(self, key: str) -> Any:
        cell = self.cells.get(key)
        return cell.value if cell else None

    def text(self, key: str) -> str:
        cell = self.cells.get(key)
        return cell.text if cell else ""


@dataclass
class Table:
    tab: Tab
    # The tab's name as the school has it; None when the tab is missing.
    sheet_name: str | None = None
    # "title" when found by its name, "headers" when a renamed tab was recognised by its columns.
    found_by: str | None = None
    hidden: bool = False
    header_row: int | None = None
    columns: dict[str, int] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    missing: list[Column] = field(default_factory=list)
    last_row: int = 1
    # Rows below the header that repeat it (a pasted block, a header typed again): skipped.
    repeated_headers: list[int] = field(default_factory=list)
    # Cells too far out to read (see RawSheet.left_out).
    left_out: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.sheet_name is not None

    @property
    def display_name(self) -> str:
        return self.sheet_name or self.tab.title

    def next_free(self, key: str | None = None) -> str | None:
        """The cell where the next row would go: where to add a missing item."""
        if not self.found or self.header_row is None:
            return None
        column = self.columns.get(key) if key else None
        column = column or min(self.columns.values(), default=1)
        return a1(max(self.last_row, self.header_row) + 1, column)

    def address(self, key: str, row_number: int) -> str | None:
        column = self.columns.get(key)
        return a1(row_number, column) if column else None

    def header_address(self) -> str | None:
        return f"{self.header_row}:{self.header_row}" if self.header_row else None


@dataclass
class WorkbookTables:
    template: Template
    ref: WorkbookRef
    tables: dict[str, Table]
    stamp: dict[str, str] | None
    modified: dt.datetime | None
    version: str
    sheet_names: list[str]
    # What the school typed, as a hash (RawWorkbook.content).
    content: str | None = None
    # The copy of the school's roster on the stamp tab (the person columns' dropdown), or None
    # when the stamp tab has no roster column.
    roster: tuple[str, ...] | None = None

    def table(self, key: str) -> Table:
        return self.tables[key]

    @classmethod
    def empty(cls, template: Template, ref: WorkbookRef) -> WorkbookTables:
        """Tables for a workbook that could not be read: every tab missing, no rows."""
        tables = {tab.key: Table(tab, missing=list(tab.columns)) for tab in template.tabs}
        return cls(template, ref, tables, None, None, "", [])


def read_tables(
    raw: RawWorkbook, template: Template, cycles: Sequence[str], rows: bool = True
) -> WorkbookTables:
    """Find every template tab in the workbook and read its rows as typed cells (`rows=False`:
    only where the tabs, header rows and columns are, as `plansync migrate` needs)."""
    sheets = [s for s in raw.sheets if not _is_system_sheet(s.name, template)]
    placed = _place_tabs(template, sheets)
    tables = {
        tab.key: _read_table(tab, placed.get(tab.key), cycles, rows, raw.date1904)
        for tab in template.tabs
    }
    return WorkbookTables(
        template=template,
        ref=raw.ref,
        tables=tables,
        stamp=read_stamp(raw),
        modified=raw.modified,
        version=raw.version,
        sheet_names=raw.sheet_names,
        content=raw.content,
        roster=read_stamp_roster(raw),
    )


def _is_system_sheet(name: str, template: Template) -> bool:
    system = {INSTRUCTIONS_TAB.casefold(), STAMP_TAB}
    if template.summary_tab:
        system.add(template.summary_tab.casefold())
    return name.casefold() in system


def _place_tabs(template: Template, sheets: list[RawSheet]) -> dict[str, tuple[RawSheet, str]]:
    """Match template tabs to sheets: by name first, then unclaimed sheets by their headers."""
    by_name = {normalize_words(sheet.name): sheet for sheet in sheets}
    placed: dict[str, tuple[RawSheet, str]] = {}
    for tab in template.tabs:
        for title in tab.titles:
            sheet = by_name.get(normalize_words(title))
            if sheet is not None and all(sheet is not s for s, _ in placed.values()):
                placed[tab.key] = (sheet, "title")
                break
    for tab in template.tabs:
        if tab.key in placed:
            continue
        claimed = [s for s, _ in placed.values()]
        candidates = [s for s in sheets if all(s is not c for c in claimed)]
        best = max(candidates, key=lambda s: _header_match(tab, s)[1], default=None)
        if best is not None and _header_match(tab, best)[1] >= max(2, len(tab.columns) // 2):
            placed[tab.key] = (best, "headers")
    return placed


_HEADER_KEYS: dict[int, tuple[Tab, dict[str, str]]] = {}


def _header_keys(tab: Tab) -> dict[str, str]:
    """Normalized header text (and aliases) -> column key, worked out once per tab."""
    known = _HEADER_KEYS.get(id(tab))
    if known is None or known[0] is not tab:
        keys: dict[str, str] = {}
        for column in tab.columns:
            for header in column.headers:
                keys.setdefault(normalize_header(header), column.key)
        known = _HEADER_KEYS[id(tab)] = (tab, keys)
    return known[1]


@lru_cache(maxsize=8192)
def normalize_header(text: str) -> str:
    """'Due Date *', 'due date:' and 'Due date (yyyy-mm-dd)' all read as 'due date'."""
    text = re.sub(r"\([^)]*\)", " ", text)
    return normalize_words(text).strip(" *:")


def _header_match(tab: Tab, sheet: RawSheet) -> tuple[int | None, int]:
    """The row (1-based) that looks most like the tab's header, and how many columns it names."""
    keys = _header_keys(tab)
    wanted = len(set(keys.values()))
    best_row, best_count = None, 0
    for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS], start=1):
        found = {
            keys[h]
            for cell in row
            if isinstance(cell, str)
            and len(cell) <= MAX_HEADER
            and (h := normalize_header(cell)) in keys
        }
        if len(found) > best_count:
            best_row, best_count = index, len(found)
            if best_count == wanted:
                break  # every column found: no later row can do better
    return best_row, best_count


def _read_table(
    tab: Tab,
    placed: tuple[RawSheet, str] | None,
    cycles: Sequence[str],
    rows: bool = True,
    date1904: bool = False,
) -> Table:
    if placed is None:
        return Table(tab, missing=list(tab.columns))
    sheet, found_by = placed
    header_row, _count = _header_match(tab, sheet)
    table = Table(tab, sheet_name=sheet.name, found_by=found_by, hidden=sheet.hidden)
    table.left_out = list(sheet.left_out)
    if header_row is None:
        table.missing = list(tab.columns)
        return table
    table.header_row = header_row
    keys = _header_keys(tab)
    for index, cell in enumerate(sheet.rows[header_row - 1], start=1):
        key = keys.get(normalize_header(cell)) if isinstance(cell, str) else None
        if key and key not in table.columns:
            table.columns[key] = index
    table.missing = [column for column in tab.columns if column.key not in table.columns]
    if not rows:
        return table
    grid = _with_merges_filled(sheet, header_row)
    parsers = [
        _ColumnReader(column, table.columns[column.key], cycles, date1904)
        for column in tab.columns
        if column.key in table.columns
    ]
    header = _header_texts(parsers, grid[header_row - 1])
    for number in range(header_row + 1, len(grid) + 1):
        if _repeats_header(grid[number - 1], header):
            table.repeated_headers.append(number)
            continue
        row = _read_row(grid[number - 1], number, parsers)
        if row is not None:
            table.rows.append(row)
            table.last_row = number
    table.last_row = max(table.last_row, header_row)
    return table


@dataclass(slots=True)
class _ColumnReader:
    """Everything needed to read one column's cells, worked out once per table."""

    key: str
    index: int
    letter: str
    type: str
    choices: tuple[str, ...]
    strict: bool
    date1904: bool
    aliases: tuple[tuple[str, str], ...]
    # Raw value -> how it reads: a column's values repeat ("On Track", "School", a date).
    seen: dict

    def __init__(
        self, column: Column, position: int, cycles: Sequence[str], date1904: bool = False
    ):
        self.date1904 = date1904
        self.key = column.key
        self.index = position - 1
        self.letter = column_letter(position)
        self.type = column.type
        self.choices = tuple(cycles) if column.choices_from == "cycles" else column.choices
        self.strict = column.strict
        self.aliases = tuple(column.choice_aliases.items())
        self.seen = {}

    def parse(self, raw: Any) -> tuple[Any, str | None]:
        key = (type(raw), raw)  # True == 1 == 1.0 as dict keys, but they read differently
        parsed = self.seen.get(key)
        if parsed is None:
            parsed = self.seen[key] = parse_value(
                raw, self.type, self.choices, self.strict, self.aliases, self.date1904
            )
        return parsed


def _header_texts(readers: list[_ColumnReader], header: list[Any]) -> dict[int, str]:
    """Column position -> its header text, for the columns the sync reads."""
    return {
        reader.index + 1: header[reader.index].strip().casefold()
        for reader in readers
        if reader.index < len(header) and isinstance(header[reader.index], str)
    }


def _repeats_header(values: list[Any], header: dict[int, str]) -> bool:
    """True when the row holds the header again: its first read column does, and most others."""
    if not header:
        return False
    first = min(header)
    value = values[first - 1] if first <= len(values) else None
    if not isinstance(value, str) or value.strip().casefold() != header[first]:
        return False  # the common case, decided on one cell
    same = 0
    for position, text in header.items():
        value = values[position - 1] if position <= len(values) else None
        if isinstance(value, str) and value.strip().casefold() == text:
            same += 1
    return same >= max(2, (len(header) + 1) // 2)


def _read_row(values: list[Any], number: int, readers: list[_ColumnReader]) -> Row | None:
    # The hot loop of every sync (each cell of each plan): is_blank and the text case inlined.
    width = len(values)
    raws = [values[r.index] if r.index < width else None for r in readers]
    blanks = [raw is None or raw == "" or (type(raw) is str and not raw.strip()) for raw in raws]
    if all(blanks):
        return None
    cells = {}
    for reader, raw, blank in zip(readers, raws, blanks, strict=True):
        if blank:
            value, problem = None, None
        elif reader.type == "text" and type(raw) is str:
            value, problem = raw.strip(), None
        else:
            value, problem = reader.parse(raw)
        cells[reader.key] = TypedCell(raw, value, problem, f"{reader.letter}{number}", blank)
    return Row(number, cells)


def _with_merges_filled(sheet: RawSheet, header_row: int) -> list[list[Any]]:
    """A merged area shows one value for all its cells; read it that way (without copying data
    rows that no merge touches)."""
    if not sheet.merged:
        return sheet.rows
    grid = list(sheet.rows)
    height = len(grid)
    widest = max((len(row) for row in grid), default=0)
    for first_row, first_col, last_row, last_col in sheet.merged:
        if last_row <= header_row or first_row > height or first_col > widest:
            continue
        top = grid[first_row - 1]
        value = top[first_col - 1] if first_col <= len(top) else None
        last_col = min(last_col, widest)
        for number in range(max(first_row, header_row + 1), min(last_row, height) + 1):
            row = list(grid[number - 1])
            row.extend([None] * (last_col - len(row)))
            row[first_col - 1 : last_col] = [value] * (last_col - first_col + 1)
            grid[number - 1] = row
    return grid


def read_stamp(raw: RawWorkbook) -> dict[str, str] | None:
    """The hidden stamp tab as key -> value, or None when the workbook has none."""
    sheet = next((s for s in raw.sheets if s.name.casefold() == STAMP_TAB), None)
    if sheet is None:
        return None
    stamp = {}
    for row in sheet.rows:
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip():
            stamp[row[0].strip()] = as_text(row[1])
    return stamp


def read_stamp_roster(raw: RawWorkbook) -> tuple[str, ...] | None:
    """The names in the stamp tab's roster column (layout.ROSTER_COLUMN), or None when the
    workbook has no stamp tab or the column has no roster title."""
    sheet = next((s for s in raw.sheets if s.name.casefold() == STAMP_TAB), None)
    index = ROSTER_COLUMN - 1
    if sheet is None or not sheet.rows or len(sheet.rows[0]) <= index:
        return None
    if as_text(sheet.rows[0][index]).strip() != ROSTER_TITLE:
        return None
    names = (as_text(row[index]).strip() if len(row) > index else "" for row in sheet.rows[1:])
    return tuple(name for name in names if name)


def stamp_cycles(stamp: dict[str, str] | None) -> list[tuple[str, dt.date]]:
    """The monitoring cycles (name, start) recorded when the workbook was provisioned."""
    try:
        entries = json.loads((stamp or {}).get("cycles", "[]"))
        return [(str(name), dt.date.fromisoformat(start)) for name, start, _end in entries]
    except (ValueError, TypeError):
        return []


def stamp_year_end(stamp: dict[str, str] | None) -> dt.date | None:
    """The end of the last monitoring cycle recorded when the workbook was provisioned."""
    try:
        entries = json.loads((stamp or {}).get("cycles", "[]"))
        return max((dt.date.fromisoformat(end) for _name, _start, end in entries), default=None)
    except (ValueError, TypeError):
        return None
