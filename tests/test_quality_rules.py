"""The quality rules (the field guides' criteria for a good plan) on in-memory tables: a plan that
breaks one gets the issue at its cell and fails one quality check; a plan that meets it gets no
issue and passes. Then the school-level roster check across the three workbooks."""

from __future__ import annotations

import datetime as dt

import pytest
from plansync.catalog import template_by_id
from plansync.checks import CheckContext, WorkbookCheck, check_across_workbooks
from plansync.results import flatten, quality
from plansync.rules import QUALITY_RULES, Rule
from plansync.rules.cadence import CadenceRule
from plansync.rules.covers import CoversRule
from plansync.rules.linked import LinkedRule
from plansync.rules.mentions import MentionsRule
from plansync.rules.roster import RosterRule
from plansync.rules.sequence import SequenceRule
from plansync.rules.wording import WordingRule, sentences
from plansync.tables import WorkbookTables
from tables_from_lists import grid, tables_from_lists

PM_TOOL = template_by_id("pm_tool")
ROLES = template_by_id("roles")
DECISIONS = template_by_id("decisions")
CTX = CheckContext("s1", dt.date(2026, 11, 27), ("Cycle 1", "Cycle 2"), dt.date(2027, 5, 28))
PLACE = ("rule", "severity", "sheet", "cell")


def run(rule: Rule, tables: WorkbookTables) -> WorkbookCheck:
    result = WorkbookCheck(tables.template.title, "s1")
    rule.check(tables, CTX, result)
    return result


def tally(result: WorkbookCheck) -> tuple[int, int]:
    return result.judged, result.passed


STATEMENT, DESCRIPTION = PM_TOOL.rules_for("strategies", WordingRule)
GOOD_DESCRIPTION = (
    "Each class spends thirty minutes a day on sounds, letters and decodable books, taught the "
    "same way in every room, so that families know what their children practise."
)


def strategies(**values: str) -> dict:
    row = {"id": "MIS 1", "strategy": "Every K-5 class teaches phonics daily.", **values}
    return {"strategies": grid(PM_TOOL, "strategies", {"description": GOOD_DESCRIPTION, **row})}


def test_a_strategy_of_several_sentences_is_reported_at_its_statement():
    text = "We teach phonics daily. We check progress. We adjust groups each cycle."
    result = run(STATEMENT, tables_from_lists(PM_TOOL, strategies(strategy=text)))
    assert flatten(result.issues, PLACE) == [("wordy", "warning", "Strategies", "B2")]
    assert result.issues[0].message.startswith(
        "“MIS 1”: Major Improvement Strategy runs to 3 sentences. A strategy is one clear sentence"
    )
    assert tally(result) == (1, 0)


def test_a_strategy_past_the_templates_length_is_reported():
    text = "Every classroom " + "and every hallway " * 20 + "reads."
    result = run(STATEMENT, tables_from_lists(PM_TOOL, strategies(strategy=text)))
    assert flatten(result.issues, PLACE) == [("wordy", "warning", "Strategies", "B2")]


def test_one_sentence_strategy_passes():
    result = run(STATEMENT, tables_from_lists(PM_TOOL, strategies()))
    assert result.issues == []
    assert tally(result) == (1, 1)


def test_abbreviations_and_decimals_do_not_end_a_sentence():
    assert sentences("Raise scores by 3.5 points, e.g. in reading, with Dr. Lee.") == 1
    assert sentences("We read. Then we write!") == 2


def test_a_one_line_description_is_too_brief_for_a_family():
    result = run(DESCRIPTION, tables_from_lists(PM_TOOL, strategies(description="Daily.")))
    assert flatten(result.issues, PLACE) == [("too-brief", "warning", "Strategies", "C2")]
    assert "is 1 word (at least 20)" in result.issues[0].message


def test_a_paragraph_description_passes():
    result = run(DESCRIPTION, tables_from_lists(PM_TOOL, strategies()))
    assert (result.issues, tally(result)) == ([], (1, 1))


# -- goals -----------------------------------------------------------------------------------------

[NAMES_STUDENTS] = PM_TOOL.rules_for("goals", MentionsRule)
GOAL_LEVELS, BENCHMARK_FOCUSES = PM_TOOL.rules_for("goals", CoversRule) + PM_TOOL.rules_for(
    "benchmarks", CoversRule
)


