"""What a provisioned workbook contains, described once for every backend.

`plan_workbook()` turns a template into a `WorkbookPlan`: an instructions tab written for school
teams, the summary tab's placeholder, one table per template tab (headers, widths, help, dropdowns,
date columns) and a hidden stamp recording which template and school the workbook was made for.
The Excel and Google stores render the same plan.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from .config import District, School
from .grid import OutSheet, column_letter, quote_sheet
from .templates import Column, Tab, Template
from .version import __version__

# Dropdowns and date formats reach this far down each table; plenty for a year's plan.
TABLE_ROWS = 500
STAMP_TAB = "_plansync"
INSTRUCTIONS_TAB = "Instructions"
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class Validation:
    """A rule the spreadsheet program enforces (or suggests) as people type in a column."""

    kind: Literal["list", "date", "email"]
    # For lists: the choices themselves, or a range in another tab holding them.
    choices: tuple[str, ...] = ()
    source: str | None = None
    # False: the program warns but lets the value stand (the sync reports it the next night).
    strict: bool = True
    prompt: str = ""


@dataclass
class TablePlan:
    tab: Tab
    title: str
    columns: list[Column]
    validations: dict[int, Validation]
    # Rows to write under the header (the demo uses this), one dict of column key -> value each.
    rows: list[dict[str, Any]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    # A note on a row's first cell, by the row's index in `rows` (rows carried from last year).
    row_notes: dict[int, str] = field(default_factory=dict)


@dataclass
class WorkbookPlan:
    template: Template
    instructions: OutSheet
    tables: list[TablePlan]
    summary: OutSheet | None
    stamp: dict[str, str]
    # Recorded as the file's last save (the demo backdates it to look lived-in).
    saved_at: dt.datetime | None = None
    # Who may type in the columns each side owns (`Column.typed_by`): the coach's email, the
    # school team's emails. Google protects those columns for them; Excel only marks them.
    editors: dict[str, tuple[str, ...]] = field(default_factory=dict)


SIDE_LABELS = {"coach": "The coach types here", "school": "The school team types here"}
# Header colours of the columns each side owns, so a glance tells whose column it is.
SIDE_COLORS = {"coach": "7A4EA3", "school": "2E7D4F"}


def header_note(column: Column) -> str:
    """The note on a table's header cell: the column's help, who types there, required."""
    side = f"{SIDE_LABELS[column.typed_by]}.\n" if column.typed_by else ""
    return side + column.help + ("\nRequired." if column.required else "")


def plan_workbook(
    template: Template, school: School, district: District, now: dt.datetime | None = None
) -> WorkbookPlan:
    """Everything a new workbook for this school holds, before any school data."""
    now = now or dt.datetime.now().replace(microsecond=0)
    tables = [_plan_table(template, tab, district) for tab in template.tabs]
    summary = None
    if template.summary_tab:
        summary = OutSheet(template.summary_tab, widths=[70])
        summary.add(f"{template.summary_tab}: {school.name}", style="title")
        summary.add(
            "The nightly sync fills this tab with what the plan is missing and what is "
            "overdue. It is rewritten every night, so type on the other tabs.",
            style="muted",
        )
    return WorkbookPlan(
        template=template,
        instructions=instructions_sheet(template, school, district),
        tables=tables,
        summary=summary,
        stamp=stamp_for(template, school, district, now),
        saved_at=now,
        editors=side_editors(school, district),
    )


def side_editors(school: School, district: District) -> dict[str, tuple[str, ...]]:
    """The coach's email and the school team's emails, for the columns each side owns."""
    coach = next((c for c in district.coaches if c.name == school.coach), None)
    return {
        "coach": (coach.email,) if coach and coach.email else (),
        "school": tuple(school.team),
    }


def stamp_for(template: Template, school: School, district: District, now: dt.datetime) -> dict:
    cycles = [[c.name, c.start.isoformat(), c.end.isoformat()] for c in district.cycles]
    return {
        "template": template.id,
        "version": str(template.version),
        "school_id": school.id,
        "school": school.name,
        "district": district.district,
        "cycles": json.dumps(cycles),
        "created": now.isoformat(),
        "plansync": __version__,
    }


def _plan_table(template: Template, tab: Tab, district: District) -> TablePlan:
    validations = {}
    for index, column in enumerate(tab.columns, start=1):
        validation = _validation_for(template, column, district)
        if validation:
            validations[index] = validation
    return TablePlan(
        tab=tab,
        title=tab.title,
        columns=list(tab.columns),
        validations=validations,
        headers=[column.header for column in tab.columns],
    )


def _validation_for(template: Template, column: Column, district: District) -> Validation | None:
    prompt = column.help if len(column.help) <= 250 else column.help[:247] + "..."
    if column.choices_from == "cycles":
        return Validation("list", tuple(c.name for c in district.cycles), prompt=prompt)
    if column.choices_from:
        tab_key, _, column_key = column.choices_from.partition(".")
        source_tab = template.tab(tab_key)
        position = [c.key for c in source_tab.columns].index(column_key) + 1
        letter = column_letter(position)
        source = f"{quote_sheet(source_tab.title)}!${letter}$2:${letter}${TABLE_ROWS}"
        return Validation("list", source=source, strict=column.strict, prompt=prompt)
    if column.type == "choice":
        return Validation("list", column.choices, prompt=prompt)
    if column.type == "date":
        return Validation("date", strict=False, prompt=prompt)
    if column.type == "email":
        return Validation("email", strict=False, prompt=prompt)
    return None


def instructions_sheet(template: Template, school: School, district: District) -> OutSheet:
    """The first tab a school team sees: what the workbook is for and how to fill it in."""
    sheet = OutSheet(INSTRUCTIONS_TAB, widths=[26, 90])
    sheet.add(f"{template.title} · {school.name}", style="title")
    sheet.add(f"{district.district} · school year plan", style="subtitle")
    sheet.blank()
    sheet.add("What this is", style="heading")
    sheet.add("", template.about)
    sheet.blank()
    sheet.add("How to fill it in", style="heading")
    for tip in _TIPS:
        sheet.add("", tip)
    if template.summary_tab:
        sheet.add(
            "",
            f"The {template.summary_tab} tab is written by the district's nightly sync "
            "for your coach: it lists what is missing and what is overdue, with links to "
            "the cells. Anything typed there is replaced the next night.",
        )
    for tab in template.tabs:
        sheet.blank()
        title = f"{tab.title} tab" + (" (optional)" if tab.optional else "")
        sheet.add(title, style="heading")
        sheet.add("", tab.purpose)
        for column in tab.columns:
            need = "required" if column.required else "optional"
            sheet.add(column.header, f"{column.help} ({need}{_type_hint(column)})")
    sheet.blank()
    sheet.add(
        "",
        "Questions? Ask your coach" + (f", {school.coach}." if school.coach else "."),
        style="muted",
    )
    return sheet


_TIPS = (
    "Type on the tabs below, one row per item, starting on row 2 under the headers.",
    "Keep the tab names and the column headers as they are: the nightly sync finds your plan by "
    "them. You may add columns of your own, reorder columns and add notes to the right.",
    "Columns with a dropdown accept one of the listed values. Date columns want a real date, such "
    "as 2026-10-15; words like 'next week' or 'TBD' will be flagged.",
    "Leave a row blank or delete it when it is no longer needed; blank rows are skipped.",
)


def _type_hint(column: Column) -> str:
    if column.type == "date":
        return ", a date"
    if column.type == "choice" and column.choices:
        return ", one of: " + ", ".join(column.choices)
    if column.type == "email":
        return ", an email address"
    return ""
