"""Rule kind `notes`: a coach's notes to the school, each about a place in the plan.

    - {type: notes, tab: notes, date: date, author: author, about: about, note: note,
       response: response, status: status}

A note's About names what it is about, in any of the ways a coach would write it:

    "Benchmarks, row 7"        a tab and a row (the tab as the school names it, or its title)
    "Action Steps!F7", "F7"    a cell (without a tab only when one tab has that cell in its rows)
    "MIS 2"                    an ID typed in a tab's ID column (a strategy)

`resolve_about` turns it into a `Target`: the place to link to, and the rows whose edits count as
the school acting on the note (for an ID, the row that lists it and every row that refers to it).
The check reports, at the note's own row, a note without a date or an About, and an About that
points nowhere. Notes are the coach's rows, not the school's plan: they never count towards
completeness.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

from ..grid import a1, column_letter, parse_a1
from ..tables import Row, Table, WorkbookTables
from ..values import normalize_words, quoted
from .base import CheckContext, IssueKind, Rule, WorkbookCheck

NOTE_ABOUT_MISSING = IssueKind(
    "note-about-missing", "Coach note says not what it is about", "warning"
)
NOTE_ABOUT_UNKNOWN = IssueKind(
    "note-about-unknown", "Coach note about nothing in the plan", "warning"
)
NOTE_DATE_MISSING = IssueKind("note-date-missing", "Coach note has no date", "warning")
# Reported by plansync.notes, which compares a note with the night before.
NOTE_COACH_PART_CHANGED = IssueKind(
    "note-changed-after-answer", "Coach's words changed after the answer", "warning"
)
NOTE_ANSWER_CHANGED = IssueKind(
    "note-answer-changed-after-resolved", "Answer changed after the note was resolved", "warning"
)

# The column of an ID that other tabs refer to (`choices_from: <tab>.id`).
ID_COLUMN = "id"
OPEN, ANSWERED, RESOLVED = "Open", "Answered", "Resolved"

_CELL = re.compile(r"^(?:(?P<sheet>.+?)\s*!\s*)?\$?(?P<col>[A-Za-z]{1,3})\$?(?P<row>\d{1,7})$")
_ROW = re.compile(r"^(?P<sheet>.+?)\s*[,:;]?\s+row\s*(?P<row>\d{1,7})$", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """Where a note points: a cell, or a whole row (`cell` is then its first cell)."""

    tab_key: str
    sheet: str
    cell: str
    whole_row: bool
    # (tab key, row number) of every row whose edits count as the school acting on the note.
    rows: tuple[tuple[str, int], ...]


class NotesRule(Rule):
    """The coach's notes: each has a date and an About that points at something in the plan."""

    type: Literal["notes"]
    date: str
    author: str
    about: str
    note: str
    response: str
    status: str

    issues: ClassVar[tuple[IssueKind, ...]] = (
        NOTE_ABOUT_MISSING,
        NOTE_ABOUT_UNKNOWN,
        NOTE_DATE_MISSING,
        NOTE_COACH_PART_CHANGED,
        NOTE_ANSWER_CHANGED,
    )

    def columns_named(self) -> tuple[str, ...]:
        return (self.date, self.author, self.about, self.note, self.response, self.status)

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        for row in table.rows:
            if not row.text(self.note) and not row.text(self.about):
                continue  # a row holding only an answer or a status is not a note
            if row.cells.get(self.date) is not None and row.cells[self.date].blank:
                result.add(
                    NOTE_DATE_MISSING,
                    table.sheet_name,
                    row.cells[self.date].address,
                    "This note has no date. Type the day it was written, so everyone can see "
                    "how long it has waited.",
                )
            about = row.cells.get(self.about)
            if about is None:
                continue  # the missing column is reported on its own
            if about.blank:
                result.add(
                    NOTE_ABOUT_MISSING,
                    table.sheet_name,
                    about.address,
                    "This note does not say what it is about. Name a tab and row "
                    "(“Benchmarks, row 7”), a cell (“Action Steps!F7”) or a strategy ID.",
                )
                continue
            found = resolve_about(tables, about.text, self.tab)
            if isinstance(found, str):
                result.add(
                    NOTE_ABOUT_UNKNOWN,
                    table.sheet_name,
                    about.address,
                    f"About {quoted(about.text)}: {found}",
                )

    def status_of(self, row: Row) -> str:
        """The note's status as typed; a note left blank is Open until the school answers."""
        typed = row.value(self.status)
        if typed in (OPEN, ANSWERED, RESOLVED):
            return str(typed)
        return ANSWERED if row.text(self.response) else OPEN


