"""plansync.load: every plan as DataFrames, the same rows the rollup shows, writing nothing."""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from district_helpers import CONFIG, TODAY, good_plan, run_sync
from plansync.api import load
from plansync.catalog import standard_templates
from plansync.errors import ConfigError
from plansync.run_lock import district_lock
from plansync.templates import metric_labels


def _plan_with_faults() -> dict:
    """North's plan: a due date typed as words, a status not in the list, an overdue step."""
    plan = good_plan(" (North)")
    steps = plan["pm_tool"]["action_steps"]
    steps[0]["due_date"] = "TBD"
    steps[1].update(due_date=dt.date(2026, 11, 20), status="Waiting on budget")
    plan["pm_tool"]["strategies"][1]["description"] = None
    return plan


def plain(value: Any) -> Any:
    """A value as both a sheet read back and a frame hold it: blank and missing are None,
    whole numbers int, midnight datetimes dates, categories their text."""
    if value is None or value is pd.NA or value is pd.NaT or value == "":
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        # To the second: a date read back from a serial day number carries float noise.
        value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return value


def _frame_rows(frame: pd.DataFrame, columns: list[str]) -> list[list[Any]]:
    return [[plain(v) for v in row] for row in frame[columns].itertuples(index=False)]


def _sheet_rows(grid: list[list[Any]]) -> list[list[Any]]:
    return [[plain(v) for v in row] for row in grid[1:]]


def test_every_frame_holds_the_rows_the_rollup_shows(make_district, edits):
    schools = [
        *CONFIG["schools"],
        {"id": "west", "name": "West High", "coach": "James Carter", "active": False},
    ]
    district = make_district({"north": _plan_with_faults()}, schools=schools)
    result = run_sync(district)
    sheets = edits.rollup(result.rollup)
    data = load(district, TODAY)

    for template in standard_templates():
        for tab in template.tabs:
            frame = data.table(template.id, tab.key)
            if tab.key == "notes":
                continue  # the rollup shows the coach notes by coach, on a Notes tab of its own
            grid = sheets[tab.title]
            assert grid[0] == ["School", "School ID", "Row", *[c.header for c in tab.columns]]
            keys = ["school_name", "school_id", "row", *[c.key for c in tab.columns]]
            shown, held = _sheet_rows(grid), _frame_rows(frame, keys)
            assert len(held) == len(shown) > 0 or tab.optional, tab.key
            issues = data.issues
            for sheet_row, frame_row in zip(shown, held, strict=True):
                for key, was_shown, value in zip(keys, sheet_row, frame_row, strict=True):
                    if was_shown == value:
                        continue
                    # Only a value that could not be read differs: the rollup shows it as typed,
                    # the frame has it missing and the issues say where.
                    assert value is None and isinstance(was_shown, str), (tab.key, key)
                    found = issues[
                        (issues.school_id == sheet_row[1])
                        & (issues.tab == tab.key)
                        & (issues.row == sheet_row[2])
                        & (issues.column == key)
                    ]
                    assert len(found) == 1, (tab.key, key, sheet_row)

    steps = data.table("pm_tool", "action_steps")
    north = steps[steps.school_id == "north"]
    assert north.due_date.isna().tolist() == [True, False]
    assert north.status.isna().tolist() == [False, True]

    schools = sheets["Schools"]
    labels = metric_labels(standard_templates())
    header = ["School", "School ID", "Coach", "Completeness %", "Last run %", "Change", "Quality %"]
    header += ["Errors", "Warnings", *labels.values(), "Last edit", "Workbooks not read", "Status"]
    assert schools[0] == header
    columns = ["school_name", "school_id", "coach", "completeness", "last_run", "change", "quality"]
    columns += ["errors", "warnings", *labels, "last_edit", "workbooks_not_read", "status"]
    frame = data.schools.copy()
    frame["last_edit"] = frame.last_edit.dt.floor("min")  # the rollup shows the minute
    assert _frame_rows(frame, columns) == _sheet_rows(schools)
    assert frame.status.tolist() == ["Active", "Active", "Inactive"]  # West High left

    assert sheets["Issues"][0][3:] == [
        "Severity",
        "Workbook",
        "Tab",
        "Where",
        "Problem",
        "What to fix",
    ]
    columns = ["school_name", "school_id", "coach", "severity", "workbook", "sheet", "where"]
    assert _frame_rows(data.issues, [*columns, "problem", "message"]) == _sheet_rows(
        sheets["Issues"]
    )
    assert len(data.issues) == len(result.issues) >= 4


