"""Workbooks as real programs save them, and config values whatever characters they hold.

What Excel, Excel for Mac, LibreOffice and Google's export put over a data tab (tables, filters,
conditional formats, validations, comments, rich text, merged cells, hidden rows and columns,
defined names, frozen panes, the 1904 date system, shared formulas with cached results) must
never turn into rows, dates or values the school did not type.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import zipfile

import pytest
from district_helpers import (
    CONFIG,
    STRICT_NAMESPACES,
    edit_workbook,
    good_plan,
    libreoffice_convert,
    package_parts,
    run_sync,
    save_as_strict,
    sheet_part,
    workbook_path,
)
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from plansync.excel.package import _escape
from plansync.grid import cell_text

pytestmark = pytest.mark.backends("excel")  # files saved by spreadsheet programs


def _typed(result, school_id: str = "north") -> dict[str, list[tuple]]:
    """Every row of the school's PM Tool as (row number, values) per tab: what the sync read."""
    school = next(s for s in result.schools if s.school.id == school_id)
    tables = school.tables("pm_tool")
    assert tables is not None
    return {
        key: [(row.number, tuple(row.value(k) for k in row.cells)) for row in table.rows]
        for key, table in tables.tables.items()
    }


def _issues(result, school_id: str = "north") -> list[tuple]:
    school = next(s for s in result.schools if s.school.id == school_id)
    return sorted((i.rule, i.sheet or "", i.cell or "", i.message) for i in school.issues)


def test_a_workbook_in_the_1904_date_system_reads_the_dates_the_school_typed(make_district):
    district = make_district()
    path = workbook_path(district, "north")

    def to_1904(book):
        book.epoch = CALENDAR_MAC_1904  # Excel for Mac's old default
        steps = book["Action Steps"]
        # D3 pasted as a bare number (General format): a day count from 1904-01-01.
        steps["D3"].value = (dt.date(2026, 12, 5) - dt.date(1904, 1, 1)).days
        steps["D3"].number_format = "General"

    edit_workbook(path, to_1904)
    with zipfile.ZipFile(path) as package:
        assert b'date1904="1"' in package.read("xl/workbook.xml")
    result = run_sync(district)
    steps = result.schools[0].tables("pm_tool").tables["action_steps"]
    assert [(row.value("start_date"), row.value("due_date")) for row in steps.rows] == [
        (dt.date(2026, 9, 1), dt.date(2026, 10, 1)),
        (dt.date(2026, 11, 20), dt.date(2026, 12, 5)),
    ]
    assert _issues(result) == []
    # The next night takes it from the state file, 1904 system and all.
    again = run_sync(district, today=dt.date(2026, 11, 28))
    assert again.workbooks_read == 0
    assert _typed(again) == _typed(result)


def test_what_excel_puts_over_a_data_tab_adds_no_rows_dates_or_values(make_district):
    district = make_district()
    before = run_sync(district)
    typed, issues = _typed(before), _issues(before)

    def decorate(book):
        steps = book["Action Steps"]
        table = Table(displayName="Steps", ref="A1:G3")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium9", showRowStripes=True)
        steps.add_table(table)  # a ListObject, with its own autofilter
        steps.conditional_formatting.add(
            "D2:D500",
            CellIsRule(
                operator="lessThan", formula=["TODAY()"], fill=PatternFill("solid", "FFC7CE")
            ),
        )
        rule = DataValidation(type="whole", operator="between", formula1="0", formula2="9")
        steps.add_data_validation(rule)
        rule.add("H2:H20")
        steps["B2"].comment = Comment("Ask Ana about the dates", "Coach")
        steps["F3"].value = CellRichText(
            TextBlock(InlineFont(b=True), "Ben"), TextBlock(InlineFont(i=True), " Brooks")
        )
        steps.row_dimensions[3].hidden = True
        steps.column_dimensions["E"].hidden = True
        steps.freeze_panes = "C2"
        strategies = book["Strategies"]
        strategies.auto_filter.ref = "A1:C3"
        strategies["F1"] = "Notes"
        strategies.merge_cells("F1:H1")  # a merged header of the school's own, beside the table
        book.defined_names["Owners"] = DefinedName("Owners", attr_text="'Action Steps'!$F$2:$F$3")
        book.calculation.fullCalcOnLoad = True

    edit_workbook(workbook_path(district, "north"), decorate)
    after = run_sync(district)
    assert after.workbooks_read == 1
    assert _typed(after) == typed
    assert _issues(after) == issues


