"""The nightly run reads only what changed, and gives the same results as reading everything."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import python_calamine
from conftest import edit_workbook, run_sync, workbook_path
from plansync.state import STATE_NAME


def _rollup_values(path: str) -> dict[str, list]:
    with python_calamine.CalamineWorkbook.from_path(path) as book:
        return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _figures(result) -> tuple:
    return (
        result.workbooks_read,
        result.workbooks_unchanged,
        result.summaries_written,
        result.rollup_written,
    )


def test_a_night_with_no_edits_reads_and_writes_nothing(make_district):
    district = make_district()
    first = run_sync(district)
    assert _figures(first) == (6, 0, 2, True)
    pm_tool = workbook_path(district, "north").read_bytes()
    rollup = Path(first.rollup).stat().st_mtime_ns
    second = run_sync(district)
    assert _figures(second) == (0, 6, 0, False)
    assert [s.issues for s in second.schools] == [s.issues for s in first.schools]
    assert workbook_path(district, "north").read_bytes() == pm_tool
    assert Path(second.rollup).stat().st_mtime_ns == rollup


def test_an_edited_workbook_is_read_again_and_the_others_are_not(make_district):
    district = make_district()
    run_sync(district)
    edit_workbook(
        workbook_path(district, "south", "Decision Log"),
        lambda book: book["Decisions"].cell(3, 5, "Decided"),
    )
    result = run_sync(district)
    assert _figures(result) == (1, 5, 1, True)
    south = next(s for s in result.schools if s.school.id == "south")
    assert ("required", "Decisions", "F3") in [(i.rule, i.sheet, i.cell) for i in south.issues]


def test_the_rollup_of_an_incremental_run_equals_that_of_a_full_run(make_district):
    district = make_district()
    run_sync(district)
    edit_workbook(
        workbook_path(district, "north"),
        lambda book: book["Action Steps"].cell(3, 6).__setattr__("value", None),
    )
    incremental = run_sync(district)
    assert incremental.workbooks_read == 1
    incremental_rollup = _rollup_values(incremental.rollup)
    full = run_sync(district, full=True)
    assert _figures(full) == (6, 0, 2, True)
    assert _rollup_values(full.rollup) == incremental_rollup
    assert [s.issues for s in full.schools] == [s.issues for s in incremental.schools]


def test_a_file_saved_without_changes_is_not_read_again(make_district):
    district = make_district()
    run_sync(district)
    path = workbook_path(district, "north", "Roles and Responsibilities")
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert _figures(run_sync(district)) == (0, 6, 0, False)


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
    assert [s.issues for s in again.schools] == [s.issues for s in first.schools]
    assert run_sync(district).workbooks_read == 0


def test_a_deleted_summary_tab_is_written_again(make_district):
    district = make_district()
    run_sync(district)
    edit_workbook(workbook_path(district, "north"), lambda book: book.remove(book["Coach Summary"]))
    result = run_sync(district)
    assert (result.workbooks_read, result.summaries_written) == (1, 1)
    with python_calamine.CalamineWorkbook.from_path(str(workbook_path(district, "north"))) as book:
        assert "Coach Summary" in book.sheet_names


def test_a_deleted_rollup_is_written_again(make_district):
    district = make_district()
    first = run_sync(district)
    Path(first.rollup).unlink()
    assert run_sync(district).rollup_written
    assert Path(first.rollup).is_file()


def test_the_one_line_summary_says_what_the_run_did(make_district):
    district = make_district()
    run_sync(district)
    line = run_sync(district).one_line()
    assert line.startswith(
        "2 schools: 0 workbooks read, 6 unchanged; 0 errors, 0 warnings; "
        "0 summary tabs written, rollup unchanged; "
    )
