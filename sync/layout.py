"""What a provisioned workbook contains, described once for every backend.

`plan_workbook()` turns a template into a `WorkbookPlan`: an instructions tab written for school
teams, the summary tab's placeholder, one table per template tab (headers, widths, help, dropdowns,
date columns) and a hidden stamp recording which template and school the workbook was made for.
The Excel and Google stores render the same plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .config import District, School
from .grid import OutSheet, column_letter, quote_sheet
from .templates import Column, Tab, Template
from .version import __version__

# Dropdowns and date formats reach this far down each table; plenty for a year's plan.
TABLE_ROWS = 500
STAMP_TAB = "_plansync"
# The stamp tab's first column holding dropdown choices (the stamp itself takes A and B).
LISTS_COLUMN = 4
# The stamp tab's column holding the school's roster (the names on its Roles workbook's Team tab,
# copied there by the nightly sync) under a title in row 1: the dropdown of every person column.
ROSTER_COLUMN = 3
ROSTER_TITLE = "Roster"
# Names the roster's dropdown reaches; a team is never this large.
ROSTER_ROWS = 200
ROSTER_RANGE = (
    f"{quote_sheet(STAMP_TAB)}!${column_letter(ROSTER_COLUMN)}$2"
    f":${column_letter(ROSTER_COLUMN)}${ROSTER_ROWS + 1}"
)
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
    # Dropdown choices, written as columns on the hidden stamp tab (from LISTS_COLUMN on, a title
    # in row 1 and one choice a row below it) for the dropdowns to reference: a literal list in a
    # validation breaks on commas and quotes and Excel caps it at 255 characters.
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
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
    cycles = tuple(c.name for c in district.cycles)
    lists: dict[str, tuple[str, ...]] = {}
    tables = [plan_table(template, tab, cycles, lists) for tab in template.tabs]
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
        lists=lists,
        editors=side_editors(school, district),
    )


def side_editors(school: School, district: District) -> dict[str, tuple[str, ...]]:
    """The coach's email and the school team's emails, for the columns each side owns."""
    coach = next((c for c in district.coaches if c.name == school.coach), None)
    return {
        "coach": (coach.email,) if coach and coach.email else (),
        "school": tuple(school.team),
    }


def stamp_for(
    template: Template,
    school: School,
    district: District,
    now: dt.datetime,
    validations: dict[tuple[str, str], Validation | None] | None = None,
) -> dict:
    """The hidden stamp: which template, version, school and cycles the workbook was made (or
    last migrated) for, and the layout plansync gave it (see `layout_record`)."""
    cycles = [[c.name, c.start.isoformat(), c.end.isoformat()] for c in district.cycles]
    if validations is None:
        validations = table_validations(template, tuple(c.name for c in district.cycles))
    return {
        "template": template.id,
        "version": str(template.version),
        "school_id": school.id,
        "school": school.name,
        "district": district.district,
        "cycles": json.dumps(cycles),
        "created": now.isoformat(),
        "plansync": __version__,
        "layout": layout_record(template, validations),
    }


# Where a column is in a school's workbook: (tab key, column key) -> (tab name, column number),
# or None when the workbook lacks it.
Locate = Callable[[str, str], tuple[str, int] | None]


def table_validations(
    template: Template, cycles: tuple[str, ...], locate: Locate | None = None
) -> dict[tuple[str, str], Validation | None]:
    """Each column's validation, by (tab key, column key). A dropdown listing another tab's
    column points where `locate` finds it (by default, where the template puts it)."""
    return {
        (tab.key, column.key): validation_for(template, column, cycles, locate)
        for tab in template.tabs
        for column in tab.columns
    }


def layout_record(template: Template, validations: dict[tuple[str, str], Validation | None]) -> str:
    """What plansync laid out, as the stamp keeps it: per tab its title, and per column its
    header and a fingerprint of its validation. `plansync migrate` compares it with the
    templates in use to tell what changed since."""
    record = {
        tab.key: {
            "title": tab.title,
            "columns": {
                column.key: [
                    column.header,
                    validation_fingerprint(validations.get((tab.key, column.key))),
                ]
                for column in tab.columns
            },
        }
        for tab in template.tabs
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def validation_fingerprint(validation: Validation | None) -> str:
    """A short hash of a validation: equal fingerprints, the same dropdown or check. Where a
    dropdown's own choices are stored (a literal list, or a range on the stamp tab) does not
    change what it offers, so it is left out; a dropdown without choices of its own (another
    tab's column, the roster) is the range it lists."""
    if validation is None:
        return ""
    if validation.choices:
        validation = replace(validation, source=None)
    return hashlib.blake2b(repr(validation).encode(), digest_size=6).hexdigest()


def plan_table(
    template: Template,
    tab: Tab,
    cycles: tuple[str, ...],
    lists: dict[str, tuple[str, ...]] | None = None,
) -> TablePlan:
    """One tab as a new workbook has it (`plansync migrate` adds a missing tab this way).
    With `lists`, dropdown choices are listed there (for the stamp tab) and referenced."""
    validations = {}
    for index, column in enumerate(tab.columns, start=1):
        validation = validation_for(template, column, cycles, lists=lists)
        if validation:
            validations[index] = validation
    return TablePlan(
        tab=tab,
        title=tab.title,
        columns=list(tab.columns),
        validations=validations,
        headers=[column.header for column in tab.columns],
    )


def validation_for(
    template: Template,
    column: Column,
    cycles: tuple[str, ...],
    locate: Locate | None = None,
    lists: dict[str, tuple[str, ...]] | None = None,
) -> Validation | None:
    """What the spreadsheet program checks as people type in a column: its dropdown (the
    school's roster for a person column, its choices, the cycles, or another tab's column), a
    date or an email address. With `lists`, a
    dropdown's own choices are added there and the dropdown references their range."""
    prompt = column.help if len(column.help) <= 250 else column.help[:247] + "..."
    if column.person:
        # The roster copied on the workbook's own stamp tab (a dropdown cannot reach another
        # file). Not strict: a name not on it yet stands, and the roster rule warns about it.
        return Validation("list", source=ROSTER_RANGE, strict=False, prompt=prompt)
    if column.choices_from == "cycles":
        source = _listed(lists, "Cycle", cycles) if lists is not None else None
        return Validation("list", cycles, source=source, prompt=prompt)
    if column.choices_from:
        tab_key, _, column_key = column.choices_from.partition(".")
        source_tab = template.tab(tab_key)
        found = locate(tab_key, column_key) if locate else None
        if found is None:
            found = (source_tab.title, [c.key for c in source_tab.columns].index(column_key) + 1)
        title, position = found
        letter = column_letter(position)
        source = f"{quote_sheet(title)}!${letter}$2:${letter}${TABLE_ROWS}"
        return Validation("list", source=source, strict=column.strict, prompt=prompt)
    if column.type == "choice":
        source = _listed(lists, column.header, column.choices) if lists is not None else None
        return Validation("list", column.choices, source=source, prompt=prompt)
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


def stamp_version(stamp: dict[str, str] | None) -> int | None:
    """The template version a workbook's stamp records, or None when it records none."""
    version = (stamp or {}).get("version", "").strip()
    return int(version) if version.isdigit() else None


def needs_migrate(stamp: dict[str, str] | None, template: Template, district: District) -> bool:
    """The workbook was made from an older version of its template, or before the district's
    cycles changed: `plansync migrate` brings it up to date."""
    if stamp is None or stamp.get("template") not in (None, "", template.id):
        return False
    version = stamp_version(stamp)
    if version is not None and version < template.version:
        return True
    try:
        stamped = [entry[0] for entry in json.loads(stamp.get("cycles", "[]"))]
    except (ValueError, TypeError, IndexError, KeyError):
        return False
    return bool(stamped) and stamped != [cycle.name for cycle in district.cycles]


def _listed(lists: dict[str, tuple[str, ...]], title: str, choices: tuple[str, ...]) -> str:
    """The range on the stamp tab holding `choices` (added as a new column unless the same list
    is there already)."""
    for index, (_title, listed) in enumerate(lists.items()):
        if listed == choices:
            return _list_range(index, len(choices))
    key = title if title not in lists else f"{title} ({len(lists) + 1})"
    lists[key] = choices
    return _list_range(len(lists) - 1, len(choices))


def _list_range(index: int, count: int) -> str:
    letter = column_letter(LISTS_COLUMN + index)
    return f"{quote_sheet(STAMP_TAB)}!${letter}$2:${letter}${max(count, 1) + 1}"
