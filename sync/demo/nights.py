"""A few nights of history for the demo, so its report shows schools moving.

The demo's plans are written as they stand `today`. To give the history real trends the demo first
writes them as they stood six weeks earlier and runs the sync on a night every two weeks, editing
the workbooks between runs the way teams do: action steps marked Complete once done, benchmarks
entered when a cycle begins and their results when it ends, missing cells filled in, and two
schools sliding back (one lost its decision log, one renamed a tab and a column last week).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..catalog import district_templates
from ..config import District
from ..history import HISTORY_NAME, SchoolSnapshot, open_history
from ..layout import WorkbookPlan, plan_workbook
from ..nightly import Progress, sync_district
from ..results import NoteSpan, SyncResult
from ..store import open_store
from .district import DemoFiller, write_demo

NIGHTS = 4
DAYS_APART = 14

# A workbook's content: each tab's title, headers and rows.
Signature = tuple[tuple[str, tuple[str, ...], str], ...]
# Each workbook's plan on a night, by (school id, template id), with a signature of its content
# (None, with no plan, for a workbook the school does not have that night).
Plans = dict[tuple[str, str], tuple[Signature | None, WorkbookPlan | None]]


@dataclass
class DemoRun:
    district: District
    config: Path
    nights: list[dt.date]
    # The last night's sync.
    result: SyncResult


def demo_nights(today: dt.date) -> list[dt.date]:
    """The nights the demo syncs, oldest first, ending today."""
    return [today - dt.timedelta(days=DAYS_APART * back) for back in range(NIGHTS - 1, -1, -1)]


def run_demo(
    folder: Path, *, schools: int, seed: int, today: dt.date, progress: Progress | None = None
) -> DemoRun:
    """Write the demo district as it stood on the first night, then sync it night by night,
    editing the workbooks between runs. Only the last night writes the summary tabs (they are
    rewritten every night, so earlier ones would be replaced anyway)."""
    nights = demo_nights(today)
    district, config = write_demo(folder, schools=schools, seed=seed, today=today, night=nights[0])
    plans = _plans(district, DemoFiller(district, seed, today, nights[0]))
    result: SyncResult | None = None
    for night in nights:
        if night != nights[0]:
            plans = _edit(district, DemoFiller(district, seed, today, night), plans)
        result = sync_district(district, today=night, write_back=night == today, progress=progress)
    assert result is not None  # there is always at least one night
    return DemoRun(district, config, nights, result)


def past_note_spans(run: DemoRun) -> list[NoteSpan]:
    """Every coach note the demo's nights recorded, for how long notes stay open."""
    history = open_history(run.district.rollup_dir / HISTORY_NAME, writable=False)
    spans = history.note_spans()
    history.close()
    return spans


def past_snapshots(run: DemoRun) -> list[SchoolSnapshot]:
    """The nights before the last one, for the report's trends."""
    history = open_history(run.district.rollup_dir / HISTORY_NAME, writable=False)
    past = history.snapshots(before=run.nights[-1], benchmarks=False, counts=False)
    history.close()
    return past


def _plans(district: District, filler: DemoFiller) -> Plans:
    """Each workbook's plan on the filler's night with a signature of its content, to tell
    which workbooks a team edited since the night before."""
    plans: Plans = {}
    for school in district.schools:
        for template in district_templates(district):
            plan = filler(school, template, plan_workbook(template, school, district))
            signature = (
                None
                if plan is None
                else tuple((t.title, tuple(t.headers), repr(t.rows)) for t in plan.tables)
            )
            plans[school.id, template.id] = (signature, plan)
    return plans


def _edit(district: District, filler: DemoFiller, before: Plans) -> Plans:
    """Rewrite the workbooks whose content changed since the last night, as a team saving them."""
    store = open_store(district)
    after = _plans(district, filler)
    for school in district.schools:
        for template in district_templates(district):
            signature, plan = after[school.id, template.id]
            if signature == before[school.id, template.id][0]:
                continue
            ref = store.locate(school, template)
            Path(ref.location).unlink(missing_ok=True)
            if plan is not None:
                store.create(ref, plan)
    return after
