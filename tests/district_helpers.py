"""The test district and what tests use to look at it, shared by every test module.

`CONFIG` is a district of two schools; `good_plan()` is a plan that breaks no rule on TODAY.
Tests copy the plan, break one thing, provision real workbooks with it (the `make_district`
fixture in conftest.py, the same code path `plansync provision` uses) and sync them with
`run_sync`. The Google constants name the in-process fake's service account, shared-drive folder
and district staff (google_fake.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from google_fake import FakeGoogle
from plansync.config import District
from plansync.nightly import sync_district
from plansync.results import SyncResult, flatten

TODAY = dt.date(2026, 11, 27)
# The tabs of a provisioned PM Tool, in order, on either backend.
PM_TOOL_TABS = [
    "Instructions",
    "Coach Summary",
    "Strategies",
    "EOY Goals",
    "Benchmarks",
    "Action Steps",
    "Fidelity",
    "Coach Notes",
    "_plansync",
]
BACKENDS = ("excel", "google")
SERVICE_ACCOUNT = "plansync@test-district.iam.gserviceaccount.com"
FOLDER_ID = "district-folder"
# District staff, members of the shared drive: the tests edit spreadsheets as this person.
STAFF = "staff@test-district.example"
# When the schools typed their plans (Google records who changed a spreadsheet and when).
TYPED_AT = dt.datetime(2026, 11, 26, 15, 2, tzinfo=dt.UTC)

CONFIG = {
    "district": "Test District",
    "cycles": [
        {"name": "Cycle 1", "start": "2026-08-17", "end": "2026-10-30"},
        {"name": "Cycle 2", "start": "2026-11-02", "end": "2027-01-29"},
        {"name": "Cycle 3", "start": "2027-02-01", "end": "2027-04-30"},
    ],
    "coaches": [{"name": "Maria Lopez"}, {"name": "James Carter"}],
    "schools": [
        {"id": "north", "name": "North Elementary", "coach": "Maria Lopez"},
        {"id": "south", "name": "South Middle School", "coach": "James Carter"},
    ],
}

Plan = dict[str, dict[str, list[dict]]]


def _benchmarks(strategy: str) -> list[dict]:
    rows = []
    number = strategy.split()[-1]
    for cycle, status, focuses in (
        ("Cycle 1", "Met", ("Systems Implementation", "Student Outcomes")),
        ("Cycle 2", "On Track", ("Effectiveness", "Student Outcomes")),
    ):
        for focus in focuses:
            goal = f"G{number}.1" if focus == "Student Outcomes" else f"G{number}.2"
            rows.append(
                {
                    "strategy": strategy,
                    "cycle": cycle,
                    "goal": goal,
                    "benchmark": f"{strategy} {focus} check",
                    "focus": focus,
                    "data_source": "Lesson plan collection",
                    "target": "80%",
                    "actual": "82%" if status == "Met" else None,
                    "status": status,
                }
            )
    return rows


def good_plan(tag: str = "") -> Plan:
    """A complete plan: every rule is kept on TODAY. `tag` makes a school's text its own."""
    goals = []
    for number, strategy in enumerate(("MIS 1", "MIS 2"), start=1):
        goals += [
            {
                "strategy": strategy,
                "id": f"G{number}.1",
                "goal": f"Raise reading proficiency from 40% to 55% by May 2027{tag}",
                "goal_type": "Outcome",
                "level": "Student Data",
                "metric": "% of all students proficient",
                "baseline": "40%",
                "target": "55%",
                "target_date": dt.date(2027, 5, 28),
            },
            {
                "strategy": strategy,
                "id": f"G{number}.2",
                "goal": f"All teachers run the routine weekly{tag}",
                "goal_type": "Implementation",
                "level": "System",
                "metric": "Lessons per week",
                "baseline": "1",
                "target": "4",
                "target_date": dt.date(2027, 3, 1),
            },
        ]
    return {
        "pm_tool": {
            "strategies": [
                {
                    "id": "MIS 1",
                    "strategy": f"Every classroom teaches phonics daily{tag}",
                    "description": (
                        "Every room teaches a daily phonics block in the same way, so that "
                        "children can read words fluently and spend their effort on meaning."
                    ),
                    "stage": "Installation",
                    "owner": "Ana Alvarez",
                },
                {
                    "id": "MIS 2",
                    "strategy": f"Every student comes to school every day{tag}",
                    "description": (
                        "We call home early and often when a child misses school, and we "
                        "celebrate good attendance with families every month of the year."
                    ),
                    "stage": "Exploration",
                    "owner": "Ben Brooks",
                },
            ],
            "goals": goals,
            "benchmarks": _benchmarks("MIS 1") + _benchmarks("MIS 2"),
            "action_steps": [
                {
                    "strategy": "MIS 1",
                    "step": f"Train teachers on the phonics routine{tag}",
                    "start_date": dt.date(2026, 9, 1),
                    "due_date": dt.date(2026, 10, 1),
                    "resources": "Two PD afternoons",
                    "owner": "Ana Alvarez",
                    "status": "Complete",
                },
                {
                    "strategy": "MIS 2",
                    "step": f"Set up the attendance team{tag}",
                    "start_date": dt.date(2026, 11, 20),
                    "due_date": dt.date(2026, 12, 5),
                    "resources": "Counselor time",
                    "owner": "Ben Brooks",
                    "status": "In Progress",
                },
            ],
            "fidelity": [],
        },
        "roles": {
            "team": [
                {
                    "name": "Ana Alvarez",
                    "role": "Principal",
                    "email": "ana@school.example",
                    "level": "School",
                },
                {
                    "name": "Ben Brooks",
                    "role": "Coach",
                    "email": "ben@school.example",
                    "level": "School",
                },
            ],
            "responsibilities": [
                {
                    "responsibility": f"Lead walkthroughs{tag}",
                    "owner": "Ana Alvarez",
                    "level": "School",
                    "support": "Walkthrough form",
                    "due_date": dt.date(2026, 12, 15),
                    "status": "In Progress",
                },
                {
                    "responsibility": f"Run the attendance calls{tag}",
                    "owner": "Ben Brooks",
                    "level": "School",
                    "support": "Call log",
                    "due_date": dt.date(2026, 12, 18),
                    "status": "In Progress",
                },
            ],
            "meetings": [
                {
                    "meeting": "Implementation Team",
                    "frequency": "Weekly",
                    "attendees": "Principal, coach",
                    "next_date": dt.date(2026, 12, 1),
                },
            ],
            "meeting_log": [
                {
                    "date": dt.date(2026, 11, 10),
                    "meeting": "Implementation Team",
                    "attendees": "Ana Alvarez, Ben Brooks",
                    "notes": "Cycle 1 results",
                },
                {
                    "date": dt.date(2026, 11, 17),
                    "meeting": "Implementation Team",
                    "attendees": "Ana Alvarez, Ben Brooks",
                    "notes": "Walkthrough schedule agreed",
                },
                {
                    "date": dt.date(2026, 11, 24),
                    "meeting": "Implementation Team",
                    "attendees": "Ana Alvarez, Ben Brooks",
                    "notes": "Cycle 2 benchmarks reviewed",
                },
            ],
        },
        "decisions": {
            "decisions": [
                {
                    "decision": f"Which phonics materials do we use{tag}?",
                    "level": "School",
                    "decided_by": "Leadership team",
                    "due_date": dt.date(2026, 10, 1),
                    "status": "Decided",
                    "outcome": "The adopted program's readers.",
                    "decided_on": dt.date(2026, 9, 28),
                    "rationale": "Aligned to the daily block.",
                },
                {
                    "decision": f"When do data meetings happen{tag}?",
                    "level": "School",
                    "decided_by": "Principal",
                    "due_date": dt.date(2026, 12, 20),
                    "status": "Open",
                },
            ],
            "communication": [
                {
                    "audience": "Families",
                    "message": f"What the reading block looks like{tag}",
                    "messenger": "Principal",
                    "channel": "Newsletter",
                    "date": dt.date(2026, 12, 2),
                },
            ],
        },
    }


