"""The coach summary tab: one school's plan at a glance, written into that school's PM Tool.

Built only from one SchoolResult, so a school's summary cannot hold another school's data. It lists
the completeness score, what is missing (with links to the cells), overdue and upcoming items, and
the sections the templates ask for (benchmark status by cycle, open decisions).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from ..catalog import standard_templates
from ..config import District
from ..grid import OutCell, OutSheet, Style, quote_sheet
from ..results import Issue, SchoolResult, ScoreSince
from ..rules import RULES
from ..rules.helpers import format_date, row_label
from ..rules.overdue import OverdueRule, overdue_rows, pending_rows
from ..tables import Table, WorkbookTables
from ..templates import SummaryBreakdown, SummaryList, Template
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


# The row (0-based) saying when the tab last changed: the one line left out of the tab's
# fingerprint, so that a night on which nothing else changed writes nothing.
CHANGED_ROW = 2
# How many of the steps not yet due are listed: the next ones, whatever their date, so the list
# moves only when a step falls due or the plan changes, not with every passing day.
NEXT_LISTED = 10


def build_summary(
    school: SchoolResult, district: District, today: dt.date, changed_on: dt.date | None = None
) -> OutSheet:
    """The summary tab for one school, as it stands on `today`.

    Nothing in it moves by itself from one day to the next (it shows dates, never "3 days ago"),
    so its content changes only when the plan does, a step falls overdue or a cycle begins.
    `changed_on` is the day it is written (default `today`); `summary_content()` leaves it out.
    """
    # The templates in use are the school's workbooks' (the district's own, or the shipped ones).
    home = next(
        (wb.template for wb in school.workbooks if wb.template.summary_tab),
        next(t for t in standard_templates() if t.summary_tab),
    )
    sheet = OutSheet(
        home.summary_tab or summary_tab_name(), widths=list(WIDTHS), tab_color="1F6FB2"
    )
    info = school.school
    sheet.add(f"Coach summary · {info.name}", style="title")
    coach = f" · coach: {info.coach}" if info.coach else ""
    sheet.add(f"{district.district}{coach}", style="subtitle")
    sheet.add(_changed_line(changed_on or today), style="muted")
    sheet.add(
        "The district's sync checks this plan every night and rewrites this tab when what it "
        "shows has changed. Make changes on the plan's other tabs; anything typed here is "
        "replaced.",
        style="muted",
    )
    _open_notes(sheet, school)
    _at_a_glance(sheet, school)
    _needs_fixing(sheet, school, home)
    _quality_notes(sheet, school, home)
    _due_lists(sheet, school, today, home)
    for workbook in school.workbooks:
        for section in workbook.template.summary:
            _section(sheet, section, workbook.tables, workbook.template, district, today, home)
    sheet.blank()
    sheet.add(
        "Completeness is the share of required cells filled in, counting the rows a plan still "
        "needs (2-3 strategies, 2-3 goals per strategy, 2-4 benchmarks per strategy in each "
        "cycle that has begun, ...). Warnings such as overdue steps do not lower it.",
        style="muted",
    )
    sheet.add(
        "Quality is the share of the field guides' checks the plan passes: each strategy, goal, "
        "benchmark, step and name looked at is one check. Blank cells do not lower it.",
        style="muted",
    )
    return sheet


def _changed_line(day: dt.date) -> str:
    return f"This tab last changed on {day:%A}, {format_date(day)}."


def summary_content(sheet: OutSheet) -> OutSheet:
    """The summary without the line saying when it last changed: what its fingerprint covers."""
    rows = [row if index != CHANGED_ROW else [] for index, row in enumerate(sheet.rows)]
    return OutSheet(sheet.name, rows, sheet.widths, sheet.freeze_rows, tab_color=sheet.tab_color)


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
    sheet.add(OutCell("Since", "header"), _score_since(school.score_since, score))
    judged = school.judged
    sheet.add(
        OutCell("Quality", "header"),
        OutCell(
            f"{school.quality}% · {school.passed} of {judged} quality checks passed",
            score_style(school.quality),
        ),
    )
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


def _score_since(since: ScoreSince | None, score: int) -> OutCell:
    """'85% since Nov 12, 2026 (82% before, +3)': when completeness last moved, as a date."""
    if since is None or since.before is None:
        day = f" since {format_date(since.day)}" if since else ""
        return OutCell(f"{score}%{day}, the first night the sync recorded.", "muted")
    change = score - since.before
    style: Style = "good" if change > 0 else "bad" if change < 0 else "text"
    return OutCell(
        f"{score}% since {format_date(since.day)} ({since.before}% before, {change:+d})", style
    )


def _where(
    place: str, sheet: str | None, cell: str | None, workbook: str, home: Template
) -> OutCell:
    """'Action Steps, Owner, row 7', linked to the cell when it is in this same workbook."""
    if not sheet:
        return OutCell(f"{workbook} (whole file)")
    if workbook != home.title:
        return OutCell(f"{workbook} › {place}")
    target = cell.split(":")[0] if cell else "A1"
    if target.isdigit():
        target = f"A{target}"
    return OutCell(place, link=f"{quote_sheet(sheet)}!{target}")


def _table_place(table: Table, key: str, row_number: int) -> tuple[str, str | None]:
    """A row's cell in a column as (spoken place, A1 reference)."""
    address = table.address(key, row_number)
    place = f"{table.display_name}, {table.tab.column(key).header}, row {row_number}"
    return place, address


