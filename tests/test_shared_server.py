"""The fault corpus of a shared server: whatever sits at a workbook's path, files built to exhaust
memory or time, other people's permissions, folders that must not meet, a demo pointed at a real
district, and the run's own files held by other programs or in a full folder.

Every case is built from a real file system object or a real workbook. A school's fault is one
issue (rule, school, file) for that school; every other school is rolled up as it was.
"""

from __future__ import annotations

import errno
import functools
import gc
import os
import re
import shutil
import socket
import sqlite3
import stat
import struct
import sys
import time
import zipfile
from pathlib import Path

import pytest
import python_calamine
import yaml
from click.testing import CliRunner
from district_helpers import CONFIG, TODAY, run_sync, school_issues
from district_helpers import workbook_path as path_of
from losscheck import assert_nothing_lost, snapshot_files
from plansync import excel, files, history, state
from plansync.cli import main
from plansync.config import load_config
from plansync.demo.district import MARKER_NAME, DemoFolderRefused, claim_folder
from plansync.errors import ConfigError, RollupNotWritten, RunStateError
from plansync.excel import package, pool
from plansync.excel import store as excel_store
from plansync.excel.guard import Budget
from plansync.provision import provision_district
from plansync.store import ReadRequest, WorkbookRef

pytestmark = pytest.mark.backends("excel")

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving files to another user needs root")
OTHER_UID, OTHER_GID = 4321, 8765


def schools_row(result, name: str) -> list:
    """A school's row on the rollup's Schools tab."""
    with python_calamine.CalamineWorkbook.from_path(result.rollup) as book:
        rows = book.get_sheet_by_name("Schools").to_python()
    return next(row for row in rows[1:] if row[0] == name)


def north_issue(result, rule: str, workbook: str = "PM Tool"):
    north = next(school for school in result.schools if school.school.id == "north")
    found = [issue for issue in north.issues if (issue.rule, issue.workbook) == (rule, workbook)]
    assert len(found) == 1, north.issues
    return found[0]


def assert_south_unchanged(result, baseline) -> None:
    assert school_issues(result, "south") == []
    assert schools_row(result, "South Middle School") == schools_row(
        baseline, "South Middle School"
    )


# -- 1. anything at a workbook's path ---------


def a_folder(path: Path, outside: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inside.txt").write_text("not a workbook")


def a_named_pipe(path: Path, outside: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def a_socket(path: Path, outside: Path) -> None:
    path.unlink()
    here = Path.cwd()
    os.chdir(path.parent)  # the socket's name must be short; relative to its folder it is
    try:
        server = socket.socket(socket.AF_UNIX)
        server.bind(path.name)
        server.close()
    finally:
        os.chdir(here)


def a_device(path: Path, outside: Path) -> None:
    path.unlink()
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 5))  # like /dev/zero: it never ends


def a_link_to_a_pipe_inside(path: Path, outside: Path) -> None:
    pipe = path.parent / "pipe"
    os.mkfifo(pipe)
    path.unlink()
    path.symlink_to(pipe)


def a_link_to_a_folder_inside(path: Path, outside: Path) -> None:
    path.unlink()
    path.symlink_to(path.parent)


def a_link_out_of_the_district(path: Path, outside: Path) -> None:
    outside.mkdir()
    shutil.copy(path, outside / path.name)
    path.unlink()
    path.symlink_to(outside / path.name)


