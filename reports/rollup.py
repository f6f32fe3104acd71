"""The district rollup: every school side by side, for district staff.

Tabs: Schools (one row per school: completeness now and at the last run, figures, issues, last
edit), Trend (completeness by school, last run vs now, with a chart), Benchmark Status (every
school's benchmarks counted by cycle, focus and status, with a chart per cycle), then one tab per
template tab with every school's rows (Strategies, EOY Goals, Benchmarks, Action Steps, Team, ...)
under a School column, then Notes (every coach's notes not yet resolved, by coach, oldest first),
Issues (every problem, with its place) and About.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from ..catalog import standard_templates
from ..grid import OutCell, OutChart, OutSheet, RowBlock, Style, hash_of
from ..history import (
    NO_STATUS,
    benchmark_records,
    status_change,
    status_counts,
)
from ..results import BenchmarkRecord, Issue, SchoolResult, SyncResult
from ..rules import RULES
from ..rules.helpers import format_date
from ..rules.notes import NotesRule
from ..tables import Row
from ..templates import BENCHMARK_TAB, Tab, Template, metric_labels
from .palette import LAST_RUN, score_color, status_color


def rollup_content(sheets: list[OutSheet]) -> list[OutSheet]:
    """The rollup without the line saying when it last changed: what its fingerprint covers."""
    about = sheets[-1]
    rows = [row if index != CHANGED_ROW else [] for index, row in enumerate(about.rows)]
    return [*sheets[:-1], OutSheet(about.name, rows, about.widths)]


def build_rollup(result: SyncResult) -> list[OutSheet]:
    templates = result.templates or standard_templates()
    sheets = [schools_sheet(result, templates), trend_sheet(result)]
    sheets.append(benchmark_status_sheet(result, templates))
    for template in templates:
        for tab in template.tabs:
            if tab.key not in _NOTES_TABS:  # the Notes tab shows them, by coach
                sheets.append(tab_sheet(result, template, tab))
    sheets.append(notes_sheet(result))
    sheets.append(issues_sheet(result))
    sheets.append(about_sheet(result))
    return sheets


# Tabs the coaches' notes live in: listed once, on the Notes tab, rather than as a plan tab.
_NOTES_TABS = {
    rule.tab
    for template in standard_templates()
    for rule in template.rules
    if isinstance(rule, NotesRule)
}


def notes_sheet(result: SyncResult) -> OutSheet:
    """Every coach's open and answered notes across their schools, oldest first."""
    headers = [
        "Coach",
        "School",
        "School ID",
        "Written",
        "From",
        "About",
        "Points to",
        "Status",
        "Edited since",
        "Note",
        "Response",
    ]
    sheet = _table_sheet("Notes", headers, [20, 26, 14, 12, 18, 22, 26, 11, 12, 50, 50])
    waiting = [
        (school.school.coach or "", school, note)
        for school in result.schools
        for note in school.open_notes
    ]
    waiting.sort(key=lambda item: (item[0], item[2].written or dt.date.max, item[1].school.id))
    for coach, school, note in waiting:
        sheet.add(
            coach,
            school.school.name,
            school.school.id,
            note.written,
            note.author,
            note.about,
            f"{note.target_sheet}!{note.target_cell}" if note.target_cell else "nowhere",
            OutCell(note.status, "warn" if note.status == "Open" else "good"),
            note.changed_since,
            note.text,
            note.response,
        )
    return sheet


def _table_sheet(name: str, headers: list[str], widths: list[int]) -> OutSheet:
    sheet = OutSheet(name, widths=widths, freeze_rows=1, filter_row=1)
    sheet.add(*headers, style="header")
    return sheet


