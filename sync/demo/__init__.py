"""The demo: a district of a dozen schools whose plans change over a few nights.

It sits beside the engine, not inside it: it uses the engine (config, provisioning, the sync) as
any caller would, and nothing in the engine imports it. `plansync demo` (cli.py) runs it.

- `district.py` writes the demo config and fills each school's workbooks by its profile.
- `nights.py` plays the nights of history: the schools' edits between syncs.
"""

from .district import CONFIG_NAME, DemoFiller, demo_district, write_demo
from .nights import DemoRun, past_note_spans, past_snapshots, run_demo

__all__ = [
    "CONFIG_NAME",
    "DemoFiller",
    "DemoRun",
    "demo_district",
    "past_note_spans",
    "past_snapshots",
    "run_demo",
    "write_demo",
]
