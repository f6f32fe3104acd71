"""The checks: template rules applied to typed rows, yielding issues and a completeness score.

Everything here works on in-memory tables (no files, no CLI), so each rule can be tested on rows
built in a test. Rules come from the template YAML; `RULE_CHECKS` maps each rule type to the
function that applies it.

Completeness is defined in one place, `completeness()` below.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import StoreError
from .issues import Issue, Severity
from .layout import STAMP_TAB
from .tables import Row, Table, WorkbookTables
from .templates import (
    Column,
    CountRule,
    DateOrderRule,
    MeasurableRule,
    Metric,
    OverdueRule,
    RequiredWhenRule,
    Tab,
    Template,
    UniqueRule,
)
from .values import normalize_words, quoted, unreadable_rule


@dataclass(frozen=True)
class CheckContext:
    school_id: str
    today: dt.date
    # Names of the monitoring cycles that have begun: benchmarks are expected for these.
    cycles_begun: tuple[str, ...]


@dataclass
class WorkbookCheck:
    """What checking one workbook found: its issues and its share of the completeness tally."""

    workbook: str
    school_id: str
    issues: list[Issue] = field(default_factory=list)
    expected: int = 0
    met: int = 0

    def add(
        self, rule: str, severity: Severity, sheet: str | None, cell: str | None, message: str
    ) -> None:
        self.issues.append(
            Issue(rule, severity, self.school_id, self.workbook, sheet, cell, message)
        )

    def tally(self, expected: int, met: int) -> None:
        self.expected += expected
        self.met += met


# -- the whole workbook ----------------------------------------------------------------------------


def check_workbook(tables: WorkbookTables, ctx: CheckContext) -> WorkbookCheck:
    """Every check of one template on one school's workbook."""
    result = WorkbookCheck(tables.template.title, ctx.school_id)
    _check_stamp(tables, ctx, result)
    for tab in tables.template.tabs:
        table = tables.tables[tab.key]
        _check_structure(table, result)
        _check_cells(table, tables, result)
    for rule in tables.template.rules:
        RULE_CHECKS[type(rule)](rule, tables, ctx, result)
    return result


def check_absent_workbook(
    template: Template, tables: WorkbookTables, error: StoreError, ctx: CheckContext
) -> WorkbookCheck:
    """A workbook that is missing or cannot be opened: one issue, and its required rows unmet."""
    result = WorkbookCheck(template.title, ctx.school_id)
    result.add(error.rule, "error", error.sheet, None, error.reason)
    for rule in template.rules:
        if isinstance(rule, CountRule):
            _check_count(rule, tables, ctx, result)
    return result


def stamp_matches_school(tables: WorkbookTables, school_id: str) -> bool:
    """False when the stamp says the workbook was made for another school (a copied file)."""
    stamped = (tables.stamp or {}).get("school_id")
    return not stamped or stamped == school_id


