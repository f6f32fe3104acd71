"""The Google store against the in-process fake of Sheets and Drive: what it creates and shares,
what each run costs in requests, what the summary write touches, and how faults are handled.

The backend-neutral behaviour (rules, reports, the JSON interface) is pinned by the rest of the
suite, which runs on this backend too.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import requests
import yaml
from click.testing import CliRunner
from district_helpers import (
    FOLDER_ID,
    PM_TOOL_TABS,
    SERVICE_ACCOUNT,
    STAFF,
    TODAY,
    good_plan,
    run_sync,
    school_issues,
)
from edits import GoogleEdits
from google_fake import FakeGoogle
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from plansync.catalog import standard_templates
from plansync.cli import main
from plansync.config import load_config
from plansync.errors import ConfigError
from plansync.google.client import RetryingHTTPClient
from plansync.google.registry import Registry
from plansync.google.store import GoogleStore, grid_values
from plansync.provision import provision_district
from plansync.store import open_store
from plansync.values import ErrorValue

pytestmark = pytest.mark.backends("google")

SHARED = {
    "coaches": [
        {"name": "Maria Lopez", "email": "mlopez@test-district.example"},
        {"name": "James Carter", "email": "jcarter@test-district.example"},
    ],
    "schools": [
        {
            "id": "north",
            "name": "North Elementary",
            "coach": "Maria Lopez",
            "team": ["ana@north.example", "ben@north.example"],
        },
        {
            "id": "south",
            "name": "South Middle School",
            "coach": "James Carter",
            "team": ["cara@south.example"],
        },
    ],
}
WRITES = {"sheets.spreadsheets.batchUpdate", "sheets.values.batchUpdate", "sheets.values.update"}


def _pm_tool(google, edits, district, school="north"):
    return google.files[edits.spreadsheet_id(district, school)].spreadsheet


def _grants(google, edits, district, school, workbook="PM Tool"):
    file = google.files[edits.spreadsheet_id(district, school, workbook)]
    return {email: role for email, (_, role) in file.permissions.items()}


# -- provisioning --------------------------------------------------------------------------------


def test_a_provisioned_spreadsheet_has_the_excel_workbooks_tabs_headers_and_checks(
    make_district, edits, google
):
    district = make_district()
    sheet = _pm_tool(google, edits, district)
    tabs = sorted(sheet.sheets, key=lambda s: s.properties["index"])
    assert [tab.title for tab in tabs] == PM_TOOL_TABS
    stamp = sheet.sheet_named("_plansync")
    assert stamp.properties["hidden"] is True
    assert [stamp.value(r, 0) for r in range(3)] == ["template", "version", "school_id"]
    assert [stamp.value(r, 1) for r in range(3)] == ["pm_tool", "1", "north"]

    steps = sheet.sheet_named("Action Steps")
    assert steps.properties["gridProperties"]["frozenRowCount"] == 1
    assert [steps.value(0, c) for c in range(7)] == [
        "Strategy ID",
        "Action Step",
        "Start Date",
        "Due Date",
        "Resources",
        "Owner",
        "Status",
    ]
    assert steps.cells[(0, 5)]["note"].startswith("The person responsible")
    assert steps.cells[(0, 5)]["userEnteredFormat"]["textFormat"]["bold"] is True
    due = steps.cells[(450, 3)]["userEnteredFormat"]["numberFormat"]
    assert due == {"type": "DATE", "pattern": "yyyy-mm-dd"}
    checks = {c: (steps.validation(499, c) or {}).get("condition") for c in range(7)}
    assert checks[0] == {
        "type": "ONE_OF_RANGE",
        "values": [{"userEnteredValue": "=Strategies!$A$2:$A$500"}],
    }
    assert checks[2] == checks[3] == {"type": "DATE_IS_VALID"}
    # The choices are cells on the hidden tab, as in Excel: never a literal list.
    assert checks[6]["type"] == "ONE_OF_RANGE"
    source = checks[6]["values"][0]["userEnteredValue"]
    match = re.fullmatch(r"=_plansync!\$([A-Z])\$2:\$\1\$(\d+)", source)
    assert match, source
    stamp = google.files[edits.spreadsheet_id(district, "north")].spreadsheet.sheet_named(
        "_plansync"
    )
    column = ord(match.group(1)) - ord("A")
    assert [
        stamp.cells[(row, column)]["userEnteredValue"]["stringValue"]
        for row in range(1, int(match.group(2)))
    ] == ["Not Started", "In Progress", "Complete", "Blocked"]
    assert steps.validation(500, 6) is None  # dropdowns reach row 500, as in Excel
    team = google.files[edits.spreadsheet_id(district, "north", "Roles and Responsibilities")]
    assert team.spreadsheet.sheet_named("Team").validation(1, 2)["condition"] == {
        "type": "TEXT_IS_EMAIL"
    }
    [protection] = sheet.sheet_named("Coach Summary").protected
    assert protection["warningOnly"] is True
    assert protection["range"] == {"sheetId": sheet.sheet_named("Coach Summary").id}
    instructions = [tabs[0].value(r, 1) for r in range(12)]
    assert any("Keep the tab names and the column headers" in str(t) for t in instructions)


def test_provisioning_puts_each_spreadsheet_in_the_folder_and_records_its_id(make_district, google):
    district = make_district()
    files = google.spreadsheets()
    assert len(files) == 6 and all(f.parents == [FOLDER_ID] for f in files)
    registry = json.loads((district.base_dir / "plansync-google.json").read_text())
    recorded = {e["id"] for books in registry["schools"].values() for e in books.values()}
    assert recorded == {f.id for f in files}
    labels = {(f.app_properties["plansync_school"], f.name) for f in files}
    assert ("north", "North Elementary · PM Tool") in labels


def test_each_school_is_shared_with_its_team_and_coach_only(make_district, edits, google):
    district = make_district(**SHARED, google={"coach_role": "commenter"})
    for workbook in ("PM Tool", "Roles and Responsibilities", "Decision Log"):
        assert _grants(google, edits, district, "north", workbook) == {
            "ana@north.example": "writer",
            "ben@north.example": "writer",
            "mlopez@test-district.example": "commenter",
        }
    assert _grants(google, edits, district, "south") == {
        "cara@south.example": "writer",
        "jcarter@test-district.example": "commenter",
    }
    ana = GoogleEdits(google, "ana@north.example")
    ana.set_cells(district, "north", "Strategies", {"B2": "Typed by Ana"})
    with pytest.raises(APIError) as refused:
        ana.set_cells(district, "south", "Strategies", {"B2": "Not Ana's school"})
    assert refused.value.response.status_code == 403


def test_a_second_provisioning_creates_and_shares_nothing(make_district, google):
    district = make_district(**SHARED)
    google.reset_counts()
    done = provision_district(district)
    assert {p.outcome for p in done} == {"exists"} and all(not p.shared for p in done)
    assert google.calls == {"oauth.token": 1, "drive.files.get": 1, "drive.files.list": 1}


def test_a_new_team_member_is_shared_with_on_the_next_run(make_district, edits, google):
    district = make_district(**SHARED)
    path = district.base_dir / "district.yaml"
    config = yaml.safe_load(path.read_text())
    config["schools"][1]["team"].append("dan@south.example")
    path.write_text(yaml.safe_dump(config))
    google.reset_counts()
    done = provision_district(load_config(path))
    assert [p.shared for p in done if p.shared] == [(("dan@south.example", "writer"),)] * 3
    assert google.calls["drive.permissions.create"] == 3
    assert google.calls["drive.files.create"] == 0
    assert _grants(google, edits, district, "south")["dan@south.example"] == "writer"


def test_a_lost_registry_is_rebuilt_from_the_folder_without_duplicates(make_district, google):
    district = make_district(**SHARED)
    run_sync(district)
    (district.base_dir / "plansync-google.json").unlink()
    assert [p.outcome for p in provision_district(district, dry_run=True)] == ["exists"] * 6
    assert not (district.base_dir / "plansync-google.json").exists()  # a dry run writes nothing
    google.reset_counts()
    done = provision_district(district)
    assert {p.outcome for p in done} == {"exists"} and all(not p.shared for p in done)
    assert google.calls["drive.files.create"] == 0
    assert google.calls["drive.permissions.list"] == 6
    assert (district.base_dir / "plansync-google.json").is_file()
    run_sync(district)
    assert google.calls["drive.files.create"] == 0  # the rollup was found again too


def test_dry_run_prints_what_would_be_created_and_shared(make_district, edits, google):
    district = make_district(**SHARED)
    edits.delete_workbook(district, "south", "Decision Log")
    google.reset_counts()
    result = CliRunner().invoke(
        main, ["provision", str(district.base_dir / "district.yaml"), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "would create  South Middle School · Decision Log",
        " would share  South Middle School · Decision Log with cara@south.example (writer), "
        "jcarter@test-district.example (commenter)",
        "Would create 1 workbook for 2 schools; 5 already existed and were left as they are.",
    ]
    assert not WRITES & set(google.calls) and google.calls["drive.files.create"] == 0


def test_a_folder_outside_a_shared_drive_is_one_line(tmp_path, google):
    google.folder("my-drive-folder", {SERVICE_ACCOUNT: "writer"}, shared_drive=False)
    district = _config(tmp_path, google, folder_id="my-drive-folder")
    with pytest.raises(ConfigError, match=r"^google.folder_id: .* must be in a shared drive$"):
        provision_district(district)


def test_a_folder_the_account_cannot_see_is_one_line(tmp_path, google):
    district = _config(tmp_path, google, folder_id="nobody-shared-this")
    with pytest.raises(ConfigError) as error:
        provision_district(district)
    assert str(error.value) == (
        f"google.folder_id: no folder nobody-shared-this is shared with {SERVICE_ACCOUNT}; "
        "add it to the shared drive (Content manager)"
    )


# -- syncing ---------------------------------------------------------------------------------------


def test_a_sync_reads_each_spreadsheet_with_one_request_and_writes_each_summary_once(
    make_district, edits, google
):
    district = make_district()
    google.reset_counts()
    run_sync(district)
    spreadsheets = 6  # two schools, three workbooks each, eight tabs in a PM Tool
    # Each read asks for the tabs and every cell's value at once.
    reads = [call for call in google.log if call.endpoint == "sheets.spreadsheets.get"]
    assert len(reads) == spreadsheets
    assert all(call.params["includeGridData"] == ["true"] for call in reads)
    assert all("effectiveValue" in call.params["fields"][0] for call in reads)
    # The first night also copies the team into each stamp tab, one write each, and reads no
    # stamp tab again: each tab's row count came with its spreadsheet's read.
    assert google.calls["sheets.values.batchGet"] == 0
    # The roster's copies, each PM Tool's in the same request as its summary, then the rollup:
    # made in the folder, written.
    assert google.calls["sheets.spreadsheets.batchUpdate"] == spreadsheets + 1
    assert google.calls["drive.files.create"] == 1
    assert google.calls["drive.files.list"] == 1
    tabs = list(edits.rollup(run_sync(district).rollup))
    assert tabs[0] == "Schools" and tabs[-2:] == ["Issues", "About"]


def test_grid_data_reads_as_the_values_api_lays_values_out():
    """What one read's grid data gives, cell for cell, as the values API would: formatted but
    empty rows and cells count for nothing, an empty cell before a value is "", and a cell that
    shows an error is an error (not text a person typed)."""

    def cell(**value):
        return {"effectiveValue": value, "userEnteredFormat": {"wrapStrategy": "WRAP"}}

    formatted = {"userEnteredFormat": {"textFormat": {"bold": True}}}
    sheet = {
        "data": [
            {
                "startRow": 1,
                "startColumn": 1,
                "rowData": [
                    {"values": [cell(stringValue="MIS 1"), formatted, cell(numberValue=46000)]},
                    {"values": [formatted, formatted]},
                    {},
                    {"values": [{}, cell(boolValue=True), formatted]},
                    {"values": [cell(errorValue={"type": "REF", "message": "gone"})]},
                    {"values": [cell(errorValue={"type": "SOMETHING_NEW"})]},
                    {"values": [formatted]},
                ],
            }
        ]
    }
    assert grid_values(sheet) == [
        [],
        ["", "MIS 1", "", 46000],
        [],
        [],
        ["", "", True],
        ["", ErrorValue("#REF!")],
        ["", ErrorValue("#ERROR!")],
    ]
    assert grid_values({"data": [{}]}) == []
    assert grid_values({}) == []


def test_a_formula_showing_an_error_is_reported_at_its_cell_and_one_showing_a_value_reads_it(
    make_district, edits, google
):
    district = make_district()
    key = edits.spreadsheet_id(district, "north")
    edits.set_formula(district, "north", "Benchmarks", "F2", "=80/0")
    google.formula_shows(key, "Benchmarks", 2, 6, {"errorValue": {"type": "DIVIDE_BY_ZERO"}})
    edits.set_formula(district, "north", "Benchmarks", "F3", "=40+40")
    google.formula_shows(key, "Benchmarks", 3, 6, {"numberValue": 80})
    night = run_sync(district)
    north = next(school for school in night.schools if school.school.id == "north")
    at = {(issue.sheet, issue.cell): issue for issue in north.issues}
    assert at[("Benchmarks", "F2")].rule == "cell-error"
    assert "#DIV/0!" in at[("Benchmarks", "F2")].message
    assert ("Benchmarks", "F3") not in at


def test_a_roster_copy_reads_the_stamp_tab_only_where_the_night_did_not_read_the_spreadsheet(
    make_district, edits, google
):
    district = make_district()
    run_sync(district)
    roles = "Roles and Responsibilities"
    edits.set_cells(district, "north", "Team", {"A4": "Cara Diaz"}, workbook=roles)
    google.reset_counts()
    night = run_sync(district)
    assert night.rosters_written == 3
    assert not [issue for issue in night.issues if issue.rule == "roster-not-written"]
    # The Roles workbook is read (one request), its tab sizes with it; the PM Tool and the
    # Decision Log were not read tonight, so each has its stamp tab read once (a batchGet of
    # its values), to count the rows it uses before the copy is written.
    assert google.calls["sheets.values.batchGet"] == 2
    batch_gets = [call for call in google.log if call.endpoint == "sheets.values.batchGet"]
    assert all(call.params["valueRenderOption"] == ["UNFORMATTED_VALUE"] for call in batch_gets)
    # The copies, North's summary (its team grew) in the same request as its PM Tool's copy,
    # and the rollup.
    assert night.summaries_written == 1
    assert google.calls["sheets.spreadsheets.batchUpdate"] == 3 + 1


def test_a_night_with_no_edits_costs_one_drive_listing_and_no_sheets_request(
    make_district, edits, google
):
    district = make_district()
    run_sync(district)
    google.reset_counts()
    result = run_sync(district)
    assert result.workbooks_read == 0 and not result.rollup_written
    assert {name: n for name, n in google.calls.items() if name.startswith("sheets.")} == {}
    assert google.calls["drive.files.list"] == 1


def test_the_next_night_reads_and_writes_no_school_spreadsheet(make_district, google):
    district = make_district()
    run_sync(district)
    google.reset_counts()
    result = run_sync(district, today=TODAY + dt.timedelta(days=1))
    # The summaries show dates, not "N days late": nothing they show moved overnight.
    assert result.workbooks_read == 0 and result.summaries_written == 0
    assert google.calls["sheets.values.batchGet"] == 0
    assert google.calls["sheets.spreadsheets.get"] == 1  # the rollup's own tabs, to replace them
    assert google.calls["sheets.spreadsheets.batchUpdate"] == 1  # the rollup (it shows the day)


def test_the_sync_knows_its_own_writes_without_asking_drive_and_forgets_them_when_it_adds_rows(
    make_district, google
):
    district = make_district()
    google.reset_counts()
    run_sync(district)  # the first night writes every summary and roster copy
    assert google.calls["drive.files.get"] == 1  # the folder, checked once: no version asked for
    assert run_sync(district).workbooks_read == 0  # the sync's own writes are not a school's edit
    store = open_store(district)
    school, template = district.schools[0], standard_templates()[0]
    added = store.add_rows(store.locate(school, template), "Strategies", {(9, 2): "Added"})
    store.finish()
    assert added == 1
    again = run_sync(district)  # rows the sync added are content: that spreadsheet is read
    assert again.workbooks_read == 1 and again.workbooks_unchanged == 5


def test_the_registry_finds_each_spreadsheet_by_id_after_every_change(tmp_path):
    registry = Registry(tmp_path / "plansync-google.json")
    first = registry.record("north", "pm_tool", "sheet-1")
    assert registry.entry_by_id("sheet-1") is first
    again = registry.record("north", "pm_tool", "sheet-2")  # made anew for the same workbook
    assert registry.entry_by_id("sheet-1") is None and registry.entry_by_id("sheet-2") is again
    registry.move("north", "north-es", "pm_tool")  # the school's id changed
    assert registry.entry_by_id("sheet-2") is registry.entry("north-es", "pm_tool") is again
    registry.forget("sheet-2")
    assert registry.entry_by_id("sheet-2") is None


def test_an_edited_spreadsheet_is_read_again_and_only_it(make_district, edits, google):
    district = make_district()
    run_sync(district)
    edits.set_cells(district, "south", "Action Steps", {"F3": None})
    google.reset_counts()
    result = run_sync(district)
    assert (result.workbooks_read, result.workbooks_unchanged) == (1, 5)
    # The spreadsheet (one request), then the rollup's tabs, to replace them.
    assert google.calls["sheets.spreadsheets.get"] == 2
    assert google.calls["sheets.values.batchGet"] == 0
    # The edited school's summary, then the rollup (its tabs read once, then rewritten).
    assert google.calls["sheets.spreadsheets.batchUpdate"] == 2
    assert ("required", "Action Steps", "F3") in [
        (i.rule, i.sheet, i.cell) for i in result.schools[1].issues
    ]


def test_the_summary_write_touches_only_the_summary_tab(make_district, edits, google):
    plan = good_plan()
    plan["pm_tool"]["action_steps"][1]["owner"] = None
    district = make_district({"north": plan})
    before = edits.tabs(district, "north")
    google.reset_counts()
    run_sync(district)
    pm_tool = _pm_tool(google, edits, district)
    summary_id = pm_tool.sheet_named("Coach Summary").id
    # The summary and (the first night) the team's names copied into the stamp tab's roster,
    # in one batchUpdate: the summary's requests first.
    (write,) = [
        call
        for call in google.log
        if call.endpoint == "sheets.spreadsheets.batchUpdate" and pm_tool.id in call.path
    ]
    stamp_id = pm_tool.sheet_named("_plansync").id
    assert _sheet_ids(write.body) == {summary_id, stamp_id}
    requests = write.body["requests"]
    touches = [_sheet_ids({"requests": [request]}) for request in requests]
    first_roster = touches.index({stamp_id})
    assert all(ids == {summary_id} for ids in touches[:first_roster] if ids)
    assert all(ids == {stamp_id} for ids in touches[first_roster:] if ids)
    after = edits.tabs(district, "north")
    assert {name for name in after if after[name] != before[name]} == {
        "Coach Summary",
        "_plansync",
    }
    roster_column = [row[2] if len(row) > 2 else "" for row in after["_plansync"]]
    assert [name for name in roster_column if name] == ["Roster", "Ana Alvarez", "Ben Brooks"]
    # The stamp and the dropdowns' lists beside it stay as they were.

    def beside_the_roster(rows):
        return [[*row[:2], *row[3:]] for row in rows if any(row[:2] + row[3:])]

    assert beside_the_roster(after["_plansync"]) == beside_the_roster(before["_plansync"])
    cells = pm_tool.sheet_named("Coach Summary").cells.values()
    links = [c["userEnteredFormat"]["textFormat"]["link"]["uri"] for c in cells if _link(c)]
    steps = pm_tool.sheet_named("Action Steps").id
    assert f"#gid={steps}&range=F3" in links


def test_a_summary_and_roster_copy_refused_together_are_each_tried_alone(
    make_district, edits, google
):
    district = make_district()
    pm_tool = edits.spreadsheet_id(district, "north")
    # Sheets refuses the first night's one request for North's PM Tool (400: its tabs changed
    # meanwhile, say); made alone, the summary and the copy both go through.
    google.reset_counts()
    google.fail(400, times=1, endpoint="sheets.spreadsheets.batchUpdate", file_id=pm_tool)
    night = run_sync(district)
    writes = [
        call.status
        for call in google.log
        if call.endpoint == "sheets.spreadsheets.batchUpdate" and pm_tool in call.path
    ]
    assert writes == [400, 200, 200]
    assert night.summaries_written == 2 and night.rosters_written == 6
    assert not [i for i in night.issues if i.rule in ("summary-not-written", "roster-not-written")]
    stamp = edits.tabs(district, "north")["_plansync"]
    roster_column = [row[2] if len(row) > 2 else "" for row in stamp]
    assert [name for name in roster_column if name] == ["Roster", "Ana Alvarez", "Ben Brooks"]


def test_a_deleted_summary_tab_comes_back_protected(make_district, edits, google):
    district = make_district()
    edits.delete_tab(district, "north", "Coach Summary")
    run_sync(district)
    summary = _pm_tool(google, edits, district).sheet_named("Coach Summary")
    assert summary.properties["index"] == 1
    assert summary.value(0, 0) == "Coach summary · North Elementary"
    assert [p["warningOnly"] for p in summary.protected] == [True]


def test_text_that_looks_like_a_formula_is_stored_as_text(make_district, edits, google):
    plan = good_plan()
    plan["pm_tool"]["action_steps"][1]["owner"] = None
    plan["pm_tool"]["action_steps"][1]["step"] = '=HYPERLINK("http://evil.example","click")'
    district = make_district({"north": plan})
    result = run_sync(district)
    rollup = edits.rollup(result.rollup)
    assert '=HYPERLINK("http://evil.example","click")' in [r[4] for r in rollup["Action Steps"]]
    for file in google.spreadsheets():
        for sheet in file.spreadsheet.sheets:
            kinds = {k for c in sheet.cells.values() for k in c.get("userEnteredValue", {})}
            assert "formulaValue" not in kinds
    assert all("valueInputOption" not in call.params for call in google.log)


def test_the_sync_own_write_is_not_a_schools_last_edit(make_district, edits, google):
    district = make_district()
    typed = run_sync(district).schools[0].last_edit
    assert typed == dt.datetime(2026, 11, 26, 15, 2, tzinfo=dt.UTC).astimezone().replace(
        tzinfo=None
    )
    assert run_sync(district).schools[0].last_edit == typed  # after the summary was written
    google.now = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
    edits.set_cells(district, "north", "Strategies", {"B2": "Edited this morning"})
    edited = run_sync(district).schools[0].last_edit
    assert edited == google.now.astimezone().replace(tzinfo=None)


# -- faults and quota ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
def test_quota_and_server_errors_are_retried_with_growing_waits(make_district, google, status):
    district = make_district()
    google.slept.clear()
    google.fail(status, times=3, endpoint="sheets.spreadsheets.get")
    result = run_sync(district)
    assert all(school.issues == [] for school in result.schools)
    assert len(google.slept) == 3
    assert google.slept[0] < 2.0 < google.slept[2] <= 8.0


def test_a_lasting_429_gives_up_within_the_caps_and_the_run_goes_on(make_district, edits, google):
    district = make_district()
    north_pm_tool = edits.spreadsheet_id(district, "north")
    google.slept.clear()
    google.fail(429, times=None, file_id=north_pm_tool)
    result = run_sync(district)
    assert ("workbook-unreadable", None, None) in school_issues(result, "north")
    assert school_issues(result, "south") == []
    assert len(google.slept) == RetryingHTTPClient.max_attempts - 1
    assert sum(google.slept) <= RetryingHTTPClient.max_seconds
    [issue] = [i for i in result.schools[0].issues if i.rule == "workbook-unreadable"]
    assert "429" in issue.message and "next run" in issue.message


def test_when_drive_cannot_list_the_folder_only_the_last_edit_is_unknown(make_district, google):
    district = make_district()
    google.reset_counts()
    google.fail(500, times=None, endpoint="drive.files.list")
    result = run_sync(district)
    assert all(school.issues == [] for school in result.schools)
    assert [school.last_edit for school in result.schools] == [None, None]
    assert google.calls["drive.files.list"] == RetryingHTTPClient.max_attempts


def test_a_school_whose_access_was_revoked_is_reported_and_the_others_sync(
    make_district, edits, google
):
    district = make_district()
    edits.make_unreadable(district, "north", "PM Tool")
    result = run_sync(district)
    [issue] = result.schools[0].issues
    assert (issue.rule, issue.workbook) == ("workbook-unreadable", "PM Tool")
    assert SERVICE_ACCOUNT in issue.message
    assert school_issues(result, "south") == []
    south = _pm_tool(google, edits, district, "south").sheet_named("Coach Summary")
    assert south.value(0, 0) == "Coach summary · South Middle School"


def test_a_large_district_is_paced_to_the_per_user_quota_and_meets_no_429(make_district, google):
    google.quota_per_minute = 60
    # 63 spreadsheets, a request each: more reads than one minute allows.
    schools = [{"id": f"school-{n}", "name": f"School {n}"} for n in range(21)]
    district = make_district(schools=schools)
    google.sleep(60)  # the sync runs after the minute the district was provisioned in
    google.slept.clear()
    google.reset_counts()
    result = run_sync(district)
    assert google.calls["sheets.spreadsheets.get"] > 60
    assert all(call.status != 429 for call in google.log)
    assert all(school.issues == [] for school in result.schools)
    assert 0 < sum(google.slept) <= 60  # one wait for the minute to roll over


def test_a_network_that_is_down_stops_the_run_in_one_line(make_district, google):
    district = make_district()
    google.fail(0, times=None)
    result = CliRunner().invoke(main, ["sync", str(district.base_dir / "district.yaml")])
    assert result.exit_code == 1
    assert result.output == (
        "Error: Google could not be reached after 8 tries; the run stopped, run it again later\n"
    )


# -- signing in ----------------------------------------------------------------------------------


def _config(tmp_path, google, key=None, **settings):
    key_path = tmp_path / "key.json"
    if key is None:
        key = json.dumps(google.service_account(SERVICE_ACCOUNT))
    key_path.write_text(key)
    config = {
        "district": "Test District",
        "backend": "google",
        "google": {"folder_id": FOLDER_ID, "key_file": "key.json", **settings},
        "cycles": [{"name": "Cycle 1", "start": "2026-08-17", "end": "2026-10-30"}],
        "schools": [{"id": "north", "name": "North Elementary"}],
    }
    (tmp_path / "district.yaml").write_text(json.dumps(config))
    return load_config(tmp_path / "district.yaml")


@pytest.mark.parametrize(
    "key, message",
    [
        ("not json {", "not JSON; use the key Google Cloud downloads"),
        ('{"type": "authorized_user"}', "not a service-account key"),
        ('{"type": "service_account", "private_key": "x"}', "the key lacks client_email"),
        (
            '{"type": "service_account", "client_email": "a@b", "token_uri": "https://t", '
            '"private_key": "-----BEGIN PRIVATE KEY-----\\nSECRETBYTES\\n'
            '-----END PRIVATE KEY-----"}',
            "its private key cannot be read",
        ),
    ],
)
def test_a_bad_key_is_one_line_that_never_shows_the_key(tmp_path, google, key, message):
    district = _config(tmp_path, google, key=key)
    with pytest.raises(ConfigError) as error:
        GoogleStore(district)
    text = str(error.value)
    assert text.startswith(f"google key file {tmp_path / 'key.json'}: {message}")
    assert "\n" not in text and "SECRETBYTES" not in text


def test_a_missing_key_is_one_line_on_the_command_line(tmp_path, google, monkeypatch):
    monkeypatch.delenv("PLANSYNC_GOOGLE_KEY", raising=False)
    district = _config(tmp_path, google)
    config = json.loads((tmp_path / "district.yaml").read_text())
    del config["google"]["key_file"]
    (tmp_path / "district.yaml").write_text(json.dumps(config))
    result = CliRunner().invoke(main, ["sync", str(district.base_dir / "district.yaml")])
    assert result.exit_code == 1
    assert result.output == (
        "Error: google.key_file: not set, and $PLANSYNC_GOOGLE_KEY is empty; name the service "
        "account's JSON key file in one of them\n"
    )


def test_a_key_google_does_not_accept_is_one_line(tmp_path, google):
    stranger = FakeGoogle().service_account(SERVICE_ACCOUNT)  # a key this Google never issued
    district = _config(tmp_path, google, key=json.dumps(stranger))
    with pytest.raises(ConfigError, match="^google key file: Google refused the service"):
        provision_district(district)


def test_the_key_can_come_from_the_environment(tmp_path, google, monkeypatch):
    district = _config(tmp_path, google)
    monkeypatch.setenv("PLANSYNC_GOOGLE_KEY", str(tmp_path / "key.json"))
    config = json.loads((tmp_path / "district.yaml").read_text())
    del config["google"]["key_file"]
    (tmp_path / "district.yaml").write_text(json.dumps(config))
    district = load_config(tmp_path / "district.yaml")
    assert [p.outcome for p in provision_district(district)] == ["created"] * 3
    assert google.calls["oauth.token"] == 1


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c.pop("google"), "district.yaml: google: required key is missing"),
        (lambda c: c["google"].update(folder="x"), "district.yaml: google.folder: unknown key"),
        (
            lambda c: c["google"].update(coach_role="owner"),
            "district.yaml: google.coach_role: Input should be",
        ),
    ],
)
def test_google_config_mistakes_are_one_line(tmp_path, google, change, message):
    _config(tmp_path, google)
    config = json.loads((tmp_path / "district.yaml").read_text())
    change(config)
    (tmp_path / "district.yaml").write_text(json.dumps(config))
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "district.yaml")
    # The file is JSON on one line: every problem is on line 1.
    assert str(error.value).replace(", line 1:", ":").startswith(message)


# -- the fake answers like Google ------------------------------------------------------------------


UNPARSED = {"valueRenderOption": "UNFORMATTED_VALUE"}
REFUSALS = {
    "a tab that is not there": (
        lambda person, key: person.values_batch_get(key, ["'No Such Tab'"], dict(UNPARSED)),
        (400, "INVALID_ARGUMENT", "Unable to parse range: 'No Such Tab'"),
    ),
    "a range past the grid": (
        lambda person, key: person.values_batch_get(key, ["Strategies!A5000"], dict(UNPARSED)),
        (400, "INVALID_ARGUMENT", "exceeds grid limits"),
    ),
    "a sheet id that is not there": (
        lambda person, key: person.batch_update(
            key, {"requests": [{"deleteSheet": {"sheetId": 9}}]}
        ),
        (400, "INVALID_ARGUMENT", "No grid with id: 9"),
    ),
    "an unknown request": (
        lambda person, key: person.batch_update(key, {"requests": [{"frobnicate": {}}]}),
        (400, "INVALID_ARGUMENT", 'Unknown name "frobnicate"'),
    ),
    "an unknown field": (
        lambda person, key: person.fetch_sheet_metadata(key, {"fields": "sheets(nonsense)"}),
        (400, "INVALID_ARGUMENT", "Invalid field selection nonsense"),
    ),
    "an unknown parameter": (
        lambda person, key: person.fetch_sheet_metadata(key, {"colour": "blue"}),
        (400, "INVALID_ARGUMENT", 'Unknown name "colour"'),
    ),
    "a spreadsheet that is not there": (
        lambda person, key: person.fetch_sheet_metadata("no-such-id"),
        (404, "NOT_FOUND", "Requested entity was not found."),
    ),
    "an unknown endpoint": (
        lambda person, key: person.request("get", "https://sheets.googleapis.com/v4/unknown"),
        (404, "NOT_FOUND", "Method not found"),
    ),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_the_fake_refuses_what_google_refuses(make_district, edits, google, case):
    call, (code, status, message) = REFUSALS[case]
    key = edits.spreadsheet_id(make_district(), "north")
    with pytest.raises(APIError) as error:
        call(HTTPClient(None, session=google.session_as(STAFF)), key)
    assert (error.value.code, error.value.error["status"]) == (code, status)
    assert message in error.value.error["message"]


def test_the_fake_refuses_strangers_and_requests_without_a_token(make_district, edits, google):
    key = edits.spreadsheet_id(make_district(), "north")
    stranger = HTTPClient(None, session=google.session_as("nobody@elsewhere.example"))
    with pytest.raises(APIError) as error:
        stranger.fetch_sheet_metadata(key)
    assert (error.value.code, error.value.error["status"]) == (403, "PERMISSION_DENIED")
    anonymous = requests.Session()
    anonymous.mount("https://", google)
    with pytest.raises(APIError) as error:
        HTTPClient(None, session=anonymous).fetch_sheet_metadata(key)
    assert (error.value.code, error.value.error["status"]) == (401, "UNAUTHENTICATED")


def _sheet_ids(value) -> set[int]:
    """Every sheetId a request body refers to."""
    if isinstance(value, dict):
        found = {value["sheetId"]} if "sheetId" in value else set()
        return found.union(*(_sheet_ids(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_sheet_ids(v) for v in value))
    return set()


def _link(cell) -> bool:
    return "link" in cell.get("userEnteredFormat", {}).get("textFormat", {})


def test_schools_whose_spreadsheets_were_never_made_each_get_their_own_issue(make_district):
    district = make_district()
    path = district.base_dir / "district.yaml"
    config = yaml.safe_load(path.read_text("utf-8"))
    config["schools"] += [{"id": "east", "name": "East K-8"}, {"id": "west", "name": "West High"}]
    path.write_text(yaml.safe_dump(config), "utf-8")
    result = run_sync(load_config(path))
    for school_id, name, other in (("east", "East K-8", "West"), ("west", "West High", "East")):
        school = next(s for s in result.schools if s.school.id == school_id)
        messages = [issue.message for issue in school.issues if issue.rule == "workbook-missing"]
        assert len(messages) == 3
        assert all(name in message and other not in message for message in messages)