def goal(**values: str) -> dict:
    return {"strategy": "MIS 1", "goal_type": "Outcome", "level": "Student Data", **values}


def test_an_outcome_goal_naming_no_students_is_reported_at_its_text():
    row = goal(goal="Raise reading proficiency from 40% to 55% by May 2027")
    tables = tables_from_lists(PM_TOOL, {"goals": grid(PM_TOOL, "goals", row)})
    result = run(NAMES_STUDENTS, tables)
    assert flatten(result.issues, PLACE) == [("not-mentioned", "warning", "EOY Goals", "B2")]
    assert "does not name the students it concerns" in result.issues[0].message


def test_an_outcome_goal_naming_its_students_or_an_implementation_goal_passes():
    rows = [
        goal(goal="Raise the share of English learners reading at benchmark from 30% to 45%"),
        goal(goal="Raise attendance", metric="% of all students present 90% of days"),
        goal(goal="Run the block daily", goal_type="Implementation", level="System"),
    ]
    result = run(
        NAMES_STUDENTS, tables_from_lists(PM_TOOL, {"goals": grid(PM_TOOL, "goals", *rows)})
    )
    assert (result.issues, tally(result)) == ([], (2, 2))


def test_a_strategy_with_goals_at_one_level_only_is_told_which_is_missing():
    tables = tables_from_lists(
        PM_TOOL,
        {
            **strategies(),
            "goals": grid(PM_TOOL, "goals", goal(goal="A"), goal(goal="B")),
        },
    )
    result = run(GOAL_LEVELS, tables)
    assert flatten(result.issues, PLACE) == [("not-covered", "warning", "EOY Goals", "D2")]
    assert result.issues[0].message.startswith("MIS 1 has no end-of-year goal with Level “System”.")


def test_a_strategy_with_goals_at_both_levels_passes():
    rows = [goal(goal="A"), goal(goal="B", level="System")]
    tables = tables_from_lists(PM_TOOL, {**strategies(), "goals": grid(PM_TOOL, "goals", *rows)})
    assert (run(GOAL_LEVELS, tables).issues, tally(run(GOAL_LEVELS, tables))) == ([], (1, 1))


# -- benchmarks tied to goals ------------------------------------------------------------------

[GOALS_FOLLOWED] = PM_TOOL.rules_for("goals", LinkedRule)


def benchmark(cycle: str, goal_id: str | None, focus: str = "Student Outcomes") -> dict:
    return {
        "strategy": "MIS 1",
        "cycle": cycle,
        "goal": goal_id,
        "benchmark": "Check",
        "focus": focus,
    }


def linked_plan(*benchmarks: dict, goal_id: str | None = "G1") -> WorkbookTables:
    return tables_from_lists(
        PM_TOOL,
        {
            **strategies(),
            "goals": grid(PM_TOOL, "goals", goal(goal="A", id=goal_id)),
            "benchmarks": grid(PM_TOOL, "benchmarks", *benchmarks),
        },
        cycles=("Cycle 1", "Cycle 2"),
    )


def test_a_goal_without_a_benchmark_in_a_begun_cycle_is_reported_at_its_id():
    result = run(GOALS_FOLLOWED, linked_plan(benchmark("Cycle 1", "G1")))
    assert flatten(result.issues, PLACE) == [("not-followed-up", "warning", "EOY Goals", "I2")]
    assert result.issues[0].message.startswith("Goal ID G1 (“A”) has no benchmark in Cycle 2.")


def test_a_benchmark_naming_no_goal_is_reported_at_its_goal_id():
    result = run(
        GOALS_FOLLOWED, linked_plan(benchmark("Cycle 1", "G1"), benchmark("Cycle 2", None))
    )
    assert flatten(result.issues, PLACE) == [
        ("not-followed-up", "warning", "EOY Goals", "I2"),
        ("not-tied", "warning", "Benchmarks", "I3"),
    ]


def test_a_goal_without_an_id_cannot_be_followed_up():
    result = run(GOALS_FOLLOWED, linked_plan(goal_id=None))
    assert flatten(result.issues, PLACE) == [("not-followed-up", "warning", "EOY Goals", "I2")]


