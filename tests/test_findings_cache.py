"""A school's findings kept between nights: an unchanged school is neither unpacked nor checked
again until one of its findings can change by itself, and every night's output equals a full run's.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sqlite3
import weakref

import plansync.findings as findings
import plansync.nightly as nightly
import plansync.reports.rollup as rollup
import pytest
from district_helpers import TODAY, calls_to, good_plan, run_sync
from edits import GoogleEdits
from plansync.reports.rollup import CHANGED_ROW as ROLLUP_CHANGED
from plansync.reports.summary import CHANGED_ROW
from plansync.state import STATE_NAME


def _outputs(district, edits, result) -> tuple:
    """What the night left for people to see: the rollup's cells and every summary tab (but for
    their lines saying on which day they last changed: a --full run writes them again)."""
    summaries = {
        school.id: [
            row
            for index, row in enumerate(edits.tabs(district, school.id)["Coach Summary"])
            if index != CHANGED_ROW
        ]
        for school in district.schools
    }
    rollup = edits.rollup(result.rollup)
    rollup["About"] = [row for index, row in enumerate(rollup["About"]) if index != ROLLUP_CHANGED]
    return rollup, summaries


def _same_as_a_full_run(district, edits, result, today) -> None:
    incremental = _outputs(district, edits, result)
    full = run_sync(district, today=today, full=True)
    assert [s.issues for s in full.schools] == [s.issues for s in result.schools]
    assert [s.metrics for s in full.schools] == [s.metrics for s in result.schools]
    assert _outputs(district, edits, full) == incremental


def _checked(monkeypatch) -> list[str]:
    """The ids of the schools the checks run on, night by night."""
    return calls_to(monkeypatch, nightly, "check_school", lambda school, ctx: school.school.id)


def _unpacked(monkeypatch) -> list[str]:
    """The ids of the schools whose workbooks' tables are unpacked (or typed as read)."""
    return calls_to(monkeypatch, nightly, "_typed", lambda raw, *rest: raw.ref.school_id)


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
    """Night after night with no edits, a school is checked again exactly on the days its kept
    findings said they could change (a meeting's window running out, a step falling due), until
    a step falls overdue and its summary says so."""
    district = make_district()
    first = run_sync(district)
    assert not [i for i in first.schools[0].issues if i.rule == "overdue"]
    kept_until = _kept_until(district)
    assert all(day > TODAY for day in kept_until.values())
    checked = _checked(monkeypatch)
    quiet = run_sync(district, today=min(kept_until.values()) - dt.timedelta(days=1))
    assert checked == []
    assert quiet.summaries_written == 0  # not even built
    for _night in range(10):
        day = min(kept_until.values())
        checked.clear()
        late = run_sync(district, today=day)
        assert sorted(checked) == sorted(s for s, until in kept_until.items() if until == day)
        kept_until = _kept_until(district)
        if any(i.rule == "overdue" for s in late.schools for i in s.issues):
            break
    else:
        raise AssertionError("no step fell overdue in ten nights")
    # Each school with a step overdue now has a summary that lists it.
    overdue = [s for s in late.schools if any(i.rule == "overdue" for i in s.issues)]
    assert late.summaries_written == len(overdue)


def test_schools_checked_beside_the_sync_give_what_a_full_run_gives(
    make_district, edits, monkeypatch
):
    """The schools a day wakes (a step falls overdue) are checked in processes beside the
    sync, and the night's output is what a full run gives."""
    monkeypatch.setattr(nightly, "AHEAD_FROM", 1)
    monkeypatch.setattr(nightly.os, "cpu_count", lambda: 2)  # as on a machine with two cores
    district = make_district()
    run_sync(district)
    later = dt.date(2026, 12, 10)  # a step of each school has fallen overdue by then
    checked_here = _checked(monkeypatch)
    woken = run_sync(district, today=later)
    assert checked_here == []  # every one was checked beside the sync
    assert all(school.summary_ahead is not None for school in woken.schools)
    # What each tab shows was hashed where it was built, as the sync would hash it here.
    assert all(
        s.summary_ahead.shows == nightly._summary_shows(s.summary_ahead.sheet)
        for s in woken.schools
        if s.summary_ahead
    )
    assert woken.summaries_written == len(district.schools)
    _same_as_a_full_run(district, edits, woken, later)