def test_columns_have_the_dtypes_of_their_template_types(make_district):
    district = make_district({"north": _plan_with_faults()})
    run_sync(district)
    data = load(district, TODAY)

    steps = data.table("pm_tool", "action_steps")
    assert list(steps.columns) == STEP_COLUMNS
    assert steps.due_date.dtype == "datetime64[ns]" and steps.start_date.dtype == "datetime64[ns]"
    assert steps.step.dtype == "string" and steps.row.dtype == "int64"
    assert isinstance(steps.status.dtype, pd.CategoricalDtype)
    assert list(steps.status.cat.categories) == [
        "Not Started",
        "In Progress",
        "Complete",
        "Blocked",
    ]
    assert steps.start_date.iloc[0] == pd.Timestamp("2026-09-01")
    # Choices sort in the template's order, not alphabetically.
    ordered = steps.dropna(subset=["status"]).sort_values("status").status.tolist()
    assert ordered == ["In Progress", "Complete", "Complete"]

    benchmarks = data.table("pm_tool", "benchmarks")
    assert list(benchmarks.cycle.cat.categories) == ["Cycle 1", "Cycle 2", "Cycle 3"]
    assert list(benchmarks.focus.cat.categories) == [
        "Systems Implementation",
        "Effectiveness",
        "Student Outcomes",
    ]
    assert data.table("roles", "team").email.dtype == "string"

    schools = data.schools
    assert schools.completeness.dtype == "Int64" and schools.overdue_steps.dtype == "Int64"
    assert schools.last_edit.dtype == "datetime64[ns]"
    assert schools.last_run.isna().all()  # the first night: no last run
    north = schools.set_index("school_id").loc["north"]
    assert (north.overdue_steps, north.open_decisions, north.errors) == (1, 1, 3)

    issues = data.issues
    assert list(issues.severity.cat.categories) == ["error", "warning"]
    assert issues.row.dtype == "Int64"
    late = issues[issues.rule == "invalid-date"].iloc[0]
    assert (late.template, late.tab, late.sheet, late.cell, late.row, late.column) == (
        "pm_tool",
        "action_steps",
        "Action Steps",
        "D2",
        2,
        "due_date",
    )

    assert set(data.tables()) == {
        (template.id, tab.key) for template in standard_templates() for tab in template.tabs
    }
    with pytest.raises(KeyError, match="pm_tool has no tab 'steps'; its tabs are strategies"):
        data.table("pm_tool", "steps")


def test_history_has_a_row_per_school_per_night_and_per_benchmark(make_district):
    district = make_district()
    run_sync(district, today=dt.date(2026, 11, 20))
    run_sync(district)
    data = load(district, TODAY)

    nights = data.history()
    assert nights[["day", "school_id"]].astype(str).values.tolist() == [
        ["2026-11-20", "north"],
        ["2026-11-20", "south"],
        ["2026-11-27", "north"],
        ["2026-11-27", "south"],
    ]
    assert nights.day.dtype == "datetime64[ns]" and nights.open_decisions.dtype == "Int64"
    assert nights.completeness.tolist() == [100, 100, 100, 100]
    assert data.schools.last_run.tolist() == [100, 100]  # the night before TODAY

    benchmarks = data.history("benchmarks")
    assert len(benchmarks) == 2 * 2 * 8  # two nights, two schools, eight benchmark rows
    assert list(benchmarks.status.cat.categories)[:2] == ["Not Started", "On Track"]
    first = benchmarks.iloc[0]
    assert (first.school_id, first.row, first.cycle, first.status) == (
        "north",
        2,
        "Cycle 1",
        "Met",
    )
    assert data.history("issues").empty  # a good plan has no issues
    with pytest.raises(ValueError, match="choose one of schools, issues, benchmarks"):
        data.history("nights")


STEP_COLUMNS = [
    "school_id",
    "school_name",
    "sheet",
    "row",
    "strategy",
    "step",
    "start_date",
    "due_date",
    "resources",
    "owner",
    "status",
]