def test_goals_with_benchmarks_in_every_begun_cycle_pass():
    result = run(
        GOALS_FOLLOWED, linked_plan(benchmark("Cycle 1", "g1"), benchmark("Cycle 2", "G1"))
    )
    assert (result.issues, tally(result)) == ([], (3, 3))


def test_benchmarks_covering_only_student_outcomes_are_reported():
    result = run(BENCHMARK_FOCUSES, linked_plan(benchmark("Cycle 1", "G1")))
    assert flatten(result.issues, PLACE) == [("not-covered", "warning", "Benchmarks", "D2")]
    assert "with Focus “Systems Implementation” or “Effectiveness”" in result.issues[0].message


def test_benchmarks_covering_the_three_focuses_over_the_year_pass():
    tables = linked_plan(
        benchmark("Cycle 1", "G1", "Systems Implementation"),
        benchmark("Cycle 1", "G1", "Effectiveness"),
        benchmark("Cycle 2", "G1", "Student Outcomes"),
    )
    assert (run(BENCHMARK_FOCUSES, tables).issues, tally(run(BENCHMARK_FOCUSES, tables))) == (
        [],
        (1, 1),
    )


# -- action steps ------------------------------------------------------------------------------

[STEPS_IN_SEQUENCE] = PM_TOOL.rules_for("action_steps", SequenceRule)


def steps(*dues: dt.date, strategy: str = "MIS 1") -> dict:
    rows = [
        {"strategy": strategy, "step": f"Step {n}", "due_date": due}
        for n, due in enumerate(dues, start=1)
    ]
    return {"action_steps": grid(PM_TOOL, "action_steps", *rows)}


def test_a_step_listed_before_an_earlier_one_is_out_of_sequence():
    tables = tables_from_lists(PM_TOOL, steps(dt.date(2026, 10, 1), dt.date(2026, 9, 1)))
    result = run(STEPS_IN_SEQUENCE, tables)
    assert flatten(result.issues, PLACE) == [("out-of-sequence", "warning", "Action Steps", "D3")]
    assert result.issues[0].message.startswith(
        "“Step 2” (Due Date Sep 1, 2026) is listed after “Step 1” (Oct 1, 2026) of MIS 1."
    )


def test_a_step_due_after_the_school_year_is_reported():
    result = run(STEPS_IN_SEQUENCE, tables_from_lists(PM_TOOL, steps(dt.date(2027, 7, 1))))
    assert flatten(result.issues, PLACE) == [("after-year-end", "warning", "Action Steps", "D2")]


def test_steps_in_date_order_within_the_year_pass():
    dues = (dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2027, 5, 1))
    result = run(STEPS_IN_SEQUENCE, tables_from_lists(PM_TOOL, steps(*dues)))
    assert (result.issues, tally(result)) == ([], (3, 3))


# -- the roster, across the three workbooks ----------------------------------------------------

[ROSTER] = ROLES.rules_for("team", RosterRule)


def school(
    owners: tuple[str, ...] = ("Ana Alvarez", "Ben Brooks"),
    step_owner: str = "Ana Alvarez",
    decided_by: str = "Principal",
) -> dict[str, WorkbookTables]:
    team = grid(
        ROLES,
        "team",
        {"name": "Ana Alvarez", "role": "Principal"},
        {"name": "Ben Brooks", "role": "Coach"},
    )
    responsibilities = grid(
        ROLES, "responsibilities", *({"responsibility": "Lead", "owner": o} for o in owners)
    )
    return {
        "roles": tables_from_lists(ROLES, {"team": team, "responsibilities": responsibilities}),
        "pm_tool": tables_from_lists(
            PM_TOOL,
            {"action_steps": grid(PM_TOOL, "action_steps", {"step": "Train", "owner": step_owner})},
        ),
        "decisions": tables_from_lists(
            DECISIONS,
            {
                "decisions": grid(
                    DECISIONS, "decisions", {"decision": "Pick", "decided_by": decided_by}
                )
            },
        ),
    }


