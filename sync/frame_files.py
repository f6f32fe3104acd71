"""`plansync export`: every frame of `plansync.load` as files a BI tool picks up.

One file per frame, named by what it holds (`schools.csv`, `issues.csv`, `history.csv`,
`pm_tool.action_steps.csv`, ...) and a README.txt describing each file's columns, in CSV, Parquet
(through pyarrow, the `plansync[parquet]` extra) or .xlsx (through the Excel backend's writer,
which writes school text as text, never as a formula). Each file replaces an earlier export's in one
step, so a BI tool reading the folder never sees half a file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import os
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .api import PlanData, load
from .config import District
from .errors import PlansyncError
from .frames import ROW_COLUMNS
from .grid import OutSheet
from .nightly import Progress
from .store import write_file
from .templates import Column, Tab, Template
from .version import __version__

FORMATS = ("csv", "parquet", "xlsx")
PARQUET_EXTRA = "pip install 'plansync[parquet]'"
# The rows an .xlsx sheet holds below its header row.
XLSX_MAX_ROWS = 1_048_575
README = "README.txt"
# README.txt lines are wrapped at this width.
WRAP = 100


class ExportError(PlansyncError):
    """The export cannot be written: a missing library, a folder that cannot be used."""


@dataclass
class Exported:
    """What an export wrote: (file, rows) per frame, the README, and what was left out."""

    folder: Path
    files: list[tuple[Path, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def readme(self) -> Path:
        return self.folder / README


@dataclass(frozen=True)
class FrameFile:
    """One frame to export: its file name (without extension), what it holds, its columns."""

    name: str
    about: str
    frame: Callable[[], pd.DataFrame]
    # Column name -> what it means (template columns: their header and help text).
    columns: dict[str, str]


def export_district(
    config: str | Path | District,
    folder: Path,
    file_format: str = "csv",
    today: dt.date | None = None,
    *,
    progress: Progress | None = None,
) -> Exported:
    """Load the district (writing nothing into it) and write every frame into `folder`."""
    if file_format not in FORMATS:
        raise ExportError(f"--format: choose one of {', '.join(FORMATS)}, not {file_format!r}")
    if file_format == "parquet":
        require_pyarrow()
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file, not a folder")
    data = load(config, today, progress=progress)
    return write_frames(data, folder, file_format)


def require_pyarrow() -> None:
    """Parquet files are written by pyarrow, an optional extra: say how to get it."""
    try:
        importlib.import_module("pyarrow")
    except ImportError:
        raise ExportError(
            f"Parquet files need pyarrow, which is not installed: {PARQUET_EXTRA}"
        ) from None


def write_frames(data: PlanData, folder: Path, file_format: str) -> Exported:
    """Write every frame of `data` into `folder` as `file_format`, and the README."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"The folder {folder} cannot be made ({error.strerror}).") from None
    exported = Exported(folder, notes=list(data.notes))
    written: list[FrameFile] = []
    for item in frame_files(data):
        frame = item.frame()
        path = folder / f"{item.name}.{file_format}"
        if file_format == "xlsx" and len(frame) > XLSX_MAX_ROWS:
            exported.notes.append(
                f"{path.name} was not written: its {len(frame):,} rows are more than an .xlsx "
                "sheet holds. Export as csv or parquet for that table."
            )
            continue
        try:
            _write(frame, path, file_format, item.name)
        except OSError as error:
            raise ExportError(f"{path} cannot be written ({error.strerror}).") from None
        exported.files.append((path, len(frame)))
        written.append(item)
    text = readme_text(data, written, file_format)
    _replace(exported.readme, lambda target: target.write_text(text, "utf-8"))
    return exported


def _write(frame: pd.DataFrame, path: Path, file_format: str, name: str) -> None:
    if file_format == "csv":
        _replace(path, lambda target: frame.to_csv(target, index=False, encoding="utf-8"))
    elif file_format == "parquet":
        _replace(path, lambda target: frame.to_parquet(target, index=False, engine="pyarrow"))
    else:
        write_file(path, [frame_sheet(frame, name)])


