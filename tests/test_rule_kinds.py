"""Each rule kind on in-memory tables: a table that breaks the rule gets the issue at its cell, one
that keeps it gets none. Then the registry: every id declared once, and a new kind registered in
an extended table is accepted by the schema it builds and run by the checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import ClassVar, Literal, get_args

import pytest
from plansync.catalog import load_template_file, template_by_id
from plansync.checks import CheckContext, WorkbookCheck, check_workbook
from plansync.errors import ConfigError, StoreError
from plansync.results import flatten
from plansync.rules import KINDS, RULES, IssueKind, Rule, issue_kinds, template_schema
from plansync.rules.count import CountRule
from plansync.rules.date_order import DateOrderRule
from plansync.rules.measurable import MeasurableRule
from plansync.rules.overdue import OverdueRule, overdue_rows, upcoming_rows
from plansync.rules.required_when import RequiredWhenRule
from plansync.rules.unique import UniqueRule
from plansync.tables import WorkbookTables
from plansync.templates import ColumnType, Template
from plansync.values import UNREADABLE_RULES
from tables_from_lists import grid, tables_from_lists

PM_TOOL = template_by_id("pm_tool")
DECISIONS = template_by_id("decisions")
ROLES = template_by_id("roles")
TODAY = dt.date(2026, 11, 27)
CTX = CheckContext("s1", TODAY, ("Cycle 1", "Cycle 2"))
PLACE = ("rule", "severity", "sheet", "cell")


def the_rule(template: Template, kind: type[Rule], tab: str) -> Rule:
    [rule] = template.rules_for(tab, kind)
    return rule


def run(rule: Rule, tables: WorkbookTables, ctx: CheckContext = CTX) -> WorkbookCheck:
    """One rule's check alone."""
    result = WorkbookCheck(tables.template.title, ctx.school_id)
    rule.check(tables, ctx, result)
    return result


def strategies(*ids: str) -> list[list]:
    return grid(
        PM_TOOL,
        "strategies",
        *({"id": id_, "strategy": f"{id_} for all", "description": "Daily."} for id_ in ids),
    )


def goals(*strategy_ids: str) -> list[list]:
    return grid(
        PM_TOOL,
        "goals",
        *(
            {
                "strategy": id_,
                "goal": f"Goal {n} from 40% to 55% by May 2027",
                "goal_type": "Outcome",
            }
            for n, id_ in enumerate(strategy_ids)
        ),
    )


# -- count -----------------------------------------------------------------------------------------

STRATEGY_COUNT = the_rule(PM_TOOL, CountRule, "strategies")
GOAL_COUNT = the_rule(PM_TOOL, CountRule, "goals")
BENCHMARK_COUNT = the_rule(PM_TOOL, CountRule, "benchmarks")


def test_too_few_rows_are_reported_where_the_next_row_goes():
    result = run(STRATEGY_COUNT, tables_from_lists(PM_TOOL, {"strategies": strategies("MIS 1")}))
    assert flatten(result.issues, PLACE) == [("too-few", "error", "Strategies", "A3")]
    assert result.issues[0].message == (
        "There is 1 strategy. A plan focuses on two or three major improvement strategies."
    )


def test_too_many_rows_are_reported_at_the_first_extra_row():
    tables = tables_from_lists(PM_TOOL, {"strategies": strategies("A", "B", "C", "D")})
    assert flatten(run(STRATEGY_COUNT, tables).issues, PLACE) == [
        ("too-many", "warning", "Strategies", "A5")
    ]


def test_rows_within_the_count_are_fine():
    tables = tables_from_lists(PM_TOOL, {"strategies": strategies("MIS 1", "MIS 2")})
    result = run(STRATEGY_COUNT, tables)
    assert result.issues == []
    assert (result.expected, result.met) == (0, 0)


def test_a_count_per_group_names_the_group_that_falls_short():
    tables = tables_from_lists(
        PM_TOOL,
        {"strategies": strategies("MIS 1", "MIS 2"), "goals": goals("MIS 1", "MIS 1", "MIS 2")},
    )
    result = run(GOAL_COUNT, tables)
    assert flatten(result.issues, PLACE) == [("too-few", "error", "EOY Goals", "A5")]
    assert result.issues[0].message.startswith("For MIS 2 there is 1 end-of-year goal.")