def test_on_one_core_the_woken_schools_are_checked_in_the_sync(make_district, monkeypatch):
    monkeypatch.setattr(nightly, "AHEAD_FROM", 1)
    monkeypatch.setattr(nightly.os, "cpu_count", lambda: 1)
    district = make_district()
    run_sync(district)
    checked_here = _checked(monkeypatch)
    woken = run_sync(district, today=dt.date(2026, 12, 10))
    assert sorted(checked_here) == sorted(school.id for school in district.schools)
    assert all(school.summary_ahead is None for school in woken.schools)


@pytest.mark.parametrize("fault", ["process dies", "state file locked"])
def test_a_school_whose_check_beside_the_sync_fails_is_checked_in_it(
    make_district, edits, monkeypatch, fault
):
    """A process beside the sync that dies, or cannot read the state file (the sync holding it
    locked), gives its schools back to the sync, which checks them: never findings made from
    half of what was kept (a coach note's marks, say)."""
    monkeypatch.setattr(nightly, "AHEAD_FROM", 1)
    monkeypatch.setattr(nightly.os, "cpu_count", lambda: 2)  # as on a machine with two cores
    district = make_district()
    run_sync(district)
    first = district.schools[0].id
    check_ahead = nightly._check_ahead

    def failing(school, state, **context):
        if school.school.id == first:
            if fault == "process dies":
                os._exit(3)  # as when the system ends it: its schools are checked in the sync
            monkeypatch.setattr(state, "_open_db", _locked)  # the marks cannot be read
        return check_ahead(school, state, **context)

    monkeypatch.setattr(nightly, "_check_ahead", failing)
    checked_here = _checked(monkeypatch)
    later = dt.date(2026, 12, 10)
    woken = run_sync(district, today=later)
    assert first in checked_here
    assert len(checked_here) < len(district.schools)  # the other process's were checked there
    _same_as_a_full_run(district, edits, woken, later)


def _locked():
    raise sqlite3.OperationalError("database is locked")


def test_a_cycle_beginning_checks_every_school_again(make_district, edits, monkeypatch):
    district = make_district()
    cycle_2 = district.cycles[1].start
    run_sync(district, today=cycle_2 - dt.timedelta(days=1))
    checked = _checked(monkeypatch)
    begun = run_sync(district, today=cycle_2)
    assert sorted(checked) == sorted(school.id for school in district.schools)
    # Every summary shows what a full run would show that day (its benchmark lines by cycle).
    _same_as_a_full_run(district, edits, begun, cycle_2)


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


def test_a_checked_schools_tables_are_let_go_once_its_writes_are_planned(
    make_district, monkeypatch
):
    """The rest of the night reads a checked school's kept findings: its tables are not held to
    the end of the night, and are unpacked again when something asks for them."""
    district = make_district()
    planned = []
    real = nightly.plan_writes

    def plan_writes(state, school, *args):
        plan = real(state, school, *args)
        tables = school.tables("pm_tool")
        planned.append((weakref.ref(tables), tables.tables["action_steps"].rows))
        return plan

    monkeypatch.setattr(nightly, "plan_writes", plan_writes)
    result = run_sync(district)
    gc.collect()
    assert len(planned) == len(result.schools) == 2
    assert [held() for held, _rows in planned] == [None, None]
    for school, (_held, rows) in zip(result.schools, planned, strict=True):
        assert school.tables("pm_tool").tables["action_steps"].rows == rows