def schools_sheet(result: SyncResult, templates: tuple[Template, ...]) -> OutSheet:
    figures_named = metric_labels(templates)
    labels = list(figures_named.values())
    headers = [
        "School",
        "School ID",
        "Coach",
        "Completeness %",
        "Last run %",
        "Change",
        "Quality %",
        "Errors",
        "Warnings",
        *labels,
        "Last edit",
        "Workbooks not read",
        "Status",
    ]
    figure_widths = [max(11, len(label) + 2) for label in labels]
    widths = [28, 18, 20, 14, 11, 9, 10, 9, 10, *figure_widths, 18, 30, 12]
    sheet = _table_sheet("Schools", headers, widths)
    sheet.score_columns = [4, 5, 7]
    for school in sorted(result.schools, key=lambda s: s.school.name.casefold()):
        figures = [school.metrics.get(metric_id) for metric_id in figures_named]
        unread = ", ".join(wb.template.title for wb in school.workbooks if not wb.was_read)
        edit = school.last_edit.replace(second=0, microsecond=0) if school.last_edit else None
        sheet.add(
            school.school.name,
            school.school.id,
            school.school.coach or "",
            OutCell(school.completeness, "text"),
            *_last_run(school.completeness, school.previous),
            OutCell(school.quality, "text"),
            school.errors,
            school.warnings,
            *figures,
            edit,
            unread,
            "Active",
        )
    # Schools that left: listed so that nobody wonders where they went, never checked.
    for gone in sorted(result.district.inactive_schools, key=lambda s: s.name.casefold()):
        blanks = [None] * (len(headers) - 4)
        sheet.add(gone.name, gone.id, gone.coach or "", *blanks, "Inactive")
    return sheet


def _last_run(score: int, previous) -> list[OutCell]:
    """The last run's completeness and the change since (blank on a school's first run)."""
    if previous is None:
        return [OutCell(None), OutCell(None)]
    change = score - previous.completeness
    style: Style = "good" if change > 0 else "bad" if change < 0 else "text"
    return [OutCell(previous.completeness, "text"), OutCell(change, style)]


def trend_sheet(result: SyncResult) -> OutSheet:
    """Completeness by school, last run and now, lowest first, with a bar chart beside it."""
    sheet = _table_sheet("Trend", ["School", "Coach", "Last run %", "Now %", "Change"], [28, 20])
    sheet.widths += [11, 9, 9]
    sheet.score_columns = [3, 4]
    schools = sorted(result.schools, key=lambda s: (s.completeness, s.school.name.casefold()))
    for school in schools:
        sheet.add(
            school.school.name,
            school.school.coach or "",
            OutCell(school.previous.completeness if school.previous else None, "text"),
            OutCell(school.completeness, "text"),
            *_last_run(school.completeness, school.previous)[1:],
        )
    sheet.charts.append(
        OutChart(
            # No date: the title would change every night, and the file with it.
            title="Completeness: last run and now",
            kind="bar",
            header_row=1,
            first_row=2,
            last_row=len(schools) + 1,
            category_column=1,
            value_columns=(3, 4),
            anchor="G2",
            width_cm=18,
            height_cm=max(8.0, 3 + 0.9 * len(schools)),
            value_title="% of required cells filled in",
            value_range=(0, 100),
            colors=(LAST_RUN, score_color(85)),
        )
    )
    return sheet


def benchmark_status_sheet(result: SyncResult, templates: tuple[Template, ...]) -> OutSheet:
    """Every school's benchmarks counted by cycle, focus and status; a stacked chart per cycle."""
    tab = next(t.tab(BENCHMARK_TAB) for t in templates if BENCHMARK_TAB in {x.key for x in t.tabs})
    statuses = [*tab.column("status").choices, NO_STATUS]
    headers = ["Cycle", "Focus", *statuses, "Total", "Since last run"]
    sheet = _table_sheet("Benchmark Status", headers, [12, 24, *[11] * len(statuses), 8, 40])
    now = status_counts(_benchmarks(result, previous=False), ("cycle", "focus"), statuses)
    had_history = any(school.previous for school in result.schools)
    before = status_counts(_benchmarks(result, previous=True), ("cycle", "focus"), statuses)
    cycles = [cycle.name for cycle in result.district.cycles_begun(result.today)]
    cycles += sorted({cycle for cycle, _focus in now} - set(cycles))
    focuses = list(tab.column("focus").choices)
    charts_at = 2
    for cycle in cycles:
        keys: list[tuple[str, ...]] = [(cycle, focus) for focus in focuses]
        keys += sorted(key for key in now if key[0] == cycle and key[1] not in focuses)
        first = len(sheet.rows) + 1
        for key in keys:
            tally = now.get(key, Counter())
            sheet.add(
                *key,
                *[OutCell(tally[status], "text") for status in statuses],
                OutCell(sum(tally.values()), "text"),
                status_change(before.get(key, Counter()) if had_history else None, tally, statuses),
            )
        sheet.charts.append(
            OutChart(
                title=f"{cycle}: benchmarks by focus and status",
                kind="bar",
                header_row=1,
                first_row=first,
                last_row=len(sheet.rows),
                category_column=2,
                value_columns=tuple(range(3, 3 + len(statuses))),
                anchor=f"N{charts_at}",
                width_cm=18,
                height_cm=7,
                stacked=True,
                value_title="benchmarks",
                colors=tuple(status_color(status) for status in statuses),
            )
        )
        charts_at += 15
    return sheet


