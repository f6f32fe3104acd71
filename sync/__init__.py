"""plansync: school improvement plans kept in ordinary spreadsheets, checked and rolled up nightly.

The data flows through one module per step: config -> store (backends picks excel/ or google/;
layout) -> tables -> checks -> reports (rollup, summary) -> write-back (the store again).
`nightly.sync_district` runs the whole flow; `cli` is a thin click layer over it.

`plansync.load(config)` gives every plan as pandas DataFrames (see `api`). It is imported when
first used, so that `import plansync` (and the command, and the workers that read workbooks) do
not load pandas and the whole engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .api import PlanData, load

__all__ = ["PlanData", "__version__", "load"]


def __getattr__(name: str) -> Any:
    if name in ("load", "PlanData"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'plansync' has no attribute {name!r}")
