"""The checks every template gets, whatever its rules, and every issue id they and the stores raise.

- the stamp: is this the template (and version) the workbook was made from?
- structure: each tab found (or renamed, hidden, missing), its header row, its columns;
- cells: required cells filled in, values of the column's type, references listed where they
  come from.

A workbook that cannot be read at all becomes one issue whose id the store's exception names
(`StoreError.rule`, in errors.py); those ids are declared here too, with titles and severities, so
that every id a school can meet is declared in `plansync.rules`.
"""

from __future__ import annotations

from ..layout import STAMP_TAB, stamp_version
from ..tables import Row, Table, TypedCell, WorkbookTables
from ..templates import Column, Tab
from ..values import normalize_words, quoted, unreadable_rule
from .base import CheckContext, IssueKind, WorkbookCheck
from .helpers import row_label

# -- the workbook as a whole (raised by the stores as StoreError subclasses, see errors.py) --------

WORKBOOK_MISSING = IssueKind("workbook-missing", "Workbook not found", "error")
WORKBOOK_UNREADABLE = IssueKind("workbook-unreadable", "Workbook cannot be opened", "error")
WORKBOOK_FORMAT = IssueKind("workbook-format", "Saved in another format", "error")
WORKBOOK_PASSWORD = IssueKind("workbook-password", "Workbook has a password", "error")
WORKBOOK_NOT_A_FILE = IssueKind("workbook-not-a-file", "Not a workbook file", "error")
WORKBOOK_TOO_LARGE = IssueKind("workbook-too-large", "Workbook too large to read", "error")
STAMP_SCHOOL = IssueKind("stamp-school", "Workbook made for another school", "error")
SUMMARY_NOT_WRITTEN = IssueKind("summary-not-written", "Summary tab not updated", "warning")
# The copy of the school's roster the person columns' dropdowns offer (on the stamp tab).
ROSTER_NOT_WRITTEN = IssueKind("roster-not-written", "Roster dropdown not updated", "warning")
# A file beside the workbook that looks like a copy of it (listed by the store).
STRAY_COPY = IssueKind("stray-copy", "A copy of the workbook", "warning")

# -- the stamp, tabs and headers -------------------------------------------------------------------

STAMP_MISSING = IssueKind("stamp-missing", "Template stamp missing", "warning")
# An error for another template, a warning for another version of this one.
STAMP_VERSION = IssueKind("stamp-version", "Made from another template or version", "error")
TAB_MISSING = IssueKind("tab-missing", "Tab missing", "error")
TAB_RENAMED = IssueKind("tab-renamed", "Tab renamed", "warning")
TAB_HIDDEN = IssueKind("tab-hidden", "Tab hidden", "warning")
HEADER_MISSING = IssueKind("header-missing", "Header row not found", "error")
HEADER_REPEATED = IssueKind("header-repeated", "Header row repeated", "warning")
FAR_CELL = IssueKind("far-cell", "Value far outside the table", "error")
# An error for a required column, a warning for another.
COLUMN_MISSING = IssueKind("column-missing", "Column missing", "error")

# -- cells -----------------------------------------------------------------------------------------

REQUIRED = IssueKind("required", "Required cell is empty", "error")
INVALID_DATE = IssueKind("invalid-date", "Not a date", "error")
INVALID_NUMBER = IssueKind("invalid-number", "Not a number", "error")
INVALID_CHOICE = IssueKind("invalid-choice", "Not one of the choices", "error")
INVALID_EMAIL = IssueKind("invalid-email", "Not an email address", "error")
# values.unreadable_rule names these for a cell whose value cannot be read at all.
CELL_ERROR = IssueKind("cell-error", "Cell shows an error", "error")
FORMULA_NO_RESULT = IssueKind("formula-no-result", "Formula has no saved result", "error")
UNKNOWN_REFERENCE = IssueKind(
    "unknown-reference", "Refers to something that is not listed", "error"
)