def _kept_until(district) -> dict[str, dt.date]:
    with sqlite3.connect(district.rollup_dir / STATE_NAME) as db:
        rows = db.execute("SELECT school, valid_until FROM schools").fetchall()
    return {school: dt.date.fromisoformat(day) for school, day in rows if day}


def test_nights_around_an_answered_coach_note_give_what_a_full_run_gives(
    make_district, edits, backend, request
):
    """A note's status, its answer and its "changed since" come from the rows' marks, which a
    kept school's findings must carry as they were."""
    team = "principal@north.example"
    # On Google the school's own people answer (the coach's columns and theirs are guarded).
    school = GoogleEdits(request.getfixturevalue("google"), team) if backend == "google" else edits
    plan = good_plan(" (North Elementary)")
    plan["pm_tool"]["notes"] = [
        {
            "date": TODAY - dt.timedelta(days=3),
            "author": "Maria Lopez",
            "about": "Benchmarks, row 2",
            "note": "Why is this benchmark still Not Started?",
        }
    ]
    schools = [
        {"id": "north", "name": "North Elementary", "coach": "Maria Lopez", "team": [team]},
        {"id": "south", "name": "South Middle School", "coach": "James Carter"},
    ]
    extra = {"google": {"coach_role": "writer"}} if backend == "google" else {}
    district = make_district({"north": plan}, schools=schools, **extra)
    first = run_sync(district, today=TODAY - dt.timedelta(days=2))
    assert [n.status for n in first.schools[0].notes] == ["Open"]
    day = TODAY - dt.timedelta(days=1)
    _same_as_a_full_run(district, edits, run_sync(district, today=day), day)
    school.set_cells(district, "north", "Coach Notes", {"E2": "We start Monday.", "F2": "Answered"})
    answered = run_sync(district, today=TODAY)
    assert [(n.status, n.response) for n in answered.schools[0].notes] == [
        ("Answered", "We start Monday.")
    ]
    _same_as_a_full_run(district, edits, answered, TODAY)
    school.set_cells(district, "north", "Benchmarks", {"C2": "A measure, revised"})
    next_day = TODAY + dt.timedelta(days=1)
    acted = run_sync(district, today=next_day)
    assert acted.schools[0].notes[0].changed_since is not None
    _same_as_a_full_run(district, edits, acted, next_day)
    later = next_day + dt.timedelta(days=1)
    quiet = run_sync(district, today=later)
    assert quiet.schools[0].facts is not None  # kept: nothing was checked again
    assert quiet.schools[0].notes == acted.schools[0].notes
    _same_as_a_full_run(district, edits, quiet, later)


def test_a_kept_school_is_drawn_without_unpacking_its_tables(make_district, edits, monkeypatch):
    """The rollup's places ("Owner, row 7") and the report's strategies come from what the
    findings keep: a night that redraws them for another school's edit unpacks nothing else."""
    district = make_district()
    first = run_sync(district)
    unpacked = _unpacked(monkeypatch)
    edits.set_cells(district, "south", "Strategies", {"C2": "A new statement"})
    edited = run_sync(district)
    assert edited.rollup_written
    assert set(unpacked) == {"south"}  # its three workbooks, to check it again
    north_before, north_after = first.schools[0], edited.schools[0]
    assert north_after.facts is not None
    places = [north_before.place(issue) for issue in north_before.issues]
    assert [north_after.place(issue) for issue in north_after.issues] == places
    assert set(unpacked) == {"south"}


def test_a_quiet_night_leaves_the_kept_details_packed(make_district, monkeypatch):
    """Places, rollup blocks and the plan's outline are unpacked only on a night that uses
    them: not on a second run the same day, but on the next day's, which builds the rollup."""
    district = make_district()
    run_sync(district)
    unpacked = calls_to(monkeypatch, findings, "_unpack_details", lambda text: text)
    assert not run_sync(district).rollup_written
    assert unpacked == []
    assert run_sync(district, today=TODAY + dt.timedelta(days=1)).rollup_written
    assert len(unpacked) == 2  # once per school


