"""A demo district: a config, a dozen schools' workbooks filled in the way real teams fill them.

Some plans are complete, some are missing pieces, some have overdue steps, some have dates typed as
words, one renamed a tab and a column, one lost its decision log. Everything is derived from a seed
and from "today", so dates make sense whenever the demo runs; one seed always gives one district.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from pathlib import Path
from typing import Any

from ..config import Coach, Cycle, District, School, dump_config, load_config
from ..layout import WorkbookPlan
from ..provision import provision_district
from ..templates import Template
from .content import Rows, SchoolContent, email_address, slug
from .texts import Level, coach_notes, people

DISTRICT_NAME = "Riverside Unified School District"
CONFIG_NAME = "district.yaml"

# How the demo's schools differ; the first few appear in every demo district, in this order.
PROFILES = [
    "complete",
    "partial",
    "overdue",
    "typos",
    "complete",
    "starting",
    "structural",
    "missing_log",
    "partial",
    "overdue",
    "complete",
    "typos",
]


def demo_district(schools: int, seed: int, today: dt.date) -> District:
    """A district config for the demo: schools, coaches and cycles of the current school year."""
    rng = random.Random(seed)
    year = today.year if today.month >= 7 else today.year - 1
    cycles = (
        Cycle(name="Cycle 1", start=dt.date(year, 8, 18), end=dt.date(year, 10, 31)),
        Cycle(name="Cycle 2", start=dt.date(year, 11, 3), end=dt.date(year + 1, 1, 29)),
        Cycle(name="Cycle 3", start=dt.date(year + 1, 2, 1), end=dt.date(year + 1, 4, 30)),
    )
    coach_names = people().coaches
    coach_count = max(1, min(len(coach_names), (schools + 3) // 4))
    coaches = tuple(
        Coach(name=name, email=email_address(name, "riverside.k12.example"))
        for name in coach_names[:coach_count]
    )
    return District(
        district=DISTRICT_NAME,
        cycles=cycles,
        coaches=coaches,
        schools=tuple(
            School(id=school_id, name=name, coach=coaches[index % coach_count].name)
            for index, (school_id, name) in enumerate(_school_names(schools, rng))
        ),
    )


def _school_names(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(id, name) of `count` schools: the first ones an elementary and a middle school in turn,
    one per place, then every other place and level in an order drawn from `rng`."""
    places, levels = people().places, people().levels
    names = [(place, level) for place in places for level in levels]
    first = [(place, levels[i % 2]) for i, place in enumerate(places)]
    rest = [pair for pair in names if pair not in first]
    rng.shuffle(rest)
    chosen: list[tuple[str, Level]] = (first + rest)[:count]
    while len(chosen) < count:  # very large demos: number the schools
        place, level = names[len(chosen) % len(names)]
        chosen.append((f"{place} {len(chosen) // len(names) + 1}", level))
    return [(slug(f"{place} {level.suffix}"), f"{place} {level.label}") for place, level in chosen]


def write_demo(
    folder: Path,
    schools: int = 12,
    seed: int = 7,
    today: dt.date | None = None,
    night: dt.date | None = None,
) -> tuple[District, Path]:
    """Write the demo config and every school's filled-in workbooks into `folder`, as they stand
    `today` or as they stood on an earlier `night` (nights.py plays the nights in between)."""
    today = today or dt.date.today()
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / CONFIG_NAME
    config_path.write_text(
        _config_header() + dump_config(demo_district(schools, seed, today)), "utf-8"
    )
    district = load_config(config_path)
    filler = DemoFiller(district, seed, today, night)
    provision_district(district, fill=filler)
    return district, config_path


def _config_header() -> str:
    return (
        "# Demo district written by `plansync demo`. Edit freely: add schools, change cycles.\n"
        "# Paths are relative to this file.\n"
    )