@pytest.fixture
def relabelled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The district renames the PM Tool's "Due Date" header to "Deadline" in its template."""
    from plansync import catalog

    folder = tmp_path / "templates"
    folder.mkdir()
    source = Path(str(catalog.resources.files("plansync.sheet_templates")))
    for name in catalog.STANDARD:
        text = (source / f"{name}.yaml").read_text("utf-8")
        if name == "pm_tool":
            assert text.count("header: Due Date") == 1
            text = text.replace("header: Due Date", "header: Deadline")
        (folder / f"{name}.yaml").write_text(text, "utf-8")

    class Resources:
        @staticmethod
        def files(package: str) -> Path:
            return folder

    catalog.standard_templates.cache_clear()
    monkeypatch.setattr(catalog, "resources", Resources)
    yield
    monkeypatch.undo()
    catalog.standard_templates.cache_clear()


@pytest.mark.backends("excel")
def test_a_relabelled_column_keeps_its_key_as_its_name(relabelled, make_district, edits):
    district = make_district()
    result = run_sync(district)
    assert edits.rollup(result.rollup)["Action Steps"][0][6] == "Deadline"
    frame = load(district, TODAY).table("pm_tool", "action_steps")
    assert list(frame) == STEP_COLUMNS
    dates = [pd.Timestamp("2026-10-01"), pd.Timestamp("2026-12-05")]
    assert frame.due_date.tolist() == dates * 2


# -- load writes nothing --------------------------------------------------------------------------


def _every_file(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_load_writes_nothing_anywhere(make_district, edits, backend, tmp_path):
    district = make_district()
    run_sync(district, today=dt.date(2026, 11, 20))
    run_sync(district)
    # A workbook edited since the sync: load reads it from its file, and still records nothing.
    edits.set_cells(district, "south", "Action Steps", {"B2": "A step typed after the sync"})
    lock = district.rollup_dir / ".plansync-sync.lock"
    assert (district.rollup_dir / ".plansync-state.sqlite").is_file() and lock.is_file()
    if backend == "google":
        google = edits.fake
        versions = {file.id: file.version for file in google.spreadsheets()}
        google.reset_counts()
    files = _every_file(tmp_path)

    data = load(district, TODAY)
    data.schools, data.issues, data.tables(), data.history(), data.history("benchmarks")

    assert _every_file(tmp_path) == files
    steps = data.table("pm_tool", "action_steps")
    assert "A step typed after the sync" in steps.step.tolist()
    if backend == "google":
        assert {file.id: file.version for file in google.spreadsheets()} == versions
        writes = [call for call in google.calls if not call.endswith((".get", ".list", "batchGet"))]
        assert writes in ([], ["oauth.token"]), google.calls


@pytest.mark.backends("excel")
def test_load_runs_beside_a_sync_that_holds_the_lock(make_district):
    district = make_district()
    run_sync(district)
    with district_lock(district.rollup_dir):  # a nightly sync is running
        data = load(district, dt.datetime(2026, 11, 27, 9, 30))
    assert data.today == TODAY and data.result.workbooks_unchanged == 6


def test_load_works_with_no_state_and_no_history(make_district, tmp_path):
    district = make_district()  # provisioned, never synced
    files = _every_file(tmp_path)
    data = load(district, TODAY)
    assert _every_file(tmp_path) == files
    assert not district.rollup_dir.exists()
    assert data.schools.completeness.tolist() == [100, 100]
    assert data.history().empty and list(data.history())[:3] == ["day", "school_id", "school_name"]


def test_load_takes_a_config_path_and_refuses_a_bad_one_naming_each_problem(
    make_district, tmp_path
):
    make_district()
    data = load(tmp_path / "district.yaml", "2026-11-27")
    assert data.today == TODAY and len(data.schools) == 2
    (tmp_path / "bad.yaml").write_text("district: X\nschools: []\n", "utf-8")
    with pytest.raises(ConfigError) as raised:
        load(tmp_path / "bad.yaml")
    # One line per problem, each naming the file and the line (the cycles are missing too).
    lines = str(raised.value).splitlines()
    assert all(line.startswith("bad.yaml, line ") for line in lines)
    assert "bad.yaml, line 2: schools: needs at least 1 entry" in lines


def test_import_plansync_stays_light_and_load_is_there():
    code = (
        "import sys, plansync; assert 'pandas' not in sys.modules, 'pandas loaded'; "
        "assert callable(plansync.load) and 'pandas' in sys.modules; print(plansync.__version__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0.1.0"