def test_the_report_is_left_alone_on_a_night_that_would_draw_it_the_same(make_district, edits):
    district = make_district()
    run_sync(district)
    page = district.reports_dir / "District Report.html"
    drawn = page.read_bytes()
    page.touch()
    os.utime(page, (0, 0))
    run_sync(district)  # the same day, nothing changed
    assert page.stat().st_mtime == 0
    run_sync(district, today=TODAY + dt.timedelta(days=1))  # the page counts days
    assert page.stat().st_mtime != 0
    assert page.read_bytes() != drawn
    coach_pages = list((district.reports_dir).glob("*/*.html"))
    assert coach_pages
    coach_pages[0].unlink()  # a page gone is drawn again
    run_sync(district, today=TODAY + dt.timedelta(days=1))
    assert coach_pages[0].is_file()


def test_the_rollup_is_not_rewritten_for_its_date_alone(make_district):
    district = make_district()
    run_sync(district, today=TODAY - dt.timedelta(days=1))
    run_sync(district)  # the first night with a last run to compare with
    quiet = run_sync(district, today=TODAY + dt.timedelta(days=1))
    steps_fell_due = any(
        i.rule == "overdue" and i not in before.issues
        for before, after in zip(run_sync(district).schools, quiet.schools, strict=True)
        for i in after.issues
    )
    assert steps_fell_due or not quiet.rollup_written


def test_a_stray_copy_appearing_checks_its_school_again(make_district, edits, monkeypatch):
    district = make_district()
    run_sync(district)
    checked = _checked(monkeypatch)
    name = edits.make_stray_copy(district, "north")
    night = run_sync(district)
    assert checked == ["north"]
    assert any(name in issue.message for issue in night.schools[0].issues)
    again = run_sync(district)
    assert checked == ["north"]  # kept, with the copy in what the findings were made from
    assert [s.issues for s in again.schools] == [s.issues for s in night.schools]


@pytest.mark.backends("excel")  # the Excel store keeps the rollup's rows as it drew them
def test_an_edit_night_draws_only_the_edited_schools_rows(make_district, edits, monkeypatch):
    """Each school's rows on the rollup's plan tabs are kept as drawn, under a hash of what they
    show: a night one school edits a cell makes and draws that school's rows alone, and the
    rollup holds what a full run writes."""
    district = make_district()
    run_sync(district)
    made = calls_to(monkeypatch, rollup, "_block", lambda school, rows: school.school.id)
    edits.set_cells(district, "south", "Strategies", {"C2": "A new statement"})
    edited = run_sync(district)
    assert edited.rollup_written
    assert set(made) == {"south"}
    _same_as_a_full_run(district, edits, edited, TODAY)


@pytest.mark.backends("excel")
def test_rows_kept_drawn_that_are_damaged_are_drawn_again(make_district, edits):
    district = make_district()
    run_sync(district)
    with sqlite3.connect(district.rollup_dir / STATE_NAME) as db:
        assert db.execute("SELECT count(*) FROM drawn").fetchone()[0] > 0
        db.execute("UPDATE drawn SET drawn = x'00ff'")  # not what was kept
    edits.set_cells(district, "south", "Strategies", {"C2": "A new statement"})
    edited = run_sync(district)
    assert edited.rollup_written
    _same_as_a_full_run(district, edits, edited, TODAY)


def test_records_are_kept_field_by_field_as_astuple_would():
    import dataclasses

    from plansync.packing import field_values
    from plansync.results import BenchmarkRecord

    @dataclasses.dataclass
    class One:
        value: str

    names = [field.name for field in dataclasses.fields(BenchmarkRecord)]
    record = BenchmarkRecord(*[f"field {n}" for n in range(len(names))])
    assert field_values(record) == list(dataclasses.astuple(record))
    assert field_values(One("alone")) == ["alone"]
