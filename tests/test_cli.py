"""The command line, run through click's CliRunner against real files."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from district_helpers import good_plan, workbook_path
from plansync.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert main.commands[command].help


def test_demo_writes_a_district_syncs_it_and_says_where_to_look(tmp_path):
    result = invoke("demo", tmp_path / "demo", "--schools", 4, "--today", "2026-11-27")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Demo district: 4 schools in {tmp_path / 'demo'}/"
    assert lines[2] == f"  rollup        {tmp_path / 'demo' / 'rollup' / 'District Rollup.xlsx'}"
    assert (tmp_path / "demo" / "rollup" / "District Rollup.xlsx").is_file()
    assert len(list((tmp_path / "demo" / "workbooks").glob("*/PM Tool.xlsx"))) == 4
    report = tmp_path / "demo" / "reports" / "District Report.html"
    assert lines[-1] == f"Open the district report: {report}"
    assert report.is_file()
    history = invoke("history", tmp_path / "demo" / "district.yaml").output.splitlines()
    assert history[0].endswith("4 nights, Oct 16, 2026 to Nov 27, 2026")
    again = CliRunner().invoke(main, ["demo", str(tmp_path / "demo")])
    assert again.exit_code == 1 and "exists already" in again.output


def test_the_demo_has_plans_of_varied_completeness(tmp_path):
    invoke("demo", tmp_path, "--schools", 12, "--today", "2026-11-27")
    result = invoke("sync", tmp_path / "district.yaml", "--json", "--today", "2026-11-27")
    schools = json.loads(result.output)["schools"]
    scores = [school["completeness"] for school in schools]
    rules = {issue["rule"] for school in schools for issue in school["issues"]}
    assert max(scores) == 100 and min(scores) < 60
    assert {
        "overdue",
        "invalid-date",
        "required",
        "too-few",
        "tab-renamed",
        "column-missing",
        "workbook-missing",
        "not-measurable",
        "invalid-choice",
    } <= rules
    # The coaches' notes loop: some notes open, some answered, some resolved, and some acted on.
    notes = [note for school in schools for note in school["notes"]]
    assert {note["status"] for note in notes} == {"Open", "Answered", "Resolved"}
    assert any(note["changed_since"] for note in notes)
    assert not rules & {"note-about-unknown", "note-about-missing", "note-date-missing"}
    report = (tmp_path / "reports" / "District Report.html").read_text("utf-8")
    assert "how long they stay open" in report


def test_sync_json_is_the_stable_interface_for_scripts(make_district, edits):
    plan = good_plan()
    plan["pm_tool"]["action_steps"][1]["owner"] = None
    district = make_district({"north": plan})
    result = invoke("sync", district.base_dir / "district.yaml", "--json", "--today", "2026-11-27")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["rollup"] == edits.rollup_location(district)
    north = report["schools"][0]
    assert (north["id"], north["name"], north["completeness"]) == ("north", "North Elementary", 99)
    assert north["issues"] == [
        {
            "rule": "required",
            "severity": "error",
            "workbook": "PM Tool",
            "sheet": "Action Steps",
            "cell": "F3",
            "message": "“Set up the attendance team”: Owner is empty. Every action step "
            "needs a named owner.",
        }
    ]


def test_sync_prints_a_table_and_the_rollup(make_district, edits):
    district = make_district()
    result = invoke("sync", district.base_dir / "district.yaml", "--today", "2026-11-27")
    lines = result.output.splitlines()
    assert lines[0].split() == ["School", "Complete", "Errors", "Warnings"]
    assert lines[1].split() == ["North", "Elementary", "100%", "0", "0"]
    assert lines[-1] == f"Rollup: {edits.rollup_location(district)}"


def test_a_bad_config_is_one_line_and_a_non_zero_exit(tmp_path):
    path = tmp_path / "district.yaml"
    path.write_text("district: X\nschools: []\ncycles: []\nextra: 1\n", "utf-8")
    result = CliRunner().invoke(main, ["sync", str(path)])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: district.yaml: ")
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.backends("excel")  # `check` reads one .xlsx file
def test_check_exits_1_with_issues_and_0_without(make_district):
    plan = good_plan()
    plan["pm_tool"]["action_steps"][0]["due_date"] = "TBD"
    district = make_district({"north": plan})
    bad = invoke("check", workbook_path(district, "north"), "--today", "2026-11-27")
    assert bad.exit_code == 1
    assert bad.output.splitlines()[1] == (
        "  error   Action Steps!D2          Due Date: “TBD” is not a date. Type it as a date such "
        "as 2026-10-15."
    )
    good = invoke("check", workbook_path(district, "south"), "--today", "2026-11-27")
    assert good.exit_code == 0
    assert good.output.strip().endswith("PM Tool, 100% complete, 0 issues")


def test_check_reports_a_file_it_cannot_open_in_one_line(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_text("not a workbook")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}: The file could not be opened")


@pytest.mark.backends("excel")  # the Google provisioning output is in test_google_store.py
def test_provision_says_what_it_created_and_leaves_the_rest(make_district):
    district = make_district()
    workbook_path(district, "south", "Decision Log").unlink()
    result = invoke("provision", district.base_dir / "district.yaml")
    assert result.output.splitlines() == [
        "     created  workbooks/south/Decision Log.xlsx",
        "Created 1 workbook for 2 schools; 5 already existed and were left as they are.",
    ]
