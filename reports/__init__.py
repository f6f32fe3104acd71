"""What plansync writes for people: the district rollup, the coach summary tab and the JSON report.

Each is built from a SyncResult (or one SchoolResult) as backend-neutral sheets (grid.OutSheet);
the store writes them.
"""