def test_a_missing_parent_row_counts_the_rows_it_would_need_as_missing():
    tables = tables_from_lists(
        PM_TOOL, {"strategies": strategies("MIS 1"), "goals": goals("MIS 1", "MIS 1")}
    )
    result = run(GOAL_COUNT, tables)
    assert result.issues == []
    # The second strategy's two goals, three required cells each.
    assert (result.expected, result.met) == (6, 0)


def test_a_count_per_cycle_expects_rows_for_the_cycles_that_have_begun():
    benchmark = {
        "strategy": "MIS 1",
        "cycle": "Cycle 1",
        "benchmark": "Walkthroughs",
        "focus": "Systems Implementation",
        "data_source": "Logs",
        "target": "80%",
    }
    tables = tables_from_lists(
        PM_TOOL,
        {
            "strategies": strategies("MIS 1"),
            "benchmarks": grid(PM_TOOL, "benchmarks", benchmark, benchmark),
        },
        cycles=("Cycle 1", "Cycle 2"),
    )
    found = run(BENCHMARK_COUNT, tables, CTX)
    assert [issue.message.split(".")[0] for issue in found.issues] == [
        "For MIS 1 in Cycle 2 there are no benchmarks"
    ]
    assert (
        run(BENCHMARK_COUNT, tables, dataclasses.replace(CTX, cycles_begun=("Cycle 1",))).issues
        == []
    )


def test_a_missing_tab_is_not_a_count_issue_but_its_rows_are_missing():
    result = run(STRATEGY_COUNT, tables_from_lists(PM_TOOL, {}))
    assert result.issues == []
    assert (result.expected, result.met) == (6, 0)


# -- required_when ---------------------------------------------------------------------------------

# The first of two: a decided decision records its outcome (the second, its date).
OUTCOME_WHEN_DECIDED = DECISIONS.rules_for("decisions", RequiredWhenRule)[0]


def decisions(**values: object) -> dict:
    decision = {"decision": "Pick a reading program", "level": "School", "decided_by": "Principal"}
    return {"decisions": grid(DECISIONS, "decisions", {**decision, **values})}


def test_a_cell_required_by_a_condition_is_reported_when_blank():
    tables = tables_from_lists(DECISIONS, decisions(status="Decided", decided_on="2026-11-02"))
    result = run(OUTCOME_WHEN_DECIDED, tables)
    assert flatten(result.issues, PLACE) == [("required", "error", "Decisions", "F2")]
    assert result.issues[0].message == (
        "“Pick a reading program”: What Was Decided is empty while Status is Decided. "
        "A decided decision records what was decided."
    )
    assert (result.expected, result.met) == (1, 0)


def test_a_cell_is_not_required_when_the_condition_does_not_hold():
    result = run(OUTCOME_WHEN_DECIDED, tables_from_lists(DECISIONS, decisions(status="Open")))
    assert result.issues == []
    assert (result.expected, result.met) == (0, 0)


# -- overdue ---------------------------------------------------------------------------------------

STEPS_OVERDUE = the_rule(PM_TOOL, OverdueRule, "action_steps")


def steps(*due_and_status: tuple[dt.date, str]) -> dict:
    rows = [
        {
            "strategy": "MIS 1",
            "step": f"Step {n}",
            "start_date": dt.date(2026, 9, 1),
            "due_date": due,
            "resources": "Time",
            "owner": "Ana",
            "status": status,
        }
        for n, (due, status) in enumerate(due_and_status, start=1)
    ]
    return {"action_steps": grid(PM_TOOL, "action_steps", *rows)}


def test_a_row_past_its_due_date_and_not_done_is_overdue_at_its_due_date():
    tables = tables_from_lists(PM_TOOL, steps((dt.date(2026, 11, 20), "In Progress")))
    result = run(STEPS_OVERDUE, tables)
    assert flatten(result.issues, PLACE) == [("overdue", "warning", "Action Steps", "D2")]
    assert result.issues[0].message == ("“Step 1” was due Nov 20, 2026 and is not marked Complete.")


