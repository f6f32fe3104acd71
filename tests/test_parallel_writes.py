"""Summary tabs and roster copies rewritten in worker processes: the same files and the same
findings as when the sync writes them one after another, failures reported the same way, and a
worker that dies costs nothing but time."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import sys

import pytest
import python_calamine
from district_helpers import calls_to, run_sync, workbook_path
from plansync import nightly
from plansync.excel import pool
from plansync.excel import store as excel_store

pytestmark = [
    pytest.mark.backends("excel"),
    pytest.mark.skipif(sys.platform != "linux", reason="workers are forked only on Linux"),
]

SCHOOLS = [
    {"id": f"school-{n}", "name": f"School {n}", "coach": "Maria Lopez"} for n in range(1, 6)
]


def _written_tabs(district) -> dict[str, list]:
    found = {}
    for path in sorted(district.workbooks_dir.glob("*/[!~]*.xlsx")):  # not Excel's lock files
        with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
            for name in ("Coach Summary", "_plansync"):
                if name in book.sheet_names:
                    rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                    # The summary's second row says when it was written; it is the same day.
                    found[f"{path.parent.name}/{path.name}!{name}"] = rows
    return found


def _findings(result) -> list:
    return [
        (s.school.id, s.completeness, sorted((i.rule, i.workbook, i.sheet) for i in s.issues))
        for s in result.schools
    ]


def test_workers_write_what_the_sync_writes_in_turn(make_district, monkeypatch, tmp_path):
    district = make_district(schools=SCHOOLS)
    # One school's PM Tool is open in Excel: its summary is not written, and says so.
    lock = workbook_path(district, "school-3").parent / "~$PM Tool.xlsx"
    lock.write_bytes(b"lock")
    as_provisioned = tmp_path / "as provisioned"
    shutil.copytree(district.workbooks_dir, as_provisioned)

    monkeypatch.setattr(excel_store, "PARALLEL_FROM", 2)
    pools = calls_to(monkeypatch, excel_store, "WritePool", lambda work, workers: workers)
    by_workers = run_sync(district)
    assert pools == [min(os.cpu_count() or 1, excel_store.MAX_WORKERS)]
    tabs_by_workers = _written_tabs(district)

    shutil.rmtree(district.workbooks_dir)
    shutil.rmtree(district.rollup_dir)
    shutil.copytree(as_provisioned, district.workbooks_dir)
    monkeypatch.setattr(excel_store, "PARALLEL_FROM", 10**6)
    in_turn = run_sync(district)
    assert len(pools) == 1  # no pool this time

    assert _written_tabs(district) == tabs_by_workers
    assert _findings(by_workers) == _findings(in_turn)
    assert by_workers.summaries_written == in_turn.summaries_written == 4
    assert by_workers.rosters_written == in_turn.rosters_written > 0
    school_3 = next(s for s in by_workers.schools if s.school.id == "school-3")
    assert [i.rule for i in school_3.issues if i.rule.endswith("-not-written")] == [
        "summary-not-written",
        "roster-not-written",
    ]
    # The next night writes nothing: every outcome was recorded as it came back.
    monkeypatch.setattr(excel_store, "PARALLEL_FROM", 2)
    lock.unlink()
    again = run_sync(district)
    assert (again.summaries_written, again.rosters_written) == (1, 1)  # school 3's, now closed


def _ten_times_unless_a_worker_gets_three(parent: int, job: int) -> tuple[int, bool]:
    if job == 3 and os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)  # as the system ends a process for its memory
    return job * 10, os.getpid() == parent


def test_a_job_whose_worker_dies_is_done_here_and_the_rest_go_on():
    work = functools.partial(_ten_times_unless_a_worker_gets_three, os.getpid())
    writers = pool.WritePool(work, 2)
    answers = list(writers.carry_out(iter(range(8))))
    writers.close()
    assert [value for value, _here in answers] == [n * 10 for n in range(8)]
    assert answers[3][1]  # the job that ended its worker was done in this process
    assert not answers[0][1]  # the first one, before, by a worker


def test_a_workbook_getting_its_summary_and_roster_copy_is_rewritten_once(
    make_district, monkeypatch
):
    district = make_district()
    rewrites = calls_to(monkeypatch, excel_store, "put_sheets", lambda path, parts, *_: parts)
    single = calls_to(monkeypatch, excel_store, "put_sheet", lambda path, name, *_: name)
    result = run_sync(district)
    assert result.summaries_written == 2
    assert sorted(sorted(parts) for parts in rewrites) == [["Coach Summary", "_plansync"]] * 2
    # The other workbooks get their roster copy alone.
    assert single and set(single) == {"_plansync"}
    assert result.rosters_written == len(single) + 2


def test_a_schools_writes_go_out_while_the_next_schools_are_read(make_district, monkeypatch):
    """The nightly sync hands a school's summary to the writers as soon as the school is checked,
    so the workers that write and those that read share the night (and its cores)."""
    district = make_district(schools=SCHOOLS)
    monkeypatch.setattr(excel_store, "PARALLEL_FROM", 2)
    events: list[tuple[str, str]] = []
    calls_to(
        monkeypatch,
        nightly,
        "read_tables",
        lambda raw, *_: events.append(("read", raw.ref.school_id)),
    )
    calls_to(
        monkeypatch,
        nightly,
        "plan_writes",
        lambda _s, school, *_: events.append(("plan", school.school.id)),
    )
    reading = excel_store.read_in_pool

    def read_in_pool(*args):
        yield from reading(*args)
        events.append(("readers ended", ""))  # not when the generator is collected, later

    monkeypatch.setattr(excel_store, "read_in_pool", read_in_pool)
    calls_to(monkeypatch, nightly, "write_rollup", lambda *_: events.append(("rollup", "")))
    result = run_sync(district)
    assert result.summaries_written == len(SCHOOLS)
    # The readers end with the last read, before the rollup is made.
    assert events.index(("readers ended", "")) < events.index(("rollup", ""))
    first_plan = events.index(("plan", "school-1"))
    last_read = max(i for i, (what, school) in enumerate(events) if what == "read")
    assert first_plan < last_read
    # Each school is planned after its own workbooks are read, in the config's order.
    planned = [school for what, school in events if what == "plan"]
    assert planned == [school["id"] for school in SCHOOLS]
    for school in planned:
        reads = [i for i, event in enumerate(events) if event == ("read", school)]
        assert len(reads) == 3 and max(reads) < events.index(("plan", school))


def test_an_error_in_the_night_ends_the_readers_there_and_then(make_district, monkeypatch):
    """Not later, when the error (which holds the night's frames) is let go of."""
    district = make_district(schools=SCHOOLS)
    monkeypatch.setattr(excel_store, "PARALLEL_FROM", 2)
    planning = nightly.plan_writes

    def plan_writes(state, school, *args):
        if school.school.id == "school-3":
            raise RuntimeError("a fault nobody foresaw")
        return planning(state, school, *args)

    monkeypatch.setattr(nightly, "plan_writes", plan_writes)
    ended: list[bool] = []
    reading = excel_store.read_in_pool

    def read_in_pool(*args):
        try:
            yield from reading(*args)
        finally:
            ended.append(True)

    monkeypatch.setattr(excel_store, "read_in_pool", read_in_pool)
    with pytest.raises(RuntimeError, match="a fault nobody foresaw"):
        run_sync(district)
    assert ended == [True]