def google_config(fake: FakeGoogle, folder: Path, config: dict[str, Any]) -> dict[str, Any]:
    """`config` pointed at the fake's folder, with a service-account key file beside it."""
    (folder / "service-account.json").write_text(json.dumps(fake.service_account(SERVICE_ACCOUNT)))
    google = {
        "folder_id": FOLDER_ID,
        "key_file": "service-account.json",
        **config.get("google", {}),
    }
    return {**config, "backend": "google", "google": google}


def run_sync(district: District, **options: Any) -> SyncResult:
    """The nightly sync of `district` on TODAY (or on `today=`), with the sync's other options."""
    return sync_district(district, today=options.pop("today", TODAY), **options)


def school_issues(
    result: SyncResult, school_id: str, fields: Sequence[str] = ("rule", "sheet", "cell")
) -> list[tuple]:
    """One school's issues as tuples of `fields`, to compare with a literal list."""
    school = next(s for s in result.schools if s.school.id == school_id)
    return flatten(school.issues, fields)


def workbook_path(district: District, school_id: str, title: str = "PM Tool") -> Path:
    """Where a school's .xlsx workbook lives."""
    return district.workbooks_dir / school_id / f"{title}.xlsx"


def edit_workbook(path: Path, change: Callable[[openpyxl.Workbook], None]) -> None:
    """Change a workbook the way a person in a spreadsheet program would (load, edit, save)."""
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)