def _benchmarks(result: SyncResult, previous: bool) -> list[BenchmarkRecord]:
    """Every school's benchmark rows tonight, or as they stood at each school's last run."""
    if previous:
        return [b for s in result.schools if s.previous for b in s.previous.benchmarks]
    return [record for school in result.schools for record in benchmark_records(school)]


def tab_sheet(result: SyncResult, template: Template, tab: Tab) -> OutSheet:
    """Every school's rows of one plan tab, a block per school: a school kept from the last run
    is counted and keyed from its findings, its rows unpacked only if the store needs them."""
    headers = ["School", "School ID", "Row", *[column.header for column in tab.columns]]
    widths = [26, 18, 6, *[min(column.width, 50) for column in tab.columns]]
    sheet = _table_sheet(tab.title, headers, widths)
    key = rows_key(template, tab)
    for school in result.schools:
        if school.facts is not None:
            kept = school.facts.details.rollup_blocks.get(key)
            count, digest = kept if kept is not None else (0, rows_digest(school, []))
            rows_of = functools.partial(_kept_rows, school, template, tab)
        else:
            rows = _tab_rows(school, template, tab)
            count, digest = len(rows), rows_digest(school, rows)
            rows_of = functools.partial(list, rows)
        make = functools.partial(_block, school, rows_of)
        sheet.blocks.append(RowBlock(school.school.id, key, digest, count, make))
    return sheet


def _block(school: SchoolResult, rows: Callable[[], list[list[Any]]]) -> list[list[OutCell]]:
    name, school_id = OutCell(school.school.name), OutCell(school.school.id)
    return [[name, school_id, *[OutCell(value) for value in values]] for values in rows()]


def _kept_rows(school: SchoolResult, template: Template, tab: Tab) -> list[list[Any]]:
    """A kept school's rows on a tab: as kept with its findings, or made from its tables
    (unpacked from the state file) where they were not kept."""
    kept = school.facts.rollup_rows() if school.facts is not None else None
    if kept is None:
        return _tab_rows(school, template, tab)
    return kept.get(rows_key(template, tab), [])


def rows_key(template: Template, tab: Tab) -> str:
    return f"{template.id}/{tab.key}"


def school_rollup_rows(
    school: SchoolResult, templates: Sequence[Template]
) -> dict[str, list[list[Any]]]:
    """The school's rows on every plan tab of the rollup (Row, then each column's value), as the
    state store keeps them for a school that does not change."""
    return {
        rows_key(template, tab): _tab_rows(school, template, tab)
        for template in templates
        for tab in template.tabs
    }


def rows_digest(school: SchoolResult, rows: list[list[Any]]) -> str:
    """A hash of what a school's block of rows shows (its name and id begin each row)."""
    return hash_of((school.school.name, school.school.id, rows))


def _tab_rows(school: SchoolResult, template: Template, tab: Tab) -> list[list[Any]]:
    tables = school.tables(template.id)
    if tables is None:
        return []
    return [
        [row.number, *[_cell_value(row, column.key) for column in tab.columns]]
        for row in tables.tables[tab.key].rows
    ]


def _cell_value(row: Row, key: str):
    """The typed value when it could be read; otherwise exactly what the school typed."""
    cell = row.cells.get(key)
    if cell is None or cell.blank:
        return None
    return cell.value if cell.problem is None else cell.text


