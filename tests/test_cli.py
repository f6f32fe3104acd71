"""The command line, run through click's CliRunner against real files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import plansync.nightly as nightly
import pytest
from click.testing import CliRunner
from district_helpers import calls_to, good_plan, workbook_path
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
    # Once the folder is no longer marked as the demo's (a district made from it), it is refused.
    (tmp_path / "demo" / ".plansync-demo").unlink()
    again = CliRunner().invoke(main, ["demo", str(tmp_path / "demo")])
    assert again.exit_code == 1 and "was not made by `plansync demo`" in again.output
    assert (tmp_path / "demo" / "rollup" / "District Rollup.xlsx").is_file()


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


def test_the_demo_has_plans_of_varied_quality_with_a_coachs_reasons(tmp_path):
    invoke("demo", tmp_path, "--schools", 12, "--today", "2026-11-27")
    result = invoke("sync", tmp_path / "district.yaml", "--json", "--today", "2026-11-27")
    schools = {school["id"]: school for school in json.loads(result.output)["schools"]}
    quality = {school_id: school["quality"] for school_id, school in schools.items()}
    # The complete plans are sound too; the weaker ones have what a coach would raise.
    assert min(quality[s] for s in ("lincoln-es", "maple-grove-es")) >= 95
    assert min(schools[s]["completeness"] for s in ("lincoln-es", "maple-grove-es")) >= 95
    assert min(quality.values()) < 70 and len(set(quality.values())) >= 6
    reasons = {
        issue["rule"]
        for school in schools.values()
        for issue in school["issues"]
        if issue["quality"]
    }
    assert {
        "wordy",
        "not-measurable",
        "not-mentioned",
        "not-covered",
        "not-followed-up",
        "not-tied",
        "after-year-end",
        "not-on-roster",
        "no-responsibility",
    } <= reasons


def test_sync_json_is_the_stable_interface_for_scripts(make_district, edits):
    plan = good_plan()
    plan["pm_tool"]["action_steps"][1]["owner"] = None
    district = make_district({"north": plan})
    result = invoke("sync", district.base_dir / "district.yaml", "--json", "--today", "2026-11-27")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["rollup"] == edits.rollup_location(district)
    assert report["need_migrate"] == 0
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
            "quality": False,
        }
    ]
    assert north["quality"] == 100


STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")


def _unstamped(output: str) -> list[str]:
    """The lines without their timestamps, each of which must have one."""
    lines = [line for line in output.splitlines() if line]
    assert all(STAMP.match(line) for line in lines), output
    return [STAMP.sub("", line) for line in lines]


def test_sync_prints_a_table_the_rollup_and_the_report_with_timestamps(make_district, edits):
    district = make_district()
    result = invoke("sync", district.base_dir / "district.yaml", "--today", "2026-11-27")
    lines = _unstamped(result.output)
    assert lines[0].split() == ["School", "Complete", "Quality", "Errors", "Warnings"]
    assert lines[1].split() == ["North", "Elementary", "100%", "100%", "0", "0"]
    assert lines[-2] == f"Rollup: {edits.rollup_location(district)}"
    assert lines[-1] == f"Report: {district.reports_dir / 'District Report.html'}"


@pytest.mark.backends("excel")  # a file removed from its folder
def test_sync_quiet_prints_the_summary_and_the_schools_it_could_not_serve(make_district):
    district = make_district()
    workbook_path(district, "south", "Decision Log").unlink()
    result = CliRunner().invoke(main, ["sync", str(district.base_dir / "district.yaml"), "--quiet"])
    assert result.exit_code == 0, result.output
    lines = _unstamped(result.stdout)
    assert len(lines) == 2
    assert lines[0].startswith("South Middle School") and "(not read: Decision Log)" in lines[0]
    assert lines[1].startswith("2 schools: ")


@pytest.mark.backends("excel")  # a file removed from its folder
def test_a_night_with_nothing_changed_prints_the_same_without_unpacking_a_school(
    make_district, monkeypatch
):
    """The table the command prints comes from the findings kept: a cron job's quiet night must
    not unpack every school's tables only to say which workbook it could not read."""
    district = make_district()
    workbook_path(district, "south", "Decision Log").unlink()
    args = ["sync", str(district.base_dir / "district.yaml"), "--today", "2026-11-27"]
    first = invoke(*args)
    unpacked = calls_to(monkeypatch, nightly, "_typed", lambda raw, *rest: raw.ref.school_id)
    second = invoke(*args)
    assert second.exit_code == 0, second.output
    assert unpacked == []
    table = [line for line in _unstamped(second.output) if "%" in line]
    assert table == [line for line in _unstamped(first.output) if "%" in line]
    assert any("(not read: Decision Log)" in line for line in table)


def test_sync_log_appends_every_line_to_the_file(make_district, tmp_path):
    district = make_district()
    log = tmp_path / "night.log"
    log.write_text("an earlier night\n", "utf-8")
    args = ["sync", str(district.base_dir / "district.yaml"), "--log", str(log)]
    first = CliRunner().invoke(main, args)
    second = CliRunner().invoke(main, args)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout == ""
    lines = log.read_text("utf-8").splitlines()
    assert lines[0] == "an earlier night"
    assert sum(1 for line in lines if " 2 schools: " in line) == 2
    assert all(STAMP.match(line) for line in lines[1:] if line)


def test_a_mistake_on_the_command_line_exits_2():
    result = CliRunner().invoke(main, ["sync"])
    assert result.exit_code == 2
    result = CliRunner().invoke(main, ["sync", "x.yaml", "--today", "tomorrow"])
    assert result.exit_code == 2


CRASH = """
import sys
import plansync.nightly
from plansync import cli

class Finalizer:
    def __del__(self):
        raise RuntimeError("noise from a finalizer")

def broken(*args, **kwargs):
    keep.append(Finalizer())
    raise KeyError("a bug nobody expected")

keep = []
plansync.nightly.sync_district = broken
sys.argv = ["plansync", "sync", sys.argv[1]]
cli.run()
"""


def test_an_unexpected_error_is_one_line_naming_the_log_with_its_traceback(make_district, tmp_path):
    district = make_district()
    env = {**os.environ, "PLANSYNC_LOG_DIR": str(tmp_path / "logs")}
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(district.base_dir / "district.yaml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1, done.stderr  # no traceback, no noise after it
    [line] = done.stderr.splitlines()
    assert line.startswith("Error: plansync stopped on an unexpected error (KeyError); ")
    [log] = (tmp_path / "logs").glob("plansync-crash-*.log")
    assert str(log) in line
    text = log.read_text("utf-8")
    assert "Traceback (most recent call last)" in text and "a bug nobody expected" in text


def test_a_bad_config_is_one_line_per_problem_and_a_non_zero_exit(tmp_path):
    path = tmp_path / "district.yaml"
    path.write_text("district: X\nschools: []\ncycles: []\nextra: 1\n", "utf-8")
    result = CliRunner().invoke(main, ["sync", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: district.yaml, line 2: schools: needs at least 1 entry",
        "district.yaml, line 3: cycles: needs at least 1 entry",
        "district.yaml, line 4: extra: unknown key (check its spelling)",
    ]


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
