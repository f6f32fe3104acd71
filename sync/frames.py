"""Every plan as pandas DataFrames: the rollup's tables, typed, for analysts and BI tools.

The frames are built from what a run found (results.py) and from the history's snapshots, never
from a spreadsheet: they hold the same rows as the rollup's tabs, in the same order. Columns are
named by the templates' keys (`due_date`, not "Due Date"), so a relabelled column keeps its name.
Each template column gets the dtype its type calls for:

    date    datetime64[ns]           (NaT when blank or unreadable)
    choice  category, in the template's order (the district's cycles for a cycle column); a
            value outside the list, where the template allows one, comes after them
    number  Float64
    text    string                   (email too; an email that is not one is kept as typed)

A date, choice or number that could not be read (a due date typed as "TBD") is missing here,
where the rollup shows it as typed; `issues_frame` lists it with its cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from .grid import column_letter
from .results import SchoolResult, SchoolSnapshot, SyncResult
from .rules import RULES
from .tables import Row
from .templates import BENCHMARK_TAB, Column, Tab, Template

# The columns every plan-tab frame starts with; template keys follow them.
ROW_COLUMNS = ("school_id", "school_name", "sheet", "row")
SEVERITIES = ("error", "warning")
_CELL = re.compile(r"^([A-Z]{1,3})?(\d+)(?::\d+)?$")


# -- one plan tab --------------------------------------------------------------------------------


def table_frame(result: SyncResult, template: Template, tab: Tab) -> pd.DataFrame:
    """Every school's rows of one tab, in the rollup's order: school, then row in its tab."""
    clashing = set(ROW_COLUMNS) & {column.key for column in tab.columns}
    if clashing:
        raise ValueError(f"{template.id}.{tab.key}: column keys {sorted(clashing)} clash")
    ids: list[str] = []
    names: list[str] = []
    sheets: list[str | None] = []
    numbers: list[int] = []
    values: dict[str, list[Any]] = {column.key: [] for column in tab.columns}
    for school in result.schools:
        tables = school.tables(template.id)
        if tables is None:
            continue
        table = tables.tables[tab.key]
        for row in table.rows:
            ids.append(school.school.id)
            names.append(school.school.name)
            sheets.append(table.sheet_name)
            numbers.append(row.number)
            for column in tab.columns:
                values[column.key].append(cell_value(row, column))
    cycles = tuple(cycle.name for cycle in result.district.cycles)
    data: dict[str, Any] = {
        "school_id": pd.array(ids, dtype="string"),
        "school_name": pd.array(names, dtype="string"),
        "sheet": pd.array(sheets, dtype="string"),
        "row": pd.array(numbers, dtype="int64"),
    }
    for column in tab.columns:
        data[column.key] = typed_array(values[column.key], column, cycles)
    return pd.DataFrame(data)


def cell_value(row: Row, column: Column) -> Any:
    """What a frame holds for a cell: its typed value; for a text column whose value could not
    be read (an email that is not one), the text as typed, as the rollup shows it."""
    cell = row.cells.get(column.key)
    if cell is None or cell.blank:
        return None
    if cell.problem is None:
        return cell.value
    return cell.text if column.type in ("text", "email") else None


def typed_array(values: Sequence[Any], column: Column, cycles: Sequence[str]) -> Any:
    """A column's values with the dtype its template type calls for (see the module doc)."""
    if column.type == "date":
        return pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]").array
    if column.type == "number":
        return pd.array([None if v is None else float(v) for v in values], dtype="Float64")
    if column.type == "choice":
        listed = tuple(cycles) if column.choices_from == "cycles" else column.choices
        return category_array(values, listed)
    return pd.array(values, dtype="string")


def category_array(values: Iterable[Any], listed: Sequence[str]) -> pd.Categorical:
    """Values as a categorical in the listed order; values outside the list follow, sorted."""
    values = [None if v is None or v == "" else str(v) for v in values]
    known = set(listed)
    extra = sorted({v for v in values if v is not None and v not in known}, key=str.casefold)
    return pd.Categorical(values, categories=[*dict.fromkeys(listed), *extra])


# -- schools and issues ----------------------------------------------------------------------------


SCHOOL_STATUSES = ("Active", "Inactive")


