"""The quality rules end to end, on each backend: a plan breaking one gets its issue at the cell
and a lower quality score while completeness stays; a stray copy of a workbook is reported; an
older history file gains the quality column and keeps its nights."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable

import pytest
from district_helpers import TODAY, Plan, good_plan, run_sync, school_issues
from plansync.history import HISTORY_NAME, SCHEMA_VERSION, open_history
from plansync.store import looks_like_copy

LONG_STRATEGY = "We teach phonics daily. We check progress weekly. We regroup each cycle."


def _strategy(plan: Plan) -> None:
    plan["pm_tool"]["strategies"][0]["strategy"] = LONG_STRATEGY


def _description(plan: Plan) -> None:
    plan["pm_tool"]["strategies"][0]["description"] = "Phonics, daily."


def _baseline(plan: Plan) -> None:
    goal = plan["pm_tool"]["goals"][1]
    goal.update(goal="All teachers run the routine four times a week by March 2027", baseline=None)


def _students(plan: Plan) -> None:
    plan["pm_tool"]["goals"][0]["metric"] = "% proficient"


def _levels(plan: Plan) -> None:
    plan["pm_tool"]["goals"][1]["level"] = "Student Data"


def _followed(plan: Plan) -> None:
    for benchmark in plan["pm_tool"]["benchmarks"]:
        if benchmark["goal"] == "G1.2" and benchmark["cycle"] == "Cycle 2":
            benchmark["goal"] = "G1.1"


def _tied(plan: Plan) -> None:
    benchmarks = plan["pm_tool"]["benchmarks"]
    benchmarks.append({**benchmarks[0], "benchmark": "Coaching logs are complete", "goal": None})


def _focus(plan: Plan) -> None:
    for benchmark in plan["pm_tool"]["benchmarks"]:
        if benchmark["strategy"] == "MIS 2" and benchmark["focus"] == "Effectiveness":
            benchmark["focus"] = "Systems Implementation"


def _sequence(plan: Plan) -> None:
    steps = plan["pm_tool"]["action_steps"]
    steps.append({**steps[0], "step": "Plan the training", "due_date": dt.date(2026, 9, 20)})
    steps[-1]["start_date"] = dt.date(2026, 9, 1)


def _year_end(plan: Plan) -> None:
    plan["pm_tool"]["action_steps"][1]["due_date"] = dt.date(2027, 8, 1)


def _roster(plan: Plan) -> None:
    plan["pm_tool"]["action_steps"][0]["owner"] = "Dana Diaz"


def _owns(plan: Plan) -> None:
    plan["roles"]["responsibilities"][1]["owner"] = "Ana Alvarez"


def _cadence(plan: Plan) -> None:
    plan["roles"]["meeting_log"] = [
        {**plan["roles"]["meeting_log"][0], "date": dt.date(2026, 10, 20)}
    ]


# Each quality rule broken once in the good plan, and where its issue must be.
QUALITY_BREAKS: dict[str, tuple[Callable[[Plan], None], tuple[str, str, str]]] = {
    "strategy of three sentences": (_strategy, ("wordy", "Strategies", "B2")),
    "description of two words": (_description, ("too-brief", "Strategies", "C2")),
    "goal without a baseline": (_baseline, ("not-measurable", "EOY Goals", "B3")),
    "outcome goal naming no students": (_students, ("not-mentioned", "EOY Goals", "B2")),
    "goals at one level only": (_levels, ("not-covered", "EOY Goals", "D2")),
    "goal without a benchmark this cycle": (_followed, ("not-followed-up", "EOY Goals", "I3")),
    "benchmark tied to no goal": (_tied, ("not-tied", "Benchmarks", "I10")),
    "benchmarks missing a focus": (_focus, ("not-covered", "Benchmarks", "D6")),
    "step listed out of order": (_sequence, ("out-of-sequence", "Action Steps", "D4")),
    "step due after the year": (_year_end, ("after-year-end", "Action Steps", "D3")),
    "owner not on the roster": (_roster, ("not-on-roster", "Action Steps", "F2")),
    "team member owning nothing": (_owns, ("no-responsibility", "Team", "A3")),
    "weekly meeting not held": (_cadence, ("meeting-not-held", "Meetings", "A2")),
}


def test_a_good_plan_meets_every_quality_check(make_district):
    result = run_sync(make_district())
    for school in result.schools:
        assert school.quality_issues == []
        assert (school.quality, school.completeness) == (100, 100)
        assert school.judged > 30


@pytest.mark.parametrize("case", QUALITY_BREAKS, ids=list(QUALITY_BREAKS))
def test_a_broken_quality_rule_is_reported_at_its_cell_and_lowers_quality_only(make_district, case):
    change, expected = QUALITY_BREAKS[case]
    plan = good_plan()
    change(plan)
    result = run_sync(make_district({"north": plan}))
    north, south = result.schools
    assert school_issues(result, "north") == [expected]
    assert [issue.severity for issue in north.issues] == ["warning"]
    assert north.quality < 100 == south.quality
    assert north.completeness == 100


def test_a_stray_copy_of_a_workbook_is_reported_by_name(make_district, edits):
    district = make_district()
    name = edits.make_stray_copy(district, "north")
    result = run_sync(district)
    [issue] = [issue for issue in result.schools[0].issues]
    assert (issue.rule, issue.workbook, issue.sheet, issue.cell) == (
        "stray-copy",
        "PM Tool",
        None,
        None,
    )
    assert issue.message.startswith(f"“{name}” looks like a copy of the PM Tool")
    assert school_issues(result, "south") == []
    assert result.schools[0].quality == 100  # a file in the folder is not the plan's quality


def _v1_history(path) -> None:
    """A history file as plansync wrote it before the quality score: version 1, one night."""
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        CREATE TABLE runs (day TEXT PRIMARY KEY, recorded_at TEXT NOT NULL, district TEXT NOT NULL);
        CREATE TABLE schools (day TEXT NOT NULL, school_id TEXT NOT NULL, name TEXT NOT NULL,
            coach TEXT, completeness INTEGER NOT NULL, expected INTEGER NOT NULL,
            met INTEGER NOT NULL, errors INTEGER NOT NULL, warnings INTEGER NOT NULL,
            PRIMARY KEY (day, school_id));
        CREATE TABLE issue_counts (day TEXT NOT NULL, school_id TEXT NOT NULL, rule TEXT NOT NULL,
            count INTEGER NOT NULL, PRIMARY KEY (day, school_id, rule));
        CREATE TABLE metrics (day TEXT NOT NULL, school_id TEXT NOT NULL, label TEXT NOT NULL,
            value INTEGER, PRIMARY KEY (day, school_id, label));
        CREATE TABLE benchmarks (day TEXT NOT NULL, school_id TEXT NOT NULL, row INTEGER NOT NULL,
            strategy TEXT NOT NULL, cycle TEXT NOT NULL, focus TEXT NOT NULL,
            benchmark TEXT NOT NULL, target TEXT NOT NULL, actual TEXT NOT NULL,
            status TEXT NOT NULL, PRIMARY KEY (day, school_id, row));
        INSERT INTO runs VALUES ('2026-11-13', '2026-11-13T02:15:00', 'Test District');
        INSERT INTO schools VALUES ('2026-11-13', 'north', 'North Elementary', 'Maria Lopez',
            90, 100, 90, 3, 1);
        PRAGMA application_id = 1886154344;
        PRAGMA user_version = 1;
        """
    )
    connection.commit()
    connection.close()


