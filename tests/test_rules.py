"""Each rule fires at the right cell on a workbook that breaks it, and not on one that keeps it."""

from __future__ import annotations

import datetime as dt

import pytest
from district_helpers import good_plan, run_sync, school_issues
from plansync.grid import a1


def test_a_complete_plan_has_no_issues_and_is_100_percent(make_district):
    result = run_sync(make_district())
    for school in result.schools:
        assert school.issues == []
        assert school.completeness == 100


def _break(change):
    plan = good_plan()
    change(plan)
    return plan


def _set(template, tab, index, **values):
    def change(plan):
        plan[template][tab][index].update(values)

    return change


PLAN_BREAKS = {
    "blank owner": (
        _set("pm_tool", "action_steps", 1, owner=None),
        ("required", "Action Steps", "F3"),
    ),
    "date typed as words": (
        _set("pm_tool", "action_steps", 1, due_date="next Tuesday"),
        ("invalid-date", "Action Steps", "D3"),
    ),
    "choice outside the list": (
        _set("pm_tool", "benchmarks", 0, status="Great"),
        ("invalid-choice", "Benchmarks", "H2"),
    ),
    "cycle outside the config": (
        _set("pm_tool", "benchmarks", 0, cycle="Cycle 9"),
        ("invalid-choice", "Benchmarks", "B2"),
    ),
    "bad email": (_set("roles", "team", 0, email="ana@"), ("invalid-email", "Team", "C2")),
    "unknown strategy": (
        _set("pm_tool", "goals", 0, strategy="MIS 9"),
        ("unknown-reference", "EOY Goals", "A2"),
    ),
    "duplicate strategy id": (
        _set("pm_tool", "strategies", 1, id="mis 1"),
        ("duplicate", "Strategies", "A3"),
    ),
    "start after due": (
        _set("pm_tool", "action_steps", 0, start_date=dt.date(2026, 10, 5)),
        ("date-order", "Action Steps", "D2"),
    ),
    "overdue step": (
        _set("pm_tool", "action_steps", 1, due_date=dt.date(2026, 11, 20)),
        ("overdue", "Action Steps", "D3"),
    ),
    "overdue decision": (
        _set("decisions", "decisions", 1, due_date=dt.date(2026, 11, 1)),
        ("overdue", "Decisions", "D3"),
    ),
    "overdue responsibility": (
        _set("roles", "responsibilities", 0, due_date=dt.date(2026, 11, 2)),
        ("overdue", "Responsibilities", "E2"),
    ),
    "goal that is not measurable": (
        _set(
            "pm_tool",
            "goals",
            0,
            goal="Build a reading culture",
            metric=None,
            target=None,
            target_date=None,
        ),
        ("not-measurable", "EOY Goals", "B2"),
    ),
    "decided without the outcome": (
        _set("decisions", "decisions", 0, outcome=None),
        ("required", "Decisions", "F2"),
    ),
    "blank responsibility owner": (
        _set("roles", "responsibilities", 0, owner=""),
        ("required", "Responsibilities", "B2"),
    ),
    "one strategy": (
        lambda plan: plan["pm_tool"]["strategies"].pop(),
        ("too-few", "Strategies", "A3"),
    ),
    "four strategies": (
        lambda plan: plan["pm_tool"]["strategies"].extend(
            {"id": f"MIS {n}", "strategy": "More", "description": "More."} for n in (3, 4)
        ),
        ("too-many", "Strategies", "A5"),
    ),
    "one goal for a strategy": (
        lambda plan: plan["pm_tool"]["goals"].pop(),
        ("too-few", "EOY Goals", "A5"),
    ),
    "no benchmarks this cycle": (
        lambda plan: plan["pm_tool"].update(
            benchmarks=[
                b
                for b in plan["pm_tool"]["benchmarks"]
                if not (b["strategy"] == "MIS 1" and b["cycle"] == "Cycle 2")
            ]
        ),
        ("too-few", "Benchmarks", "A8"),
    ),
    "team of one": (lambda plan: plan["roles"]["team"].pop(), ("too-few", "Team", "A3")),
    "no decisions": (
        lambda plan: plan["decisions"]["decisions"].clear(),
        ("too-few", "Decisions", "A2"),
    ),
}


@pytest.mark.parametrize("case", PLAN_BREAKS, ids=list(PLAN_BREAKS))
def test_a_broken_plan_is_reported_at_its_cell(make_district, case):
    change, expected = PLAN_BREAKS[case]
    district = make_district({"north": _break(change)})
    result = run_sync(district)
    assert expected in school_issues(result, "north")
    assert school_issues(result, "south") == []


def test_messages_speak_the_schools_language(make_district):
    district = make_district({"north": _break(_set("pm_tool", "action_steps", 1, owner=None))})
    [issue] = run_sync(district).schools[0].issues
    assert issue.message == (
        "“Set up the attendance team”: Owner is empty. Every action step needs a named owner."
    )
    assert issue.where == "PM Tool › Action Steps!F3"


