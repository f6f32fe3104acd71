"""Each rule fires at the right cell on a workbook that breaks it, and not on one that keeps it."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from conftest import (
    edit_workbook,
    good_plan,
    run_sync,
    school_issues,
    workbook_path,
)


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
    messages = [issue.message for issue in result.schools[0].issues]
    assert messages == [
        "For MIS 2 in Cycle 1 there are no benchmarks. Each strategy needs two "
        "to four benchmarks in every monitoring cycle that has begun."
    ]


def test_cycles_that_have_not_begun_need_no_benchmarks(make_district):
    result = run_sync(make_district(), today=dt.date(2026, 9, 15))
    assert all(
        school.issues == [] or all(i.rule == "overdue" for i in school.issues)
        for school in result.schools
    )
    result = run_sync(make_district(), today=dt.date(2027, 2, 10))
    assert ("too-few", "Benchmarks", "A10") in school_issues(result, "north")


# -- structure: tabs, headers, stamps and files --------------------------------------------------


def _sheet_edit(change):
    return lambda district: edit_workbook(workbook_path(district, "north"), change)


def _rename_header(tab, column, text):
    def change(book):
        book[tab][f"{column}1"] = text

    return _sheet_edit(change)


def _delete_file(title):
    return lambda district: workbook_path(district, "north", title).unlink()


def _garble(district):
    workbook_path(district, "north", "Roles and Responsibilities").write_bytes(b"not a workbook")


def _copy_other_schools_pm_tool(district):
    shutil.copy(workbook_path(district, "south"), workbook_path(district, "north"))


def _clear_header(book):
    for cell in book["Meetings"][1]:
        cell.value = None


STRUCTURE_BREAKS = {
    "tab deleted": (
        _sheet_edit(lambda book: book.remove(book["Benchmarks"])),
        ("tab-missing", "Benchmarks", None),
    ),
    "tab renamed": (
        _sheet_edit(lambda book: setattr(book["Action Steps"], "title", "Our Steps")),
        ("tab-renamed", "Our Steps", None),
    ),
    "tab hidden": (
        _sheet_edit(lambda book: setattr(book["Strategies"], "sheet_state", "hidden")),
        ("tab-hidden", "Strategies", None),
    ),
    "column renamed": (
        _rename_header("Action Steps", "F", "Lead"),
        ("column-missing", "Action Steps", "1:1"),
    ),
    "header row cleared": (
        lambda district: edit_workbook(
            workbook_path(district, "north", "Roles and Responsibilities"), _clear_header
        ),
        ("header-missing", "Meetings", "A1"),
    ),
    "stamp deleted": (
        _sheet_edit(lambda book: book.remove(book["_plansync"])),
        ("stamp-missing", None, None),
    ),
    "stamp of another version": (
        _sheet_edit(lambda book: book["_plansync"].cell(2, 2, "0")),
        ("stamp-version", "_plansync", None),
    ),
    "another school's file": (_copy_other_schools_pm_tool, ("stamp-school", "_plansync", None)),
    "workbook deleted": (_delete_file("Decision Log"), ("workbook-missing", None, None)),
    "workbook corrupt": (_garble, ("workbook-unreadable", None, None)),
}


@pytest.mark.parametrize("case", STRUCTURE_BREAKS, ids=list(STRUCTURE_BREAKS))
def test_a_broken_structure_is_an_issue_not_a_crash(make_district, case):
    change, expected = STRUCTURE_BREAKS[case]
    district = make_district()
    change(district)
    result = run_sync(district)
    assert expected in school_issues(result, "north")
    assert school_issues(result, "south") == []
    assert result.rollup is not None


def test_a_renamed_column_counts_its_cells_as_missing(make_district):
    district = make_district()
    _rename_header("Action Steps", "F", "Lead")(district)
    north = run_sync(district).schools[0]
    assert north.completeness < 100
    assert north.met == north.expected - 2  # the two steps' owners


def test_header_aliases_reordered_columns_and_notes_above_the_header_are_fine(make_district):
    district = make_district()

    def change(book):
        steps = book["Action Steps"]
        steps["F1"] = "Personnel"  # an alias of Owner
        rows = [[cell.value for cell in row] for row in steps.iter_rows(max_row=3, max_col=7)]
        order = [5, 0, 6, 1, 3, 2, 4]  # owner first, dates swapped, ...
        for r, values in enumerate(rows, start=1):
            for c, source in enumerate(order, start=1):
                steps.cell(r, c).value = values[source]
        steps.insert_rows(1, 2)
        steps["A1"] = "Our action plan for 2026-27 (updated weekly)"
        steps["A5"].value = None  # the second step's owner, now in column A, row 3 + 2

    edit_workbook(workbook_path(district, "north"), change)
    assert school_issues(run_sync(district), "north") == [("required", "Action Steps", "A5")]


def test_merged_cells_count_for_every_row_they_cover(make_district):
    plan = good_plan()
    plan["pm_tool"]["goals"][1]["strategy"] = None  # typed once, merged over two rows
    district = make_district({"north": plan})
    edit_workbook(
        workbook_path(district, "north"), lambda book: book["EOY Goals"].merge_cells("A2:A3")
    )
    assert school_issues(run_sync(district), "north") == []


def test_blank_rows_in_the_middle_of_a_table_are_skipped(make_district):
    district = make_district()
    edit_workbook(
        workbook_path(district, "north"), lambda book: book["Action Steps"].insert_rows(3, 4)
    )
    result = run_sync(district)
    assert school_issues(result, "north") == []
    rows = result.schools[0].tables("pm_tool").tables["action_steps"].rows
    assert [row.number for row in rows] == [2, 7]