WORKBOOK_ISSUES = (
    WORKBOOK_MISSING,
    WORKBOOK_UNREADABLE,
    WORKBOOK_FORMAT,
    WORKBOOK_PASSWORD,
    WORKBOOK_NOT_A_FILE,
    WORKBOOK_TOO_LARGE,
    STAMP_SCHOOL,
    SUMMARY_NOT_WRITTEN,
    ROSTER_NOT_WRITTEN,
    STRAY_COPY,
)
STRUCTURE_ISSUES = (
    STAMP_MISSING,
    STAMP_VERSION,
    TAB_MISSING,
    TAB_RENAMED,
    TAB_HIDDEN,
    HEADER_MISSING,
    HEADER_REPEATED,
    FAR_CELL,
    COLUMN_MISSING,
)
CELL_ISSUES = (
    REQUIRED,
    INVALID_DATE,
    INVALID_NUMBER,
    INVALID_CHOICE,
    INVALID_EMAIL,
    CELL_ERROR,
    FORMULA_NO_RESULT,
    UNKNOWN_REFERENCE,
)
# Every id declared here, in the order reports list them.
ISSUES = (*WORKBOOK_ISSUES, *STRUCTURE_ISSUES, *CELL_ISSUES)


def workbook_issue(error_rule: str) -> IssueKind:
    """The issue kind named by a StoreError's `rule` (a workbook missing, unreadable, ...)."""
    return next(kind for kind in WORKBOOK_ISSUES if kind.id == error_rule)


# -- the stamp -------------------------------------------------------------------------------------


