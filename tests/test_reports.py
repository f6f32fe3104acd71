"""The rollup and the summary tab show what a coach and district staff need, from real files."""

from __future__ import annotations

import datetime as dt

from district_helpers import good_plan, run_sync
from plansync.values import as_text


def _late_plan() -> dict:
    plan = good_plan()
    steps = plan["pm_tool"]["action_steps"]
    steps[1].update(due_date=dt.date(2026, 11, 17), owner="Ben Brooks")  # 10 days late
    steps[1]["start_date"] = dt.date(2026, 11, 2)
    steps.append(
        {
            "strategy": "MIS 1",
            "step": "Order decodable readers",
            "start_date": dt.date(2026, 11, 1),
            "due_date": dt.date(2026, 12, 4),
            "resources": "Title I funds",
            "owner": "Ana Alvarez",
            "status": "Not Started",
        }
    )
    plan["pm_tool"]["strategies"][1]["description"] = None
    plan["roles"]["responsibilities"][0]["due_date"] = dt.date(2026, 12, 5)
    return plan


def test_the_rollup_has_one_row_per_school_and_every_schools_rows_side_by_side(
    make_district, edits
):
    district = make_district({"north": _late_plan()})
    sheets = edits.rollup(run_sync(district).rollup)
    assert list(sheets) == [
        "Schools",
        "Trend",
        "Benchmark Status",
        "Strategies",
        "EOY Goals",
        "Benchmarks",
        "Action Steps",
        "Fidelity",
        "Team",
        "Responsibilities",
        "Meetings",
        "Meeting Log",
        "Decisions",
        "Communication",
        "Notes",
        "Issues",
        "About",
    ]
    schools = sheets["Schools"]
    header = schools[0]
    assert header[:9] == [
        "School",
        "School ID",
        "Coach",
        "Completeness %",
        "Last run %",
        "Change",
        "Quality %",
        "Errors",
        "Warnings",
    ]
    north = dict(zip(header, schools[1], strict=True))
    assert (north["School"], north["Errors"], north["Warnings"]) == ("North Elementary", 1.0, 1.0)
    assert north["Overdue steps"] == 1 and north["Open decisions"] == 1
    assert north["Completeness %"] < 100
    assert north["Quality %"] == 100
    assert isinstance(north["Last edit"], dt.datetime)
    steps = sheets["Action Steps"]
    assert steps[0][:5] == ["School", "School ID", "Row", "Strategy ID", "Action Step"]
    assert {row[1] for row in steps[1:]} == {"north", "south"}
    assert [row[3:6] for row in steps[1:] if row[1] == "north"][2] == [
        "MIS 1",
        "Order decodable readers",
        dt.date(2026, 11, 1),
    ]
    issues = sheets["Issues"]
    assert [row[4:8] for row in issues[1:]] == [
        ["PM Tool", "Strategies", "Description, row 3", "Required cell is empty"],
        ["PM Tool", "Action Steps", "Due Date, row 3", "Overdue"],
    ]


def test_a_value_that_cannot_be_read_is_shown_exactly_as_typed_in_the_rollup(make_district, edits):
    plan = good_plan()
    plan["pm_tool"]["action_steps"][0]["due_date"] = "TBD"
    sheets = edits.rollup(run_sync(make_district({"north": plan})).rollup)
    assert [row[6] for row in sheets["Action Steps"] if row[1] == "north"][0] == "TBD"


def test_the_summary_lists_missing_overdue_upcoming_benchmarks_and_open_decisions(
    make_district, edits
):
    district = make_district({"north": _late_plan()})
    run_sync(district)
    rows = edits.tabs(district, "north")["Coach Summary"]
    text = [" | ".join(as_text(v) for v in row if v != "") for row in rows]
    assert text[0] == "Coach summary · North Elementary"
    assert text[1] == "Test District · coach: Maria Lopez"
    assert text[2] == "This tab last changed on Friday, Nov 27, 2026."
    assert "Completeness | 99% · 121 of 122 required cells filled in" in text
    assert any(line.startswith("Quality | 100% · ") for line in text)
    assert "The plan meets every quality check." in text
    assert (
        "Strategies, Description, row 3 | Required cell is empty | “MIS 2”: Description is "
        "empty. Families and staff need a plain description of the strategy."
    ) in text
    late = text.index("Overdue (1)")
    assert text[late + 1] == "Where | Owner | Overdue since | Item"
    assert text[late + 2] == (
        "Action Steps, Due Date, row 3 | Ben Brooks | Nov 18, 2026 | Action step "
        "“Set up the attendance team”"
    )
    # The next steps due, whatever their date, earliest first (the plan has two responsibilities).
    soon = text.index("Due next (4)")
    assert text[soon + 2].startswith("Action Steps, Due Date, row 4 | Ana Alvarez | Dec 4, 2026")
    assert text[soon + 3].startswith(
        "Roles and Responsibilities › Responsibilities, Due Date, row 2"
    )
    assert text[soon + 4].startswith(
        "Roles and Responsibilities › Responsibilities, Due Date, row 3"
    )
    assert text[soon + 5].startswith("Decision Log › Decisions, Decide By, row 3 | Principal")
    assert not any("days" in line and "late" in line for line in text)
    cycles = text.index("Benchmarks by cycle")
    assert text[cycles + 1] == (
        "Cycle | Strategy ID | Total | Not Started | On Track | Off Track "
        "| Met | Not Met | No status"
    )
    assert text[cycles + 2] == "Cycle 1 | MIS 1 | 2 | 0 | 0 | 0 | 2 | 0 | 0"
    assert text[cycles + 5] == "Cycle 2 | MIS 2 | 2 | 0 | 2 | 0 | 0 | 0 | 0"
    decisions = text.index("Open decisions (1)")
    assert text[decisions + 2] == (
        "Decision Log › Decisions, Decision, row 3 | Principal | Dec 20, 2026 | School "
        "| When do data meetings happen?"
    )


def test_the_summary_shows_a_cycle_without_benchmarks(make_district, edits):
    plan = good_plan()
    plan["pm_tool"]["benchmarks"] = [
        b for b in plan["pm_tool"]["benchmarks"] if b["cycle"] == "Cycle 1"
    ]
    district = make_district({"north": plan})
    run_sync(district)
    rows = edits.tabs(district, "north")["Coach Summary"]
    assert ["Cycle 2", "none entered yet", "0"] in [[as_text(v) for v in row[:3]] for row in rows]
