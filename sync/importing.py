"""Bringing in a plan a school already has: `plansync import CONFIG SCHOOL_ID FILE`.

The school's own spreadsheet is read like any workbook (tables.py): its tabs are found by the
templates' titles and aliases, or by their headers when renamed; its columns by header text and
aliases; its status words through the templates' choice aliases ("Done" reads as Complete); dates
typed as text when they mean one day. Every row found is added below what the school's
provisioned workbook already holds, through the store, into empty cells only: nothing typed there
is overwritten, and a row the workbook already has is not added twice (so importing again adds
nothing). Everything that could not be placed is listed with where it is in FILE: tabs no
template has, notes above a header, columns no template names, cells that cannot be read as
their column's type, cells far outside the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import standard_templates
from .config import District, School
from .errors import ConfigError, StoreError
from .grid import a1, quote_sheet
from .layout import INSTRUCTIONS_TAB, STAMP_TAB
from .store import RawSheet, RawWorkbook, Store, open_store, read_file
from .tables import Table, TypedCell, WorkbookTables, read_tables
from .templates import Template
from .values import as_text, is_blank, normalize_words, quoted


@dataclass(frozen=True)
class Unplaced:
    """Something in FILE that was not brought in: where it is, what it holds, and why."""

    where: str
    what: str
    why: str

    def line(self) -> str:
        return f"{self.where}: {self.what}: {self.why}"


@dataclass
class Imported:
    school: School
    file: Path
    # "PM Tool › Strategies" -> rows added to it.
    added: dict[str, int] = field(default_factory=dict)
    # Rows the provisioned workbook already had (an earlier import, or typed by hand).
    already_there: int = 0
    unplaced: list[Unplaced] = field(default_factory=list)


def import_plan(
    district: District, school_id: str, path: Path, *, store: Store | None = None
) -> Imported:
    """Add the rows of the school's own spreadsheet at `path` to its provisioned workbooks.

    Raises ConfigError for a school not in the config and a StoreError subclass when FILE, or a
    provisioned workbook, cannot be read or written (nothing is half written: each tab is
    written in one atomic step)."""
    school = next((s for s in district.schools if s.id == school_id), None)
    if school is None:
        raise ConfigError(f"no school with id {school_id!r} in the config")
    source = read_file(Path(path))
    store = store or open_store(district)
    result = Imported(school, Path(path))
    cycles = tuple(cycle.name for cycle in district.cycles)
    claimed: set[str] = set()
    plans: list[tuple[Template, list[Table]]] = []
    for template in standard_templates():
        tables = read_tables(source, template, cycles)
        found = [
            table
            for table in tables.tables.values()
            if table.found and table.header_row and table.sheet_name not in claimed
        ]
        claimed.update(table.sheet_name for table in found if table.sheet_name)
        if found:
            plans.append((template, found))
    for template, _found in plans:  # every workbook is there before anything is written
        if not store.exists(store.locate(school, template)):
            raise ConfigError(
                f"{school.name} has no {template.title} yet: run `plansync provision` first"
            )
    for template, found in plans:
        _into_workbook(store, school, template, found, source, cycles, result)
    result.unplaced[:0] = list(_unclaimed_sheets(source, claimed))
    return result


def _into_workbook(
    store: Store,
    school: School,
    template: Template,
    found: list[Table],
    source: RawWorkbook,
    cycles: tuple[str, ...],
    result: Imported,
) -> None:
    ref = store.locate(school, template)
    provisioned = store.read(ref)
    target = read_tables(provisioned, template, cycles)
    stamped = (target.stamp or {}).get("school_id")
    if stamped and stamped not in (school.id, *school.previous_ids):
        raise StoreError(f"{ref.label} was made for another school ({stamped}); nothing added")
    sheets = {sheet.name: sheet for sheet in source.sheets}
    written = {sheet.name: sheet for sheet in provisioned.sheets}
    for table in found:
        raw = sheets[table.sheet_name or ""]
        result.unplaced += _outside_the_table(table, raw)
        cells = _placed_cells(table, target, written, result)
        if cells:
            here = target.tables[table.tab.key]
            store.add_rows(ref, here.sheet_name or table.tab.title, cells)


def _placed_cells(
    table: Table,
    target: WorkbookTables,
    written: dict[str, RawSheet],
    result: Imported,
) -> dict[tuple[int, int], Any]:
    """Where each readable cell of `table` goes in the provisioned workbook's tab."""
    here = target.tables[table.tab.key]
    source = quote_sheet(table.sheet_name or "")
    if not here.found or here.header_row is None:
        for row in table.rows:
            result.unplaced.append(
                Unplaced(
                    f"{source}!{row.number}:{row.number}",
                    _row_text(row.cells.values()),
                    f"the {target.template.title} has no {table.tab.title} tab to put it in",
                )
            )
        return {}
    have = {_signature(_as_read(row.cells)) for row in here.rows}
    next_row = (
        max(here.last_row, here.header_row, _last_used(written.get(here.sheet_name or ""))) + 1
    )
    cells: dict[tuple[int, int], Any] = {}
    added = 0
    for row in table.rows:
        values: dict[str, Any] = {}
        for key, cell in row.cells.items():
            if cell.blank:
                continue
            if cell.problem is not None:
                result.unplaced.append(
                    Unplaced(f"{source}!{cell.address}", quoted(cell.text), cell.problem)
                )
            elif key not in here.columns:
                header = table.tab.column(key).header
                result.unplaced.append(
                    Unplaced(
                        f"{source}!{cell.address}",
                        quoted(cell.text),
                        f"the {target.template.title}'s {here.display_name} tab has no "
                        f"{header} column",
                    )
                )
            else:
                values[key] = cell.value
        if not values:
            continue
        if _signature(values) in have:
            result.already_there += 1
            continue
        have.add(_signature(values))
        for key, value in values.items():
            cells[(next_row, here.columns[key])] = value
        next_row += 1
        added += 1
    if added:
        name = f"{target.template.title} › {here.display_name}"
        result.added[name] = result.added.get(name, 0) + added
    return cells


