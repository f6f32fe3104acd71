"""plansync: school improvement plans kept in ordinary spreadsheets, checked and rolled up nightly.

The data flows through one module per step: config -> store (backends picks excel/ or google/;
layout) -> tables -> checks -> reports (rollup, summary) -> write-back (the store again).
`nightly.sync_district` runs the whole flow; `cli` is a thin click layer over it.
"""

__version__ = "0.1.0"