def resolve_about(tables: WorkbookTables, text: str, notes_tab: str) -> Target | str:
    """The place an About names, or a sentence saying why it names nothing."""
    text = " ".join(text.split())
    plan = [t for key, t in tables.tables.items() if key != notes_tab and t.found]
    cell = _CELL.match(text)
    if cell:
        row_number = int(cell["row"])
        column = _column_number(cell["col"])
        if cell["sheet"]:
            table = _table_named(plan, cell["sheet"])
            if table is None:
                return f"there is no tab named {quoted(cell['sheet'].strip(chr(39)))}."
            return _cell_target(table, row_number, column, tables)
        holders = [t for t in plan if _cell_in_table(t, row_number, column)]
        if len(holders) == 1:
            return _cell_target(holders[0], row_number, column, tables)
        if not holders:
            return f"no tab of the plan has a row {row_number} with a column {cell['col']}."
        names = ", ".join(t.display_name for t in holders)
        example = f"{holders[0].display_name}!{cell['col'].upper()}{row_number}"
        return f"several tabs have that cell ({names}); name the tab too, like “{example}”."
    by_row = _ROW.match(text)
    if by_row:
        table = _table_named(plan, by_row["sheet"])
        if table is None:
            return f"there is no tab named {quoted(by_row['sheet'])}."
        row = _data_row(table, int(by_row["row"]))
        if row is None:
            return f"row {by_row['row']} of the {table.display_name} tab is empty."
        first = min(table.columns.values(), default=1)
        return Target(
            table.tab.key,
            table.display_name,
            a1(row.number, first),
            True,
            ((table.tab.key, row.number),),
        )
    for table in plan:
        if ID_COLUMN not in table.columns:
            continue
        for row in table.rows:
            if row.text(ID_COLUMN) and normalize_words(row.text(ID_COLUMN)) == normalize_words(
                text
            ):
                return Target(
                    table.tab.key,
                    table.display_name,
                    row.cells[ID_COLUMN].address,
                    True,
                    ((table.tab.key, row.number), *_rows_referring(tables, table, row)),
                )
    return (
        "it names no tab and row, cell or ID in this plan. Write a tab and row "
        "(“Benchmarks, row 7”), a cell (“Action Steps!F7”) or a strategy ID."
    )


def _column_number(letters: str) -> int:
    return parse_a1(f"{letters.upper()}1")[1]


def _table_named(tables: list[Table], name: str) -> Table | None:
    wanted = normalize_words(name.strip().strip("'"))
    for table in tables:
        names = {table.display_name, *table.tab.titles}
        if wanted in {normalize_words(n) for n in names}:
            return table
    return None


def _data_row(table: Table, number: int) -> Row | None:
    return next((row for row in table.rows if row.number == number), None)


def _cell_in_table(table: Table, row_number: int, column: int) -> bool:
    if table.header_row is None or not table.columns:
        return False
    return _data_row(table, row_number) is not None and column <= max(table.columns.values())


def _cell_target(table: Table, row_number: int, column: int, tables: WorkbookTables):
    if table.header_row is None or not table.columns:
        return f"the {table.display_name} tab has no header row to find the cell by."
    cell = a1(row_number, column)
    if row_number <= table.header_row:
        return f"{cell} is in the header of the {table.display_name} tab, not in a row."
    if column > max(table.columns.values()):
        return (
            f"the {table.display_name} tab has no column {column_letter(column)}; its "
            f"columns end at {column_letter(max(table.columns.values()))}."
        )
    if _data_row(table, row_number) is None:
        return f"row {row_number} of the {table.display_name} tab is empty."
    return Target(table.tab.key, table.display_name, cell, False, ((table.tab.key, row_number),))


def _rows_referring(tables: WorkbookTables, source: Table, row: Row) -> list[tuple[str, int]]:
    """Rows on other tabs that name this ID (a strategy's goals, benchmarks and steps)."""
    wanted = normalize_words(row.text(ID_COLUMN))
    referring = []
    for table in tables.tables.values():
        keys = [
            column.key
            for column in table.tab.columns
            if column.choices_from == f"{source.tab.key}.{ID_COLUMN}"
        ]
        for other in table.rows:
            if any(normalize_words(other.text(key)) == wanted for key in keys):
                referring.append((table.tab.key, other.number))
    return referring
