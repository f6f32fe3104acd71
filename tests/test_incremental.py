"""The nightly run reads only what changed, and gives the same results as reading everything."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import plansync.nightly as nightly
import pytest
from district_helpers import run_sync, workbook_path
from plansync.state import STATE_NAME


def _figures(result) -> tuple:
    return (
        result.workbooks_read,
        result.workbooks_unchanged,
        result.summaries_written,
        result.rollup_written,
    )


def _issues(result) -> list:
    return [school.issues for school in result.schools]


def test_a_night_with_no_edits_reads_and_writes_nothing(make_district, edits):
    district = make_district()
    first = run_sync(district)
    assert _figures(first) == (6, 0, 2, True)
    pm_tool = edits.version(district, "north")
    second = run_sync(district)
    assert _figures(second) == (0, 6, 0, False)
    assert _issues(second) == _issues(first)
    assert edits.version(district, "north") == pm_tool
    assert second.rollup == first.rollup


def test_an_edited_workbook_is_read_again_and_the_others_are_not(make_district, edits):
    district = make_district()
    run_sync(district)
    edits.set_cells(district, "south", "Decisions", {"E3": "Decided"}, workbook="Decision Log")
    result = run_sync(district)
    assert _figures(result) == (1, 5, 1, True)
    south = next(s for s in result.schools if s.school.id == "south")
    assert ("required", "Decisions", "F3") in [(i.rule, i.sheet, i.cell) for i in south.issues]


def test_the_rollup_of_an_incremental_run_equals_that_of_a_full_run(make_district, edits):
    district = make_district()
    run_sync(district)
    edits.set_cells(district, "north", "Action Steps", {"F3": None})
    incremental = run_sync(district)
    assert incremental.workbooks_read == 1
    incremental_rollup = edits.rollup(incremental.rollup)
    full = run_sync(district, full=True)
    assert _figures(full) == (6, 0, 2, True)
    assert edits.rollup(full.rollup) == incremental_rollup
    assert _issues(full) == _issues(incremental)


def test_overdue_checks_run_every_night_even_when_nothing_was_read(make_district):
    district = make_district()
    run_sync(district)
    later = run_sync(district, today=dt.date(2026, 12, 10))
    assert later.workbooks_read == 0
    assert ("overdue", "Action Steps", "D3") in [
        (i.rule, i.sheet, i.cell) for i in later.schools[0].issues
    ]
    assert later.summaries_written == 2  # what the summaries show has changed


def test_a_damaged_state_file_is_rebuilt_not_trusted(make_district):
    district = make_district()
    first = run_sync(district)
    (district.rollup_dir / STATE_NAME).write_bytes(b"this is not a database")
    again = run_sync(district)
    assert again.workbooks_read == 6
    assert _issues(again) == _issues(first)
    assert run_sync(district).workbooks_read == 0


def test_a_stored_copy_that_cannot_be_unpacked_is_read_from_the_file_again(make_district):
    """North is checked again with its workbooks unchanged (its kept findings are gone): the
    state file's copy of its PM Tool is damaged, so the file itself is read."""
    district = make_district()
    first = run_sync(district)
    north = next(school for school in first.schools if school.school.id == "north")
    with sqlite3.connect(district.rollup_dir / STATE_NAME) as state:
        state.execute("DELETE FROM schools WHERE school = 'north'")
        damaged = state.execute(
            "UPDATE workbooks SET sheets = x'00' WHERE location = ?",
            (north.workbook("pm_tool").ref.location,),
        ).rowcount
    assert damaged == 1
    again = run_sync(district)
    assert (again.workbooks_read, again.workbooks_unchanged) == (1, 5)
    assert _issues(again) == _issues(first)
    assert run_sync(district).workbooks_read == 0