def a_link_to_a_device_outside(path: Path, outside: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def a_dangling_link(path: Path, outside: Path) -> None:
    path.unlink()
    path.symlink_to(path.parent / "gone.xlsx")


def a_loop_of_links(path: Path, outside: Path) -> None:
    path.unlink()
    (path.parent / "loop.xlsx").symlink_to(path)
    path.symlink_to(path.parent / "loop.xlsx")


NOT_A_FILE = {
    "a folder": (a_folder, "is a folder"),
    "a named pipe": (a_named_pipe, "is a named pipe"),
    "a socket": (a_socket, "is a socket"),
    "a device": (a_device, "is a device"),
    "a link to a pipe inside the district": (a_link_to_a_pipe_inside, "is a named pipe"),
    "a link to a folder inside the district": (a_link_to_a_folder_inside, "is a folder"),
    "a link out of the district": (a_link_out_of_the_district, "outside the district"),
    "a link to a device outside": (a_link_to_a_device_outside, "outside the district"),
    "a dangling link": (a_dangling_link, "does not exist"),
    "a loop of links": (a_loop_of_links, "leads back to itself"),
}


@pytest.mark.parametrize("name", NOT_A_FILE, ids=list(NOT_A_FILE))
def test_whatever_is_at_a_workbooks_path_is_one_issue_and_never_blocks(
    make_district, tmp_path, name
):
    put, says = NOT_A_FILE[name]
    district = make_district()
    baseline = run_sync(district)
    before_south = snapshot_files(district.workbooks_dir / "south")
    path = path_of(district, "north")
    put(path, tmp_path / "elsewhere")
    kind = os.lstat(path).st_mode

    result = run_sync(district, full=True)

    issue = north_issue(result, "workbook-not-a-file")
    assert (issue.school, issue.workbook, issue.sheet) == ("north", "PM Tool", None)
    assert "workbooks/north/PM Tool.xlsx" in issue.message and says in issue.message
    assert os.lstat(path).st_mode == kind  # left as it was: never replaced by a copy
    assert_south_unchanged(result, baseline)
    assert_nothing_lost(before_south, district.workbooks_dir / "south")
    outcomes = {(p.school.id, p.template.id): p.outcome for p in provision_district(district)}
    assert outcomes[("north", "pm_tool")] == "exists"  # provisioning leaves it alone too
    assert os.lstat(path).st_mode == kind


def test_a_link_inside_the_district_is_read_and_written_through(make_district):
    district = make_district()
    path = path_of(district, "north")
    target = district.workbooks_dir / "shared" / "north-pm-tool.xlsx"
    target.parent.mkdir()
    shutil.move(path, target)
    path.symlink_to(Path("..") / "shared" / target.name)
    before = snapshot_files(target.parent)

    result = run_sync(district)

    assert school_issues(result, "north") == []
    assert path.is_symlink() and path.resolve() == target.resolve()
    with python_calamine.CalamineWorkbook.from_path(str(target)) as book:
        summary = book.get_sheet_by_name("Coach Summary").to_python()
    assert any("North Elementary" in str(cell) for row in summary for cell in row)
    assert_nothing_lost(before, target.parent)
    assert not [p for p in path.parent.iterdir() if p.name.startswith(files.TEMPORARY_PREFIX)]


# -- 2. a budget per workbook ---------


def add_parts(path: Path, parts: dict[str, bytes]) -> None:
    """Add parts to a real workbook, as a program that embeds media would."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as workbook:
        for name, data in parts.items():
            workbook.writestr(name, data)


def zip_bomb(path: Path) -> None:
    add_parts(path, {"xl/media/image1.bin": bytes(48 * 1024 * 1024)})


def many_parts(path: Path) -> None:
    add_parts(path, {f"xl/media/image{n}.png": b"" for n in range(10_050)})


def a_large_expansion(path: Path) -> None:
    # Expands only 2 MB, far below the default budget: refused under a small one below.
    add_parts(path, {"xl/media/scan.bin": os.urandom(2 * 1024 * 1024)})


BUDGET_CASES = {
    "a zip bomb": (zip_bomb, Budget(), "expands"),
    "tens of thousands of parts": (many_parts, Budget(), "10,0"),
    "more than the budget expanded": (a_large_expansion, Budget(expanded_bytes=1024**2), "expand"),
    "a file larger than the budget": (a_large_expansion, Budget(file_bytes=1024**2), "the file is"),
}


@pytest.mark.parametrize("name", BUDGET_CASES, ids=list(BUDGET_CASES))
def test_a_workbook_past_its_budget_is_one_issue_and_the_run_goes_on(make_district, name):
    build, budget, says = BUDGET_CASES[name]
    district = make_district()
    baseline = run_sync(district)
    path = path_of(district, "north")
    build(path)
    before = snapshot_files(district.workbooks_dir)

    result = run_sync(district, full=True, store=excel_store.ExcelStore(district, budget))

    issue = north_issue(result, "workbook-too-large")
    assert (issue.school, issue.workbook) == ("north", "PM Tool")
    assert "workbooks/north/PM Tool.xlsx is too large" in issue.message and says in issue.message
    assert_south_unchanged(result, baseline)
    assert_nothing_lost(before, district.workbooks_dir)


def _ref(name: str) -> ReadRequest:
    return ReadRequest(WorkbookRef(name, "pm_tool", f"/nowhere/{name}.xlsx", f"{name}.xlsx"))


def hostile_read(request: ReadRequest) -> object:
    """A reader that never finishes for one workbook, dies for another, reads the rest."""
    if request.ref.school_id == "endless":
        time.sleep(3600)
    if request.ref.school_id == "fatal":
        os.kill(os.getpid(), 9)  # as the system ends a process that takes too much memory
    return request.ref.school_id


def test_the_pool_gives_up_a_workbook_past_its_time_and_one_that_kills_its_worker():
    names = [f"school-{n}" for n in range(12)]
    names[3], names[8] = "endless", "fatal"
    requests = [_ref(name) for name in names]

    outcomes = list(
        pool.read_in_pool(
            functools.partial(hostile_read), requests, workers=2, budget=Budget(seconds=2)
        )
    )

    assert [o for o in outcomes if isinstance(o, str)] == [n for n in names if n[0] == "s"]
    assert "longer than 2 seconds" in outcomes[3].reason
    assert "more memory" in outcomes[8].reason
    assert [o.rule for o in (outcomes[3], outcomes[8])] == ["workbook-too-large"] * 2


# -- 3. other people's permissions ---------


def _acl(*entries: tuple[int, int, int]) -> bytes:
    """A POSIX ACL as Linux stores it in system.posix_acl_access."""
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *entry) for entry in entries)


UNDEFINED = 0xFFFFFFFF
ACL = _acl(
    (1, 6, UNDEFINED), (2, 6, 1234), (4, 4, UNDEFINED), (0x10, 6, UNDEFINED), (0x20, 0, UNDEFINED)
)


@as_root
def test_a_rewritten_workbook_keeps_its_owner_group_mode_acl_and_attributes(make_district):
    district = make_district()
    path = path_of(district, "north")
    os.chown(path, OTHER_UID, OTHER_GID)
    os.chmod(path, 0o660)
    os.setxattr(path, "user.school.note", b"kept by the school's backup tool")
    os.setxattr(path, "system.posix_acl_access", ACL)
    before = os.stat(path)
    acl = os.getxattr(path, "system.posix_acl_access")

    # Held open, the replaced file keeps its inode number, so a new file cannot be given it back
    # (the first night replaces the file twice: the summary, then the roster's copy).
    with path.open("rb"):
        result = run_sync(district)

    assert result.summaries_written == 2
    after = os.stat(path)
    assert after.st_ino != before.st_ino  # it was replaced
    assert (after.st_uid, after.st_gid) == (OTHER_UID, OTHER_GID)
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)
    assert os.getxattr(path, "user.school.note") == b"kept by the school's backup tool"
    assert os.getxattr(path, "system.posix_acl_access") == acl


def _modes(folder: Path) -> dict[str, int]:
    return {
        str(path.relative_to(folder)): stat.S_IMODE(path.stat().st_mode)
        for path in folder.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_files_the_tool_creates_follow_the_umask(make_district, tmp_path, mask, mode):
    from plansync.nightly import report_district

    old = os.umask(mask)
    try:
        district = make_district()
        run_sync(district)
        report_district(district, TODAY)
    finally:
        os.umask(old)
    made = {
        **_modes(district.workbooks_dir),
        **_modes(district.rollup_dir),
        **_modes(district.reports_dir),
    }
    assert len(made) >= 6 + 3 + 2
    assert set(made.values()) == {mode}, made


@as_root
def test_new_files_in_a_setgid_folder_take_its_group(make_district):
    district = make_district()
    rollup = district.rollup_dir
    rollup.mkdir()
    os.chown(rollup, -1, OTHER_GID)
    os.chmod(rollup, 0o2775)

    run_sync(district)

    groups = {path.name: path.stat().st_gid for path in rollup.iterdir() if path.is_file()}
    assert {"District Rollup.xlsx", "history.sqlite", state.STATE_NAME} <= set(groups)
    assert set(groups.values()) == {OTHER_GID}


# -- 4. folders that must not meet ---------


def _config(tmp_path: Path, **changes) -> Path:
    data = {**CONFIG, **changes}
    path = tmp_path / "district.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"rollup": "workbooks/rollup"}, "rollup: workbooks/rollup is inside the workbooks folder"),
        ({"reports": "workbooks"}, "reports: workbooks is inside the workbooks folder"),
        ({"workbooks": ".", "reports": "out"}, "rollup: rollup is inside the workbooks folder"),
        ({"workbooks": "rollup/schools"}, "rollup: rollup holds the workbooks folder"),
        ({"reports": "/", "rollup": "/tmp/r"}, "reports: / holds the workbooks folder"),
        (
            {"schools": [{"id": "Reports", "name": "Reports Academy"}]},
            "schools[0].id: 'Reports' is the name of the district's own rollup or reports folder",
        ),
        (
            {"schools": [{"id": "rollup", "name": "Rollup High"}]},
            "schools[0].id: 'rollup' is the name",
        ),
    ],
)
def test_folders_that_meet_are_refused_at_load_with_one_line(tmp_path, changes, message):
    path = _config(tmp_path, **changes)
    # One line per problem, each naming the file, the line of the key at fault and the key.
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    lines = str(raised.value).splitlines()
    assert all(re.match(r"^district\.yaml, line \d+: ", line) for line in lines)
    assert any(message in line for line in lines)
    outcome = CliRunner().invoke(main, ["sync", str(path)])
    assert outcome.exit_code == 1 and outcome.output.count("\n") == len(lines)
    assert not (tmp_path / "workbooks").exists()


def test_folders_beside_each_other_are_accepted(tmp_path):
    path = _config(tmp_path, workbooks="plans/schools", rollup="plans/rollup", reports="web")
    assert load_config(path).rollup_dir == tmp_path / "plans/rollup"


# -- 5. the demo never touches a real district ---------


def test_the_demo_refuses_a_folder_it_did_not_make_and_writes_nothing(tmp_path):
    real = tmp_path / "district"
    (real / "workbooks" / "north").mkdir(parents=True)
    (real / "district.yaml").write_text("district: Real\n")
    before = sorted(p.relative_to(real) for p in real.rglob("*"))

    outcome = CliRunner().invoke(main, ["demo", str(real)])

    assert outcome.exit_code == 1
    assert outcome.output.strip().endswith("choose a new or empty folder.")
    assert outcome.output.count("\n") == 1
    assert sorted(p.relative_to(real) for p in real.rglob("*")) == before


def test_the_demo_refuses_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DemoFolderRefused, match="is not a folder"):
        claim_folder(tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_demo_takes_a_missing_or_empty_folder_and_its_own_again(tmp_path):
    claim_folder(tmp_path / "new")
    empty = tmp_path / "empty"
    empty.mkdir()
    claim_folder(empty)
    assert (tmp_path / "new" / MARKER_NAME).is_file() and (empty / MARKER_NAME).is_file()
    (empty / "workbooks" / "north").mkdir(parents=True)
    (empty / "district.yaml").write_text("district: Demo\n")
    (empty / "my notes.txt").write_text("kept")

    claim_folder(empty)

    assert sorted(p.name for p in empty.iterdir()) == [MARKER_NAME, "my notes.txt"]


def test_a_marker_that_is_a_link_does_not_count(tmp_path):
    real = tmp_path / "district"
    real.mkdir()
    (real / "district.yaml").write_text("district: Real\n")
    (tmp_path / "marker").write_text("")
    (real / MARKER_NAME).symlink_to(tmp_path / "marker")
    with pytest.raises(DemoFolderRefused):
        claim_folder(real)
    assert (real / "district.yaml").read_text() == "district: Real\n"


# -- 6. the run's own files under contention and faults ---------


@pytest.fixture
def short_waits(monkeypatch):
    monkeypatch.setattr(state, "BUSY_SECONDS", 0.2)
    monkeypatch.setattr(history, "BUSY_SECONDS", 0.2)


def _held(path: Path) -> sqlite3.Connection:
    """Another program holding the file (a backup tool writing, say)."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def test_a_state_file_held_by_another_program_is_one_line_and_exit_1(make_district, short_waits):
    district = make_district()
    run_sync(district)
    state_file = district.rollup_dir / state.STATE_NAME
    before_state = state_file.read_bytes()
    before = snapshot_files(district.workbooks_dir)
    rollup = (district.rollup_dir / "District Rollup.xlsx").read_bytes()
    holder = _held(state_file)
    try:
        with pytest.raises(RunStateError, match="in use by another program") as raised:
            run_sync(district, full=True)
        outcome = CliRunner().invoke(main, ["sync", str(district.base_dir / "district.yaml")])
    finally:
        holder.rollback()
        holder.close()
    assert str(state_file) in str(raised.value)
    assert outcome.exit_code == 1 and outcome.output.count("\n") == 1
    assert "in use by another program" in outcome.output
    # nothing half written: the state, the workbooks and the rollup are as they were
    assert state_file.read_bytes() == before_state
    assert_nothing_lost(before, district.workbooks_dir)
    assert (district.rollup_dir / "District Rollup.xlsx").read_bytes() == rollup
    assert school_issues(run_sync(district), "north") == []  # the next night works


def test_a_history_held_by_another_program_is_one_line_and_exit_1(make_district, short_waits):
    district = make_district()
    run_sync(district)
    history_file = district.rollup_dir / history.HISTORY_NAME
    holder = _held(history_file)
    try:
        outcome = CliRunner().invoke(
            main, ["sync", str(district.base_dir / "district.yaml"), "--today", "2026-11-28"]
        )
    finally:
        holder.rollback()
        holder.close()
    assert outcome.exit_code == 1 and outcome.output.count("\n") == 1
    assert f"The sync's history file {history_file} is in use by another program" in outcome.output
    run_sync(district, today=TODAY.replace(day=28))  # the next night records again
    recorded = history.open_history(history_file, writable=False)
    assert [day.day for day in recorded.days()] == [27, 28]
    recorded.close()


@pytest.mark.parametrize("spoil", ["a folder", "garbage", "empty"])
def test_a_state_file_that_is_not_a_state_is_one_line_or_a_rebuild(make_district, spoil):
    district = make_district()
    run_sync(district)
    state_file = district.rollup_dir / state.STATE_NAME
    state_file.unlink()
    if spoil == "a folder":
        state_file.mkdir()
        with pytest.raises(RunStateError, match="is not a file .* move it away"):
            run_sync(district)
        return
    state_file.write_bytes(b"\x00garbage" * 100 if spoil == "garbage" else b"")
    result = run_sync(district)
    assert school_issues(result, "north") == [] and result.workbooks_read == 6


def _full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_workbooks_folder_leaves_every_school_file_as_it_was(make_district, monkeypatch):
    district = make_district()
    before = snapshot_files(district.workbooks_dir)
    with monkeypatch.context() as patched:
        patched.setattr(package, "replace_keeping_owner", _full)
        result = run_sync(district)
    issue = north_issue(result, "summary-not-written")
    assert f"{path_of(district, 'north').parent}" in issue.message
    assert "No space left on device" in issue.message
    assert result.summaries_written == 0
    assert_nothing_lost(before, district.workbooks_dir)  # and no temporary file left behind
    assert run_sync(district).summaries_written == 2  # the next night works


def test_a_full_rollup_folder_is_one_line_naming_it(make_district, monkeypatch):
    district = make_district()
    before = snapshot_files(district.workbooks_dir)
    with monkeypatch.context() as patched:  # the rollup is saved whole; moving it in fails
        patched.setattr(files, "replace_keeping_owner", _full)
        with pytest.raises(RollupNotWritten, match="No space left on device") as raised:
            run_sync(district)
    assert str(district.rollup_dir) in str(raised.value)
    assert_nothing_lost(before, district.workbooks_dir)
    assert not [p for p in district.rollup_dir.iterdir() if p.name.startswith(".~")]
    assert run_sync(district).rollup_written  # the next night works


def test_a_rollup_that_cannot_be_written_leaves_the_night_recorded_in_a_sound_history(
    make_district, monkeypatch
):
    # The night is recorded while the rollup is written: a rollup that fails does not leave the
    # history half written, nor held, and the next night records over it as usual.
    district = make_district()
    run_sync(district)
    with monkeypatch.context() as patched:
        patched.setattr(files, "replace_keeping_owner", _full)
        with pytest.raises(RollupNotWritten):
            run_sync(district, today=TODAY.replace(day=28))
    history_file = district.rollup_dir / history.HISTORY_NAME
    recorded = history.open_history(history_file, writable=False)
    assert [day.day for day in recorded.days()] == [27, 28]
    assert {s.school_id for s in recorded.snapshots(on=TODAY.replace(day=28))} == {
        "north",
        "south",
    }
    recorded.close()
    assert run_sync(district, today=TODAY.replace(day=28)).rollup_written
    recorded = history.open_history(history_file, writable=False)
    assert [day.day for day in recorded.days()] == [27, 28]
    recorded.close()


def test_a_disk_that_fills_while_the_rollup_is_saved_is_one_line_and_no_noise(
    make_district, monkeypatch
):
    district = make_district()
    ignored: list = []  # what Python would print as "Exception ignored in ..."
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    with monkeypatch.context() as patched:  # the disk fills halfway through the rollup
        patched.setattr(zipfile.ZipFile, "writestr", _full)
        with pytest.raises(RollupNotWritten, match="No space left on device"):
            run_sync(district)
    gc.collect()
    assert ignored == []
    assert not [p for p in district.rollup_dir.iterdir() if p.name.startswith(".~")]
    assert run_sync(district).rollup_written  # the next night works


def test_a_full_reports_folder_is_one_line_naming_it(make_district, monkeypatch):
    district = make_district()
    run_sync(district)
    with monkeypatch.context() as patched:
        patched.setattr(files, "replace_keeping_owner", _full)
        outcome = CliRunner().invoke(
            main, ["report", str(district.base_dir / "district.yaml"), "--today", "2026-11-27"]
        )
    assert outcome.exit_code == 1 and outcome.output.count("\n") == 1
    assert f"in {district.reports_dir}" in outcome.output and "No space left" in outcome.output
    assert not list(district.reports_dir.glob(".~*"))


def test_excel_package_module_is_what_the_store_uses():
    # the monkeypatched names above are the ones the store really calls
    assert excel.store.write_replacing is files.write_replacing
    assert package.replace_keeping_owner is files.replace_keeping_owner


def test_a_school_folder_that_leads_out_of_the_district_is_neither_read_nor_written(
    make_district, tmp_path
):
    district = make_district()
    baseline = run_sync(district)
    outside = tmp_path / "someone-elses"
    shutil.move(district.workbooks_dir / "north", outside)
    (district.workbooks_dir / "north").symlink_to(outside)
    before = snapshot_files(outside)

    result = run_sync(district, full=True)

    for title in ("PM Tool", "Roles and Responsibilities", "Decision Log"):
        issue = north_issue(result, "workbook-not-a-file", title)
        assert f"workbooks/north/{title}.xlsx leads through a link to" in issue.message
        assert "outside the district" in issue.message
    assert_south_unchanged(result, baseline)
    assert_nothing_lost(before, outside)
    (outside / "PM Tool.xlsx").unlink()
    done = {(p.school.id, p.template.id): p for p in provision_district(district)}
    assert done[("north", "pm_tool")].outcome == "refused"
    assert "outside the district's workbooks folder" in done[("north", "pm_tool")].reason
    assert not (outside / "PM Tool.xlsx").exists()


def test_a_district_read_in_the_pool_reports_a_bomb_and_a_pipe_and_rolls_up_the_rest(
    make_district,
):
    schools = [
        {"id": f"school-{n}", "name": f"School {n}", "coach": "Maria Lopez"} for n in range(9)
    ]
    district = make_district(schools=schools)
    assert len(schools) * 3 >= excel_store.PARALLEL_FROM  # read in worker processes
    baseline = run_sync(district)
    bomb, pipe = path_of(district, "school-2"), path_of(district, "school-6", "Decision Log")
    zip_bomb(bomb)
    pipe.unlink()
    os.mkfifo(pipe)

    result = run_sync(district, full=True)

    found = {
        (school.school.id, issue.workbook, issue.rule)
        for school in result.schools
        for issue in school.issues
        if issue.rule.startswith("workbook-")
    }
    assert found == {
        ("school-2", "PM Tool", "workbook-too-large"),
        ("school-6", "Decision Log", "workbook-not-a-file"),
    }
    for school in schools:
        if school["id"] not in ("school-2", "school-6"):
            assert schools_row(result, school["name"]) == schools_row(baseline, school["name"])
