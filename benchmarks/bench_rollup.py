"""Benchmark: writing the district rollup, openpyxl's own writer against plansync's.

    python benchmarks/bench_rollup.py                     # 200 schools
    python benchmarks/bench_rollup.py --copy-of DIR       # built by bench_sync.py --build-only

Builds (or copies) a demo district, syncs it once, then times on the same rollup, best of three:
building its sheets from the night's findings, writing them with openpyxl's write-only workbook,
and writing them with `excel/rollup_file.py` (openpyxl's frame, the rows written as XML). It checks
that both files hold the same cells, read back with python-calamine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

import python_calamine

TODAY = dt.date(2026, 11, 27)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--copy-of", type=Path, metavar="DIR")
    args = parser.parse_args(argv)

    from plansync.config import load_config
    from plansync.demo import CONFIG_NAME, write_demo
    from plansync.excel.render import rollup_workbook
    from plansync.excel.rollup_file import write_rollup_file
    from plansync.nightly import sync_district
    from plansync.reports.rollup import build_rollup

    with tempfile.TemporaryDirectory(prefix="plansync-rollup-") as scratch:
        folder = Path(scratch) / "district"
        if args.copy_of:
            shutil.copytree(args.copy_of, folder, symlinks=True)
            district = load_config(folder / CONFIG_NAME)
        else:
            district, _config = write_demo(folder, schools=args.schools, today=TODAY)
        result = sync_district(district, today=TODAY)
        built = _best(lambda: build_rollup(result))
        sheets = build_rollup(result)
        cells = sum(len(row) for sheet in sheets for row in sheet.rows)
        old, new = Path(scratch) / "openpyxl.xlsx", Path(scratch) / "plansync.xlsx"
        by_openpyxl = _best(lambda: rollup_workbook(sheets).save(old))
        by_plansync = _best(lambda: write_rollup_file(sheets, new))
        same = _values(old) == _values(new)
    print(f"rollup of {len(result.schools)} schools: {len(sheets)} tabs, {cells:,} cells")
    print(f"python {sys.version.split()[0]}, best of three runs")
    print(f"  build the sheets from the findings   {built:6.2f} s")
    print(f"  write with openpyxl (write-only)     {by_openpyxl:6.2f} s")
    print(f"  write with rollup_file.py            {by_plansync:6.2f} s")
    print(f"  openpyxl / rollup_file.py            {by_openpyxl / by_plansync:6.2f}x")
    print(f"  same cells in both files             {'yes' if same else 'NO'}")


def _best(run) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def _values(path: Path) -> dict[str, list]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


if __name__ == "__main__":
    main()