def check_stamp(tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
    """The hidden stamp tab names the template and version the workbook was made from."""
    template, stamp = tables.template, tables.stamp
    if stamp is None:
        result.add(
            STAMP_MISSING,
            None,
            None,
            f"The hidden {STAMP_TAB} tab is missing, so the sync cannot confirm which "
            f"template this workbook was made from. It was checked as the {template.title} "
            f"(version {template.version}).",
        )
        return
    if stamp.get("template") not in (None, "", template.id):
        result.add(
            STAMP_VERSION,
            STAMP_TAB,
            None,
            f"This workbook was made from the {stamp.get('template')!r} template, not the "
            f"{template.title}. Check that the right file is in this place.",
        )
    elif stamp.get("version") not in (None, "", str(template.version)) and not (
        made_from_older_version(tables)
    ):
        result.add(
            STAMP_VERSION,
            STAMP_TAB,
            None,
            f"This workbook was made from version {stamp.get('version')} of the "
            f"{template.title} template; it was checked against version {template.version}.",
            severity="warning",
        )


def made_from_older_version(tables: WorkbookTables) -> bool:
    """The stamp names this template at a lower version: `plansync migrate` brings it up."""
    stamp = tables.stamp or {}
    version = stamp_version(stamp)
    same = stamp.get("template") in (None, "", tables.template.id)
    return same and version is not None and version < tables.template.version


# -- tabs, headers and columns ---------------------------------------------------------------------


def check_structure(table: Table, result: WorkbookCheck, behind: bool = False) -> None:
    """The tab is there under its name, visible, with one header row holding every column.

    `behind`: the workbook was made from an older template version, so a tab or column it lacks
    is one that `plansync migrate` adds, not a school's mistake."""
    tab = table.tab
    if not table.found:
        if not tab.optional and not behind:
            result.add(
                TAB_MISSING,
                tab.title,
                None,
                f"The {tab.title} tab is missing. Add it back, or rename the tab that holds "
                f"your {tab.nouns} to “{tab.title}”.",
            )
        return
    if table.found_by == "headers":
        result.add(
            TAB_RENAMED,
            table.sheet_name,
            None,
            f"This tab holds your {tab.nouns} but is named “{table.sheet_name}”. The sync "
            f"read it; please rename it “{tab.title}” so everyone can find it.",
        )
    if table.hidden:
        result.add(
            TAB_HIDDEN,
            table.sheet_name,
            None,
            "This tab is hidden. The sync still read it; unhide it so the team sees it.",
        )
    if table.header_row is None:
        headers = ", ".join(column.header for column in tab.columns)
        result.add(
            HEADER_MISSING,
            table.sheet_name,
            "A1",
            f"No header row was found on this tab. Row 1 should hold the headers: {headers}.",
        )
        return
    for cell in table.left_out[:1]:
        more = len(table.left_out) - 1
        result.add(
            FAR_CELL,
            table.sheet_name,
            cell,
            f"Something is typed in {cell}"
            + (f" (and {more} more cell{'s' if more > 1 else ''} out there)" if more else "")
            + ", far below or to the right of the table. The sync left it out: a tab that "
            "reaches so far is too large to read. Delete it, or move it into the table.",
        )
    for number in table.repeated_headers:
        result.add(
            HEADER_REPEATED,
            table.sheet_name,
            f"{number}:{number}",
            f"Row {number} repeats the column headers, so the sync skipped it. Delete the row "
            "if it is not needed.",
        )
    for column in [] if behind else table.missing:
        result.add(
            COLUMN_MISSING,
            table.sheet_name,
            table.header_address(),
            f"The column “{column.header}” is missing from the header row. Add it, or give "
            f"the column that holds it this header.",
            severity="error" if column.required else "warning",
        )


# -- cells -----------------------------------------------------------------------------------------

# A cell holding an error or a formula without a result, by `values.unreadable_rule`'s id.
_UNREADABLE = {kind.id: kind for kind in (CELL_ERROR, FORMULA_NO_RESULT)}
# A cell that cannot be read as its column's type. A text column reads any value.
_INVALID = {
    "date": INVALID_DATE,
    "number": INVALID_NUMBER,
    "choice": INVALID_CHOICE,
    "email": INVALID_EMAIL,
}


def check_cells(
    table: Table, tables: WorkbookTables, result: WorkbookCheck, behind: bool = False
) -> None:
    """Types, choices, references and required cells, row by row (a column missing from a
    workbook `behind` its template is not counted: migrate adds it)."""
    if not table.found:
        return
    references = {
        column.key: _reference_values(tables, column)
        for column in table.tab.columns
        if column.choices_from and column.choices_from != "cycles" and column.strict
    }
    for row in table.rows:
        for column in table.tab.columns:
            cell = row.cells.get(column.key)
            if cell is None:  # the whole column is missing; reported once above
                if column.required and not behind:
                    result.tally(1, 0)
                continue
            if cell.problem:
                unreadable = unreadable_rule(cell.raw)
                result.add(
                    _UNREADABLE[unreadable] if unreadable else _INVALID[column.type],
                    table.sheet_name,
                    cell.address,
                    f"{column.header}: {cell.problem}",
                )
            elif not cell.blank and column.key in references:
                _check_reference(table, column, cell, references[column.key], tables, result)
            if column.required:
                result.tally(1, int(not cell.blank and cell.problem is None))
                if cell.blank:
                    result.add(
                        REQUIRED,
                        table.sheet_name,
                        cell.address,
                        _blank_message(table.tab, column, row),
                    )


def _source(column: Column) -> tuple[str, str]:
    """The (tab key, column key) a column's values must be listed in."""
    tab_key, _, column_key = (column.choices_from or "").partition(".")
    return tab_key, column_key


def _reference_values(tables: WorkbookTables, column: Column) -> set[str] | None:
    tab_key, column_key = _source(column)
    source = tables.tables[tab_key]
    if not source.found or column_key not in source.columns:
        return None  # the missing tab or column is reported on its own
    return {normalize_words(row.text(column_key)) for row in source.rows if row.text(column_key)}


def _check_reference(
    table: Table,
    column: Column,
    cell: TypedCell,
    known: set[str] | None,
    tables: WorkbookTables,
    result: WorkbookCheck,
) -> None:
    if known is None or normalize_words(cell.text) in known:
        return
    tab_key, column_key = _source(column)
    source = tables.tables[tab_key]
    listed = ", ".join(
        sorted({row.text(column_key) for row in source.rows if row.text(column_key)})
    )
    result.add(
        UNKNOWN_REFERENCE,
        table.sheet_name,
        cell.address,
        f"{column.header} {quoted(cell.text)} is not listed on the {source.display_name} tab"
        + (f" (it lists {listed})." if listed else " (which is empty)."),
    )


def _blank_message(tab: Tab, column: Column, row: Row) -> str:
    label = row_label(tab, row)
    why = f" {column.why}" if column.why else ""
    return f"{label}: {column.header} is empty.{why}"
