"""A workbook's typed tables built from Python lists, to test checks without any workbook file.

    tables = tables_from_lists(PM_TOOL, {"action_steps": grid(PM_TOOL, "action_steps", {...})})

A grid is a tab as a school would type it: row 1 first (usually the header row), then the rows
below it. A tab left out is missing. The grids go through the reader real workbooks go through
(`tables.read_tables`), so cells are typed and addressed as they would be in a file, and checking
them takes a millisecond.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plansync.layout import STAMP_TAB
from plansync.store import RawSheet, RawWorkbook, WorkbookRef
from plansync.tables import WorkbookTables, read_tables
from plansync.templates import Template


def tables_from_lists(
    template: Template,
    grids: Mapping[str, Sequence[Sequence[Any]]],
    cycles: Sequence[str] = (),
    school_id: str = "s1",
    stamped: bool = True,
) -> WorkbookTables:
    """The tables of a workbook of `template` whose tabs (by key) hold these grids.

    `cycles` are the district's cycle names (a "cycles" choice column reads them). `stamped`
    adds the hidden stamp a provisioned workbook has, naming this template and school.
    """
    sheets = [
        RawSheet(template.tab(key).title, [list(row) for row in grid])
        for key, grid in grids.items()
    ]
    if stamped:
        stamp = {"template": template.id, "version": str(template.version), "school_id": school_id}
        sheets.append(RawSheet(STAMP_TAB, [[key, value] for key, value in stamp.items()], True))
    ref = WorkbookRef(school_id, template.id, "memory", "memory")
    return read_tables(RawWorkbook(ref, sheets, None, "1"), template, cycles)


def grid(template: Template, tab_key: str, *rows: Mapping[str, Any]) -> list[list[Any]]:
    """A tab's header row (the template's headers, in its order) and one row per mapping of
    column key to value; a key left out is a blank cell."""
    columns = template.tab(tab_key).columns
    return [
        [column.header for column in columns],
        *([row.get(column.key) for column in columns] for row in rows),
    ]