def test_schools_checked_again_unpack_their_workbooks_in_their_turn(make_district, monkeypatch):
    """Every school checked again from the state file (after an upgrade, say): each school's
    tables are unpacked when its turn comes, not every school's before the first is checked."""
    district = make_district()
    run_sync(district)
    with sqlite3.connect(district.rollup_dir / STATE_NAME) as state:
        state.execute("DELETE FROM schools")
    typed = []
    real_typed, real_plan = nightly._typed, nightly.plan_writes
    monkeypatch.setattr(
        nightly,
        "_typed",
        lambda raw, *args: typed.append(raw.ref.school_id) or real_typed(raw, *args),
    )
    unpacked_when_planned = {}

    def plan_writes(state, school, *args):
        unpacked_when_planned[school.school.id] = list(typed)
        return real_plan(state, school, *args)

    monkeypatch.setattr(nightly, "plan_writes", plan_writes)
    result = run_sync(district)
    assert result.workbooks_unchanged == 6
    assert unpacked_when_planned == {
        "north": ["north"] * 3,
        "south": ["north"] * 3 + ["south"] * 3,
    }


def test_a_deleted_summary_tab_is_written_again(make_district, edits):
    district = make_district()
    run_sync(district)
    edits.delete_tab(district, "north", "Coach Summary")
    result = run_sync(district)
    assert (result.workbooks_read, result.summaries_written) == (1, 1)
    assert "Coach Summary" in edits.tabs(district, "north")


def test_the_one_line_summary_says_what_the_run_did(make_district):
    district = make_district()
    run_sync(district)
    line = run_sync(district).one_line()
    assert line.startswith(
        "2 schools: 0 workbooks read, 6 unchanged; 0 errors, 0 warnings; "
        "0 summary tabs written, rollup unchanged; "
    )


@pytest.mark.backends("excel")
def test_a_file_saved_without_changes_is_not_read_again(make_district):
    district = make_district()
    run_sync(district)
    path = workbook_path(district, "north", "Roles and Responsibilities")
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert _figures(run_sync(district)) == (0, 6, 0, False)


@pytest.mark.backends("excel")
def test_a_workbook_restored_from_a_copy_keeps_its_summary_and_its_findings(
    make_district, monkeypatch
):
    """A backup put back, or the folder moved to another disk: the same bytes in a new file. The
    summary tab in it is still the one the sync wrote, so nothing is built or written again."""
    district = make_district()
    run_sync(district)
    path = workbook_path(district, "north", "PM Tool")
    copy = path.with_name("restored.tmp")
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)  # a new file (inode) with the same content
    built = []
    real = nightly.build_summary
    monkeypatch.setattr(nightly, "build_summary", lambda *a: built.append(1) or real(*a))
    assert _figures(run_sync(district)) == (0, 6, 0, False)
    assert _figures(run_sync(district, today=dt.date(2026, 11, 28)))[:3] == (0, 6, 0)
    assert built == []


@pytest.mark.backends("excel")
def test_a_deleted_rollup_is_written_again(make_district):
    district = make_district()
    first = run_sync(district)
    Path(first.rollup).unlink()
    assert run_sync(district).rollup_written
    assert Path(first.rollup).is_file()


def test_a_rerun_with_nothing_new_does_not_even_build_the_rollup(make_district, monkeypatch):
    """Writing the summary tabs changed every PM Tool file, but nothing the rollup shows."""
    import plansync.reports.rollup as rollup

    district = make_district()
    run_sync(district)
    built = []
    real = rollup.build_rollup
    monkeypatch.setattr(rollup, "build_rollup", lambda result: built.append(1) or real(result))
    assert not run_sync(district).rollup_written
    assert built == []


def _school_writes(district, edits, google) -> int:
    """Requests the fake Google received that write into a school's spreadsheet (not the
    rollup's): the summary is one such request per school."""
    if google is None:
        return 0
    keys = {edits.spreadsheet_id(district, school, "PM Tool") for school in ("north", "south")}
    return sum(
        1
        for call in google.log
        if call.endpoint.startswith("sheets.")
        and call.method != "GET"
        and any(key in call.path for key in keys)
    )