class DemoFiller:
    """Fills each plan with content according to the school's profile, as it stands `today` or
    as it stood on an earlier `night`."""

    def __init__(
        self, district: District, seed: int, today: dt.date, night: dt.date | None = None
    ) -> None:
        self.district = district
        self.seed = seed
        self.today = today
        self.night = night or today
        self.index = {school.id: i for i, school in enumerate(district.schools)}

    def __call__(
        self, school: School, template: Template, plan: WorkbookPlan
    ) -> WorkbookPlan | None:
        number = self.index[school.id]
        profile = PROFILES[number % len(PROFILES)]
        rng = random.Random(f"{self.seed}:{school.id}")
        content = SchoolContent(school, profile, rng, self.district, self.today)
        days_back = (self.today - self.night).days
        # The school lost its decision log two weeks ago; before that it had one.
        if profile == "missing_log" and template.id == "decisions" and days_back < 28:
            return None
        rows = content.rows(template.id)
        if template.id == "pm_tool" and days_back > 0:
            rows = as_of(rows, profile, self.night, days_back, self.district)
        if template.id == "pm_tool":
            rows["notes"] = coach_notes_as_of(school, number, self.night, days_back)
        for table in plan.tables:
            table.rows = rows.get(table.tab.key, [])
        # Renamed a tab and a column last week, so the sync no longer finds them as it did.
        if profile == "structural" and template.id == "pm_tool" and days_back < 7:
            steps = next(t for t in plan.tables if t.tab.key == "action_steps")
            steps.title = "Our Action Plan"
            steps.headers = ["Materials" if h == "Resources" else h for h in steps.headers]
        plan.saved_at = content.last_saved() - dt.timedelta(days=days_back)
        return plan


def coach_notes_as_of(
    school: School, number: int, night: dt.date, days_back: int
) -> list[dict[str, Any]]:
    """The school's Coach Notes on a night: the coach writes a note every two weeks from four
    weeks ago; two schools in three answer within ten days, and the coach resolves an
    answered note three weeks after it was written. The rest stay open, so the loop shows both."""
    rows: list[dict[str, Any]] = []
    for index, text in enumerate(coach_notes()):
        written_back = 30 - 14 * index  # days before today the note was written: 30, 16, 2
        if days_back > written_back or written_back < 0:
            continue
        age = written_back - days_back  # days since it was written, on this night
        answers = (number + index) % 3 != 2
        answered = answers and age >= 10
        resolved = answered and age >= 20
        rows.append(
            {
                "date": night - dt.timedelta(days=age),
                "author": school.coach or "Your coach",
                "about": text.about,
                "note": text.note,
                "response": text.response if answered else None,
                "status": "Resolved" if resolved else "Answered" if answered else "Open",
            }
        )
    return rows


def as_of(rows: Rows, profile: str, night: dt.date, days_back: int, district: District) -> Rows:
    """The PM Tool rows a demo plan held on an earlier `night`, from the rows it holds today."""
    rows = copy.deepcopy(rows)
    cycles = {cycle.name: cycle for cycle in district.cycles}
    # Some teams enter a new cycle's benchmarks a few weeks after it begins.
    late = 21 if profile in ("partial", "overdue", "typos") else 0
    benchmarks = []
    for benchmark in rows["benchmarks"]:
        cycle = cycles.get(benchmark["cycle"])
        if cycle is not None and cycle.start + dt.timedelta(days=late) > night:
            continue
        if cycle is not None and cycle.end >= night and benchmark["status"] in ("Met", "Not Met"):
            # results come in when the cycle ends; until then the team judges the trajectory
            met = benchmark["status"] == "Met"
            benchmark.update(status="On Track" if met else "Off Track", actual=None)
        benchmarks.append(benchmark)
    rows["benchmarks"] = benchmarks
    for step in rows["action_steps"]:
        due, start = step["due_date"], step["start_date"]
        if step["status"] == "Complete" and isinstance(due, dt.date) and due >= night:
            begun = isinstance(start, dt.date) and start <= night
            step["status"] = "In Progress" if begun else "Not Started"
    _earlier_gaps(rows, profile, days_back)
    return rows


def _earlier_gaps(rows: Rows, profile: str, days_back: int) -> None:
    """What each kind of school had not filled in yet, `days_back` days ago."""
    if profile in ("complete", "partial") and days_back >= 42:
        for strategy in rows["strategies"][1:]:
            strategy["description"] = None
    if profile == "complete" and days_back >= 28:
        for step in rows["action_steps"][-3:]:
            step["resources"] = step["owner"] = None
    if profile in ("complete", "typos") and days_back >= 14:
        for benchmark in rows["benchmarks"][-2:]:
            benchmark["data_source"] = benchmark["target"] = None
    if profile == "starting":
        rows["goals"] = [] if days_back >= 28 else rows["goals"][:1]
        rows["strategies"] = rows["strategies"][:1] if days_back >= 42 else rows["strategies"]
    if profile == "typos" and days_back >= 28 and rows["action_steps"]:
        rows["action_steps"][0]["start_date"] = "first week of school"
    if profile == "partial" and days_back >= 28:
        rows["goals"] = rows["goals"][:-1]
