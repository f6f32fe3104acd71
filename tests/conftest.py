"""Fixtures and hooks: a district of real workbooks in tmp_path, on either backend.

Every test that builds a district runs once per backend: real .xlsx files, and Google spreadsheets
in the in-process fake of Sheets and Drive (google_fake.py). `edits` makes a school's structural
changes on either backend; `@pytest.mark.backends("excel")` keeps a test to one backend. The
district, the good plan and the helpers tests share are in district_helpers.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from district_helpers import (
    BACKENDS,
    CONFIG,
    FOLDER_ID,
    SERVICE_ACCOUNT,
    STAFF,
    TYPED_AT,
    Plan,
    good_plan,
    google_config,
)
from edits import ExcelEdits, GoogleEdits
from google_fake import FakeGoogle
from plansync.config import District, School, load_config
from plansync.google import client as google_client
from plansync.layout import WorkbookPlan
from plansync.provision import provision_district
from plansync.templates import Template


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends(*names): run only on these backends")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        metafunc.parametrize("backend", marker.args if marker else BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The store a test's district lives in: "excel" or "google"."""
    return request.param


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> FakeGoogle:
    """The fake Sheets and Drive, put where the Google store sends its requests, with a shared
    drive folder for the district; retries wait on the fake's clock."""
    fake = FakeGoogle()
    fake.folder(FOLDER_ID, {SERVICE_ACCOUNT: "fileOrganizer", STAFF: "writer"})
    monkeypatch.setattr(google_client, "network_adapter", lambda: fake)
    monkeypatch.setattr(google_client.RetryingHTTPClient, "sleep", staticmethod(fake.sleep))
    monkeypatch.setattr(google_client.RetryingHTTPClient, "clock", staticmethod(fake.clock))
    return fake


@pytest.fixture
def edits(backend: str, request: pytest.FixtureRequest) -> ExcelEdits | GoogleEdits:
    """A school's structural edits (rename a tab, delete a workbook, ...) on the test's backend."""
    if backend == "google":
        return GoogleEdits(request.getfixturevalue("google"), STAFF)
    return ExcelEdits()


@pytest.fixture
def make_district(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> Callable[..., District]:
    """Write a config and provision every school with a plan (default: the good plan, tagged per
    school). `plans` maps school id -> plan; `schools` replaces the config's school list."""
    fake = request.getfixturevalue("google") if backend == "google" else None

    def build(
        plans: dict[str, Plan] | None = None,
        schools: list[dict[str, Any]] | None = None,
        **config_changes: Any,
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

        def fill(school: School, template: Template, plan: WorkbookPlan) -> WorkbookPlan:
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