def _check_stamp(tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
    template, stamp = tables.template, tables.stamp
    if stamp is None:
        result.add(
            "stamp-missing",
            "warning",
            None,
            None,
            f"The hidden {STAMP_TAB} tab is missing, so the sync cannot confirm which "
            f"template this workbook was made from. It was checked as the {template.title} "
            f"(version {template.version}).",
        )
        return
    if stamp.get("template") not in (None, "", template.id):
        result.add(
            "stamp-version",
            "error",
            STAMP_TAB,
            None,
            f"This workbook was made from the {stamp.get('template')!r} template, not the "
            f"{template.title}. Check that the right file is in this place.",
        )
    elif stamp.get("version") not in (None, "", str(template.version)):
        result.add(
            "stamp-version",
            "warning",
            STAMP_TAB,
            None,
            f"This workbook was made from version {stamp.get('version')} of the "
            f"{template.title} template; it was checked against version {template.version}.",
        )


def _check_structure(table: Table, result: WorkbookCheck) -> None:
    tab = table.tab
    if not table.found:
        if not tab.optional:
            result.add(
                "tab-missing",
                "error",
                tab.title,
                None,
                f"The {tab.title} tab is missing. Add it back, or rename the tab that holds "
                f"your {tab.nouns} to “{tab.title}”.",
            )
        return
    if table.found_by == "headers":
        result.add(
            "tab-renamed",
            "warning",
            table.sheet_name,
            None,
            f"This tab holds your {tab.nouns} but is named “{table.sheet_name}”. The sync "
            f"read it; please rename it “{tab.title}” so everyone can find it.",
        )
    if table.hidden:
        result.add(
            "tab-hidden",
            "warning",
            table.sheet_name,
            None,
            "This tab is hidden. The sync still read it; unhide it so the team sees it.",
        )
    if table.header_row is None:
        headers = ", ".join(column.header for column in tab.columns)
        result.add(
            "header-missing",
            "error",
            table.sheet_name,
            "A1",
            f"No header row was found on this tab. Row 1 should hold the headers: {headers}.",
        )
        return
    for cell in table.left_out[:1]:
        more = len(table.left_out) - 1
        result.add(
            "far-cell",
            "error",
            table.sheet_name,
            cell,
            f"Something is typed in {cell}"
            + (f" (and {more} more cell{'s' if more > 1 else ''} out there)" if more else "")
            + ", far below or to the right of the table. The sync left it out: a tab that "
            "reaches so far is too large to read. Delete it, or move it into the table.",
        )
    for number in table.repeated_headers:
        result.add(
            "header-repeated",
            "warning",
            table.sheet_name,
            f"{number}:{number}",
            f"Row {number} repeats the column headers, so the sync skipped it. Delete the row "
            "if it is not needed.",
        )
    for column in table.missing:
        result.add(
            "column-missing",
            "error" if column.required else "warning",
            table.sheet_name,
            table.header_address(),
            f"The column “{column.header}” is missing from the header row. Add it, or give "
            f"the column that holds it this header.",
        )


def _check_cells(table: Table, tables: WorkbookTables, result: WorkbookCheck) -> None:
    """Types, choices, references and required cells, row by row."""
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
                if column.required:
                    result.tally(1, 0)
                continue
            if cell.problem:
                result.add(
                    unreadable_rule(cell.raw) or f"invalid-{column.type}",
                    "error",
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
                        "required",
                        "error",
                        table.sheet_name,
                        cell.address,
                        _blank_message(table.tab, column, row),
                    )


def _reference_values(tables: WorkbookTables, column: Column) -> set[str] | None:
    tab_key, _, column_key = column.choices_from.partition(".")
    source = tables.tables[tab_key]
    if not source.found or column_key not in source.columns:
        return None  # the missing tab or column is reported on its own
    return {normalize_words(row.text(column_key)) for row in source.rows if row.text(column_key)}


def _check_reference(table, column, cell, known, tables, result) -> None:
    if known is None or normalize_words(cell.text) in known:
        return
    tab_key, _, column_key = column.choices_from.partition(".")
    source = tables.tables[tab_key]
    listed = ", ".join(
        sorted({row.text(column_key) for row in source.rows if row.text(column_key)})
    )
    result.add(
        "unknown-reference",
        "error",
        table.sheet_name,
        cell.address,
        f"{column.header} {quoted(cell.text)} is not listed on the {source.display_name} tab"
        + (f" (it lists {listed})." if listed else " (which is empty)."),
    )


def row_label(tab: Tab, row: Row, limit: int = 60) -> str:
    """A short name for a row: its first plain text cell, e.g. the action step itself."""
    for column in tab.columns:
        if column.type == "text" and not column.choices_from and row.text(column.key):
            text = " ".join(row.text(column.key).split())
            return f"“{text[: limit - 1]}…”" if len(text) > limit else f"“{text}”"
    return f"Row {row.number}"


def _blank_message(tab: Tab, column: Column, row: Row) -> str:
    label = row_label(tab, row)
    why = f" {column.why}" if column.why else ""
    return f"{label}: {column.header} is empty.{why}"


def format_date(day: dt.date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


# -- rules from the templates ----------------------------------------------------------------------


def _check_count(
    rule: CountRule, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck
) -> None:
    table = tables.tables[rule.tab]
    tab = table.tab
    groups, placeholders = _expected_groups(rule, tables, ctx)
    members: dict[tuple[str, ...], list[Row]] = {}
    for row in table.rows:
        key = tuple(normalize_words(row.text(column)) for column in rule.per)
        members.setdefault(key, []).append(row)
    # A row the plan still needs stands for every required cell it would hold.
    cells_per_row = max(1, sum(1 for column in tab.columns if column.required))
    for labels in groups:
        rows = members.get(tuple(normalize_words(label) for label in labels), [])
        result.tally(max(rule.min - len(rows), 0) * cells_per_row, 0)
        if not table.found or table.header_row is None:
            continue  # the missing tab or header is the issue to report
        subject = ("For " + " in ".join(labels) + " there") if labels else "There"
        if len(rows) < rule.min:
            first_key = next(iter(rule.per), None)
            result.add(
                "too-few",
                "error",
                table.sheet_name,
                table.next_free(first_key),
                f"{subject} {_how_many(len(rows), tab)}. {rule.why}",
            )
        elif rule.max is not None and len(rows) > rule.max:
            extra = rows[rule.max]
            result.add(
                "too-many",
                "warning",
                table.sheet_name,
                f"A{extra.number}",
                f"{subject} {_how_many(len(rows), tab)}. {rule.why}",
            )
    result.tally(rule.min * placeholders * cells_per_row, 0)


def _how_many(count: int, tab: Tab) -> str:
    if count == 0:
        return f"are no {tab.nouns}"
    return f"is 1 {tab.noun}" if count == 1 else f"are {count} {tab.nouns}"


def _expected_groups(rule: CountRule, tables: WorkbookTables, ctx: CheckContext):
    """The groups a count rule expects rows for, plus how many more groups stand for parent rows
    that are missing (a plan with one of the two strategies it needs also lacks the second one's
    goals), so that an empty plan does not look complete."""
    if not rule.per:
        return [()], 0
    choices: list[list[str]] = []
    with_missing = 1
    for source in rule.per.values():
        if source == "cycles":
            keys, missing = list(ctx.cycles_begun), 0
        else:
            tab_key, _, column_key = source.partition(".")
            rows = tables.tables[tab_key].rows
            keys = list(dict.fromkeys(row.text(column_key) for row in rows if row.text(column_key)))
            missing = max(_minimum_rows(tables.template, tab_key) - len(keys), 0)
        choices.append(keys)
        with_missing *= len(keys) + missing
    groups = list(itertools.product(*choices))
    return groups, with_missing - len(groups)


def _minimum_rows(template: Template, tab_key: str) -> int:
    return max(
        (rule.min for rule in template.rules_for(tab_key, CountRule) if not rule.per), default=0
    )


def _check_required_when(
    rule: RequiredWhenRule, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck
) -> None:
    table = tables.tables[rule.tab]
    column = table.tab.column(rule.column)
    for row in _rows_where(table, rule.when):
        cell = row.cells.get(rule.column)
        if cell is None:
            result.tally(1, 0)
            continue
        result.tally(1, int(not cell.blank and cell.problem is None))
        if cell.blank:
            condition = ", ".join(
                f"{table.tab.column(k).header} is {v}" for k, v in rule.when.items()
            )
            result.add(
                "required",
                "error",
                table.sheet_name,
                cell.address,
                f"{row_label(table.tab, row)}: {column.header} is empty while "
                f"{condition}. {rule.why}",
            )


def _rows_where(table: Table, when: dict[str, str]) -> Iterator[Row]:
    wanted = {key: normalize_words(value) for key, value in when.items()}
    for row in table.rows:
        if all(normalize_words(row.text(key)) == value for key, value in wanted.items()):
            yield row


def overdue_rows(table: Table, rule: OverdueRule, today: dt.date) -> list[tuple[Row, dt.date]]:
    """Rows past their due date whose status is not one of the rule's `done` values."""
    done = {normalize_words(value) for value in rule.done}
    found = []
    for row in table.rows:
        due = row.value(rule.due)
        if (
            isinstance(due, dt.date)
            and due < today
            and normalize_words(row.text(rule.status)) not in done
        ):
            found.append((row, due))
    return found


def upcoming_rows(table: Table, rule: OverdueRule, today: dt.date) -> list[tuple[Row, dt.date]]:
    """Rows not done yet that fall due within the rule's look-ahead window."""
    done = {normalize_words(value) for value in rule.done}
    horizon = today + dt.timedelta(days=rule.upcoming_days)
    found = []
    for row in table.rows:
        due = row.value(rule.due)
        if (
            isinstance(due, dt.date)
            and today <= due <= horizon
            and normalize_words(row.text(rule.status)) not in done
        ):
            found.append((row, due))
    return sorted(found, key=lambda pair: pair[1])


def _check_overdue(
    rule: OverdueRule, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck
) -> None:
    table = tables.tables[rule.tab]
    for row, due in overdue_rows(table, rule, ctx.today):
        days = (ctx.today - due).days
        ago = "1 day ago" if days == 1 else f"{days} days ago"
        result.add(
            "overdue",
            "warning",
            table.sheet_name,
            row.cells[rule.due].address,
            f"{row_label(table.tab, row)} was due {format_date(due)} ({ago}) and is not "
            f"marked {rule.done[0]}.",
        )


_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*%|\b(?!(?:19|20)\d\d\b)\d+(?:\.\d+)?\b")
_DATE_WORDS = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b20\d\d\b|"
    r"\bend of (?:the )?(?:school )?year\b|\beoy\b|\bby (?:spring|summer|fall|winter)\b"
)


def _check_measurable(
    rule: MeasurableRule, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck
) -> None:
    table = tables.tables[rule.tab]
    for row in table.rows:
        text = row.text(rule.text)
        if not text:
            continue
        lowered = text.casefold()
        parts = {
            "what is measured": bool(row.text(rule.metric))
            or any(word in lowered for word in rule.measure_words),
            "a target": bool(row.text(rule.target)) or bool(_NUMBER.search(lowered)),
            "a date": isinstance(row.value(rule.date), dt.date)
            or bool(_DATE_WORDS.search(lowered)),
        }
        missing = [name for name, present in parts.items() if not present]
        if missing:
            names = (
                " or ".join(missing) if len(missing) < 3 else "what is measured, a target or a date"
            )
            result.add(
                "not-measurable",
                "warning",
                table.sheet_name,
                row.cells[rule.text].address,
                f"This goal does not name {names}. A measurable (SMART) goal says what is "
                "measured, the target and the date, e.g. “from 42% to 55% of students at "
                "benchmark by May 2027”.",
            )


def _check_date_order(
    rule: DateOrderRule, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck
) -> None:
    table = tables.tables[rule.tab]
    first, then = table.tab.column(rule.first), table.tab.column(rule.then)
    for row in table.rows:
        start, end = row.value(rule.first), row.value(rule.then)
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            result.add(
                "date-order",
                "error",
                table.sheet_name,
                row.cells[rule.then].address,
                f"{row_label(table.tab, row)}: {then.header} {format_date(end)} comes before "
                f"{first.header} {format_date(start)}.",
            )


def _check_unique(
    rule: UniqueRule, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck
) -> None:
    table = tables.tables[rule.tab]
    column = table.tab.column(rule.column)
    seen: dict[str, int] = {}
    for row in table.rows:
        key = normalize_words(row.text(rule.column))
        if not key:
            continue
        if key in seen:
            result.add(
                "duplicate",
                "error",
                table.sheet_name,
                row.cells[rule.column].address,
                f"{column.header} {quoted(row.text(rule.column))} is also used on row {seen[key]}; "
                f"each {table.tab.noun} needs its own.",
            )
        else:
            seen[key] = row.number


RULE_CHECKS = {
    CountRule: _check_count,
    RequiredWhenRule: _check_required_when,
    OverdueRule: _check_overdue,
    MeasurableRule: _check_measurable,
    DateOrderRule: _check_date_order,
    UniqueRule: _check_unique,
}


# -- figures for the rollup ------------------------------------------------------------------------


def metric_value(metric: Metric, tables: WorkbookTables | None, today: dt.date) -> int | None:
    """A rollup figure: rows of a tab, filtered or overdue only; None for an absent workbook."""
    if tables is None:
        return None
    table = tables.tables[metric.tab]
    rows = list(_rows_where(table, metric.where))
    if metric.overdue:
        late = {
            row.number
            for rule in tables.template.rules_for(metric.tab, OverdueRule)
            for row, _due in overdue_rows(table, rule, today)
        }
        rows = [row for row in rows if row.number in late]
    return len(rows)