def _needs_fixing(sheet: OutSheet, school: SchoolResult, home: Template) -> None:
    listed = [i for i in school.issues if i.rule != "overdue" and not i.quality]
    listed.sort(key=lambda issue: issue.severity != "error")
    sheet.blank()
    sheet.add(f"What is missing or needs fixing ({len(listed)})", style="heading")
    if not listed:
        sheet.add(OutCell("Nothing is missing.", "good"))
        return
    _issue_rows(sheet, school, listed, home)


def _quality_notes(sheet: OutSheet, school: SchoolResult, home: Template) -> None:
    """The quality rules' findings: what a coach would raise on a visit."""
    listed = school.quality_issues
    sheet.blank()
    sheet.add(f"What would make the plan stronger ({len(listed)})", style="heading")
    if not listed:
        sheet.add(OutCell("The plan meets every quality check.", "good"))
        return
    _issue_rows(sheet, school, listed, home)


def _issue_rows(sheet: OutSheet, school: SchoolResult, listed: list[Issue], home: Template) -> None:
    sheet.add("Where", "Kind", "What to fix", style="header")
    for issue in listed[:MAX_LISTED]:
        sheet.add(
            _where(school.place(issue), issue.sheet, issue.cell, issue.workbook, home),
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
    late = _due_items(school, today, overdue_rows)
    # The next steps whatever their date, not "the next 14 days": a window that moves every day
    # would change the tab every day.
    coming = _due_items(school, today, pending_rows)
    _due_section(
        sheet,
        f"Overdue ({len(late)})",
        late,
        home,
        True,
        OutCell("Nothing is overdue.", "good"),
    )
    _due_section(
        sheet,
        "Due next"
        + (
            f" (the first {NEXT_LISTED} of {len(coming)})"
            if len(coming) > NEXT_LISTED
            else f" ({len(coming)})"
        ),
        coming[:NEXT_LISTED],
        home,
        False,
        OutCell("Nothing left to do has a due date.", "muted"),
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


def _due_section(
    sheet: OutSheet,
    title: str,
    items: list[tuple],
    home: Template,
    late: bool,
    empty: OutCell,
) -> None:
    sheet.blank()
    sheet.add(title, style="heading")
    if not items:
        sheet.add(empty)
        return
    when = "Overdue since" if late else "Due"
    sheet.add("Where", "Owner", when, "Item", style="header")
    for template, table, rule, row, due in items[:MAX_LISTED]:
        # Overdue the day after the due date: a date, so the line reads the same every night.
        shown = due + dt.timedelta(days=1) if late else due
        sheet.add(
            _where(
                _table_place(table, rule.due, row.number)[0],
                table.display_name,
                row.cells[rule.due].address,
                template.title,
                home,
            ),
            row.text(rule.owner) if rule.owner else "",
            format_date(shown),
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
        _breakdown_section(sheet, section, table, district, today)


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
            _where(
                _table_place(table, first, row.number)[0],
                table.display_name,
                table.address(first, row.number),
                template.title,
                home,
            ),
            *values,
        )


def _shown(value, text: str) -> str:
    if isinstance(value, dt.date):
        return format_date(value)
    return as_text(value) if value is not None else text


def _breakdown_section(
    sheet,
    section: SummaryBreakdown,
    table: Table,
    district: District,
    today: dt.date,
) -> None:
    # No "since last run" column: it would change the night after every change by itself. The
    # rollup's Benchmark Status tab shows how benchmarks moved from one night to the next.
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
    sheet.add(
        *[table.tab.column(k).header for k in section.rows], "Total", *statuses, style="header"
    )
    for key in sorted(counts, key=lambda k: (order.get(k[0], len(order)), k)):
        tally = counts[key]
        sheet.add(*key, str(sum(tally.values())), *[str(tally[status]) for status in statuses])