@pytest.mark.backends("excel")
def test_an_older_history_gains_the_quality_score_and_keeps_its_nights(make_district):
    district = make_district()
    district.rollup_dir.mkdir(parents=True, exist_ok=True)
    path = district.rollup_dir / HISTORY_NAME
    _v1_history(path)
    # Read-only commands read it as it is, without changing it.
    reader = open_history(path, writable=False)
    [old] = reader.snapshots()
    reader.close()
    assert (old.completeness, old.quality) == (90, None)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (1,)

    run_sync(district)
    history = open_history(path, writable=False)
    nights = {(s.day, s.school_id): s for s in history.snapshots()}
    history.close()
    assert history.notes == []
    assert nights[(dt.date(2026, 11, 13), "north")].quality is None
    assert nights[(TODAY, "north")].quality == 100
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


@pytest.mark.parametrize(
    "name",
    [
        "PM Tool (1)",
        "Copy of PM Tool",
        "copy of Copy of PM Tool",
        "PM Tool-DESKTOP-AB12",
        "PM Tool - Copy",
        "PM Tool copy 2",
        "PM Tool (Ana Alvarez's conflicted copy 2026-11-20)",
        "COPY OF pm tool",  # a name in other letter case is still a copy
        " PM TOOL (2) ",
    ],
)
def test_names_copies_get_are_recognised(name):
    assert looks_like_copy(name, "PM Tool")


@pytest.mark.parametrize(
    "name", ["PM Tool", " pm tool ", "PM Tool notes", "Decision Log (1)", "Tool (1)"]
)
def test_other_names_are_not_copies(name):
    assert not looks_like_copy(name, "PM Tool")


@pytest.mark.backends("excel")
def test_excels_lock_file_is_not_a_copy(make_district):
    district = make_district()
    folder = district.workbooks_dir / "north"
    (folder / "~$PM Tool.xlsx").write_bytes(b"lock")
    (folder / "PM Tool (1).csv").write_bytes(b"a,b")
    result = run_sync(district)
    # The lock file says the workbook is open (so its summary and roster copy wait), never that
    # it was copied.
    assert [issue.rule for issue in result.schools[0].issues] == [
        "summary-not-written",
        "roster-not-written",
    ]