def schools_frame(result: SyncResult, templates: Sequence[Template]) -> pd.DataFrame:
    """One row per school, in the rollup's order (by name): completeness now and at the last run,
    the quality score, errors, warnings, the templates' figures by metric id, the last edit and
    the workbooks that could not be read. Schools marked inactive in the config follow, by name,
    with only their name, id and coach (they are not read or checked)."""
    metric_ids = [metric.id for template in templates for metric in template.metrics]
    schools = sorted(result.schools, key=lambda s: s.school.name.casefold())
    gone = sorted(result.district.inactive_schools, key=lambda s: s.name.casefold())
    blank: list[None] = [None] * len(gone)
    people = [s.school for s in schools] + list(gone)

    def figures(values: list[Any]) -> Any:
        return pd.array(values + blank, dtype="Int64")

    columns: dict[str, Any] = {
        "school_id": pd.array([s.id for s in people], dtype="string"),
        "school_name": pd.array([s.name for s in people], dtype="string"),
        "coach": pd.array([s.coach for s in people], dtype="string"),
        "completeness": figures([s.completeness for s in schools]),
        "last_run": figures([s.previous.completeness if s.previous else None for s in schools]),
        "change": figures(
            [s.completeness - s.previous.completeness if s.previous else None for s in schools]
        ),
        "quality": figures([s.quality for s in schools]),
        "errors": figures([s.errors for s in schools]),
        "warnings": figures([s.warnings for s in schools]),
    }
    for metric_id in metric_ids:
        columns[metric_id] = figures([s.metrics.get(metric_id) for s in schools])
    edits: list[dt.datetime | None] = [s.last_edit for s in schools]
    columns["last_edit"] = _datetimes(edits + [None] * len(gone))
    unread: list[str | None] = [
        ", ".join(w.template.title for w in s.workbooks if w.tables is None) or None
        for s in schools
    ]
    columns["workbooks_not_read"] = pd.array(unread + [None] * len(gone), dtype="string")
    status = ["Active"] * len(schools) + ["Inactive"] * len(gone)
    columns["status"] = category_array(status, SCHOOL_STATUSES)
    return pd.DataFrame(columns)


ISSUE_COLUMNS = (
    "school_id",
    "school_name",
    "coach",
    "severity",
    "workbook",
    "template",
    "tab",
    "sheet",
    "cell",
    "where",
    "row",
    "column",
    "rule",
    "problem",
    "message",
)


def issues_frame(result: SyncResult) -> pd.DataFrame:
    """One row per issue, in the rollup's order, with its place: the workbook (title and
    template id), the tab (its key, and its name as the school has it), the cell, and the cell's
    row and column (the column's template key, when the cell is in one the sync read)."""
    data: dict[str, list[Any]] = {name: [] for name in ISSUE_COLUMNS}
    for school in result.schools:
        templates = {wb.template.title: wb.template.id for wb in school.workbooks}
        tabs = _tab_places(school)
        for issue in school.issues:
            tab_key, keys = tabs.get((issue.workbook, issue.sheet), (None, {}))
            row, letter = _split_cell(issue.cell)
            found = {
                "school_id": school.school.id,
                "school_name": school.school.name,
                "coach": school.school.coach,
                "severity": issue.severity,
                "workbook": issue.workbook,
                "template": templates.get(issue.workbook),
                "tab": tab_key,
                "sheet": issue.sheet,
                "cell": issue.cell,
                # As the rollup's Issues tab says it ("Owner, row 7").
                "where": school.place(issue).removeprefix(f"{issue.sheet}, ") if issue.cell else "",
                "row": row,
                "column": keys.get(letter) if letter else None,
                "rule": issue.rule,
                "problem": RULES.get(issue.rule, issue.rule),
                "message": issue.message,
            }
            for name, value in found.items():
                data[name].append(value)
    frame: dict[str, Any] = {}
    for name, values in data.items():
        if name == "severity":
            frame[name] = category_array(values, SEVERITIES)
        elif name == "row":
            frame[name] = pd.array(values, dtype="Int64")
        else:
            frame[name] = pd.array(values, dtype="string")
    return pd.DataFrame(frame)


_Places = dict[tuple[str, str | None], tuple[str | None, dict[str, str]]]