def test_a_done_row_or_one_not_yet_due_is_not_overdue_but_may_be_upcoming():
    tables = tables_from_lists(
        PM_TOOL,
        steps(
            (dt.date(2026, 11, 20), "complete"),
            (dt.date(2026, 12, 4), "In Progress"),
            (dt.date(2027, 1, 4), "Not Started"),
        ),
    )
    assert run(STEPS_OVERDUE, tables).issues == []
    table = tables.tables["action_steps"]
    assert overdue_rows(table, STEPS_OVERDUE, TODAY) == []
    assert [(row.number, due) for row, due in upcoming_rows(table, STEPS_OVERDUE, TODAY)] == [
        (3, dt.date(2026, 12, 4))
    ]


def test_overdue_findings_change_the_day_after_the_next_open_step_falls_due():
    tables = tables_from_lists(
        PM_TOOL,
        steps(
            (dt.date(2026, 11, 20), "Complete"),
            (dt.date(2026, 12, 4), "In Progress"),
            (dt.date(2026, 11, 30), "Complete"),
            (dt.date(2027, 1, 4), "Not Started"),
        ),
    )
    assert STEPS_OVERDUE.changes_on(tables, CTX) == dt.date(2026, 12, 5)
    due_today = tables_from_lists(PM_TOOL, steps((TODAY, "In Progress")))
    assert STEPS_OVERDUE.changes_on(due_today, CTX) == TODAY + dt.timedelta(days=1)
    all_done = tables_from_lists(PM_TOOL, steps((dt.date(2026, 12, 4), "Complete")))
    assert STEPS_OVERDUE.changes_on(all_done, CTX) is None


def test_a_step_already_overdue_does_not_change_the_findings_by_itself():
    """Its message gives the due date, not a count of days: it reads the same every night."""
    tables = tables_from_lists(PM_TOOL, steps((dt.date(2026, 11, 20), "In Progress")))
    assert STEPS_OVERDUE.changes_on(tables, CTX) is None
    later = tables_from_lists(
        PM_TOOL,
        steps((dt.date(2026, 11, 20), "In Progress"), (dt.date(2026, 12, 4), "Not Started")),
    )
    assert STEPS_OVERDUE.changes_on(later, CTX) == dt.date(2026, 12, 5)


def test_a_kind_whose_findings_ignore_the_date_never_changes_by_itself():
    tables = tables_from_lists(PM_TOOL, steps((dt.date(2026, 11, 20), "In Progress")))
    rule = the_rule(PM_TOOL, DateOrderRule, "action_steps")
    assert rule.changes_on(tables, CTX) is None


# -- measurable ------------------------------------------------------------------------------------

GOALS_MEASURABLE = the_rule(PM_TOOL, MeasurableRule, "goals")


def test_a_goal_naming_no_measure_target_or_date_is_a_warning_at_its_text():
    goal = {"strategy": "MIS 1", "goal": "Build a reading culture", "goal_type": "Outcome"}
    tables = tables_from_lists(PM_TOOL, {"goals": grid(PM_TOOL, "goals", goal)})
    result = run(GOALS_MEASURABLE, tables)
    assert flatten(result.issues, PLACE) == [("not-measurable", "warning", "EOY Goals", "B2")]
    assert result.issues[0].message.startswith(
        "This goal does not name what is measured, where it starts (a baseline), a target or "
        "a date."
    )
    assert (result.judged, result.passed) == (1, 0)


def test_a_goal_without_a_baseline_is_not_measurable():
    goal = {"strategy": "MIS 1", "goal": "Reach 55% proficiency by May 2027"}
    result = run(
        GOALS_MEASURABLE, tables_from_lists(PM_TOOL, {"goals": grid(PM_TOOL, "goals", goal)})
    )
    assert flatten(result.issues, PLACE) == [("not-measurable", "warning", "EOY Goals", "B2")]
    assert result.issues[0].message.startswith(
        "This goal does not name where it starts (a baseline)."
    )
    assert result.issues[0].quality


