"""Benchmark: `plansync migrate` on a demo district after the district changed a template.

    python benchmarks/bench_migrate.py                 # 200 schools, 600 workbooks
    python benchmarks/bench_migrate.py --schools 2000

Builds a demo district in a temporary folder and syncs it once, then writes the district's own
templates with a new required column on Action Steps (version 2 of the PM Tool) and a fourth
monitoring cycle in the config, and times: `migrate --dry-run`, `migrate` (every workbook gets the
new cycle in its dropdowns and stamp; every PM Tool the new column), a second `migrate` (nothing to
do) and the sync after it. It is a script, not a test: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

TODAY = dt.date(2026, 11, 27)
COLUMN = {
    "key": "evidence",
    "header": "Evidence Type",
    "type": "choice",
    "required": True,
    "choices": ["Walkthrough", "Student Work", "Survey", "Meeting Notes"],
    "width": 18,
    "help": "What will show that the step was done.",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="plansync-bench-migrate-") as folder:
        run(Path(folder), args.schools, args.seed)


def run(folder: Path, schools: int, seed: int) -> None:
    from plansync.catalog import write_templates
    from plansync.config import load_config
    from plansync.demo import write_demo
    from plansync.migrate import migrate_district
    from plansync.nightly import sync_district

    district, config = write_demo(folder, schools=schools, seed=seed, today=TODAY)
    files = len(list(district.workbooks_dir.glob("*/*.xlsx")))
    sync_district(district, today=TODAY)
    print(f"plansync migrate benchmark: {schools} schools, {files} workbooks")

    write_templates(folder / "templates")
    path = folder / "templates" / "pm_tool.yaml"
    template = yaml.safe_load(path.read_text("utf-8"))
    template["version"] += 1
    steps = next(tab for tab in template["tabs"] if tab["key"] == "action_steps")
    steps["columns"].append(COLUMN)
    path.write_text(yaml.safe_dump(template, sort_keys=False, allow_unicode=True), "utf-8")
    data = yaml.safe_load(Path(config).read_text("utf-8"))
    data["templates"] = "templates"
    data["cycles"].append({"name": "Cycle 4", "start": "2027-05-03", "end": "2027-06-11"})
    Path(config).write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    district = load_config(config)

    print("\n  what                                   seconds   ms/workbook   outcomes")
    for name, action in (
        ("migrate --dry-run", lambda: migrate_district(district, dry_run=True)),
        ("migrate", lambda: migrate_district(district)),
        ("migrate again (nothing to do)", lambda: migrate_district(district)),
    ):
        started = time.perf_counter()
        done = action()
        seconds = time.perf_counter() - started
        outcomes = ", ".join(f"{n} {o}" for o, n in Counter(m.outcome for m in done).items())
        print(f"  {name:<36} {seconds:>8.1f} {1000 * seconds / files:>12.1f}   {outcomes}")
    started = time.perf_counter()
    result = sync_district(district, today=TODAY)
    seconds = time.perf_counter() - started
    missing = sum(1 for issue in result.issues if issue.rule == "column-missing")
    print(
        f"  {'sync after migrate':<36} {seconds:>8.1f} {1000 * seconds / files:>12.1f}   "
        f"{result.need_migrate} need migrate, {missing} column-missing issues"
    )


if __name__ == "__main__":
    sys.exit(main())
