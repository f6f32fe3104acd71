"""The coach notes loop on both backends: a coach writes a note on a school's Coach Notes tab, the
school answers, the coach resolves it; the sync shows it to that school and that coach only, marks
it "changed since" when the school edits what it is about, and records it in the history."""

from __future__ import annotations

import datetime as dt
import sqlite3
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from district_helpers import (
    STAFF,
    TODAY,
    good_plan,
    run_sync,
    school_issues,
    workbook_path,
)
from edits import ExcelEdits, GoogleEdits
from gspread.exceptions import APIError
from plansync.history import HISTORY_NAME, open_history
from plansync.nightly import report_district
from plansync.reports.export import as_json

MARIA = "mlopez@district.example"
JAMES = "jcarter@district.example"
NORTH_TEAM = "principal@north.example"
SOUTH_TEAM = "principal@south.example"
COACHES = [{"name": "Maria Lopez", "email": MARIA}, {"name": "James Carter", "email": JAMES}]
SCHOOLS = [
    {"id": "north", "name": "North Elementary", "coach": "Maria Lopez", "team": [NORTH_TEAM]},
    {"id": "south", "name": "South Middle School", "coach": "James Carter", "team": [SOUTH_TEAM]},
]
NOTE = "Why is this benchmark still <b>Not Started</b>? =1+1"
WRITTEN = dt.date(2026, 11, 24)


def _note(about: str = "Benchmarks, row 2", text: str = NOTE, **more: Any) -> dict[str, Any]:
    return {"date": WRITTEN, "author": "Maria Lopez", "about": about, "note": text, **more}


def _plan_with_notes(*notes: dict[str, Any]) -> dict:
    plan = good_plan(" (North Elementary)")
    plan["pm_tool"]["notes"] = list(notes)
    return plan


@pytest.fixture
def district_with_notes(make_district, backend):
    def build(*notes: dict[str, Any]):
        extra = {"google": {"coach_role": "writer"}} if backend == "google" else {}
        return make_district(
            {"north": _plan_with_notes(*notes)}, schools=SCHOOLS, coaches=COACHES, **extra
        )

    return build


@pytest.fixture
def person(backend, request):
    """Edits made by one person: on Google as that signed-in person, on Excel by whoever opens
    the file (Excel does not know who types)."""

    def edits_by(email: str) -> ExcelEdits | GoogleEdits:
        if backend == "google":
            return GoogleEdits(request.getfixturevalue("google"), email)
        return ExcelEdits()

    return edits_by


def _texts(grid: list[list[Any]]) -> list[str]:
    return [str(cell) for row in grid for cell in row if cell not in (None, "")]


