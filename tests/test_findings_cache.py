"""A school's findings kept between nights: an unchanged school is neither unpacked nor checked
again until one of its findings can change by itself, and every night's output equals a full run's.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import plansync.nightly as nightly
from district_helpers import TODAY, run_sync
from plansync.state import STATE_NAME


def _outputs(district, edits, result) -> tuple:
    """What the night left for people to see: the rollup's cells and every summary tab."""
    summaries = {
        school.id: edits.tabs(district, school.id)["Coach Summary"] for school in district.schools
    }
    return edits.rollup(result.rollup), summaries


def _same_as_a_full_run(district, edits, result, today) -> None:
    incremental = _outputs(district, edits, result)
    full = run_sync(district, today=today, full=True)
    assert [s.issues for s in full.schools] == [s.issues for s in result.schools]
    assert [s.metrics for s in full.schools] == [s.metrics for s in result.schools]
    assert _outputs(district, edits, full) == incremental


def _checked(monkeypatch) -> list[str]:
    """The ids of the schools the checks run on, night by night."""
    checked: list[str] = []
    real = nightly.check_school

    def spy(school, ctx):
        checked.append(school.school.id)
        return real(school, ctx)

    monkeypatch.setattr(nightly, "check_school", spy)
    return checked


def test_every_night_gives_what_a_full_run_gives(make_district, edits):
    district = make_district()
    _same_as_a_full_run(district, edits, run_sync(district), TODAY)
    _same_as_a_full_run(district, edits, run_sync(district), TODAY)  # again, the same day
    edits.set_cells(district, "north", "Action Steps", {"F3": None})
    _same_as_a_full_run(district, edits, run_sync(district), TODAY)  # one school edited
    next_day = TODAY + dt.timedelta(days=1)
    _same_as_a_full_run(district, edits, run_sync(district, today=next_day), next_day)
    later = dt.date(2026, 12, 10)  # a step of each school has fallen overdue by then
    _same_as_a_full_run(district, edits, run_sync(district, today=later), later)


def test_an_unchanged_school_is_not_checked_again(make_district, edits, monkeypatch):
    district = make_district()
    run_sync(district)
    checked = _checked(monkeypatch)
    quiet = run_sync(district)
    assert checked == []
    assert quiet.summaries_written == 0
    edits.set_cells(district, "south", "Strategies", {"C2": "A new statement"})
    run_sync(district)
    assert checked == ["south"]


def test_a_school_is_checked_again_on_the_day_a_step_falls_overdue(make_district, monkeypatch):
    district = make_district()
    first = run_sync(district)
    assert not [i for i in first.schools[0].issues if i.rule == "overdue"]
    kept_until = _kept_until(district)
    assert all(day > TODAY for day in kept_until.values())
    checked = _checked(monkeypatch)
    run_sync(district, today=min(kept_until.values()) - dt.timedelta(days=1))
    assert checked == []
    day = min(kept_until.values())
    late = run_sync(district, today=day)
    assert sorted(checked) == sorted(s for s, until in kept_until.items() if until == day)
    assert any(i.rule == "overdue" for s in late.schools for i in s.issues)


def test_a_cycle_beginning_checks_every_school_again(make_district, monkeypatch):
    district = make_district()
    cycle_2 = district.cycles[1].start
    run_sync(district, today=cycle_2 - dt.timedelta(days=1))
    checked = _checked(monkeypatch)
    run_sync(district, today=cycle_2)
    assert sorted(checked) == sorted(school.id for school in district.schools)


def test_damaged_findings_are_checked_again_not_trusted(make_district, monkeypatch):
    district = make_district()
    first = run_sync(district)
    with sqlite3.connect(district.rollup_dir / STATE_NAME) as db:
        db.execute("UPDATE schools SET findings = x'00ff'")
    checked = _checked(monkeypatch)
    again = run_sync(district)
    assert sorted(checked) == sorted(school.id for school in district.schools)
    assert [s.issues for s in again.schools] == [s.issues for s in first.schools]
    checked.clear()
    run_sync(district)
    assert checked == []


def test_a_full_run_ignores_the_kept_findings(make_district, monkeypatch):
    district = make_district()
    run_sync(district)
    checked = _checked(monkeypatch)
    run_sync(district, full=True)
    assert sorted(checked) == sorted(school.id for school in district.schools)


def test_a_missing_workbook_is_kept_as_a_finding_until_it_is_back(make_district, edits):
    district = make_district()
    run_sync(district)
    edits.delete_workbook(district, "north", "Decision Log")
    missing = run_sync(district)
    assert "workbook-missing" in [i.rule for i in missing.schools[0].issues]
    again = run_sync(district)
    assert [s.issues for s in again.schools] == [s.issues for s in missing.schools]
    assert again.rollup_written is False


def test_a_kept_schools_tables_can_still_be_read_after_the_run(make_district):
    """A report drawn from a night's result asks for the tables once the run has ended."""
    district = make_district()
    first = run_sync(district)
    quiet = run_sync(district)
    for before, after in zip(first.schools, quiet.schools, strict=True):
        assert after.facts is not None
        tables = after.tables("pm_tool")
        assert tables is not None
        assert (
            tables.tables["action_steps"].rows
            == before.tables("pm_tool").tables["action_steps"].rows
        )


def _kept_until(district) -> dict[str, dt.date]:
    with sqlite3.connect(district.rollup_dir / STATE_NAME) as db:
        rows = db.execute("SELECT school, valid_until FROM schools").fetchall()
    return {school: dt.date.fromisoformat(day) for school, day in rows if day}