def issues_sheet(result: SyncResult) -> OutSheet:
    headers = [
        "School",
        "School ID",
        "Coach",
        "Severity",
        "Workbook",
        "Tab",
        "Where",
        "Problem",
        "What to fix",
    ]
    sheet = _table_sheet("Issues", headers, [26, 18, 20, 10, 24, 20, 22, 28, 90])
    for school in result.schools:  # a block per school: drawn again only when its rows change
        kept = school.facts.details.rollup_blocks.get(ISSUES_KEY) if school.facts else None
        # Writing back may add issues to those kept (a summary it could not write): they are
        # only ever added, so the same count means the same issues.
        if kept is None or kept[0] != len(school.issues):
            kept = issues_block(school)
        count, digest = kept
        make = functools.partial(_issue_rows, school)
        sheet.blocks.append(RowBlock(school.school.id, ISSUES_KEY, digest, count, make))
    return sheet


# A school's block on the Issues tab, keyed beside its plan tabs' (rows_key).
ISSUES_KEY = "issues"


def issues_block(school: SchoolResult) -> tuple[int, str]:
    """How many rows the school has on the Issues tab, and a hash of them: of the values shown,
    as plain strings (hashing them costs a tenth of the cells')."""
    shown = _issues_shown(school)
    return len(shown), hash_of(shown)


def _issues_shown(school: SchoolResult) -> list[tuple[str, ...]]:
    return [_issue_values(school, issue) for issue in school.issues]


def _issue_values(school: SchoolResult, issue: Issue) -> tuple[str, ...]:
    """An issue's row as it reads: school, id, coach, severity, workbook, tab, where, problem,
    what to fix."""
    return (
        school.school.name,
        school.school.id,
        school.school.coach or "",
        issue.severity,
        issue.workbook,
        issue.sheet or "",
        # As a person says it ("Owner, row 7"); the A1 reference is in the JSON.
        school.place(issue).removeprefix(f"{issue.sheet}, ") if issue.cell else "",
        RULES.get(issue.rule, issue.rule),
        issue.message,
    )


def _issue_rows(school: SchoolResult) -> list[list[OutCell]]:
    rows = []
    for values in _issues_shown(school):
        style: Style = "bad" if values[3] == "error" else "warn"
        cells = [OutCell(value) for value in values]
        cells[3] = OutCell(values[3], style)
        rows.append(cells)
    return rows


# The About tab's row saying when the rollup last changed (left out of its fingerprint).
CHANGED_ROW = 1


def about_sheet(result: SyncResult) -> OutSheet:
    sheet = OutSheet("About", widths=[24, 100])
    sheet.add(f"{result.district.district} · plan rollup", style="title")
    sheet.add(
        f"Last changed by the nightly sync on {format_date(result.today)} "
        f"({len(result.schools)} schools). The sync rewrites this file only on a night when "
        "something in it changes.",
        style="subtitle",
    )
    sheet.blank()
    rows = [
        (
            "Schools",
            "One row per school: completeness, quality, errors and warnings, the plan's "
            "figures and when the school last saved a workbook.",
        ),
        (
            "Completeness %",
            "The share of required cells filled in, counting the rows each plan still "
            "needs (2-3 strategies, 2-3 goals per strategy, 2-4 benchmarks per strategy in each "
            "cycle that has begun, ...). A missing workbook counts the rows it should hold. "
            "Warnings do not lower it; 100 means nothing required is missing.",
        ),
        (
            "Quality %",
            "The share of the quality checks the plan passes: the field guides' criteria for a "
            "good plan (a strategy in one sentence, goals with a baseline and the students they "
            "serve, benchmarks tied to goals, owners on the team roster, steps in order). Each "
            "strategy, goal, benchmark, step or name looked at is one check; the Issues tab "
            "lists the ones that failed as warnings. Blank cells do not lower it.",
        ),
        (
            "Plan tabs",
            "Strategies, EOY Goals, Benchmarks, Action Steps, Team, Responsibilities, "
            "Meetings, Decisions and Communication hold every school's rows side by "
            "side. 'Row' is the row in the school's own tab. A value that could not be "
            "read (a date typed as 'TBD') is shown exactly as typed.",
        ),
        (
            "Issues",
            "Every problem found, with the workbook, tab and cell to fix. Errors make the "
            "plan incomplete; warnings (overdue steps, goals that are not measurable) are "
            "for follow-up.",
        ),
        (
            "Coach summaries",
            "Each school's PM Tool has a Coach Summary tab with the same findings "
            "for that school alone.",
        ),
    ]
    for label, text in rows:
        sheet.add(OutCell(label, "heading"), text)
    return sheet