class _Text(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.feed(html)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def test_a_coachs_note_is_shown_to_that_school_and_that_coach_only(district_with_notes, edits):
    district = district_with_notes(_note())
    result = run_sync(district)
    north_summary = _texts(edits.tabs(district, "north")["Coach Summary"])
    assert "Coach notes waiting (1)" in north_summary
    # The notes come first, before the figures.
    assert north_summary.index("Coach notes waiting (1)") < north_summary.index("At a glance")
    assert NOTE in north_summary  # as text: the "=1+1" is not run as a formula
    assert "Nov 24, 2026" in north_summary  # waiting since a date, not a count of days
    south_summary = _texts(edits.tabs(district, "south")["Coach Summary"])
    assert not any("benchmark still" in text for text in south_summary)
    notes = {school["id"]: school["notes"] for school in as_json(result)["schools"]}
    assert notes["south"] == []
    assert notes["north"] == [
        {
            "row": 2,
            "written": "2026-11-24",
            "from": "Maria Lopez",
            "about": "Benchmarks, row 2",
            "points_to": "Benchmarks!A2",
            "status": "Open",
            "days_open": 3,
            "changed_since": None,
        }
    ]

    notes_tab = edits.rollup(result.rollup)["Notes"]
    assert [row[:2] + row[9:10] for row in notes_tab[1:]] == [
        ["Maria Lopez", "North Elementary", NOTE]
    ]

    written = report_district(district, TODAY)
    maria = written.coaches["Maria Lopez"].read_text("utf-8")
    james = written.coaches["James Carter"].read_text("utf-8")
    district_page = written.district.read_text("utf-8")
    assert NOTE in "".join(_Text(maria).parts)
    assert "&lt;b&gt;Not Started&lt;/b&gt;" in maria  # escaped, never markup
    assert "Not Started</b>" not in maria
    assert "benchmark still" not in james
    assert "benchmark still" not in district_page
    assert "Coach notes" in district_page  # counted there, without its words


def test_an_answer_moves_a_note_and_resolved_closes_it_but_keeps_it_in_history(
    district_with_notes, person, edits
):
    district = district_with_notes(_note())
    run_sync(district, today=TODAY - dt.timedelta(days=2))
    person(NORTH_TEAM).set_cells(district, "north", "Coach Notes", {"E2": "We start Monday."})
    person(NORTH_TEAM).set_cells(district, "north", "Coach Notes", {"F2": "Answered"})
    answered = run_sync(district, today=TODAY - dt.timedelta(days=1))
    (note,) = answered.schools[0].open_notes
    assert (note.status, note.response) == ("Answered", "We start Monday.")
    assert "Answered" in _texts(edits.tabs(district, "north")["Coach Summary"])

    person(MARIA).set_cells(district, "north", "Coach Notes", {"F2": "Resolved"})
    resolved = run_sync(district)
    assert resolved.schools[0].open_notes == []
    assert [n.status for n in resolved.schools[0].notes] == ["Resolved"]
    assert "Every note is resolved." in _texts(edits.tabs(district, "north")["Coach Summary"])

    history = open_history(district.rollup_dir / HISTORY_NAME, writable=False)
    (span,) = history.note_spans()
    history.close()
    assert (span.school_id, span.coach, span.written, span.resolved) == (
        "north",
        "Maria Lopez",
        WRITTEN,
        TODAY,
    )


def test_editing_the_row_a_note_is_about_marks_it_changed_since(district_with_notes, edits):
    district = district_with_notes(_note(), _note("Strategies, row 2", "A clearer description?"))
    first = run_sync(district, today=TODAY - dt.timedelta(days=2))
    assert [note.changed_since for note in first.schools[0].notes] == [None, None]
    edits.set_cells(district, "north", "Benchmarks", {"H2": "On Track"})
    second = run_sync(district)
    benchmark, strategy = second.schools[0].notes
    assert benchmark.changed_since is not None and benchmark.changed_since >= WRITTEN
    assert strategy.changed_since is None
    summary = _texts(edits.tabs(district, "north")["Coach Summary"])
    assert f"edited {benchmark.changed_since:%b} {benchmark.changed_since.day}, 2026" in summary


def test_a_note_about_something_that_does_not_exist_is_an_issue_at_its_own_row(
    district_with_notes,
):
    district = district_with_notes(
        _note("Action Steps!F40"),
        _note("Benchmarks, row 60"),
        _note("Roadmap, row 2"),
        _note("MIS 9"),
        _note(""),
        _note("Action Steps!F3"),
        _note("MIS 2"),
    )
    result = run_sync(district)
    found = [i for i in school_issues(result, "north") if i[0].startswith("note-")]
    assert found == [
        ("note-about-unknown", "Coach Notes", "C2"),
        ("note-about-unknown", "Coach Notes", "C3"),
        ("note-about-unknown", "Coach Notes", "C4"),
        ("note-about-unknown", "Coach Notes", "C5"),
        ("note-about-missing", "Coach Notes", "C6"),
    ]
    pointed = [(n.target_sheet, n.target_cell) for n in result.schools[0].notes]
    assert pointed[5:] == [("Action Steps", "F3"), ("Strategies", "A3")]


def test_a_workbook_without_a_notes_tab_is_not_flagged(make_district, edits):
    district = make_district()
    edits.delete_tab(district, "north", "Coach Notes")
    result = run_sync(district)
    assert not [i for i in school_issues(result, "north") if "Coach Notes" in str(i)]


@pytest.mark.backends("google")
def test_on_google_each_side_can_type_only_in_its_own_columns(district_with_notes, person, google):
    district = district_with_notes(_note())
    coach, school = person(MARIA), person(NORTH_TEAM)
    coach.set_cells(district, "north", "Coach Notes", {"D3": "A second question", "F2": "Open"})
    school.set_cells(district, "north", "Coach Notes", {"E2": "Our answer", "F2": "Answered"})
    for who, cell in ((coach, "E2"), (school, "D2"), (school, "A3"), (person(STAFF), "D2")):
        with pytest.raises(APIError) as refused:
            who.set_cells(district, "north", "Coach Notes", {cell: "typed on the wrong side"})
        assert refused.value.response.status_code == 403
    rows = school.rows(district, "north", "Coach Notes")
    assert rows[1][3:6] == [NOTE, "Our answer", "Answered"]
    # The other coach is not an editor of this school's coach columns.
    sheet = google.files[school.spreadsheet_id(district, "north")].spreadsheet
    protected = sheet.sheet_named("Coach Notes").protected
    assert {tuple(p["editors"]["users"]) for p in protected} == {(MARIA,), (NORTH_TEAM,)}


@pytest.mark.backends("excel")
def test_on_excel_a_change_to_the_coachs_words_after_an_answer_is_reported_not_undone(
    district_with_notes, edits
):
    district = district_with_notes(_note(response="We start Monday.", status="Answered"))
    run_sync(district, today=TODAY - dt.timedelta(days=2))
    edits.set_cells(district, "north", "Coach Notes", {"D2": "Changed by the school"})
    result = run_sync(district)
    assert ("note-changed-after-answer", "Coach Notes", "D2") in school_issues(result, "north")
    assert edits.rows(district, "north", "Coach Notes")[1][3] == "Changed by the school"


@pytest.mark.backends("excel")
def test_a_history_without_notes_gains_them_and_keeps_its_nights(make_district, tmp_path):
    district = make_district()
    run_sync(district, today=TODAY - dt.timedelta(days=7))
    path = district.rollup_dir / HISTORY_NAME
    with sqlite3.connect(path) as old:  # as plansync 0.x left it: no notes table, version 1
        old.execute("DROP TABLE notes")
        old.execute("PRAGMA user_version = 1")
    old.close()
    run_sync(district)
    history = open_history(path, writable=False)
    assert history.days() == [TODAY - dt.timedelta(days=7), TODAY]
    assert history.note_spans() == []
    history.close()
    with sqlite3.connect(path) as migrated:
        assert migrated.execute("PRAGMA user_version").fetchone() == (2,)
    migrated.close()


@pytest.mark.backends("excel")
def test_on_excel_an_answer_changed_after_the_note_was_resolved_is_reported(
    district_with_notes, edits
):
    district = district_with_notes(_note(response="We start Monday.", status="Resolved"))
    run_sync(district, today=TODAY - dt.timedelta(days=2))
    edits.set_cells(district, "north", "Coach Notes", {"E2": "Actually, we start in January."})
    result = run_sync(district)
    assert ("note-answer-changed-after-resolved", "Coach Notes", "E2") in school_issues(
        result, "north"
    )
    # A change in turn raises nothing: the school answering an open note.
    edits.set_cells(district, "north", "Coach Notes", {"F2": "Open"})
    again = run_sync(district, today=TODAY + dt.timedelta(days=1))
    assert not [i for i in school_issues(again, "north") if i[0].startswith("note-")]


@pytest.mark.backends("excel")
def test_on_excel_each_sides_columns_are_marked_in_their_headers(make_district):
    district = make_district()
    book = openpyxl.load_workbook(workbook_path(district, "north"))
    headers = {cell.value: cell for cell in book["Coach Notes"][1]}
    coach, school, shared = headers["Note"], headers["Response"], headers["Status"]
    assert coach.comment.text.startswith("The coach types here.")
    assert school.comment.text.startswith("The school team types here.")
    assert not shared.comment.text.startswith("The")
    colours = {cell.fill.fgColor.rgb[-6:] for cell in (coach, school, shared)}
    assert len(colours) == 3  # three different header colours
