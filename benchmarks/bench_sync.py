"""Benchmark: the nightly sync of a demo district against the naive pandas + openpyxl job.

    python benchmarks/bench_sync.py                    # 200 schools, 600 workbooks
    python benchmarks/bench_sync.py --schools 2000     # a state office
    python benchmarks/bench_sync.py --big-rows 50000   # one school with a 50,000-row tab
    python benchmarks/bench_sync.py --rollover         # the yearly rollover of the district

Builds a demo district in a temporary folder, then times, in one run on the same files:
  * the raw parse of every workbook with python-calamine (the practical floor for reading);
  * the naive job: `pandas.read_excel(path, sheet_name=None)` (openpyxl engine) on every
    workbook, plus loading and saving every PM Tool with openpyxl to add a summary tab;
  * plansync: a full sync, a second sync with nothing changed, and one after 1% of the
    workbooks were edited; each in its own process, so that its peak memory is its own.
It prints the figures and the ratios. It is a script, not a test: machines are shared and noisy,
so read the ratios, and run it twice before trusting a number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import python_calamine

TODAY = dt.date(2026, 11, 27)
TARGETS = {
    "read+check vs raw parse": ("<=", 2.0),
    "naive job vs full sync": (">=", 3.0),
    "naive job vs no-change sync": (">=", 20.0),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, help="Build the district here (default: a temp dir).")
    parser.add_argument("--skip-naive", action="store_true", help="Leave out the naive job.")
    parser.add_argument(
        "--big-rows",
        type=int,
        metavar="N",
        help="Instead: sync one school whose Action Steps tab has N rows (e.g. 50000).",
    )
    parser.add_argument(
        "--rollover",
        action="store_true",
        help="Instead: time `plansync rollover` of the district (default carry) into a new folder.",
    )
    parser.add_argument("--child-sync", nargs=2, metavar=("CONFIG", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_sync:
        _child_sync(Path(args.child_sync[0]), args.child_sync[1])
        return
    with tempfile.TemporaryDirectory(prefix="plansync-bench-") as scratch:
        folder = args.dir or Path(scratch) / "district"
        if args.big_rows:
            run_big(folder, args.big_rows)
        elif args.rollover:
            run_rollover(folder, Path(scratch) / "next-year", args.schools, args.seed)
        else:
            run(folder, Path(scratch), args.schools, args.seed, not args.skip_naive)


def run(folder: Path, scratch: Path, schools: int, seed: int, with_naive: bool) -> None:
    from plansync.demo import write_demo

    started = time.perf_counter()
    district, config = write_demo(folder, schools=schools, seed=seed, today=TODAY)
    build = time.perf_counter() - started
    files = sorted(district.workbooks_dir.glob("*/*.xlsx"))
    size = sum(path.stat().st_size for path in files)
    for path in files:  # warm the file cache so that every contender reads from memory
        path.read_bytes()
    print(
        f"plansync benchmark: {schools} schools, {len(files)} workbooks, "
        f"{size / 1e6:.1f} MB (demo built in {build:.0f} s)"
    )
    print(
        f"python {sys.version.split()[0]}, python-calamine {_version('python-calamine')}, "
        f"openpyxl {_version('openpyxl')}, pandas {_version('pandas')}, "
        f"{_cpu_count()} cores"
    )

    floor = _timed(lambda: [_calamine_parse(path) for path in files])
    full = _sync(config, "full")
    unchanged = _sync(config, "incremental")
    edited = _edit_some(files, share=0.01, seed=seed)
    one_percent = _sync(config, "incremental")
    naive = _naive_job(files, scratch / "naive") if with_naive else None

    print()
    print("  what                                      seconds   ms/workbook")
    _line("raw calamine parse of every workbook", floor, len(files))
    for name, run_ in (
        ("full sync", full),
        ("sync, nothing changed", unchanged),
        (f"sync, {edited} workbooks edited (1%)", one_percent),
    ):
        _line(f"plansync {name}", run_["total"], len(files))
        for phase, seconds in run_["timings"].items():
            _line(f"    {phase}", seconds, len(files))
        print(
            f"        read {run_['read']}, unchanged {run_['unchanged']}, summaries written "
            f"{run_['summaries']}, rollup {'written' if run_['rollup'] else 'unchanged'}, "
            f"peak memory {run_['peak_mb']:.0f} MB (+ {run_['workers_mb']:.0f} MB per reader)"
        )
    if naive is not None:
        _line("naive: pandas.read_excel every workbook", naive["read"], len(files))
        _line("naive: openpyxl load+save every PM Tool", naive["rewrite"], len(files))
        _line("naive job, total", naive["total"], len(files))

    ratios = {
        "read+check vs raw parse": (full["timings"]["read"] + full["timings"]["check"]) / floor
    }
    if naive is not None:
        ratios["naive job vs full sync"] = naive["total"] / full["total"]
        ratios["naive job vs no-change sync"] = naive["total"] / unchanged["total"]
        ratios["naive job vs 1%-edited sync"] = naive["total"] / one_percent["total"]
    print()
    for name, ratio in ratios.items():
        target = TARGETS.get(name)
        verdict = ""
        if target:
            sign, goal = target
            met = ratio <= goal if sign == "<=" else ratio >= goal
            verdict = f"(target {sign} {goal:g}x: {'met' if met else 'NOT met'})"
        print(f"  {name:<32} {ratio:7.2f}x  {verdict}")
    peak = max(run_["peak_mb"] for run_ in (full, unchanged, one_percent))
    print(f"  {'peak memory of a sync':<32} {peak:7.0f} MB  (target for 2,000 schools: <= 1024 MB)")


def run_rollover(folder: Path, new_dir: Path, schools: int, seed: int) -> None:
    """Build the demo district, then roll it over into `new_dir` (strategies and roles carried)
    and check that last year's files are byte for byte as they were."""
    import hashlib

    from plansync.demo import write_demo
    from plansync.rollover import rollover

    district, config = write_demo(folder, schools=schools, seed=seed, today=TODAY)

    def hashes() -> dict[Path, str]:
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}

    before = hashes()
    started = time.perf_counter()
    done = rollover(district, config, new_dir)
    seconds = time.perf_counter() - started
    created = sum(1 for item in done.provisioned if item.outcome == "created")
    print(
        f"plansync rollover: {len(district.schools)} schools, {created} new workbooks, "
        f"{sum(done.carried.values())} rows carried, {seconds:.1f} s "
        f"({1000 * seconds / max(created, 1):.0f} ms/workbook)"
    )
    print(f"  last year's {len(before)} files unchanged: {hashes() == before}")


