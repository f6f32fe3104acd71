"""One roster, used everywhere: every person column of a school's three workbooks offers the names
on its Team tab, from a copy of them the nightly sync keeps on each workbook's hidden stamp tab."""

from __future__ import annotations

import openpyxl
import pytest
from district_helpers import run_sync
from plansync import layout
from plansync.catalog import standard_templates
from plansync.grid import column_letter
from plansync.migrate import migrate_district

ROSTER_RANGE = "_plansync!$C$2:$C$201"
ROLES = "Roles and Responsibilities"


def _person_columns() -> list[tuple[str, str, str, int]]:
    """(workbook title, tab title, header, column number) of every person column."""
    return [
        (template.title, tab.title, column.header, number)
        for template in standard_templates()
        for tab in template.tabs
        for number, column in enumerate(tab.columns, start=1)
        if column.person
    ]


def _dropdowns(edits, district, google) -> dict[tuple[str, str, str], tuple[str, bool] | None]:
    """Each person column's dropdown in North's workbooks, as (its source range, strict)."""
    found: dict[tuple[str, str, str], tuple[str, bool] | None] = {}
    books: dict[str, openpyxl.Workbook] = {}
    for title, tab, header, number in _person_columns():
        letter = column_letter(number)
        if google is None:
            book = books.get(title) or openpyxl.load_workbook(edits.path(district, "north", title))
            books[title] = book
            rules = [
                rule
                for rule in book[tab].data_validations.dataValidation
                if f"{letter}2" in rule.sqref and f"{letter}500" in rule.sqref
            ]
            found[(title, tab, header)] = (
                (rules[0].type + " " + rules[0].formula1, rules[0].errorStyle == "stop")
                if rules
                else None
            )
        else:
            _key, sheet = edits._sheet(district, "north", tab, title)
            rule = sheet.validation(499, number - 1)
            if rule is None:
                found[(title, tab, header)] = None
                continue
            condition = rule["condition"]
            source = condition["values"][0]["userEnteredValue"].removeprefix("=")
            kind = "list" if condition["type"] == "ONE_OF_RANGE" else condition["type"]
            found[(title, tab, header)] = (f"{kind} {source}", rule.get("strict", False))
    return found


def _roster_copy(edits, district, title: str) -> list[str]:
    """The stamp tab's roster column in North's workbook `title`: its title, then the names."""
    if edits.backend == "excel":
        book = openpyxl.load_workbook(edits.path(district, "north", title))
        stamp = book["_plansync"]
        assert stamp.sheet_state == "hidden"
        column = [stamp.cell(row, 3).value for row in range(1, stamp.max_row + 1)]
    else:
        column = [
            row[2] if len(row) > 2 else ""
            for row in edits.tabs(district, "north", title)["_plansync"]
        ]
    return [value for value in column if value not in (None, "")]


def _titles() -> list[str]:
    return sorted(template.title for template in standard_templates())


@pytest.fixture
def google_or_none(backend, request):
    return request.getfixturevalue("google") if backend == "google" else None


def test_every_person_column_offers_the_roster_on_the_stamp_tab(
    make_district, edits, google_or_none
):
    district = make_district()
    dropdowns = _dropdowns(edits, district, google_or_none)
    assert {title for title, _tab, _header in dropdowns} == set(_titles())
    assert sorted(header for _title, _tab, header in dropdowns) == [
        "Owner",
        "Owner",
        "Owner",
        "Who Decides",
        "Who Delivers",
    ]
    # Not strict: a name not on the roster yet stands (the roster rule warns about it).
    assert set(dropdowns.values()) == {(f"list {ROSTER_RANGE}", False)}
    # Provisioned with an empty roster: its title and no names yet.
    for title in _titles():
        assert _roster_copy(edits, district, title) == ["Roster"]
    assert {m.outcome for m in migrate_district(district)} == {"up to date"}