def _tab_places(school: SchoolResult) -> _Places:
    """(workbook title, tab name as issues show it) -> (tab key, column letter -> column key)."""
    places: _Places = {}
    for workbook in school.workbooks:
        template = workbook.template
        for tab in template.tabs:
            table = workbook.tables.tables.get(tab.key) if workbook.tables else None
            if table is None:
                places.setdefault((template.title, tab.title), (tab.key, {}))
                continue
            keys = {column_letter(index): key for key, index in table.columns.items()}
            places[(template.title, table.display_name)] = (tab.key, keys)
    return places


def _split_cell(cell: str | None) -> tuple[int | None, str | None]:
    """'F7' -> (7, 'F'); '1:1' (a whole row) -> (1, None); None -> (None, None)."""
    match = _CELL.match(cell or "")
    if not match:
        return None, None
    return int(match[2]), match[1]


# -- history ---------------------------------------------------------------------------------------


def history_frame(snapshots: Sequence[SchoolSnapshot], templates: Sequence[Template]):
    """One row per school per recorded night, oldest first: completeness (and the required cells
    it counts), errors, warnings and the figures by metric id."""
    metric_ids = [metric.id for template in templates for metric in template.metrics]
    known = set(metric_ids)
    metric_ids += sorted({key for s in snapshots for key in s.metrics} - known)
    data: dict[str, Any] = {
        "day": _datetimes([s.day for s in snapshots]),
        "school_id": pd.array([s.school_id for s in snapshots], dtype="string"),
        "school_name": pd.array([s.name for s in snapshots], dtype="string"),
        "coach": pd.array([s.coach for s in snapshots], dtype="string"),
    }
    for name in ("completeness", "expected", "met", "errors", "warnings"):
        data[name] = pd.array([getattr(s, name) for s in snapshots], dtype="int64")
    # None on nights recorded before plansync measured quality.
    data["quality"] = pd.array([s.quality for s in snapshots], dtype="Int64")
    for metric_id in metric_ids:
        data[metric_id] = pd.array([s.metrics.get(metric_id) for s in snapshots], dtype="Int64")
    return pd.DataFrame(data)


def issue_history_frame(snapshots: Sequence[SchoolSnapshot]) -> pd.DataFrame:
    """How many issues of each rule each school had on each night (rules it had none of are
    left out)."""
    rows = [
        (s.day, s.school_id, rule, count)
        for s in snapshots
        for rule, count in sorted(s.issues_by_rule.items())
    ]
    return pd.DataFrame(
        {
            "day": _datetimes([r[0] for r in rows]),
            "school_id": pd.array([r[1] for r in rows], dtype="string"),
            "rule": pd.array([r[2] for r in rows], dtype="string"),
            "problem": pd.array([RULES.get(r[2], r[2]) for r in rows], dtype="string"),
            "count": pd.array([r[3] for r in rows], dtype="int64"),
        }
    )


def benchmark_history_frame(
    snapshots: Sequence[SchoolSnapshot], templates: Sequence[Template], cycles: Sequence[str]
) -> pd.DataFrame:
    """Every benchmark row of every school on every recorded night, with its cycle, focus,
    status and actual value as they stood then (text as the school typed it)."""
    tab = next(t.tab(BENCHMARK_TAB) for t in templates if BENCHMARK_TAB in {x.key for x in t.tabs})
    records = [(s, b) for s in snapshots for b in s.benchmarks]
    data: dict[str, Any] = {
        "day": _datetimes([s.day for s, _b in records]),
        "school_id": pd.array([s.school_id for s, _b in records], dtype="string"),
        "school_name": pd.array([s.name for s, _b in records], dtype="string"),
        "row": pd.array([b.row for _s, b in records], dtype="int64"),
    }
    for name in ("strategy", "cycle", "focus", "benchmark", "target", "actual", "status"):
        values = [getattr(b, name) or None for _s, b in records]
        if name == "cycle":
            data[name] = category_array(values, cycles)
        elif tab.column(name).type == "choice":
            data[name] = category_array(values, tab.column(name).choices)
        else:
            data[name] = pd.array(values, dtype="string")
    return pd.DataFrame(data)


def _datetimes(values: Sequence[dt.date | dt.datetime | None]) -> Any:
    return pd.to_datetime(pd.Series(list(values), dtype=object)).astype("datetime64[ns]").array
