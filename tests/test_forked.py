"""Work drawn beside the sync in a forked process (the HTML pages): its answer, its errors, and
what happens when the process dies before answering."""

from __future__ import annotations

import gc
import os
import signal
import sys

import pytest
from district_helpers import run_sync
from plansync.errors import ReportNotWritten
from plansync.forked import Pending

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