def test_shared_formulas_and_inline_strings_read_as_their_saved_results(make_district):
    district = make_district()
    before = run_sync(district)
    typed = _typed(before)
    path = workbook_path(district, "north")
    parts = package_parts(path)
    part = sheet_part(path, "Action Steps")
    # What Excel writes for a formula filled down: the first cell holds it, the next shares it;
    # both carry their last result. An inline string as Google's export and others write it.
    cells = {
        "F2": '<c r="F2" t="str"><f t="shared" ref="F2:F3" si="0">PROPER(H2)</f>'
        "<v>Ana Alvarez</v></c>",
        "F3": '<c r="F3" t="str"><f t="shared" si="0"/><v>Ben Brooks</v></c>',
        "E2": '<c r="E2" t="inlineStr"><is><r><t xml:space="preserve">Two PD </t></r><r><rPr><b/>'
        "</rPr><t>afternoons</t></r></is></c>",
    }
    for ref, xml in cells.items():
        pattern = rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)'
        parts[part], count = re.subn(pattern, xml.encode(), parts[part], count=1, flags=re.S)
        assert count == 1, ref
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    after = run_sync(district)
    assert _typed(after) == typed
    assert _issues(after) == _issues(before)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_a_workbook_saved_again_by_libreoffice_reads_the_same(make_district, tmp_path):
    district = make_district()
    before = run_sync(district)
    path = workbook_path(district, "north")
    saved = libreoffice_convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "out", tmp_path)
    shutil.copyfile(saved, path)
    with zipfile.ZipFile(path) as package:  # LibreOffice writes shared strings, not inline ones
        assert "xl/sharedStrings.xml" in package.namelist()
    after = run_sync(district)
    assert after.workbooks_read == 1
    assert _typed(after) == _typed(before)
    assert _issues(after) == _issues(before)


@pytest.mark.parametrize("summary_tab", ["there", "deleted"])
def test_a_strict_open_xml_workbook_is_read_and_written_in_its_own_namespaces(
    make_district, summary_tab
):
    district = make_district()
    run_sync(district)
    path = workbook_path(district, "north")

    def edit(book):
        book["Strategies"]["B2"] = "Teams plan every lesson from student work."
        if summary_tab == "deleted":
            book.remove(book["Coach Summary"])

    edit_workbook(path, edit)
    save_as_strict(path)
    night = run_sync(district)
    assert night.summaries_written == 1
    assert not [i for i in night.issues if i.rule in ("summary-not-written", "roster-not-written")]
    strategies = _typed(night)["strategies"]
    assert strategies[0][1][1] == "Teams plan every lesson from student work."
    # Every part the sync wrote speaks the package's own namespaces: none the transitional ones.
    parts = package_parts(path)
    for name, data in parts.items():
        if name != "[Content_Types].xml":
            assert not any(transitional in data for transitional in STRICT_NAMESPACES), name
    summary = parts[sheet_part(path, "Coach Summary")]
    assert b'xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"' in summary
    assert b"Coach summary" in summary
    if summary_tab == "deleted":  # added again: its entry and relationship are strict too
        rels = parts["xl/_rels/workbook.xml.rels"]
        assert b"purl.oclc.org/ooxml/officeDocument/relationships/worksheet" in rels


# -- values from the config, whatever their characters --------------------------------------------

AWKWARD_CYCLES = [
    'Fall, "early" checks',
    "Winter; 'mid' & <review>",
    "Spring " + "long name " * 10 + "= done",
    '=HYPERLINK("x") ' + "ünïcödé 🍎 " * 8 + "end",
]


