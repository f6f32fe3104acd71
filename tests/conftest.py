"""Shared builders: a small district of real workbooks in tmp_path, filled with a complete plan.

`good_plan()` is a plan that breaks no rule on TODAY. Tests copy it, break one thing, provision
real workbooks with it (the same code path `plansync provision` uses) and sync them.

Every test that builds a district runs once per backend: real .xlsx files, and Google spreadsheets
in the in-process fake of Sheets and Drive (google_fake.py). `edits` makes a school's structural
changes on either backend; `@pytest.mark.backends("excel")` keeps a test to one backend.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import yaml
from edits import ExcelEdits, GoogleEdits
from google_fake import FakeGoogle
from plansync.config import District, load_config
from plansync.google import client as google_client
from plansync.issues import flatten
from plansync.nightly import SyncResult, sync_district
from plansync.provision import provision_district

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
    for cycle, status in (("Cycle 1", "Met"), ("Cycle 2", "On Track")):
        for focus in ("Systems Implementation", "Student Outcomes"):
            rows.append(
                {
                    "strategy": strategy,
                    "cycle": cycle,
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
    for strategy in ("MIS 1", "MIS 2"):
        goals += [
            {
                "strategy": strategy,
                "goal": f"Raise reading proficiency from 40% to 55% by May 2027{tag}",
                "goal_type": "Outcome",
                "level": "Student Data",
                "metric": "% proficient",
                "baseline": "40%",
                "target": "55%",
                "target_date": dt.date(2027, 5, 28),
            },
            {
                "strategy": strategy,
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
                    "description": "A daily phonics block in every room.",
                    "stage": "Installation",
                    "owner": "Ana Alvarez",
                },
                {
                    "id": "MIS 2",
                    "strategy": f"Every student comes to school every day{tag}",
                    "description": "We call home early and often.",
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
            ],
            "meetings": [
                {
                    "meeting": "Implementation Team",
                    "frequency": "Weekly",
                    "attendees": "Principal, coach",
                    "next_date": dt.date(2026, 12, 1),
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


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run only on these backends")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        metafunc.parametrize("backend", marker.args if marker else BACKENDS, indirect=True)


@pytest.fixture
def backend(request) -> str:
    """The store a test's district lives in: "excel" or "google"."""
    return request.param


@pytest.fixture
def google(monkeypatch) -> FakeGoogle:
    """The fake Sheets and Drive, put where the Google store sends its requests, with a shared
    drive folder for the district; retries wait on the fake's clock."""
    fake = FakeGoogle()
    fake.folder(FOLDER_ID, {SERVICE_ACCOUNT: "fileOrganizer", STAFF: "writer"})
    monkeypatch.setattr(google_client, "network_adapter", lambda: fake)
    monkeypatch.setattr(google_client.RetryingHTTPClient, "sleep", staticmethod(fake.sleep))
    monkeypatch.setattr(google_client.RetryingHTTPClient, "clock", staticmethod(fake.clock))
    return fake


def google_config(fake: FakeGoogle, folder: Path, config: dict) -> dict:
    """`config` pointed at the fake's folder, with a service-account key file beside it."""
    (folder / "service-account.json").write_text(json.dumps(fake.service_account(SERVICE_ACCOUNT)))
    google = {
        "folder_id": FOLDER_ID,
        "key_file": "service-account.json",
        **config.get("google", {}),
    }
    return {**config, "backend": "google", "google": google}


@pytest.fixture
def edits(backend, request):
    """A school's structural edits (rename a tab, delete a workbook, ...) on the test's backend."""
    if backend == "google":
        return GoogleEdits(request.getfixturevalue("google"), STAFF)
    return ExcelEdits()


@pytest.fixture
def make_district(tmp_path: Path, backend: str, request) -> Callable[..., District]:
    """Write a config and provision every school with a plan (default: the good plan, tagged per
    school). `plans` maps school id -> plan; `schools` replaces the config's school list."""
    fake = request.getfixturevalue("google") if backend == "google" else None

    def build(
        plans: dict[str, Plan] | None = None, schools: list[dict] | None = None, **config_changes
    ) -> District:
        config = copy.deepcopy(CONFIG)
        if schools is not None:
            config["schools"] = schools
        config.update(config_changes)
        if fake is not None:
            config = google_config(fake, tmp_path, config)
        path = tmp_path / "district.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
        district = load_config(path)
        chosen = plans or {}

        def fill(school, template, plan):
            rows = chosen.get(school.id) or good_plan(f" ({school.name})")
            for table in plan.tables:
                table.rows = copy.deepcopy(rows[template.id].get(table.tab.key, []))
            return plan

        provision_district(district, fill=fill)
        if fake is not None:  # the plans were typed by the schools, not by the sync
            for file in fake.spreadsheets():
                fake.edited_by(file.id, STAFF, TYPED_AT)
        return district

    return build


def run_sync(district: District, **options) -> SyncResult:
    return sync_district(district, today=options.pop("today", TODAY), **options)


def school_issues(result: SyncResult, school_id: str, fields=("rule", "sheet", "cell")):
    school = next(s for s in result.schools if s.school.id == school_id)
    return flatten(school.issues, fields)


def workbook_path(district: District, school_id: str, title: str = "PM Tool") -> Path:
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