def test_the_sync_copies_the_team_once_and_again_when_it_changes(
    make_district, edits, google_or_none
):
    district = make_district()
    first = run_sync(district)
    assert first.rosters_written == 6  # three workbooks, two schools
    for title in _titles():
        assert _roster_copy(edits, district, title) == ["Roster", "Ana Alvarez", "Ben Brooks"]
    assert not [i for i in first.issues if i.rule == "roster-not-written"]

    # A quiet night: the same team writes nothing at all.
    before = {title: edits.version(district, "north", title) for title in _titles()}
    if google_or_none is not None:
        google_or_none.reset_counts()
    quiet = run_sync(district)
    assert (quiet.rosters_written, quiet.summaries_written) == (0, 0)
    assert {title: edits.version(district, "north", title) for title in _titles()} == before
    if google_or_none is not None:
        assert google_or_none.calls["sheets.spreadsheets.batchUpdate"] == 0

    # Someone joins the team and someone's name is corrected: the copies follow the next night.
    edits.set_cells(
        district, "north", "Team", {"A3": "Ben Brooks-Hall", "A4": "Cara Diaz"}, workbook=ROLES
    )
    changed = run_sync(district)
    assert changed.rosters_written == 3  # North's three workbooks; South's team is as it was
    for title in _titles():
        assert _roster_copy(edits, district, title) == [
            "Roster",
            "Ana Alvarez",
            "Ben Brooks-Hall",
            "Cara Diaz",
        ]
    # A name dropped from the team leaves the copy too.
    edits.set_cells(district, "north", "Team", {"A4": ""}, workbook=ROLES)
    assert run_sync(district).rosters_written == 3
    # Every copy ends where the team does: the Roles workbook's, whose file the night read, and
    # the other two's, whose files it did not (on Google, the two ways of sizing the tab).
    for title in _titles():
        assert _roster_copy(edits, district, title) == ["Roster", "Ana Alvarez", "Ben Brooks-Hall"]
    assert run_sync(district).rosters_written == 0
    # The dropdowns still point at the copy, and migrate still finds nothing to change.
    assert set(_dropdowns(edits, district, google_or_none).values()) == {
        (f"list {ROSTER_RANGE}", False)
    }
    assert {m.outcome for m in migrate_district(district)} == {"up to date"}


def test_reading_without_writing_leaves_the_copies_alone(make_district, edits):
    district = make_district()
    before = {title: edits.version(district, "north", title) for title in _titles()}
    result = run_sync(district, write_back=False)
    assert result.rosters_written == 0
    assert {title: edits.version(district, "north", title) for title in _titles()} == before


@pytest.mark.backends("excel")
def test_a_workbook_open_in_excel_keeps_its_copy_and_gets_it_the_night_after(make_district, edits):
    district = make_district()
    path = edits.path(district, "north", "Decision Log")
    lock = path.parent / f"~${path.name}"
    lock.write_text("")
    night = run_sync(district)
    assert night.rosters_written == 5
    skipped = [i for i in night.issues if i.rule == "roster-not-written"]
    assert [(i.school, i.workbook, i.sheet) for i in skipped] == [
        ("north", "Decision Log", "_plansync")
    ]
    assert _roster_copy(edits, district, "Decision Log") == ["Roster"]
    lock.unlink()
    assert run_sync(district).rosters_written == 1
    assert _roster_copy(edits, district, "Decision Log") == ["Roster", "Ana Alvarez", "Ben Brooks"]


def test_migrate_gives_workbooks_made_before_the_roster_its_dropdown(
    make_district, edits, google_or_none, monkeypatch
):
    made_by = layout.validation_for

    def before_the_roster(template, column, *args, **kwargs):
        if column.person:  # as plansync laid person columns out before: a plain text column
            return (
                None
                if not column.choices_from
                else made_by(template, column.model_copy(update={"person": False}), *args, **kwargs)
            )
        return made_by(template, column, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(layout, "validation_for", before_the_roster)
        district = make_district()
    old = _dropdowns(edits, district, google_or_none)
    assert (f"list {ROSTER_RANGE}", False) not in set(old.values())

    done = {(m.school.id, m.template.id): m for m in migrate_district(district)}
    lines = done[("north", "pm_tool")].changes.lines()
    assert any("Owner" in line for line in lines), lines
    assert set(_dropdowns(edits, district, google_or_none).values()) == {
        (f"list {ROSTER_RANGE}", False)
    }
    assert {m.outcome for m in migrate_district(district)} == {"up to date"}
    run_sync(district)
    assert _roster_copy(edits, district, "PM Tool") == ["Roster", "Ana Alvarez", "Ben Brooks"]