def _as_read(cells: dict[str, TypedCell]) -> dict[str, Any]:
    """A row's cells as values: typed where readable, as typed where not."""
    return {
        key: cell.value if cell.problem is None and cell.value is not None else cell.text
        for key, cell in cells.items()
    }


def _signature(values: dict[str, Any]) -> tuple:
    """A row as comparable words, to tell a row the workbook already holds."""
    texts = ((key, normalize_words(as_text(value))) for key, value in sorted(values.items()))
    return tuple((key, text) for key, text in texts if text)


def _last_used(sheet: RawSheet | None) -> int:
    if sheet is None:
        return 0
    for number in range(len(sheet.rows), 0, -1):
        if any(not is_blank(value) for value in sheet.rows[number - 1]):
            return number
    return 0


def _outside_the_table(table: Table, sheet: RawSheet) -> Iterator[Unplaced]:
    """What a found tab holds outside the template's columns: notes above its header, columns
    no template names, cells too far out to read, rows repeating the header."""
    name = quote_sheet(sheet.name)
    header_row = table.header_row or 1
    for number in range(1, header_row):
        line = [value for value in sheet.rows[number - 1] if not is_blank(value)]
        if line:
            yield Unplaced(
                f"{name}!{number}:{number}",
                _row_text(line),
                "above the header row: a note or title, not a row of the plan",
            )
    header = sheet.rows[header_row - 1] if header_row <= len(sheet.rows) else []
    known = set(table.columns.values())
    width = max((len(row) for row in sheet.rows[header_row:]), default=0)
    for column in range(1, max(width, len(header)) + 1):
        if column in known:
            continue
        title = as_text(header[column - 1]) if column <= len(header) else ""
        why = (
            f"the column {quoted(title)} matches no column of the {table.tab.title} tab"
            if title
            else f"a column without a header, beside the {table.tab.title} tab's"
        )
        for number in range(header_row + 1, len(sheet.rows) + 1):
            row = sheet.rows[number - 1]
            if column <= len(row) and not is_blank(row[column - 1]):
                yield Unplaced(
                    f"{name}!{a1(number, column)}", quoted(as_text(row[column - 1])), why
                )
    for number in table.repeated_headers:
        yield Unplaced(f"{name}!{number}:{number}", "the header again", "skipped, as a header")
    for cell in table.left_out:
        yield Unplaced(f"{name}!{cell}", "a value far outside the table", "too far out to read")


def _unclaimed_sheets(source: RawWorkbook, claimed: set[str]) -> Iterator[Unplaced]:
    system = {INSTRUCTIONS_TAB.casefold(), STAMP_TAB}
    system |= {t.summary_tab.casefold() for t in standard_templates() if t.summary_tab}
    for sheet in source.sheets:
        if sheet.name in claimed or sheet.name.casefold() in system:
            continue
        used = [row for row in sheet.rows if any(not is_blank(value) for value in row)]
        if used:
            first = next((as_text(v) for row in used for v in row if not is_blank(v)), "")
            yield Unplaced(
                f"tab {quoted(sheet.name)}",
                f"{len(used)} row{'s' if len(used) != 1 else ''} starting {quoted(first)}",
                "no tab of the plan has this name or these headers",
            )


def _row_text(values: Any) -> str:
    texts = [getattr(value, "text", None) or as_text(value) for value in values]
    return quoted(" | ".join(text for text in texts if text))