def _replace(path: Path, write: Callable[[Path], Any]) -> None:
    """Write to a temporary file beside `path`, then move it over `path` in one step."""
    handle, name = tempfile.mkstemp(prefix=".plansync-export-", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def frame_sheet(frame: pd.DataFrame, name: str) -> OutSheet:
    """A frame as one sheet: a header row of column names, then its rows (missing is blank)."""
    columns = [_cells(frame[column]) for column in frame.columns]
    widths = [min(50, max(10, len(str(column)) + 2)) for column in frame.columns]
    sheet = OutSheet(name[:31], widths=widths, freeze_rows=1, filter_row=1)
    sheet.add(*[str(column) for column in frame.columns], style="header")
    for row in zip(*columns, strict=True):
        sheet.add(*row)
    return sheet


def _cells(series: pd.Series) -> list[Any]:
    """A column as plain Python values a sheet holds: dates as dates, missing as None."""
    missing = series.isna().tolist()
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return [
            None if gone else (v.date() if v == v.normalize() else v.to_pydatetime())
            for v, gone in zip(series, missing, strict=True)
        ]
    values = series.astype(object).tolist()
    return [None if gone else _plain(v) for v, gone in zip(values, missing, strict=True)]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


# -- what each file holds --------------------------------------------------------------------------

_ROW_COLUMNS = {
    "school_id": "The school's id in the district config.",
    "school_name": "The school's name.",
    "sheet": "The tab's name in the school's workbook (teams may rename a tab).",
    "row": "The row in that tab.",
}
_SCHOOL_COLUMNS = {
    "school_id": _ROW_COLUMNS["school_id"],
    "school_name": _ROW_COLUMNS["school_name"],
    "coach": "The school's coach.",
    "completeness": "Share of required cells filled in, 0-100 (rounded down).",
    "last_run": "Completeness at the last sync before this day (blank on a first run).",
    "change": "Completeness now minus at the last run.",
    "quality": "Share of the quality checks the plan passes, 0-100 (the field guides' criteria).",
    "errors": "Issues of severity error.",
    "warnings": "Issues of severity warning.",
}
_SCHOOL_TAIL = {
    "last_edit": "When a school's workbook was last saved by a person.",
    "workbooks_not_read": "Workbooks that are missing or could not be read.",
    "status": "Active, or Inactive for a school marked `active: false` in the config (listed, "
    "never read or checked: its figures are blank).",
}
_ISSUE_COLUMNS = {
    "school_id": _ROW_COLUMNS["school_id"],
    "school_name": _ROW_COLUMNS["school_name"],
    "coach": "The school's coach.",
    "severity": "error (makes the plan incomplete) or warning (to follow up).",
    "workbook": "The workbook's title.",
    "template": "The workbook's template id (as in the table files' names).",
    "tab": "The tab's key (as in the table files' names); blank for the whole workbook.",
    "sheet": "The tab's name in the school's workbook.",
    "cell": "The cell (F7), a whole row (1:1), or blank.",
    "where": "The place as people say it (Owner, row 7), as the rollup's Issues tab shows it.",
    "row": "The cell's row: joins with `row` in the table files.",
    "column": "The column key of the cell, when it is in a column the sync reads.",
    "rule": "The rule's id.",
    "problem": "The rule's title.",
    "message": "What is wrong and what to do, in the school's words.",
}
_HISTORY_COLUMNS = {
    "day": "The night of the sync.",
    "school_id": _ROW_COLUMNS["school_id"],
    "school_name": "The school's name that night.",
    "coach": "The school's coach that night.",
    "completeness": _SCHOOL_COLUMNS["completeness"],
    "expected": "Required cells counted that night.",
    "met": "Required cells filled in that night.",
    "errors": _SCHOOL_COLUMNS["errors"],
    "warnings": _SCHOOL_COLUMNS["warnings"],
    "quality": "The quality score that night; blank before plansync measured it.",
}
_ISSUE_HISTORY_COLUMNS = {
    "day": "The night of the sync.",
    "school_id": _ROW_COLUMNS["school_id"],
    "rule": "The rule's id.",
    "problem": "The rule's title.",
    "count": "How many issues of that rule the school had that night.",
}
_BENCHMARK_HISTORY_COLUMNS = {
    "day": "The night of the sync.",
    "school_id": _ROW_COLUMNS["school_id"],
    "school_name": "The school's name that night.",
    "row": "The benchmark's row in the school's Benchmarks tab that night.",
}


def frame_files(data: PlanData) -> list[FrameFile]:
    """Every file an export writes, in order: schools, issues, history, then each tab."""
    metrics = {m.id: f"{m.label} (the rollup's figure)." for t in data.templates for m in t.metrics}
    benchmark_tab = next(
        (tab for t in data.templates for tab in t.tabs if tab.key == "benchmarks"), None
    )
    benchmark_columns = dict(_BENCHMARK_HISTORY_COLUMNS)
    for key in ("strategy", "cycle", "focus", "benchmark", "target", "actual", "status"):
        benchmark_columns[key] = (
            _template_column(benchmark_tab.column(key)) if benchmark_tab else key
        ) + " As the school typed it that night."
    files = [
        FrameFile(
            "schools",
            "One row per school: completeness, issues and the plan's figures.",
            lambda: data.schools,
            {**_SCHOOL_COLUMNS, **metrics, **_SCHOOL_TAIL},
        ),
        FrameFile(
            "issues",
            "One row per problem the checks found, with its place.",
            lambda: data.issues,
            _ISSUE_COLUMNS,
        ),
        FrameFile(
            "history",
            "One row per school per night the sync recorded.",
            lambda: data.history(),
            {**_HISTORY_COLUMNS, **metrics},
        ),
        FrameFile(
            "history_issues",
            "Issues per school, night and rule (rules without issues that night are left out).",
            lambda: data.history("issues"),
            _ISSUE_HISTORY_COLUMNS,
        ),
        FrameFile(
            "history_benchmarks",
            "Every benchmark row per school per night, with its cycle, focus and status then.",
            lambda: data.history("benchmarks"),
            benchmark_columns,
        ),
    ]
    for template in data.templates:
        for tab in template.tabs:
            files.append(_tab_file(data, template, tab))
    return files


def _tab_file(data: PlanData, template: Template, tab: Tab) -> FrameFile:
    columns = {key: _ROW_COLUMNS[key] for key in ROW_COLUMNS}
    columns.update({column.key: _template_column(column) for column in tab.columns})
    return FrameFile(
        f"{template.id}.{tab.key}",
        f"{template.title} › {tab.title}: every school's {tab.nouns}, one row each.",
        lambda: data.table(template.id, tab.key),
        columns,
    )


def _template_column(column: Column) -> str:
    return f"“{column.header}” in the workbook. {column.help.strip()}"


_FORMAT_NOTES = {
    "csv": (
        "CSV files: UTF-8, comma-separated, one header row of column names. Dates are written "
        "as YYYY-MM-DD (date and time as YYYY-MM-DD HH:MM:SS); an empty field is a missing value."
    ),
    "parquet": (
        "Parquet files (written by pyarrow): dates are timestamps, whole numbers are integers, "
        "choices are dictionary-encoded text; a missing value is null."
    ),
    "xlsx": (
        "Excel workbooks, one sheet each, with one header row of column names. Dates are date "
        "cells; a missing value is an empty cell."
    ),
}


def readme_text(data: PlanData, files: list[FrameFile], file_format: str) -> str:
    """README.txt: what the export holds, file by file and column by column."""
    lines = [
        f"{data.district.district}: plans exported by plansync {__version__}",
        f"Checked for {data.today.isoformat()}; written {dt.datetime.now():%Y-%m-%d %H:%M}.",
        "",
        *textwrap.wrap(_FORMAT_NOTES[file_format], WRAP),
        "",
        *textwrap.wrap(_PROSE, WRAP),
    ]
    for item in files:
        frame = item.frame()
        lines += ["", f"{item.name}.{file_format}  ({len(frame)} rows)"]
        lines += textwrap.wrap(item.about, WRAP, initial_indent="  ", subsequent_indent="  ")
        width = max(len(str(column)) for column in frame.columns)
        for column in frame.columns:
            meaning = item.columns.get(str(column), "")
            text = f"{str(column):<{width}}  {_kind(frame[column])}. {meaning}".rstrip()
            indent = " " * (width + 4)
            lines += textwrap.wrap(text, WRAP, initial_indent="  ", subsequent_indent=indent)
    return "\n".join(lines) + "\n"


_PROSE = (
    "Columns are named by the templates' keys, which stay the same when a header is "
    "relabelled. A value a school typed that could not be read (a date typed as TBD) is "
    "missing in a date, choice or number column; issues lists it with its cell. The files "
    "join on school_id; an issue joins its table file's rows (template.tab) on school_id "
    "and row."
)


def _kind(series: pd.Series) -> str:
    """A column's kind in words, for the README."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        choices = [str(c) for c in dtype.categories]
        return "one of: " + ", ".join(choices) if choices else "choice"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        times = series.dropna()
        return "date" if (times == times.dt.normalize()).all() else "date and time"
    if pd.api.types.is_integer_dtype(dtype):
        return "whole number"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    return "text"
