"""Benchmark: `plansync.load` plus a DataFrame of every tab, against the no-change nightly sync.

    python benchmarks/bench_frames.py                  # 200 schools, 600 workbooks
    python benchmarks/bench_frames.py --schools 2000   # a state office

Builds a demo district in a temporary folder and syncs it once (which fills the state store). Then,
each in a fresh process and `--repeat` times (the best time counts, the machine being shared):
  * a sync with nothing changed (the yardstick);
  * `plansync.load(config)` followed by `d.table(...)` for every tab of every template, plus the
    schools and issues frames; the seconds of `import plansync.api` (pandas) are shown apart.
The target: load and every frame take no more than twice the no-change sync. It is a script, not
a test: read the ratio, and run it twice before trusting a number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TODAY = dt.date(2026, 11, 27)
TARGET = 2.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each; the best counts.")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "WHAT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(Path(args.child[0]), args.child[1])
        return
    with tempfile.TemporaryDirectory(prefix="plansync-bench-frames-") as scratch:
        run(Path(scratch) / "district", args.schools, args.seed, max(1, args.repeat))


def run(folder: Path, schools: int, seed: int, repeat: int) -> None:
    from plansync.demo import write_demo

    district, config = write_demo(folder, schools=schools, seed=seed, today=TODAY)
    files = sorted(district.workbooks_dir.glob("*/*.xlsx"))
    first = _in_child(config, "sync")
    print(
        f"plansync frames benchmark: {schools} schools, {len(files)} workbooks "
        f"(first sync {first['seconds']:.1f} s)"
    )
    syncs = [_in_child(config, "sync") for _ in range(repeat)]
    loads = [_in_child(config, "load") for _ in range(repeat)]
    sync = min(syncs, key=lambda run_: run_["seconds"])
    load = min(loads, key=lambda run_: run_["seconds"])
    print()
    print(f"  {'what':<48} seconds (best of {repeat})")
    print(f"  {'sync, nothing changed':<48} {sync['seconds']:8.2f}  {_counts(sync)}")
    for phase, seconds in sync["timings"].items():
        print(f"  {'    ' + phase:<48} {seconds:8.2f}")
    print(f"  {'plansync.load + every frame':<48} {load['seconds']:8.2f}  {_counts(load)}")
    print(f"  {'    load (read + check)':<48} {load['load']:8.2f}")
    for phase, seconds in load["timings"].items():
        print(f"  {'        ' + phase:<48} {seconds:8.2f}")
    print(
        f"  {'    frames (' + str(load['frames']) + ' tabs, schools, issues)':<48} "
        f"{load['frames_seconds']:8.2f}"
    )
    print(f"  {'    (import plansync.api, pandas; not counted)':<48} {load['import']:8.2f}")
    print(f"  {'    rows in the frames':<48} {load['rows']:8d}")
    ratio = load["seconds"] / sync["seconds"]
    verdict = "met" if ratio <= TARGET else "NOT met"
    print()
    print(f"  load + frames vs no-change sync  {ratio:6.2f}x  (target <= {TARGET:g}x: {verdict})")


def _counts(run_: dict) -> str:
    return f"({run_['parsed']} workbooks parsed, {run_['unchanged']} from the state store)"


def _in_child(config: Path, what: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(config), what],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _child(config: Path, what: str) -> None:
    if what == "sync":
        from plansync.config import load_config
        from plansync.nightly import sync_district

        district = load_config(config)
        started = time.perf_counter()
        result = sync_district(district, today=TODAY)
        seconds = time.perf_counter() - started
        counts = {"parsed": result.workbooks_read, "unchanged": result.workbooks_unchanged}
        print(json.dumps({"seconds": seconds, "timings": result.timings, **counts}))
        return
    started = time.perf_counter()
    from plansync.api import load

    imported = time.perf_counter() - started
    from plansync.config import load_config

    district = load_config(config)  # read outside the timing, as for the sync
    started = time.perf_counter()
    data = load(district, TODAY)
    loaded = time.perf_counter() - started
    frames = data.tables()
    rows = sum(len(frame) for frame in frames.values())
    rows += len(data.schools) + len(data.issues)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "load": loaded,
                "timings": data.result.timings,
                "frames": len(frames),
                "frames_seconds": seconds - loaded,
                "import": imported,
                "rows": rows,
                "parsed": data.result.workbooks_read,
                "unchanged": data.result.workbooks_unchanged,
            }
        )
    )


if __name__ == "__main__":
    main()