def check_school(workbooks: dict[str, WorkbookTables]) -> dict[str, WorkbookCheck]:
    results = {key: WorkbookCheck(tables.template.title, "s1") for key, tables in workbooks.items()}
    ROSTER.check(workbooks["roles"], CTX, results["roles"])
    check_across_workbooks(workbooks, CTX, results)
    return results


def test_names_not_on_the_roster_are_reported_at_their_cells_in_every_workbook():
    results = check_school(
        school(owners=("Ana Alvarez", "Ben Brooks", "Zed"), step_owner="Carla", decided_by="Dana")
    )
    assert flatten(results["pm_tool"].issues, PLACE) == [
        ("not-on-roster", "warning", "Action Steps", "F2")
    ]
    assert flatten(results["decisions"].issues, PLACE) == [
        ("not-on-roster", "warning", "Decisions", "C2")
    ]
    assert flatten(results["roles"].issues, PLACE) == [
        ("not-on-roster", "warning", "Responsibilities", "B4")
    ]
    assert (
        results["pm_tool"]
        .issues[0]
        .message.startswith(
            "“Train”: Owner “Carla” is not on the team roster (Roles and Responsibilities › Team)."
        )
    )


def test_a_roster_person_owning_nothing_is_reported_at_their_name():
    results = check_school(school(owners=("Ana Alvarez",)))
    assert flatten(results["roles"].issues, PLACE) == [
        ("no-responsibility", "warning", "Team", "A3")
    ]
    assert (
        results["roles"]
        .issues[0]
        .message.startswith(
            "Ben Brooks is on the team but owns nothing on the Responsibilities tab."
        )
    )


def test_names_roles_several_people_and_groups_on_the_roster_pass():
    results = check_school(
        school(step_owner="Ana Alvarez and ben brooks", decided_by="Leadership team")
    )
    assert [issue for result in results.values() for issue in result.issues] == []
    assert sum(result.judged for result in results.values()) == 6  # 2 people, 4 names


def test_without_a_readable_roster_no_name_is_judged():
    workbooks = school(step_owner="Carla")
    del workbooks["roles"]
    results = {key: WorkbookCheck(t.template.title, "s1") for key, t in workbooks.items()}
    check_across_workbooks(workbooks, CTX, results)
    assert all(result.judged == 0 and not result.issues for result in results.values())


# -- the score ---------------------------------------------------------------------------------


def test_every_quality_issue_is_a_warning_flagged_as_quality():
    from plansync.rules import ISSUE_KINDS

    kinds = [kind for kind in ISSUE_KINDS if kind.id in QUALITY_RULES]
    assert len(kinds) == 12
    assert {kind.severity for kind in kinds} == {"warning"}


def test_quality_is_the_share_of_checks_passed_rounded_down():
    assert quality(3, 2) == 66
    assert quality(10, 10) == 100
    assert quality(0, 0) == 0


# -- meeting cadence -----------------------------------------------------------------------------

[CADENCE] = ROLES.rules_for("meetings", CadenceRule)


def meetings(
    *log: tuple[str, dt.date], frequency: str = "Weekly", next_date=None
) -> WorkbookTables:
    cadence = {"meeting": "Implementation Team", "frequency": frequency, "next_date": next_date}
    grids = {"meetings": grid(ROLES, "meetings", cadence)}
    grids["meeting_log"] = grid(
        ROLES, "meeting_log", *({"meeting": name, "date": day} for name, day in log)
    )
    return tables_from_lists(ROLES, grids)


def run_in_year(rule: Rule, tables: WorkbookTables) -> WorkbookCheck:
    result = WorkbookCheck(tables.template.title, "s1")
    ctx = CheckContext("s1", CTX.today, CTX.cycles_begun, CTX.year_end, dt.date(2026, 8, 18))
    rule.check(tables, ctx, result)
    return result


def test_a_weekly_meeting_not_held_for_a_month_is_reported_at_its_row():
    result = run_in_year(CADENCE, meetings(("Implementation Team", dt.date(2026, 10, 29))))
    assert flatten(result.issues, PLACE) == [("meeting-not-held", "warning", "Meetings", "A2")]
    assert result.issues[0].message.startswith(
        "Implementation Team meets weekly, but last logged Oct 29, 2026 on the Meeting Log tab."
    )