def run_big(folder: Path, rows: int) -> None:
    """One school whose Action Steps tab holds `rows` rows (written straight into the package, as a
    streaming writer would): the time of each sync phase and the peak memory."""
    today = TODAY
    from plansync.catalog import template_by_id
    from plansync.demo import write_demo
    from plansync.excel.package import put_sheet, sheet_xml
    from plansync.grid import OutSheet
    from plansync.nightly import sync_district

    district, _config = write_demo(folder, schools=1, today=today)
    path = next(district.workbooks_dir.glob("*/PM Tool.xlsx"))
    header = [column.header for column in template_by_id("pm_tool").tab("action_steps").columns]
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
    sheet = OutSheet("Action Steps")
    for row in [header, *body]:
        sheet.add(*row)
    put_sheet(path, "Action Steps", sheet_xml(sheet, protect=False))
    result = sync_district(district, today=today)
    print(
        f"plansync benchmark: one school, {rows} action steps, {path.stat().st_size / 1e6:.1f} MB"
    )
    for phase, seconds in result.timings.items():
        print(f"  plansync {phase:<12} {seconds:8.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process {peak:6.0f} MB")


def _line(label: str, seconds: float, workbooks: int) -> None:
    print(f"  {label:<40} {seconds:8.2f}   {1000 * seconds / workbooks:9.2f}")


def _sync(config: Path, mode: str) -> dict:
    """Run one sync in a fresh process and collect its figures."""
    output = subprocess.run(
        [sys.executable, __file__, "--child-sync", str(config), mode],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _child_sync(config: Path, mode: str) -> None:
    from plansync.config import load_config
    from plansync.nightly import sync_district

    district = load_config(config)
    started = time.perf_counter()
    result = sync_district(district, today=TODAY, full=mode == "full")
    total = time.perf_counter() - started
    print(
        json.dumps(
            {
                "total": total,
                "timings": result.timings,
                "read": result.workbooks_read,
                "unchanged": result.workbooks_unchanged,
                "summaries": result.summaries_written,
                "rollup": result.rollup_written,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "workers_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            }
        )
    )


def _edit_some(files: list[Path], share: float, seed: int) -> int:
    """Edit a share of the workbooks the way a school would: change a cell and save."""
    import openpyxl

    chosen = random.Random(seed).sample(files, max(1, round(len(files) * share)))
    for path in chosen:
        book = openpyxl.load_workbook(path)
        sheet = book.worksheets[2]
        sheet.cell(2, 2).value = f"{sheet.cell(2, 2).value or ''} (revised)"
        book.save(path)
    return len(chosen)


def _naive_job(files: list[Path], scratch: Path) -> dict:
    """What a script written without plansync would do: read everything with pandas, then load
    and save each PM Tool with openpyxl to add a summary tab (saved to copies, not the district)."""
    import openpyxl
    import pandas

    scratch.mkdir(parents=True, exist_ok=True)
    read = _timed(
        lambda: [pandas.read_excel(path, sheet_name=None, engine="openpyxl") for path in files]
    )

    def rewrite() -> None:
        for index, path in enumerate(p for p in files if p.name == "PM Tool.xlsx"):
            book = openpyxl.load_workbook(path)
            name = "Coach Summary"
            if name in book.sheetnames:
                book.remove(book[name])
            book.create_sheet(name).append(["Summary written by the naive job"])
            book.save(scratch / f"{index}.xlsx")

    rewritten = _timed(rewrite)
    shutil.rmtree(scratch, ignore_errors=True)
    return {"read": read, "rewrite": rewritten, "total": read + rewritten}


def _calamine_parse(path: Path) -> int:
    cells = 0
    with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
        for name in book.sheet_names:
            cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python())
    return cells


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    main()