def test_the_next_night_with_nothing_changed_writes_nothing_into_any_school(
    make_district, edits, backend, request
):
    district = make_district()
    first = run_sync(district)
    assert first.summaries_written == 2
    versions = {school: edits.version(district, school) for school in ("north", "south")}
    google = request.getfixturevalue("google") if backend == "google" else None
    if google is not None:
        google.reset_counts()
    # The next day, same data: no step fell due in between, no cycle began.
    second = run_sync(district, today=dt.date(2026, 11, 28))
    assert second.summaries_written == 0
    assert {school: edits.version(district, school) for school in versions} == versions
    assert _school_writes(district, edits, google) == 0
    # A week on, still nothing new: the tab shows dates, never "N days late".
    assert run_sync(district, today=dt.date(2026, 12, 5)).summaries_written == 0
    assert {school: edits.version(district, school) for school in versions} == versions


def test_a_step_falling_overdue_rewrites_the_summary_with_the_date(
    make_district, edits, backend, request
):
    district = make_district()
    run_sync(district)
    google = request.getfixturevalue("google") if backend == "google" else None
    if google is not None:
        google.reset_counts()
    before = edits.version(district, "north")
    # The step due Dec 5 is overdue on Dec 6: what the summary shows has changed.
    later = run_sync(district, today=dt.date(2026, 12, 6))
    assert later.summaries_written == 2
    assert edits.version(district, "north") != before
    if google is not None:
        assert _school_writes(district, edits, google) == 2
    text = [
        " | ".join(str(v) for v in row if v not in ("", None))
        for row in edits.tabs(district, "north")["Coach Summary"]
    ]
    assert "This tab last changed on Sunday, Dec 6, 2026." in text
    assert "Where | Owner | Overdue since | Item" in text
    assert any("| Dec 6, 2026 | Action step" in line for line in text)


def test_row_marks_keep_what_changed_and_forget_rows_that_are_gone(tmp_path):
    from plansync.state import StateStore

    first, second = dt.date(2026, 10, 1), dt.date(2026, 10, 8)
    with StateStore(tmp_path / STATE_NAME) as state:
        seen = {("steps", 2): "a", ("steps", 3): "b", ("steps", 4): "c"}
        marks = state.row_marks("x.xlsx", seen, first)
        assert {mark.changed for mark in marks.values()} == {None}  # first seen: nothing changed
        # Read again: row 3 edited, row 4 gone, row 5 new.
        again = {("steps", 2): "a", ("steps", 3): "B", ("steps", 5): "d"}
        marks = state.row_marks("x.xlsx", again, second)
        assert marks[("steps", 2)].changed is None
        assert (marks[("steps", 3)].before, marks[("steps", 3)].changed) == ("b", second)
        assert marks[("steps", 5)].changed == second
        # What is kept is what the second read saw, whatever the hashes of a night not read.
        kept = state.row_marks("x.xlsx", None, dt.date(2026, 10, 9))
        assert {key: (mark.hash, mark.changed) for key, mark in kept.items()} == {
            ("steps", 2): ("a", None),
            ("steps", 3): ("B", second),
            ("steps", 5): ("d", second),
        }
        # Read again with nothing changed: the marks stay as they were.
        assert state.row_marks("x.xlsx", again, dt.date(2026, 10, 9)) == kept


def test_a_kept_schools_rows_no_longer_drawn_are_made_from_its_tables(
    make_district, edits, backend
):
    """Where the rollup's blocks are kept drawn (Excel), a school's rows are not kept with its
    findings; should its drawn rows be lost, they are made from its tables, unpacked then. Google
    sends every row each time: there they are kept."""
    district = make_district()
    run_sync(district)
    state = district.rollup_dir / STATE_NAME
    with sqlite3.connect(state) as db:
        rows = db.execute("SELECT school, rollup_rows FROM schools").fetchall()
        db.execute("DELETE FROM drawn")
    kept = backend == "google"
    assert {school: bool(blob) for school, blob in rows} == {"north": kept, "south": kept}
    edits.set_cells(district, "south", "Strategies", {"C2": "A new statement"})
    incremental = run_sync(district)  # north is kept: its rows made again from its tables
    assert incremental.workbooks_read == 1
    incremental_rollup = edits.rollup(incremental.rollup)
    full = run_sync(district, full=True)
    assert incremental_rollup == edits.rollup(full.rollup)
