"""The Python API for analysts: `plansync.load(config)` gives every plan as pandas DataFrames.

    import plansync
    d = plansync.load("district.yaml")
    d.schools                            # one row per school
    d.issues                             # one row per issue, with its place
    d.table("pm_tool", "action_steps")   # every school's rows of one tab
    d.tables()                           # {(template id, tab key): frame} for every tab
    d.history()                          # one row per school per night ("issues", "benchmarks")

`load` reads and checks the workbooks as the sync does, through the same store and readers, and
takes each workbook nobody changed since the last sync from the sync's state store instead of
parsing it again. It writes nothing anywhere: not into a workbook, not into the state store or
the history (both are opened read-only), not even the sync's lock file. The frames are built
when first asked for (see frames.py for their columns and dtypes).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path

import pandas as pd

from .catalog import standard_templates
from .config import District, load_config
from .frames import (
    benchmark_history_frame,
    history_frame,
    issue_history_frame,
    issues_frame,
    schools_frame,
    table_frame,
)
from .history import HISTORY_NAME, open_history
from .nightly import Progress, read_and_check
from .results import SchoolSnapshot, SyncResult
from .store import Store, check_folders
from .templates import Template

HISTORY_KINDS = ("schools", "issues", "benchmarks")


def load(
    config: str | Path | District,
    today: dt.date | str | None = None,
    *,
    store: Store | None = None,
    progress: Progress | None = None,
) -> PlanData:
    """Read and check every school's workbooks as `plansync report` does and return the plans
    as DataFrames. `today` (a date or "YYYY-MM-DD"; default: today) is the day overdue checks
    use. Writes nothing. A bad config raises plansync.errors.ConfigError with a one-line reason.
    """
    district = config if isinstance(config, District) else load_config(Path(config))
    if isinstance(today, str):
        day = dt.date.fromisoformat(today)
    elif isinstance(today, dt.datetime):
        day = today.date()
    else:
        day = today or dt.date.today()
    check_folders(district, for_sync=True)
    result = read_and_check(district, day, store=store, progress=progress, keep_state=False)
    history = open_history(
        district.rollup_dir / HISTORY_NAME, writable=False, aliases=district.id_aliases()
    )
    previous = history.previous(day)
    history.close()
    for school in result.schools:
        school.previous = previous.get(school.school.id)
    return PlanData(result, notes=history.notes)


class PlanData:
    """A district's plans as DataFrames, from one read of every workbook (see `load`).

    Frames are built once, when first asked for, and shared: copy one before changing it in
    place. Columns are the templates' keys, so they keep their names when a label changes."""

    def __init__(self, result: SyncResult, notes: list[str] | None = None):
        self.result = result
        self.district = result.district
        self.today = result.today
        # What the person loading should know (a history that could not be read, say).
        self.notes = list(notes or [])
        self.templates: tuple[Template, ...] = standard_templates()
        self._tables: dict[tuple[str, str], pd.DataFrame] = {}
        self._history: dict[str, pd.DataFrame] = {}

    def __repr__(self) -> str:
        return (
            f"<PlanData {self.district.district}: {len(self.result.schools)} schools, "
            f"{len(self.result.issues)} issues, checked for {self.today.isoformat()}>"
        )

    @cached_property
    def schools(self) -> pd.DataFrame:
        """One row per school: completeness (now and at the last run), errors, warnings, the
        templates' figures by metric id, last edit, workbooks that could not be read."""
        return schools_frame(self.result, self.templates)

    @cached_property
    def issues(self) -> pd.DataFrame:
        """One row per issue: school, workbook, tab, cell (row and column key), rule, severity,
        message."""
        return issues_frame(self.result)

    def table(self, workbook: str, tab: str) -> pd.DataFrame:
        """Every school's rows of one tab, by template id and tab key, e.g. ("pm_tool",
        "action_steps"): school_id, school_name, sheet and row, then the tab's column keys."""
        key = (workbook, tab)
        if key not in self._tables:
            template = self._template(workbook)
            try:
                spec = template.tab(tab)
            except KeyError:
                tabs = ", ".join(t.key for t in template.tabs)
                raise KeyError(f"{workbook} has no tab {tab!r}; its tabs are {tabs}") from None
            self._tables[key] = table_frame(self.result, template, spec)
        return self._tables[key]

    def tables(self) -> dict[tuple[str, str], pd.DataFrame]:
        """Every tab of every template, by (template id, tab key), in the templates' order."""
        return {
            (template.id, tab.key): self.table(template.id, tab.key)
            for template in self.templates
            for tab in template.tabs
        }

    def history(self, kind: str = "schools") -> pd.DataFrame:
        """The nightly snapshots the sync recorded, oldest first. "schools": one row per school
        per night; "issues": issue counts per school, night and rule; "benchmarks": every
        benchmark row per school per night, with its cycle, focus and status then."""
        if kind not in HISTORY_KINDS:
            raise ValueError(f"history kind {kind!r}: choose one of {', '.join(HISTORY_KINDS)}")
        if kind not in self._history:
            snapshots = self._snapshots(benchmarks=kind == "benchmarks")
            cycles = [cycle.name for cycle in self.district.cycles]
            if kind == "schools":
                frame = history_frame(snapshots, self.templates)
            elif kind == "issues":
                frame = issue_history_frame(snapshots)
            else:
                frame = benchmark_history_frame(snapshots, self.templates, cycles)
            self._history[kind] = frame
        return self._history[kind]

    def _snapshots(self, benchmarks: bool) -> list[SchoolSnapshot]:
        # A renamed school's nights under its previous ids read as its id now.
        history = open_history(
            self.district.rollup_dir / HISTORY_NAME,
            writable=False,
            aliases=self.district.id_aliases(),
        )
        snapshots = history.snapshots(benchmarks=benchmarks)
        history.close()
        self.notes += [note for note in history.notes if note not in self.notes]
        return snapshots

    def _template(self, template_id: str) -> Template:
        for template in self.templates:
            if template.id == template_id:
                return template
        known = ", ".join(template.id for template in self.templates)
        raise KeyError(f"no workbook template {template_id!r}; the templates are {known}")