def test_a_goal_may_be_measurable_in_its_words_or_in_its_columns():
    in_words = {"strategy": "MIS 1", "goal": "Raise proficiency from 40% to 55% by May 2027"}
    in_columns = {
        "strategy": "MIS 1",
        "goal": "Everyone reads",
        "metric": "Minutes read",
        "baseline": "12",
        "target": "30",
        "target_date": dt.date(2027, 5, 28),
    }
    tables = tables_from_lists(PM_TOOL, {"goals": grid(PM_TOOL, "goals", in_words, in_columns)})
    result = run(GOALS_MEASURABLE, tables)
    assert result.issues == []
    assert (result.judged, result.passed) == (2, 2)


# -- date_order ------------------------------------------------------------------------------------

START_BEFORE_DUE = the_rule(PM_TOOL, DateOrderRule, "action_steps")


def test_a_date_before_the_one_it_should_follow_is_reported_at_the_later_column():
    tables = tables_from_lists(PM_TOOL, steps((dt.date(2026, 8, 20), "Complete")))
    result = run(START_BEFORE_DUE, tables)
    assert flatten(result.issues, PLACE) == [("date-order", "error", "Action Steps", "D2")]
    assert result.issues[0].message == (
        "“Step 1”: Due Date Aug 20, 2026 comes before Start Date Sep 1, 2026."
    )


def test_dates_in_order_or_not_both_dates_are_fine():
    tables = tables_from_lists(
        PM_TOOL, steps((dt.date(2026, 9, 1), "Complete"), ("TBD", "In Progress"))
    )
    assert run(START_BEFORE_DUE, tables).issues == []


# -- unique ----------------------------------------------------------------------------------------

UNIQUE_IDS = the_rule(PM_TOOL, UniqueRule, "strategies")


def test_a_repeated_value_is_reported_where_it_repeats():
    tables = tables_from_lists(PM_TOOL, {"strategies": strategies("MIS 1", "MIS 2", " mis  1")})
    result = run(UNIQUE_IDS, tables)
    assert flatten(result.issues, PLACE) == [("duplicate", "error", "Strategies", "A4")]
    assert result.issues[0].message == (
        "Strategy ID “mis 1” is also used on row 2; each strategy needs its own."
    )


def test_distinct_values_are_fine():
    tables = tables_from_lists(PM_TOOL, {"strategies": strategies("MIS 1", "MIS 2")})
    assert run(UNIQUE_IDS, tables).issues == []


# -- the checks every template gets ----------------------------------------------------------------


def test_a_whole_workbook_built_from_lists_is_checked_like_a_file():
    team = grid(ROLES, "team", {"name": "Ana", "role": "Lead", "level": "School"})
    del team[0][2]  # no Email column (optional): a warning
    del team[1][2]
    tables = tables_from_lists(ROLES, {"team": team})
    outcome = check_workbook(tables, CTX)
    assert flatten(outcome.issues, PLACE) == [
        ("column-missing", "warning", "Team", "1:1"),
        ("tab-missing", "error", "Responsibilities", None),
        ("tab-missing", "error", "Meetings", None),
        ("too-few", "error", "Team", "A3"),
    ]


def test_a_stamp_of_another_version_is_a_warning_and_of_another_template_an_error():
    tables = tables_from_lists(ROLES, {})
    newer = dataclasses.replace(tables, stamp={**tables.stamp, "version": "9"})
    other = dataclasses.replace(tables, stamp={**tables.stamp, "template": "pm_tool"})
    assert [(i.rule, i.severity) for i in check_workbook(newer, CTX).issues[:1]] == [
        ("stamp-version", "warning")
    ]
    assert [(i.rule, i.severity) for i in check_workbook(other, CTX).issues[:1]] == [
        ("stamp-version", "error")
    ]


def test_a_workbook_made_from_an_older_version_is_not_flagged_for_what_migrate_adds():
    tables = tables_from_lists(ROLES, {"team": [["Name", "Role"], ["Ana", "Principal"]]})
    current = {i.rule for i in check_workbook(tables, CTX).issues}
    assert {"column-missing", "tab-missing"} <= current
    older = dataclasses.replace(tables, stamp={**tables.stamp, "version": "0"})
    behind = {i.rule for i in check_workbook(older, CTX).issues}
    assert not behind & {"column-missing", "tab-missing", "stamp-version"}


