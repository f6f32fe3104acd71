"""The coach summary tab: one school's plan at a glance, written into that school's PM Tool.

Built only from one SchoolResult, so a school's summary cannot hold another school's data. It lists
the completeness score, what is missing (with links to the cells), overdue and upcoming items, and
the sections the templates ask for (benchmark status by cycle, open decisions).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import fields

from ..catalog import standard_templates
from ..config import District
from ..grid import OutCell, OutSheet, Style, quote_sheet
from ..history import status_change, status_counts
from ..results import BenchmarkRecord, Issue, SchoolResult, SchoolSnapshot
from ..rules import RULES
from ..rules.helpers import format_date, row_label
from ..rules.overdue import OverdueRule, overdue_rows, upcoming_rows
from ..tables import Table, WorkbookTables
from ..templates import BENCHMARK_TAB, SummaryBreakdown, SummaryList, Template
from ..values import as_text, normalize_words

# Enough to act on; the district rollup's Issues tab has the full list.
MAX_LISTED = 150
# Long text always sits in the last column of its table, so it can run on to the right unclipped.
# Figures are written as text: left-aligned under their headers, they cannot be read as belonging
# to the next column, and the tab is for reading, not for sums.
WIDTHS = [46, 30, 14, 12, 12, 12, 12, 12, 12]


def summary_tab_name() -> str:
    return next(t.summary_tab for t in standard_templates() if t.summary_tab is not None)


def score_style(score: int) -> Style:
    return "good" if score >= 85 else "warn" if score >= 60 else "bad"


def build_summary(school: SchoolResult, district: District, today: dt.date) -> OutSheet:
    """The summary tab for one school."""
    home = next(t for t in standard_templates() if t.summary_tab)
    sheet = OutSheet(summary_tab_name(), widths=list(WIDTHS), tab_color="1F6FB2")
    info = school.school
    sheet.add(f"Coach summary · {info.name}", style="title")
    coach = f" · coach: {info.coach}" if info.coach else ""
    sheet.add(
        f"{district.district} · updated by the nightly sync on {today:%A}, "
        f"{format_date(today)}{coach}",
        style="subtitle",
    )
    sheet.add(
        "This tab is rewritten every night from the plan's other tabs and the school's other "
        "workbooks. Make changes there; anything typed here is replaced.",
        style="muted",
    )
    _open_notes(sheet, school)
    _at_a_glance(sheet, school)
    _needs_fixing(sheet, school, home)
    _due_lists(sheet, school, today, home)
    for workbook in school.workbooks:
        for section in workbook.template.summary:
            _section(
                sheet,
                section,
                workbook.tables,
                workbook.template,
                district,
                today,
                home,
                school.previous,
            )
    sheet.blank()
    sheet.add(
        "Completeness is the share of required cells filled in, counting the rows a plan still "
        "needs (2-3 strategies, 2-3 goals per strategy, 2-4 benchmarks per strategy in each "
        "cycle that has begun, ...). Warnings such as overdue steps do not lower it.",
        style="muted",
    )
    return sheet


def _open_notes(sheet: OutSheet, school: SchoolResult) -> None:
    """The coach's notes still open, longest waiting first: the conversation comes before the
    figures. Dates, not day counts, so that a quiet night leaves the tab as it was."""
    waiting = school.open_notes
    if not waiting and not school.notes:
        return
    sheet.blank()
    sheet.add(f"Coach notes waiting ({len(waiting)})", style="heading")
    if not waiting:
        sheet.add(OutCell("Every note is resolved.", "good"))
        return
    sheet.add("About", "Status", "Waiting since", "Changed since", "From", "Note", style="header")
    for note in waiting[:MAX_LISTED]:
        if note.target_sheet and note.target_cell:
            about = OutCell(note.about, link=f"{quote_sheet(note.target_sheet)}!{note.target_cell}")
        else:
            about = OutCell(note.about or "(not said)", "warn")
        changed = (
            OutCell(f"edited {format_date(note.changed_since)}", "good")
            if note.changed_since
            else OutCell("no edit yet", "muted")
        )
        answer = f" · Response: {note.response}" if note.response else ""
        sheet.add(
            about,
            OutCell(note.status, "warn" if note.status == "Open" else "text"),
            format_date(note.written) if note.written else "no date",
            changed,
            note.author,
            OutCell(f"{note.text}{answer}", link=f"{quote_sheet(note.sheet)}!A{note.row}"),
        )


def _at_a_glance(sheet: OutSheet, school: SchoolResult) -> None:
    sheet.blank()
    sheet.add("At a glance", style="heading")
    score = school.completeness
    sheet.add(
        OutCell("Completeness", "header"),
        OutCell(
            f"{score}% · {school.met} of {school.expected} required cells filled in",
            score_style(score),
        ),
    )
    sheet.add(OutCell("Last run", "header"), _last_run(school.previous, score))
    # Figures as text, so they line up on the left with the score above them.
    sheet.add(OutCell("Errors to fix", "header"), OutCell(str(school.errors)))
    sheet.add(OutCell("Warnings", "header"), OutCell(str(school.warnings)))
    for label, value in school.labelled_metrics.items():
        shown = str(value) if value is not None else "workbook not read"
        sheet.add(OutCell(label, "header"), OutCell(shown))
    if school.last_edit:
        sheet.add(
            OutCell("Last saved by the school", "header"),
            OutCell(f"{format_date(school.last_edit.date())} {school.last_edit:%H:%M}"),
        )


def _last_run(previous: SchoolSnapshot | None, score: int) -> OutCell:
    """'82% on Nov 13, 2026 · now 85% (+3)': how completeness moved since the last run."""
    if previous is None:
        return OutCell("No earlier run recorded yet.", "muted")
    change = score - previous.completeness
    style: Style = "good" if change > 0 else "bad" if change < 0 else "text"
    return OutCell(
        f"{previous.completeness}% on {format_date(previous.day)} · now {score}% ({change:+d})",
        style,
    )


def _where(issue_sheet: str | None, cell: str | None, workbook: str, home: Template) -> OutCell:
    """'Action Steps!F7', linked to the cell when it is in this same workbook."""
    if not issue_sheet:
        return OutCell(f"{workbook} (whole file)")
    text = f"{issue_sheet}!{cell}" if cell else issue_sheet
    if workbook != home.title:
        return OutCell(f"{workbook} › {text}")
    target = cell.split(":")[0] if cell else "A1"
    if target.isdigit():
        target = f"A{target}"
    return OutCell(text, link=f"{quote_sheet(issue_sheet)}!{target}")


def _needs_fixing(sheet: OutSheet, school: SchoolResult, home: Template) -> None:
    listed = [i for i in school.issues if i.rule != "overdue"]
    listed.sort(key=lambda issue: issue.severity != "error")
    sheet.blank()
    sheet.add(f"What is missing or needs fixing ({len(listed)})", style="heading")
    if not listed:
        sheet.add(OutCell("Nothing is missing.", "good"))
        return
    sheet.add("Where", "Kind", "What to fix", style="header")
    for issue in listed[:MAX_LISTED]:
        sheet.add(
            _where(issue.sheet, issue.cell, issue.workbook, home),
            OutCell(_kind(issue), "bad" if issue.severity == "error" else "warn"),
            issue.message,
        )
    if len(listed) > MAX_LISTED:
        sheet.add(
            f"… and {len(listed) - MAX_LISTED} more: see the Issues tab of the district rollup.",
            style="muted",
        )


def _kind(issue: Issue) -> str:
    return RULES.get(issue.rule, issue.rule)


def _due_lists(sheet: OutSheet, school: SchoolResult, today: dt.date, home: Template) -> None:
    rules = [
        rule
        for wb in school.workbooks
        for rule in wb.template.rules
        if isinstance(rule, OverdueRule)
    ]
    horizon = max((rule.upcoming_days for rule in rules), default=14)
    late = _due_items(school, today, overdue_rows)
    soon = _due_items(school, today, upcoming_rows)
    _due_section(
        sheet,
        f"Overdue ({len(late)})",
        late,
        home,
        today,
        True,
        OutCell("Nothing is overdue.", "good"),
    )
    _due_section(
        sheet,
        f"Due in the next {horizon} days ({len(soon)})",
        soon,
        home,
        today,
        False,
        OutCell(f"Nothing falls due in the next {horizon} days.", "muted"),
    )


def _due_items(school: SchoolResult, today: dt.date, pick) -> list[tuple]:
    """(template, table, rule, row, due) of every row `pick` finds, soonest first."""
    items = []
    for workbook in school.workbooks:
        if workbook.tables is None:
            continue
        for rule in workbook.template.rules:
            if isinstance(rule, OverdueRule):
                table = workbook.tables.tables[rule.tab]
                items += [
                    (workbook.template, table, rule, row, due)
                    for row, due in pick(table, rule, today)
                ]
    return sorted(items, key=lambda item: item[4])


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _due_section(
    sheet: OutSheet,
    title: str,
    items: list[tuple],
    home: Template,
    today: dt.date,
    late: bool,
    empty: OutCell,
) -> None:
    sheet.blank()
    sheet.add(title, style="heading")
    if not items:
        sheet.add(empty)
        return
    days_late = ["Days late"] if late else []
    sheet.add("Where", "Owner", "Was due" if late else "Due", *days_late, "Item", style="header")
    for template, table, rule, row, due in items[:MAX_LISTED]:
        days = [_days((today - due).days)] if late else []
        sheet.add(
            _where(table.display_name, row.cells[rule.due].address, template.title, home),
            row.text(rule.owner) if rule.owner else "",
            format_date(due),
            *days,
            f"{table.tab.noun.capitalize()} {row_label(table.tab, row, 90)}",
        )


def _section(
    sheet,
    section,
    tables: WorkbookTables | None,
    template: Template,
    district: District,
    today: dt.date,
    home: Template,
    previous: SchoolSnapshot | None = None,
) -> None:
    sheet.blank()
    if tables is None:
        sheet.add(section.title, style="heading")
        sheet.add(OutCell(f"The {template.title} could not be read.", "muted"))
        return
    table = tables.tables[section.tab]
    if isinstance(section, SummaryList):
        _list_section(sheet, section, table, template, home)
    elif isinstance(section, SummaryBreakdown):
        earlier = _earlier(section, table, previous)
        _breakdown_section(sheet, section, table, district, today, earlier)


def _list_section(
    sheet, section: SummaryList, table: Table, template: Template, home: Template
) -> None:
    wanted = {key: normalize_words(value) for key, value in section.where.items()}
    rows = [
        row
        for row in table.rows
        if all(normalize_words(row.text(k)) == v for k, v in wanted.items())
    ]
    sheet.add(f"{section.title} ({len(rows)})", style="heading")
    if not rows:
        sheet.add(OutCell("None.", "muted"))
        return
    # The first column (the decision itself) is the long one: it goes last.
    first, *rest = section.columns
    keys = [*rest, first]
    sheet.add("Where", *[table.tab.column(key).header for key in keys], style="header")
    for row in rows[:MAX_LISTED]:
        values = [_shown(row.value(key), row.text(key)) for key in keys]
        sheet.add(
            _where(table.display_name, table.address(first, row.number), template.title, home),
            *values,
        )


def _shown(value, text: str) -> str:
    if isinstance(value, dt.date):
        return format_date(value)
    return as_text(value) if value is not None else text


def _earlier(
    section: SummaryBreakdown, table: Table, previous: SchoolSnapshot | None
) -> dict[tuple[str, ...], Counter] | None:
    """The breakdown's counts on the last run, when the history keeps that tab's rows."""
    recorded = {field.name for field in fields(BenchmarkRecord)}
    keys = [*section.rows, section.count_by]
    if previous is None or section.tab != BENCHMARK_TAB or not set(keys) <= recorded:
        return None
    statuses = table.tab.column(section.count_by).choices
    return status_counts(previous.benchmarks, section.rows, statuses)


def _breakdown_section(
    sheet,
    section: SummaryBreakdown,
    table: Table,
    district: District,
    today: dt.date,
    earlier: dict[tuple[str, ...], Counter] | None = None,
) -> None:
    sheet.add(section.title, style="heading")
    statuses = [*table.tab.column(section.count_by).choices, "No status"]
    counts: dict[tuple[str, ...], Counter] = {}
    for row in table.rows:
        key = tuple(_shown(row.value(k), row.text(k)) for k in section.rows)
        counts.setdefault(key, Counter())[row.value(section.count_by) or "No status"] += 1
    if table.tab.column(section.rows[0]).choices_from == "cycles":
        # Every cycle that has begun gets a line, so a cycle with no benchmarks stands out.
        present = {key[0] for key in counts}
        rest = ("none entered yet", *("",) * len(section.rows))[: len(section.rows) - 1]
        for cycle in district.cycles_begun(today):
            if cycle.name not in present:
                counts[(cycle.name, *rest)] = Counter()
    order = {cycle.name: index for index, cycle in enumerate(district.cycles)}
    since = ["Since last run"] if earlier is not None else []
    sheet.add(
        *[table.tab.column(k).header for k in section.rows],
        "Total",
        *statuses,
        *since,
        style="header",
    )
    for key in sorted(counts, key=lambda k: (order.get(k[0], len(order)), k)):
        tally = counts[key]
        change = []
        if earlier is not None:
            change = [status_change(earlier.get(key, Counter()), tally, statuses)]
        sheet.add(
            *key,
            str(sum(tally.values())),
            *[str(tally[status]) for status in statuses],
            *change,
        )
