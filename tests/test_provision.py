"""Provisioned workbooks open in a spreadsheet library and carry headers, dropdowns and a stamp."""

from __future__ import annotations

import os
import shutil

import openpyxl
import pytest
from district_helpers import PM_TOOL_TABS, run_sync, workbook_path
from plansync.provision import provision_district


def _listed(book, rule: str) -> list:
    """The choices a dropdown's rule ('list _plansync!$D$2:$D$4') points at."""
    kind, _, ref = rule.partition(" ")
    assert kind == "list" and ref.startswith("_plansync!"), rule
    return [row[0].value for row in book["_plansync"][ref.split("!")[1].replace("$", "")]]


def _validations(sheet) -> dict[str, str]:
    """Column letter -> the data validation's type and formula."""
    found = {}
    for rule in sheet.data_validations.dataValidation:
        for area in rule.sqref.ranges:
            found[area.coord.split(":")[0].rstrip("0123456789")] = f"{rule.type} {rule.formula1}"
    return found


def test_provisioning_writes_three_workbooks_per_school(make_district, edits):
    district = make_district()
    assert edits.titles(district, "north") == [
        "Decision Log",
        "PM Tool",
        "Roles and Responsibilities",
    ]


@pytest.mark.backends("excel")  # the Google spreadsheet's layout is in test_google_store.py
def test_a_provisioned_pm_tool_has_instructions_headers_dropdowns_and_a_hidden_stamp(make_district):
    district = make_district()
    book = openpyxl.load_workbook(workbook_path(district, "north"))
    assert book.sheetnames == PM_TOOL_TABS
    assert book["_plansync"].sheet_state == "hidden"
    stamp = {row[0]: row[1] for row in book["_plansync"].iter_rows(values_only=True)}
    assert (stamp["template"], stamp["version"], stamp["school_id"]) == ("pm_tool", "1", "north")

    steps = book["Action Steps"]
    assert [c.value for c in steps[1]] == [
        "Strategy ID",
        "Action Step",
        "Start Date",
        "Due Date",
        "Resources",
        "Owner",
        "Status",
    ]
    assert steps.freeze_panes == "A2"
    assert steps["F1"].font.b and steps["F1"].comment.text.startswith("The person responsible")
    assert steps.column_dimensions["D"].number_format == "yyyy-mm-dd"
    status = _validations(steps)["G"]
    assert _validations(steps) == {
        "A": "list Strategies!$A$2:$A$500",
        "C": "date 36526",
        "D": "date 36526",
        "F": "list _plansync!$C$2:$C$201",
        "G": status,
    }
    # Choices are cells on the hidden tab, never a literal list in the rule.
    assert _listed(book, status) == ["Not Started", "In Progress", "Complete", "Blocked"]
    benchmarks = _validations(book["Benchmarks"])
    assert _listed(book, benchmarks["B"]) == ["Cycle 1", "Cycle 2", "Cycle 3"]
    instructions = [row[1] for row in book["Instructions"].iter_rows(values_only=True) if row[1]]
    assert any("Keep the tab names and the column headers" in text for text in instructions)


def test_provisioning_never_overwrites_and_adds_only_what_is_missing(make_district, edits):
    district = make_district()
    edits.set_cells(district, "north", "Strategies", {"B2": "Changed by the school"})
    before = edits.version(district, "north")
    edits.delete_workbook(district, "south", "Decision Log")

    done = provision_district(district)
    assert [(p.school.id, p.template.id) for p in done if p.outcome == "created"] == [
        ("south", "decisions")
    ]
    assert edits.version(district, "north") == before
    assert "Decision Log" in edits.titles(district, "south")


@pytest.mark.backends("excel")
def test_a_school_folder_renamed_is_not_provisioned_again_beside_itself(make_district):
    district = make_district()
    folder = workbook_path(district, "north").parent
    renamed = folder.rename(folder.with_name("North "))
    done = provision_district(district)
    refused = [p for p in done if p.outcome == "refused"]
    assert [p.school.id for p in refused] == ["north"] * 3
    assert (
        "was not created: the school's folder north is not there, but there is “North ”. "
        "Rename it north" in refused[0].reason
    )
    # A dry run says the same beforehand.
    dry = provision_district(district, dry_run=True)
    assert [p.reason for p in dry if p.outcome == "refused"] == [
        p.reason.replace("was not created", "would not be created") for p in refused
    ]
    assert [p.outcome for p in dry if p.school.id == "south"] == ["exists"] * 3
    assert not folder.exists()  # no empty workbooks to hide the school's own from the sync
    assert sorted(path.name for path in renamed.iterdir()) == [
        "Decision Log.xlsx",
        "PM Tool.xlsx",
        "Roles and Responsibilities.xlsx",
    ]


def test_dry_run_creates_nothing(make_district, edits):
    district = make_district()
    edits.delete_workbook(district, "south", "Decision Log")
    done = provision_district(district, dry_run=True)
    assert [p.outcome for p in done].count("would create") == 1
    assert "Decision Log" not in edits.titles(district, "south")


def test_a_fresh_empty_workbook_syncs_with_only_missing_content_reported(make_district):
    empty = {"pm_tool": {}, "roles": {}, "decisions": {}}
    district = make_district({"north": empty, "south": empty})
    north = run_sync(district).schools[0]
    assert {issue.rule for issue in north.issues} == {"too-few"}
    assert north.completeness == 0


@pytest.mark.backends("excel")  # the Sheets API has no print settings
def test_data_tabs_print_landscape_one_page_wide_with_the_header_on_every_page(make_district):
    from openpyxl import load_workbook

    district = make_district()
    book = load_workbook(workbook_path(district, "north"))
    for name in PM_TOOL_TABS[2:-1]:  # the data tabs (not the instructions, summary, stamp)
        sheet = book[name]
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.print_title_rows == "$1:$1"


@pytest.mark.backends("excel")
@pytest.mark.parametrize(
    ("put_there", "says"),
    [
        (lambda folder: folder.symlink_to(folder), "is a link that leads to no folder"),
        (lambda folder: folder.symlink_to(folder.with_name("gone")), "is a link that leads to"),
        (lambda folder: folder.write_text("not a folder"), "is not a folder"),
    ],
    ids=["a link to itself", "a link to nothing", "a file"],
)
def test_a_school_folder_that_is_not_a_folder_is_refused_not_called_existing(
    make_district, put_there, says
):
    district = make_district()
    folder = workbook_path(district, "north").parent
    shutil.rmtree(folder)
    put_there(folder)
    for dry_run in (True, False):
        done = provision_district(district, dry_run=dry_run)
        north = [p for p in done if p.school.id == "north"]
        assert [p.outcome for p in north] == ["refused"] * 3
        assert f"the school's folder north {says}" in north[0].reason
    assert os.path.lexists(folder) and not folder.is_dir()  # left as it was
