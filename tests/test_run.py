"""The nightly run itself: one sync at a time, and a crash or kill never leaves half a file."""

from __future__ import annotations

import datetime as dt
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import python_calamine
from click.testing import CliRunner
from district_helpers import TODAY, run_sync, workbook_path
from losscheck import assert_nothing_lost, snapshot_files
from plansync.cli import main
from plansync.run_lock import LOCK_NAME

# These cases are about .xlsx files on disk; the Google store has its own faults in
# test_google_store.py.
pytestmark = pytest.mark.backends("excel")

HOLD_LOCK = """
import sys
from pathlib import Path
from plansync.run_lock import district_lock

with district_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()
"""


def hold_lock_elsewhere(folder: Path) -> subprocess.Popen:
    """Another process that takes the district's sync lock and keeps it until told."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def sync_command(district, *more: str):
    config = str(district.base_dir / "district.yaml")
    return CliRunner().invoke(main, ["sync", config, "--today", TODAY.isoformat(), *more])


def test_a_second_sync_while_one_runs_stops_with_one_line_and_touches_nothing(make_district):
    district = make_district()
    holder = hold_lock_elsewhere(district.rollup_dir)
    before = snapshot_files(district.base_dir)
    try:
        result = sync_command(district)
    finally:
        holder.communicate("")
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: Another sync of this district is running (process {holder.pid}")
    assert line.endswith("this one stopped without reading or writing anything.")
    assert_nothing_lost(before, district.base_dir)


def test_a_lock_left_by_a_killed_sync_does_not_block_the_next_one(make_district):
    district = make_district()
    holder = hold_lock_elsewhere(district.rollup_dir)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (district.rollup_dir / LOCK_NAME).exists()  # the file stays; the lock went with it
    result = sync_command(district)
    assert result.exit_code == 0, result.output
    assert " Rollup: " in result.output.splitlines()[-2]


class Killed(BaseException):
    """What the process sees when it is stopped mid-way (not an Exception: nothing catches it)."""


@pytest.mark.parametrize(
    "dies_at, written", [(2, {"north"}), (3, {"north", "south"})], ids=["write-back", "rollup"]
)
def test_a_kill_during_write_back_leaves_every_file_as_before_or_after(
    make_district, monkeypatch, dies_at, written
):
    """Each file is replaced in one step (north's summary, south's summary, then the rollup):
    killed at the second or the third step, the files already replaced are complete and new, the
    others are exactly as they were, and no temporary file is left."""
    district = make_district()
    run_sync(district)  # yesterday's run: summaries and a rollup exist
    before = {path: path.read_bytes() for path in district.base_dir.rglob("*.xlsx")}
    replace, calls = os.replace, []

    def killed_on_the_way(source, target):
        calls.append(target)
        if len(calls) == dies_at:
            raise Killed
        replace(source, target)

    monkeypatch.setattr(os, "replace", killed_on_the_way)
    with pytest.raises(Killed):
        # A step falls overdue on Dec 6: every summary shows something new.
        run_sync(district, today=dt.date(2026, 12, 6))
    monkeypatch.undo()

    after = {path: path.read_bytes() for path in district.base_dir.rglob("*.xlsx")}
    assert set(after) == set(before)  # no temporary or half-written file anywhere
    for school in ("north", "south"):
        summary = summary_changed_line(workbook_path(district, school))
        assert ("Dec 6, 2026" in summary) == (school in written), summary
    changed = {path for path in before if after[path] != before[path]}
    assert changed == {workbook_path(district, school) for school in written}
    assert run_sync(district).rollup  # the lock went with the killed run


def summary_changed_line(path: Path) -> str:
    """The summary's line saying when it last changed."""
    with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
        return book.get_sheet_by_name("Coach Summary").to_python()[2][0]


def test_temporary_files_a_killed_run_left_are_cleared_and_young_ones_kept(make_district):
    district = make_district()
    folder = workbook_path(district, "north").parent
    old, young = folder / ".~plansync-k1ll3d.xlsx", folder / ".~plansync-inflight.xlsx"
    old.write_bytes(b"half a workbook")
    young.write_bytes(b"another process is writing this")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    run_sync(district)
    assert not old.exists() and young.exists()


def test_a_read_only_rollup_folder_is_one_line_after_the_schools_are_done(make_district):
    district = make_district()
    run_sync(district)
    rollup = district.rollup_dir / "District Rollup.xlsx"
    before = rollup.read_bytes()
    district.rollup_dir.chmod(stat.S_IMODE(district.rollup_dir.stat().st_mode) & ~0o222)
    try:
        result = sync_command(district, "--full")  # an unchanged rollup would not be written
    finally:
        district.rollup_dir.chmod(0o755)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: The rollup was not written: {district.rollup_dir} is marked read-only. Make it "
        "writable and run the sync again.\n"
    )
    assert rollup.read_bytes() == before
    assert not [p for p in district.rollup_dir.iterdir() if p.name.startswith(".~plansync-")]