def package_parts(path: Path) -> dict[str, bytes]:
    """Every part of an .xlsx package, uncompressed."""
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def sheet_part(path: Path, sheet_name: str) -> str:
    """The package part name that holds the named sheet."""
    from plansync.excel.package import _relationship_targets, _sheet_entries, _workbook_part

    with zipfile.ZipFile(path) as package:
        workbook = _workbook_part(package)
        targets = _relationship_targets(package.read("xl/_rels/workbook.xml.rels"), workbook)
        for name, rel_id, _ in _sheet_entries(package.read(workbook)):
            if name == sheet_name:
                return targets[rel_id]
    raise KeyError(sheet_name)


def calls_to(monkeypatch, owner: Any, name: str, who: Callable[..., Any]) -> list[Any]:
    """What `who(*args)` says of each call made to `owner.name` from now on (the calls go
    through), for a test to see which schools a step ran on."""
    seen: list[Any] = []
    real = getattr(owner, name)

    def spy(*args):
        seen.append(who(*args))
        return real(*args)

    monkeypatch.setattr(owner, name, spy)
    return seen


def libreoffice_convert(source: Path, to: str, outdir: Path, scratch: Path) -> Path:
    """Convert `source` with LibreOffice (headless) into `outdir` as `to` ("ods", "csv",
    "xlsx:Calc MS Excel 2007 XML"); returns the new file. LibreOffice runs with a profile of its
    own in `scratch`, so that another LibreOffice running at the same time (a second test run
    on a shared machine) does not make it fail."""
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{scratch / 'lo-profile'}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
        env={**os.environ, "HOME": str(scratch)},
    )
    return outdir / f"{source.stem}.{to.split(':')[0]}"


# What Excel's Save As › "Strict Open XML Spreadsheet" changes in a workbook: the namespaces of
# its parts and its relationships' types (the content types stay as they are).
STRICT_NAMESPACES = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
        b"http://purl.oclc.org/ooxml/spreadsheetml/main"
    ),
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
        b"http://purl.oclc.org/ooxml/officeDocument/relationships"
    ),
}


def save_as_strict(path: Path) -> None:
    """The workbook at `path` as Excel saves it in the Strict Open XML format."""
    parts = package_parts(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            if name != "[Content_Types].xml":
                for transitional, strict in STRICT_NAMESPACES.items():
                    data = data.replace(transitional, strict)
            package.writestr(name, data)