def test_count_messages_name_the_group(make_district):
    plan = good_plan()
    plan["pm_tool"]["benchmarks"] = [
        b
        for b in plan["pm_tool"]["benchmarks"]
        if not (b["strategy"] == "MIS 2" and b["cycle"] == "Cycle 1")
    ]
    result = run_sync(make_district({"north": plan}))
    messages = [issue.message for issue in result.schools[0].issues if not issue.quality]
    assert messages == [
        "For MIS 2 in Cycle 1 there are no benchmarks. Each strategy needs two "
        "to four benchmarks in every monitoring cycle that has begun."
    ]


def test_cycles_that_have_not_begun_need_no_benchmarks(make_district):
    result = run_sync(make_district(), today=dt.date(2026, 9, 15))
    assert all(
        all(i.rule == "overdue" or i.quality for i in school.issues) for school in result.schools
    )
    result = run_sync(make_district(), today=dt.date(2027, 2, 10))
    assert ("too-few", "Benchmarks", "A10") in school_issues(result, "north")


# -- structure: tabs, headers, stamps and files --------------------------------------------------

STRUCTURE_BREAKS = {
    "tab deleted": (
        lambda edits, district: edits.delete_tab(district, "north", "Benchmarks"),
        ("tab-missing", "Benchmarks", None),
    ),
    "tab renamed": (
        lambda edits, district: edits.rename_tab(district, "north", "Action Steps", "Our Steps"),
        ("tab-renamed", "Our Steps", None),
    ),
    "tab hidden": (
        lambda edits, district: edits.hide_tab(district, "north", "Strategies"),
        ("tab-hidden", "Strategies", None),
    ),
    "column renamed": (
        lambda edits, district: edits.set_cells(district, "north", "Action Steps", {"F1": "Lead"}),
        ("column-missing", "Action Steps", "1:1"),
    ),
    "header row cleared": (
        lambda edits, district: edits.clear_row(
            district, "north", "Meetings", 1, workbook="Roles and Responsibilities"
        ),
        ("header-missing", "Meetings", "A1"),
    ),
    "stamp deleted": (
        lambda edits, district: edits.delete_tab(district, "north", "_plansync"),
        ("stamp-missing", None, None),
    ),
    # A newer version than the template in use (an older one is a migrate note, not an issue).
    "stamp of another version": (
        lambda edits, district: edits.set_cells(district, "north", "_plansync", {"B2": "9"}),
        ("stamp-version", "_plansync", None),
    ),
    "another school's file": (
        lambda edits, district: edits.copy_from(district, "north", "south"),
        ("stamp-school", "_plansync", None),
    ),
    "workbook deleted": (
        lambda edits, district: edits.delete_workbook(district, "north", "Decision Log"),
        ("workbook-missing", None, None),
    ),
    "workbook unreadable": (
        lambda edits, district: edits.make_unreadable(
            district, "north", "Roles and Responsibilities"
        ),
        ("workbook-unreadable", None, None),
    ),
}


@pytest.mark.parametrize("case", STRUCTURE_BREAKS, ids=list(STRUCTURE_BREAKS))
def test_a_broken_structure_is_an_issue_not_a_crash(make_district, edits, case):
    change, expected = STRUCTURE_BREAKS[case]
    district = make_district()
    change(edits, district)
    result = run_sync(district)
    assert expected in school_issues(result, "north")
    assert school_issues(result, "south") == []
    assert result.rollup is not None


def test_a_renamed_column_counts_its_cells_as_missing(make_district, edits):
    district = make_district()
    edits.set_cells(district, "north", "Action Steps", {"F1": "Lead"})
    north = run_sync(district).schools[0]
    assert north.completeness < 100
    assert north.met == north.expected - 2  # the two steps' owners


def test_header_aliases_reordered_columns_and_notes_above_the_header_are_fine(make_district, edits):
    district = make_district()
    rows = [list(row[:7]) for row in edits.rows(district, "north", "Action Steps")[:3]]
    rows[0][5] = "Personnel"  # an alias of Owner
    order = [5, 0, 6, 1, 3, 2, 4]  # owner first, dates swapped, ...
    moved = {
        a1(r, c): values[source]
        for r, values in enumerate(rows, start=1)
        for c, source in enumerate(order, start=1)
    }
    edits.set_cells(district, "north", "Action Steps", moved)
    edits.insert_rows(district, "north", "Action Steps", 1, 2)
    notes = {"A1": "Our action plan for 2026-27 (updated weekly)", "A5": None}  # A5: an owner
    edits.set_cells(district, "north", "Action Steps", notes)
    assert school_issues(run_sync(district), "north") == [("required", "Action Steps", "A5")]


def test_merged_cells_count_for_every_row_they_cover(make_district, edits):
    plan = good_plan()
    plan["pm_tool"]["goals"][1]["strategy"] = None  # typed once, merged over two rows
    district = make_district({"north": plan})
    edits.merge(district, "north", "EOY Goals", "A2:A3")
    assert school_issues(run_sync(district), "north") == []


def test_blank_rows_in_the_middle_of_a_table_are_skipped(make_district, edits):
    district = make_district()
    edits.insert_rows(district, "north", "Action Steps", 3, 4)
    result = run_sync(district)
    assert school_issues(result, "north") == []
    rows = result.schools[0].tables("pm_tool").tables["action_steps"].rows
    assert [row.number for row in rows] == [2, 7]
