"""`plansync export`: every frame as CSV, Parquet or .xlsx files with a README, on both backends."""

from __future__ import annotations

import datetime as dt
import sys

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from district_helpers import TODAY, good_plan, run_sync
from plansync import frame_files
from plansync.api import load
from plansync.catalog import standard_templates
from plansync.cli import main

FORMULA_LIKE = '=HYPERLINK("http://example.org", "click")'
TABLE_FILES = [f"{t.id}.{tab.key}" for t in standard_templates() for tab in t.tabs]
FILES = ["schools", "issues", "history", "history_issues", "history_benchmarks", *TABLE_FILES]
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
SCHOOL_COLUMNS = [
    "school_id",
    "school_name",
    "coach",
    "completeness",
    "last_run",
    "change",
    "quality",
    "errors",
    "warnings",
    "strategies",
    "goals",
    "benchmarks",
    "action_steps",
    "overdue_steps",
    "team_members",
    "responsibilities",
    "overdue_responsibilities",
    "decisions",
    "open_decisions",
    "last_edit",
    "workbooks_not_read",
    "status",
]
ISSUE_COLUMNS = [
    "school_id",
    "school_name",
    "coach",
    "severity",
    "workbook",
    "template",
    "tab",
    "sheet",
    "cell",
    "where",
    "row",
    "column",
    "rule",
    "problem",
    "message",
]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _read(path, file_format: str) -> pd.DataFrame:
    if file_format == "csv":
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    if file_format == "parquet":
        return pd.read_parquet(path)
    return pd.read_excel(path, engine="openpyxl")


@pytest.mark.parametrize("file_format", ["csv", "parquet", "xlsx"])
def test_export_writes_every_frame_with_its_columns_and_a_readme(
    make_district, tmp_path, file_format
):
    plan = good_plan(" (North)")
    plan["pm_tool"]["action_steps"][0]["step"] = FORMULA_LIKE
    plan["pm_tool"]["action_steps"][1]["due_date"] = "TBD"
    district = make_district({"north": plan})
    run_sync(district, today=dt.date(2026, 11, 20))
    run_sync(district)
    out = tmp_path / "export"

    result = invoke(
        "export", tmp_path / "district.yaml", out, "--format", file_format, "--today", TODAY
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == f"Wrote {len(FILES)} {file_format} files and README.txt into {out}"
    assert lines[0].split() == [f"schools.{file_format}", "2", "rows"]
    names = sorted(path.name for path in out.iterdir())
    assert names == sorted([*(f"{name}.{file_format}" for name in FILES), "README.txt"])

    data = load(district, TODAY)
    frames = {
        "schools": data.schools,
        "issues": data.issues,
        "history": data.history(),
        "history_issues": data.history("issues"),
        "history_benchmarks": data.history("benchmarks"),
        **{f"{w}.{t}": frame for (w, t), frame in data.tables().items()},
    }
    readme = (out / "README.txt").read_text("utf-8")
    for name, frame in frames.items():
        written = _read(out / f"{name}.{file_format}", file_format)
        assert list(written.columns) == list(frame.columns), name
        assert len(written) == len(frame), name
        assert f"\n{name}.{file_format}  ({len(frame)} rows)\n" in readme
        for column in frame.columns:
            assert f"\n  {column} " in readme, (name, column)
    assert list(frames["schools"]) == SCHOOL_COLUMNS
    assert list(frames["issues"]) == ISSUE_COLUMNS
    assert list(frames["pm_tool.action_steps"]) == STEP_COLUMNS
    assert len(frames["history"]) == 4 and len(frames["issues"]) >= 1

    steps = _read(out / f"pm_tool.action_steps.{file_format}", file_format)
    north = steps[steps.school_id == "north"]
    assert north.step.tolist()[0] == FORMULA_LIKE
    assert north.due_date.isna().tolist() == [False, True]  # "TBD" could not be read
    if file_format == "csv":
        text = (out / "pm_tool.action_steps.csv").read_text("utf-8").splitlines()
        assert text[0] == ",".join(STEP_COLUMNS)
        assert ",2026-09-01,2026-10-01," in text[1]
    if file_format == "parquet":
        assert steps.due_date.dtype == "datetime64[ns]"
        assert isinstance(steps.status.dtype, pd.CategoricalDtype)
        assert list(steps.status.cat.categories) == [
            "Not Started",
            "In Progress",
            "Complete",
            "Blocked",
        ]
    if file_format == "xlsx":
        book = openpyxl.load_workbook(out / "pm_tool.action_steps.xlsx")
        sheet = book.active
        assert sheet.title == "pm_tool.action_steps"
        assert sheet["F2"].value == FORMULA_LIKE and sheet["F2"].data_type == "s"
        assert sheet["G2"].value == dt.datetime(2026, 9, 1)


def test_a_missing_pyarrow_is_one_line_naming_the_extra(make_district, tmp_path, monkeypatch):
    make_district()
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # importing it now fails
    out = tmp_path / "export"
    result = CliRunner().invoke(
        main, ["export", str(tmp_path / "district.yaml"), str(out), "--format", "parquet"]
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: Parquet files need pyarrow, which is not installed: "
        "pip install 'plansync[parquet]'\n"
    )
    assert not out.exists()


@pytest.mark.backends("excel")
def test_a_table_too_long_for_a_sheet_is_left_out_of_an_xlsx_export_with_a_note(
    make_district, tmp_path, monkeypatch
):
    make_district()
    monkeypatch.setattr(frame_files, "XLSX_MAX_ROWS", 6)
    out = tmp_path / "export"
    result = CliRunner().invoke(
        main, ["export", str(tmp_path / "district.yaml"), str(out), "--format", "xlsx"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "pm_tool.benchmarks.xlsx was not written: its 16 rows are more than an .xlsx sheet "
        "holds. Export as csv or parquet for that table."
    ) in result.output
    assert not (out / "pm_tool.benchmarks.xlsx").exists()
    assert (out / "pm_tool.strategies.xlsx").exists()
    assert "pm_tool.benchmarks" not in (out / "README.txt").read_text("utf-8")
