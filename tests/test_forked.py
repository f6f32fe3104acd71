"""Work drawn beside the sync in a forked process (the HTML pages): its answer, its errors, and
what happens when the process dies before answering."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import time

import pytest
from district_helpers import run_sync
from plansync import forked
from plansync.errors import ReportNotWritten
from plansync.forked import ForkedMap, Pending

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forks only on Linux")


def test_the_work_runs_in_another_process_and_its_answer_comes_back():
    with Pending(lambda: (os.getpid(), ["a", 1])) as pending:
        pid, value = pending.answer()
    assert pid != os.getpid()
    assert value == ["a", 1]


def test_an_error_raised_beside_is_raised_where_the_answer_is_asked_for():
    def fails() -> None:
        raise ReportNotWritten("The report page could not be written (disk full).")

    pending = Pending(fails)
    with pytest.raises(ReportNotWritten, match="disk full"):
        pending.answer()


def test_work_whose_process_dies_is_done_in_the_sync_instead():
    parent = os.getpid()

    def dies_when_forked() -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # as the system ends a process for its memory
        return os.getpid()

    assert Pending(dies_when_forked).answer() == parent


def test_an_answer_that_cannot_be_sent_back_is_made_in_the_sync_instead():
    parent = os.getpid()

    def unpicklable() -> object:
        return (lambda: None) if os.getpid() != parent else "made here"

    assert Pending(unpicklable).answer() == "made here"


def test_a_ready_answer_forks_nothing_and_leaving_early_waits_for_the_child(tmp_path):
    assert Pending.ready(7).answer() == 7
    done = tmp_path / "done"
    with Pending(lambda: done.write_text("yes")):
        pass  # the sync failed before asking: the child still finishes before it goes on
    assert done.read_text() == "yes"


def test_the_sync_gives_back_what_it_set_aside_from_the_collector_and_leaves_a_callers_alone(
    make_district,
):
    """The night sets aside from the cycle collector what it has read (gc.freeze) and gives it
    back when it ends; objects its caller set aside stay aside."""
    district = make_district()
    run_sync(district)
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        aside = gc.get_freeze_count()
        run_sync(district)
        assert gc.get_freeze_count() >= aside
    finally:
        gc.unfreeze()


def test_a_forked_map_left_early_ends_its_processes_quietly(capfd):
    with ForkedMap(_slow_square, list(range(40)), 2) as answers:
        assert [answers.next() for _ in range(3)] == [0, 1, 4]
    assert capfd.readouterr().err == ""


def test_a_child_whose_sync_stopped_listening_ends_without_a_traceback():
    receiving, sending = multiprocessing.Pipe(duplex=False)
    receiving.close()  # the sync left early
    forked._serve(_slow_square, [1, 2, 3], sending)  # returns: no BrokenPipeError


def test_a_forked_map_gives_none_where_the_work_failed():
    with ForkedMap(_fails_on_three, [1, 2, 3, 4], 2) as answers:
        assert [answers.next() for _ in range(4)] == [1, 2, None, 4]


def _slow_square(number: int) -> int:
    time.sleep(0.01)
    return number * number


def _fails_on_three(number: int) -> int:
    if number == 3:
        raise ValueError("three")
    return number


def test_a_night_runs_the_cycle_collector_less_often_and_gives_its_pace_back(
    make_district, monkeypatch
):
    from plansync import nightly

    district = make_district()
    seen = []
    build = nightly.build_rollup

    def noting_the_pace(result):
        seen.append(gc.get_threshold())
        return build(result)

    monkeypatch.setattr(nightly, "build_rollup", noting_the_pace)
    before = gc.get_threshold()
    run_sync(district)
    assert seen == [forked.NIGHT_THRESHOLDS]
    assert gc.get_threshold() == before


def test_the_collector_pace_comes_back_when_the_night_fails():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), forked.collected_less_often():
        assert gc.get_threshold() == forked.NIGHT_THRESHOLDS
        raise RuntimeError("the night failed")
    assert gc.get_threshold() == before