# -- the registry ----------------------------------------------------------------------------------


def test_every_issue_id_is_declared_once_with_a_title():
    ids = [kind.id for kind in issue_kinds()]
    assert len(ids) == len(set(ids)) == len(RULES)
    assert all(RULES[id_] for id_ in ids)


def test_every_id_the_stores_and_the_cell_reader_raise_is_declared():
    def subclasses(cls: type) -> list[type]:
        return [cls, *(sub for direct in cls.__subclasses__() for sub in subclasses(direct))]

    raised = {error.rule for error in subclasses(StoreError)}
    raised |= set(UNREADABLE_RULES.values())
    raised |= {f"invalid-{kind}" for kind in get_args(ColumnType) if kind != "text"}
    assert raised <= set(RULES)


def test_each_kind_declares_the_issues_it_reports():
    assert all(kind.issues for kind in KINDS)
    assert {issue.id for kind in KINDS for issue in kind.issues} <= set(RULES)


def test_a_rule_of_an_unregistered_type_is_refused_naming_the_registered_ones():
    text = VISITS.replace("at_most", "nope")
    with pytest.raises(ConfigError) as error:
        load_template_file("visits.yaml", text)
    tags = ", ".join(repr(kind.model_fields["type"].annotation.__args__[0]) for kind in KINDS)
    assert str(error.value) == (
        "visits.yaml: rules[1]: Input tag 'nope' found using 'type' does not match any of the "
        f"expected tags: {tags}"
    )


# -- a new rule kind: one class, one more entry in the table ---------------------------------------

TOO_LONG = IssueKind("too-long", "Longer than planned", "warning")


class AtMostRule(Rule):
    """A number column must not exceed a limit (a test's own rule kind)."""

    type: Literal["at_most"]
    column: str
    limit: float

    issues: ClassVar[tuple[IssueKind, ...]] = (TOO_LONG,)

    def columns_named(self) -> tuple[str, ...]:
        return (self.column,)

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        table = tables.tables[self.tab]
        for row in table.rows:
            value = row.value(self.column)
            if isinstance(value, int | float) and value > self.limit:
                result.add(
                    TOO_LONG,
                    table.sheet_name,
                    row.cells[self.column].address,
                    f"{value:g} is more than {self.limit:g}.",
                )


VISITS = """
id: visits
version: 1
title: Visits
about: A template made in a test.
tabs:
  - key: visits
    title: Visits
    noun: visit
    nouns: visits
    purpose: Classroom visits.
    columns:
      - {key: room, header: Room, required: true, help: Which room.}
      - {key: minutes, header: Minutes, type: number, help: How long.}
rules:
  - {type: count, tab: visits, min: 1, why: Visit a room.}
  - {type: at_most, tab: visits, column: minutes, limit: 45}
"""
EXTENDED = (*KINDS, AtMostRule)


def test_a_kind_registered_in_an_extended_table_is_loaded_and_run():
    template = load_template_file("visits.yaml", VISITS, schema=template_schema(EXTENDED))
    grids = {"visits": [["Room", "Minutes"], ["Room 4", 20], ["Room 5", 95]]}
    outcome = check_workbook(tables_from_lists(template, grids), CTX)
    assert [(i.rule, i.severity, i.cell, i.message) for i in outcome.issues] == [
        ("too-long", "warning", "B3", "95 is more than 45.")
    ]
    assert {kind.id: kind.title for kind in issue_kinds(EXTENDED)}["too-long"] == (
        "Longer than planned"
    )
    assert "too-long" not in RULES  # the standard table is left as it was


def test_a_new_kind_s_declared_columns_are_checked_against_the_template():
    with pytest.raises(ConfigError) as error:
        load_template_file(
            "visits.yaml",
            VISITS.replace("column: minutes", "column: minutez"),
            schema=template_schema(EXTENDED),
        )
    assert (
        str(error.value) == "visits.yaml: rules[1] (at_most): tab 'visits' has no column 'minutez'"
    )
