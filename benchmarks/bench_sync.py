"""Benchmark: a nightly sync of a demo district, phase by phase, against pandas + openpyxl.

    python benchmarks/bench_sync.py --schools 200
    python benchmarks/bench_sync.py --big-rows 50000   # one school with a 50,000-row tab

Builds a demo district (200 schools, 600 workbooks by default) in a temporary folder, then times on
the same files in one run:
  * the raw parse of every workbook with python-calamine (the floor for reading);
  * `pandas.read_excel(path, sheet_name=None)` with the openpyxl engine on every workbook;
  * a plansync sync, phase by phase (read, check, write-back, rollup).
and prints the figures and ratios. It is a script, not a test: machines are shared and noisy, so
read the ratios, and run it twice before trusting a number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

import python_calamine
from plansync.demo import write_demo
from plansync.grid import column_letter
from plansync.nightly import sync_district
from plansync.xlsx_package import put_sheet


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, help="Build the district here (default: a temp dir).")
    parser.add_argument("--skip-pandas", action="store_true", help="Leave out the pandas baseline.")
    parser.add_argument(
        "--big-rows",
        type=int,
        metavar="N",
        help="Instead: sync one school whose Action Steps tab has N rows (e.g. 50000).",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="plansync-bench-") as scratch:
        folder = args.dir or Path(scratch) / "district"
        if args.big_rows:
            run_big(folder, args.big_rows)
        else:
            run(folder, args.schools, args.seed, not args.skip_pandas)


def run(folder: Path, schools: int, seed: int, with_pandas: bool) -> None:
    today = dt.date(2026, 11, 27)
    started = time.perf_counter()
    district, _config = write_demo(folder, schools=schools, seed=seed, today=today)
    build = time.perf_counter() - started
    files = sorted(district.workbooks_dir.glob("*/*.xlsx"))
    size = sum(path.stat().st_size for path in files)
    for path in files:  # warm the file cache so that every contender reads from memory
        path.read_bytes()

    floor = _timed(lambda: [_calamine_parse(path) for path in files])
    result_holder = {}
    total = _timed(lambda: result_holder.update(result=sync_district(district, today=today)))
    timings = result_holder["result"].timings
    naive = _timed(lambda: [_pandas_read(path) for path in files]) if with_pandas else None

    print(
        f"plansync benchmark: {schools} schools, {len(files)} workbooks, "
        f"{size / 1e6:.1f} MB (built in {build:.1f} s)"
    )
    print(
        f"python {sys.version.split()[0]}, calamine {_version('python-calamine')}, "
        f"openpyxl {_version('openpyxl')}, pandas {_version('pandas')}"
    )
    print()
    rows = [("raw calamine parse (floor)", floor)]
    rows += [(f"plansync {phase}", seconds) for phase, seconds in timings.items()]
    rows += [("plansync sync, all phases", total)]
    if naive is not None:
        rows += [("pandas.read_excel, openpyxl engine", naive)]
    for label, seconds in rows:
        print(f"  {label:<38} {seconds:8.2f} s   {1000 * seconds / len(files):7.1f} ms/workbook")
    print()
    read_check = timings["read"] + timings["check"]
    print(f"  read+check vs raw calamine parse       {read_check / floor:6.2f}x the floor")
    if naive is not None:
        print(f"  pandas read vs plansync read           {naive / timings['read']:6.1f}x slower")
        print(f"  pandas read vs plansync read+check     {naive / read_check:6.1f}x slower")
        print(f"  pandas read vs plansync whole sync     {naive / total:6.1f}x slower")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process            {peak:6.0f} MB")


def run_big(folder: Path, rows: int) -> None:
    """One school whose Action Steps tab holds `rows` rows (written straight into the package, as a
    streaming writer would): the time of each sync phase and the peak memory."""
    today = dt.date(2026, 11, 27)
    district, _config = write_demo(folder, schools=1, today=today)
    path = next(district.workbooks_dir.glob("*/PM Tool.xlsx"))
    header = [
        "Strategy ID",
        "Action Step",
        "Start Date",
        "Due Date",
        "Resources",
        "Owner",
        "Status",
    ]
    body = [
        [
            "MIS 1",
            f"Step {n}",
            "2026-09-01",
            "2027-03-01",
            "Coach time",
            "Ana Alvarez",
            "Not Started",
        ]
        for n in range(2, rows + 2)
    ]
    put_sheet(path, "Action Steps", _worksheet_xml([header, *body]))
    result = sync_district(district, today=today)
    print(
        f"plansync benchmark: one school, {rows} action steps, {path.stat().st_size / 1e6:.1f} MB"
    )
    for phase, seconds in result.timings.items():
        print(f"  plansync {phase:<12} {seconds:8.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process {peak:6.0f} MB")


def _worksheet_xml(rows: list[list[str]]) -> bytes:
    cells = (
        f'<row r="{number}">'
        + "".join(
            f'<c r="{column_letter(column)}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
            for column, value in enumerate(row, start=1)
        )
        + "</row>"
        for number, row in enumerate(rows, start=1)
    )
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(cells)}</sheetData></worksheet>"
    ).encode()


def _calamine_parse(path: Path) -> int:
    cells = 0
    with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
        for name in book.sheet_names:
            cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python())
    return cells


def _pandas_read(path: Path):
    import pandas

    return pandas.read_excel(path, sheet_name=None, engine="openpyxl")


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    main()
