"""The checks engine: one template's checks on one workbook's tables, and its completeness tally.

For each workbook: the stamp, then each tab's structure and cells (`rules/structure.py`), then the
template's rules in order, each by its kind's own check (one module per kind in `rules/`; the
template schema only admits registered kinds). Everything here works on in-memory tables (no
files, no CLI), so a rule can be tested on rows built in a test.

Completeness is defined in one place, `results.completeness()`.
"""

from __future__ import annotations

import datetime as dt

from .errors import StoreError
from .results import Issue
from .rules.base import CheckContext, Rule, WorkbookCheck
from .rules.helpers import rows_where
from .rules.overdue import OverdueRule, overdue_rows
from .rules.structure import (
    STRAY_COPY,
    check_cells,
    check_stamp,
    check_structure,
    made_from_older_version,
    workbook_issue,
)
from .tables import WorkbookTables
from .templates import Metric, RuleSpec, Template

__all__ = [
    "CheckContext",
    "WorkbookCheck",
    "check_absent_workbook",
    "check_across_workbooks",
    "check_workbook",
    "findings_change_on",
    "metric_value",
    "stamp_matches_school",
]


# -- the whole workbook ----------------------------------------------------------------------------


def check_workbook(tables: WorkbookTables, ctx: CheckContext) -> WorkbookCheck:
    """Every check of one template on one school's workbook."""
    result = WorkbookCheck(tables.template.title, ctx.school_id)
    check_stamp(tables, ctx, result)
    # Made from an older version of the template: what that version lacked (a new column or tab)
    # is not the school's to fix; `plansync migrate` adds it, and the sync tells district staff.
    behind = made_from_older_version(tables)
    for tab in tables.template.tabs:
        table = tables.tables[tab.key]
        check_structure(table, result, behind)
        check_cells(table, tables, result, behind)
    for rule in tables.template.rules:
        _registered(rule).check(tables, ctx, result)
    return result


def findings_change_on(tables: WorkbookTables, ctx: CheckContext) -> dt.date | None:
    """The first day after `ctx.today` on which checking the same tables could find something
    else (each rule kind says when its findings depend on the date); None for never. The rollup
    figures count overdue rows with the same rules, so they change on those days too."""
    days = [
        day for rule in tables.template.rules if (day := _registered(rule).changes_on(tables, ctx))
    ]
    return min(days, default=None)


def check_absent_workbook(
    template: Template, tables: WorkbookTables, error: StoreError, ctx: CheckContext
) -> WorkbookCheck:
    """A workbook that is missing or cannot be opened: one issue, and its required rows unmet.

    `tables` are the workbook's empty tables (`WorkbookTables.empty`): on them the rules report
    nothing and only count the rows the plan needs (see `Rule.check`).
    """
    result = WorkbookCheck(template.title, ctx.school_id)
    result.add(workbook_issue(error.rule), error.sheet, None, error.reason)
    for rule in template.rules:
        _registered(rule).check(tables, ctx, result)
    return result


def check_across_workbooks(
    workbooks: dict[str, WorkbookTables], ctx: CheckContext, results: dict[str, WorkbookCheck]
) -> None:
    """The checks that span a school's workbooks (a name on the PM Tool against the roster in the
    roles tracker), after each workbook's own. `workbooks` and `results` are keyed by template id
    and hold the workbooks that could be read; each rule adds its findings to the workbook where
    they are."""
    for tables in workbooks.values():
        for rule in tables.template.rules:
            _registered(rule).check_school(workbooks, ctx, results)


def stray_copy_issue(school_id: str, workbook: str, name: str, label: str) -> Issue:
    """A file in the school's folder that looks like a copy of one of its workbooks."""
    return Issue(
        STRAY_COPY.id,
        STRAY_COPY.severity,
        school_id,
        workbook,
        None,
        None,
        f"“{name}” looks like a copy of the {workbook} ({label}). The sync reads only the "
        f"{workbook} itself, so anything typed in the copy never reaches the plan: move what it "
        "holds into the workbook, then delete or rename the copy.",
    )


def _registered(rule: RuleSpec) -> Rule:
    if not isinstance(rule, Rule):
        raise TypeError(
            f"a {type(rule).__name__} is not a rule kind; load templates with plansync.catalog"
        )
    return rule


def stamp_matches_school(tables: WorkbookTables, school_id: str) -> bool:
    """False when the stamp says the workbook was made for another school (a copied file)."""
    stamped = (tables.stamp or {}).get("school_id")
    return not stamped or stamped == school_id


# -- figures for the rollup ------------------------------------------------------------------------


def metric_value(metric: Metric, tables: WorkbookTables | None, today: dt.date) -> int | None:
    """A rollup figure: rows of a tab, filtered or overdue only; None for an absent workbook."""
    if tables is None:
        return None
    table = tables.tables[metric.tab]
    rows = list(rows_where(table, metric.where))
    if metric.overdue:
        late = {
            row.number
            for rule in tables.template.rules_for(metric.tab, OverdueRule)
            for row, _due in overdue_rows(table, rule, today)
        }
        rows = [row for row in rows if row.number in late]
    return len(rows)
