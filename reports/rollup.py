"""The district rollup: every school side by side, for district staff.

Tabs: Schools (one row per school: completeness, figures, issues, last edit), then one tab per
template tab with every school's rows (Strategies, EOY Goals, Benchmarks, Action Steps, Team, ...)
under a School column, then Issues (every problem, with its place) and About.
"""

from __future__ import annotations

from ..grid import OutCell, OutSheet
from ..issues import RULES
from ..nightly import SyncResult
from ..tables import Row
from ..templates import Tab, Template, standard_templates


def build_rollup(result: SyncResult) -> list[OutSheet]:
    templates = standard_templates()
    sheets = [schools_sheet(result, templates)]
    for template in templates:
        for tab in template.tabs:
            sheets.append(tab_sheet(result, template, tab))
    sheets.append(issues_sheet(result))
    sheets.append(about_sheet(result))
    return sheets


def _table_sheet(name: str, headers: list[str], widths: list[int]) -> OutSheet:
    sheet = OutSheet(name, widths=widths, freeze_rows=1, filter_row=1)
    sheet.add(*headers, style="header")
    return sheet


def schools_sheet(result: SyncResult, templates: tuple[Template, ...]) -> OutSheet:
    labels = [metric.label for template in templates for metric in template.metrics]
    headers = [
        "School",
        "School ID",
        "Coach",
        "Completeness %",
        "Errors",
        "Warnings",
        *labels,
        "Last edit",
        "Workbooks not read",
    ]
    widths = [28, 14, 20, 14, 9, 10, *[max(11, len(label) + 2) for label in labels], 18, 30]
    sheet = _table_sheet("Schools", headers, widths)
    sheet.score_columns = [4]
    for school in sorted(result.schools, key=lambda s: s.school.name.casefold()):
        figures = [school.metrics.get(label) for label in labels]
        unread = ", ".join(wb.template.title for wb in school.workbooks if wb.tables is None)
        edit = school.last_edit.replace(second=0, microsecond=0) if school.last_edit else None
        sheet.add(
            school.school.name,
            school.school.id,
            school.school.coach or "",
            OutCell(school.completeness, "text"),
            school.errors,
            school.warnings,
            *figures,
            edit,
            unread,
        )
    return sheet


def tab_sheet(result: SyncResult, template: Template, tab: Tab) -> OutSheet:
    headers = ["School", "School ID", "Row", *[column.header for column in tab.columns]]
    widths = [26, 14, 6, *[min(column.width, 50) for column in tab.columns]]
    sheet = _table_sheet(tab.title, headers, widths)
    for school in result.schools:
        tables = school.tables(template.id)
        if tables is None:
            continue
        for row in tables.tables[tab.key].rows:
            sheet.add(
                school.school.name,
                school.school.id,
                row.number,
                *[_cell_value(row, column.key) for column in tab.columns],
            )
    return sheet


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
        "Cell",
        "Problem",
        "What to fix",
    ]
    sheet = _table_sheet("Issues", headers, [26, 14, 20, 10, 24, 20, 8, 28, 90])
    for school in result.schools:
        for issue in school.issues:
            style = "bad" if issue.severity == "error" else "warn"
            sheet.add(
                school.school.name,
                school.school.id,
                school.school.coach or "",
                OutCell(issue.severity, style),
                issue.workbook,
                issue.sheet or "",
                issue.cell or "",
                RULES.get(issue.rule, issue.rule),
                issue.message,
            )
    return sheet


def about_sheet(result: SyncResult) -> OutSheet:
    sheet = OutSheet("About", widths=[24, 100])
    sheet.add(f"{result.district.district} · plan rollup", style="title")
    sheet.add(
        f"Written by the nightly sync for {result.today.isoformat()} "
        f"({len(result.schools)} schools).",
        style="subtitle",
    )
    sheet.blank()
    rows = [
        (
            "Schools",
            "One row per school: completeness, errors and warnings, the plan's figures and "
            "when the school last saved a workbook.",
        ),
        (
            "Completeness %",
            "The share of required cells filled in, counting the rows each plan still "
            "needs (2-3 strategies, 2-3 goals per strategy, 2-4 benchmarks per strategy in each "
            "cycle that has begun, ...). A missing workbook counts the rows it should hold. "
            "Warnings do not lower it; 100 means nothing required is missing.",
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