def test_a_meeting_held_within_its_window_passes():
    result = run_in_year(CADENCE, meetings(("implementation team", dt.date(2026, 11, 24))))
    assert (result.issues, tally(result)) == ([], (1, 1))


def test_a_one_off_event_must_be_logged_once_its_date_has_passed():
    planned = meetings(frequency="Once", next_date=dt.date(2026, 8, 10))
    result = run_in_year(CADENCE, planned)
    assert flatten(result.issues, PLACE) == [("meeting-not-held", "warning", "Meetings", "A2")]
    held = meetings(
        ("Implementation Team", dt.date(2026, 8, 10)),
        frequency="Once",
        next_date=dt.date(2026, 8, 10),
    )
    assert run_in_year(CADENCE, held).issues == []


def test_twice_a_year_is_a_frequency_the_guides_use():
    result = run_in_year(
        CADENCE, meetings(("Implementation Team", dt.date(2026, 8, 20)), frequency="Twice a Year")
    )
    assert (result.issues, tally(result)) == ([], (1, 1))


def test_without_a_meeting_log_tab_the_cadence_is_not_judged():
    cadence = {"meeting": "Implementation Team", "frequency": "Weekly"}
    tables = tables_from_lists(ROLES, {"meetings": grid(ROLES, "meetings", cadence)})
    assert tally(run_in_year(CADENCE, tables)) == (0, 0)


def _cadence_on(tables: WorkbookTables, day: dt.date) -> tuple[list, dt.date | None]:
    """What the cadence rule finds on `day`, and the day it says that could change."""
    result = WorkbookCheck(tables.template.title, "s1")
    ctx = CheckContext("s1", day, CTX.cycles_begun, CTX.year_end, dt.date(2026, 8, 18))
    CADENCE.check(tables, ctx, result)
    return flatten(result.issues, ("rule", "message")), CADENCE.changes_on(tables, ctx)


@pytest.mark.parametrize(
    "tables",
    [
        meetings(("Implementation Team", dt.date(2026, 11, 24))),
        meetings(("Implementation Team", dt.date(2026, 12, 20))),  # logged ahead of its day
        meetings(frequency="Once", next_date=dt.date(2026, 12, 5)),
        meetings(("Implementation Team", dt.date(2026, 10, 2)), frequency="Monthly"),
        meetings(
            ("Implementation Team", dt.date(2026, 11, 10)),
            ("Implementation Team", dt.date(2026, 11, 17)),
            ("Implementation Team", dt.date(2026, 11, 24)),
            ("Implementation Team", dt.date(2026, 12, 12)),
        ),
    ],
    ids=["weekly", "logged-ahead", "one-off", "monthly-lapsed", "weekly-several"],
)
def test_cadence_findings_hold_until_the_day_the_rule_names(tables):
    """A school's kept findings last until `changes_on` (None: for good): every day before it
    must find the same. Followed from one such day to the next over the coming 90 days, as the
    nightly sync keeps and checks again."""
    checked_on = CTX.today
    found, changes = _cadence_on(tables, checked_on)
    for offset in range(1, 91):
        day = CTX.today + dt.timedelta(days=offset)
        if changes is not None and day >= changes:
            checked_on = day
            found, changes = _cadence_on(tables, day)
            assert changes is None or changes > day
            continue
        assert _cadence_on(tables, day)[0] == found, f"kept from {checked_on}, changed on {day}"


def test_only_the_last_meeting_so_far_sets_the_day_the_findings_change():
    """The meetings before it have windows too, but they end sooner and decide nothing: the
    school's findings are kept until the last meeting's window runs out."""
    tables = meetings(
        ("Implementation Team", dt.date(2026, 11, 17)),
        ("Implementation Team", dt.date(2026, 11, 24)),
    )
    found, changes = _cadence_on(tables, CTX.today)
    assert found == [] and changes == dt.date(2026, 12, 9)


def test_a_weekly_meeting_falls_behind_on_the_day_its_window_runs_out():
    tables = meetings(("Implementation Team", dt.date(2026, 11, 24)))
    found, changes = _cadence_on(tables, CTX.today)
    assert found == [] and changes == dt.date(2026, 12, 9)  # 7 days and a grace of 7 after
    assert _cadence_on(tables, changes)[0] != []
