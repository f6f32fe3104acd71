"""What the coach notes cost a sync: hashing every row of every PM Tool read, and keeping the
hashes in the state store. Prints the figures beside the whole sync's time.

    .venv/bin/python benchmarks/bench_notes.py --schools 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from plansync.demo.district import write_demo
from plansync.nightly import sync_district
from plansync.notes import notes_rule, row_hashes
from plansync.state import StateStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=200)
    args = parser.parse_args()
    today = dt.date(2026, 12, 1)
    with tempfile.TemporaryDirectory() as folder:
        district, _config = write_demo(
            Path(folder), schools=args.schools, seed=7, today=today, night=today
        )
        started = time.perf_counter()
        result = sync_district(district, today=today, full=True)
        sync_seconds = time.perf_counter() - started
        workbooks = [
            wb.tables
            for school in result.schools
            for wb in school.workbooks
            if wb.tables is not None and notes_rule(wb.tables) is not None
        ]
        started = time.perf_counter()
        hashed = [row_hashes(tables) for tables in workbooks]
        hash_seconds = time.perf_counter() - started
        rows = sum(len(h) for h in hashed)
        with StateStore(Path(folder) / "bench-state.sqlite") as state:
            started = time.perf_counter()
            for tables, hashes in zip(workbooks, hashed, strict=True):
                state.row_marks(tables.ref.location, hashes, today)
            first = time.perf_counter() - started
            started = time.perf_counter()
            for tables, hashes in zip(workbooks, hashed, strict=True):
                state.row_marks(tables.ref.location, hashes, today)
            again = time.perf_counter() - started
            started = time.perf_counter()
            for tables in workbooks:
                state.row_marks(tables.ref.location, None, today)
            unchanged = time.perf_counter() - started
    print(f"{args.schools} schools, {len(workbooks)} PM Tools, {rows} rows hashed")
    print(f"full sync (everything, notes included)    {sync_seconds:7.2f} s")
    print(f"row hashes of every PM Tool               {hash_seconds:7.3f} s")
    print(f"row marks stored, first night             {first:7.3f} s")
    print(f"row marks compared and stored, next night {again:7.3f} s")
    print(f"row marks loaded (workbooks not read)     {unchanged:7.3f} s")


if __name__ == "__main__":
    main()