def _awkward_district(make_district):
    config = json.loads(json.dumps(CONFIG))
    starts = ["2026-08-17", "2026-11-02", "2027-02-01", "2027-05-03"]
    ends = ["2026-10-30", "2027-01-29", "2027-04-30", "2027-06-25"]
    config["cycles"] = [
        {"name": name, "start": start, "end": end}
        for name, start, end in zip(AWKWARD_CYCLES, starts, ends, strict=True)
    ]
    plan = good_plan()
    names = dict(zip(["Cycle 1", "Cycle 2"], AWKWARD_CYCLES, strict=False))
    for benchmark in plan["pm_tool"]["benchmarks"]:
        benchmark["cycle"] = names[benchmark["cycle"]]
    # Longer than the 255 characters a literal dropdown list may hold in Excel.
    assert len(",".join(AWKWARD_CYCLES)) > 255
    return make_district({"north": plan, "south": plan}, cycles=config["cycles"])


def test_dropdowns_of_config_values_reference_the_hidden_tab(make_district):
    district = _awkward_district(make_district)
    from openpyxl import load_workbook

    book = load_workbook(workbook_path(district, "north"))
    rules = {
        area.coord.split(":")[0].rstrip("0123456789"): rule.formula1
        for rule in book["Benchmarks"].data_validations.dataValidation
        for area in rule.sqref.ranges
    }
    cycle_rule = rules["B"]
    assert cycle_rule.startswith("_plansync!$") and '"' not in cycle_rule
    cells = cycle_rule.split("!")[1].replace("$", "")
    assert [row[0].value for row in book["_plansync"][cells]] == AWKWARD_CYCLES
    assert all(not f.startswith('"') for f in rules.values())
    result = run_sync(district)
    assert "invalid-choice" not in {rule for rule, *_ in _issues(result)}
    assert _issues(result) == []


@pytest.mark.backends("google")
def test_google_dropdowns_of_config_values_reference_the_hidden_tab(make_district, google):
    district = _awkward_district(make_district)
    requests = [
        request
        for call in google.log
        if call.endpoint == "sheets.spreadsheets.batchUpdate" and isinstance(call.body, dict)
        for request in call.body.get("requests", [])
    ]
    conditions = [
        r["setDataValidation"]["rule"]["condition"] for r in requests if "setDataValidation" in r
    ]
    assert conditions and all(c["type"] != "ONE_OF_LIST" for c in conditions)
    written = json.dumps(requests, ensure_ascii=False)
    for name in AWKWARD_CYCLES:
        assert json.dumps(name, ensure_ascii=False) in written
    result = run_sync(district)
    assert _issues(result) == []


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        ("plain", 10, "plain"),
        ("bell\x07 and\x1f tab\tok", 100, "bell  and  tab\tok"),
        ("lone \ud800 surrogate", 100, "lone \ufffd surrogate"),
        ("pair \ud83c\udf4e joined", 100, "pair 🍎 joined"),
        # Spreadsheets count UTF-16 units: an emoji is two, and is never cut in half.
        ("🍎🍎🍎🍎", 6, "🍎🍎…"),
        ("a🍎🍎🍎", 6, "a🍎🍎…"),
        ("ééééé", 4, "ééé…"),
    ],
)
def test_text_is_cut_and_cleaned_so_the_xml_it_sits_in_stays_valid(text, limit, expected):
    from xml.etree import ElementTree

    kept = cell_text(text, limit)
    assert kept == expected
    assert len(kept.encode("utf-16-le")) // 2 <= limit or kept == text
    ElementTree.fromstring(f"<t>{_escape(kept)}</t>".encode())


@pytest.mark.backends("excel", "google")
def test_a_new_stamp_keeps_the_dropdown_choices_beside_it(make_district, edits):
    from plansync.catalog import template_by_id
    from plansync.store import open_store

    district = make_district()
    before = edits.tabs(district, "north")["_plansync"]
    choices = [row[3:] for row in before if any(v not in ("", None) for v in row[3:])]
    assert choices, "the provisioned stamp tab holds the dropdowns' choices"
    store = open_store(district)
    ref = store.locate(district.school("north"), template_by_id("pm_tool"))
    stamp = {str(row[0]): str(row[1]) for row in before if row and row[0]}
    store.restamp(ref, {**stamp, "school": "North Elementary (renamed)"})
    after = edits.tabs(district, "north")["_plansync"]
    assert [row[3:] for row in after if any(v not in ("", None) for v in row[3:])] == choices
    assert ["school", "North Elementary (renamed)"] in [list(row[:2]) for row in after]
