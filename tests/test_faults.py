"""The fault corpus: bad cells, structures and files, each built from a good provisioned district.

Every case must give its issue (rule, tab, cell) for North, leave South without issues, roll up
both schools, and pass the loss check (tests/losscheck.py): nothing a school owns changes. Cases
that test_rules.py already covers (a deleted, renamed or hidden tab, a renamed column, a missing
stamp, another school's copy, a deleted or garbled file) are not repeated here.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msoffcrypto.format.ooxml
import pytest
import python_calamine
from district_helpers import (
    TODAY,
    edit_workbook,
    good_plan,
    package_parts,
    run_sync,
    school_issues,
    sheet_part,
)
from district_helpers import workbook_path as path_of
from losscheck import assert_nothing_lost, snapshot_files
from plansync import nightly
from plansync.catalog import template_by_id
from plansync.checks import CheckContext
from plansync.excel.package import put_sheet, sheet_xml
from plansync.grid import OutSheet
from plansync.nightly import check_school, write_summary
from plansync.reports.summary import build_summary
from plansync.results import SchoolResult, WorkbookResult
from plansync.state import STATE_NAME, StateStore
from plansync.store import open_store
from plansync.tables import read_tables

# These cases are about .xlsx files on disk; the Google store has its own faults in
# test_google_store.py.
pytestmark = pytest.mark.backends("excel")

FIXTURES = Path(__file__).parent / "fixtures"
SCHOOL_NAMES = {"North Elementary", "South Middle School"}

Expected = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class Case:
    # North's issue that must be reported; None when North must have no issue at all.
    expected: Expected | None
    # A change to North's plan before it is provisioned, and/or a fault done to its files after.
    plan: Callable[[dict], None] | None = None
    fault: Callable | None = None
    # Words the issue's message must hold, so that a school team knows what happened.
    says: str = ""


def rolled_up(result) -> set[str]:
    """The school names on the rollup's Schools tab."""
    with python_calamine.CalamineWorkbook.from_path(result.rollup) as book:
        rows = book.get_sheet_by_name("Schools").to_python()
    return {row[0] for row in rows[1:]}


def cells(path: Path, sheet: str) -> list[list]:
    with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


# -- ways to break North's files -----------------------------------------------------------------


def edit(change: Callable, title: str = "PM Tool") -> Callable:
    """Open North's workbook in a spreadsheet library, change it and save it, as a person would."""
    return lambda district: edit_workbook(path_of(district, "north", title), change)


def put_cell_xml(sheet: str, ref: str, xml: str, title: str = "PM Tool") -> Callable:
    """Replace one cell's XML with what Excel writes for it (a formula, a cached result, an error):
    no Python library writes cached formula results, so the package is edited directly."""

    def fault(district):
        path = path_of(district, "north", title)
        parts = package_parts(path)
        part = sheet_part(path, sheet)
        pattern = rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)'
        parts[part], replaced = re.subn(pattern, xml.encode(), parts[part], count=1, flags=re.S)
        assert replaced == 1, f"{sheet}!{ref} is not in the provisioned workbook"
        write_package(path, parts)

    return fault


def write_package(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)


def truncate(title: str) -> Callable:
    def fault(district):
        path = path_of(district, "north", title)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return fault


def empty(title: str) -> Callable:
    return lambda district: path_of(district, "north", title).write_bytes(b"")


def encrypt(title: str) -> Callable:
    """Put a password on the workbook the way Excel does (ECMA-376 agile encryption)."""

    def fault(district):
        path = path_of(district, "north", title)
        encrypted = io.BytesIO()
        with path.open("rb") as plain:
            msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("school-secret", encrypted)
        path.write_bytes(encrypted.getvalue())

    return fault


def saved_as_xls_beside(district):
    """Save As › Excel 97-2003: PM Tool.xls appears, PM Tool.xlsx goes (a fixture LibreOffice
    wrote, as no Python library writes .xls)."""
    path = path_of(district, "north")
    shutil.copy(FIXTURES / "libreoffice-pm-tool.xls", path.with_suffix(".xls"))
    path.unlink()


def xls_named_xlsx(district):
    shutil.copy(FIXTURES / "libreoffice-pm-tool.xls", path_of(district, "north", "Decision Log"))


def csv_of(path: Path, sheet: str) -> str:
    text = io.StringIO()
    csv.writer(text).writerows(cells(path, sheet))
    return text.getvalue()


def saved_as_csv_beside(district):
    """Save As › CSV keeps the tab in view only, under the same name with .csv."""
    path = path_of(district, "north", "Roles and Responsibilities")
    path.with_suffix(".csv").write_text(csv_of(path, "Team"), "utf-8")
    path.unlink()


def csv_named_xlsx(district):
    path = path_of(district, "north", "Roles and Responsibilities")
    path.write_text(csv_of(path, "Team"), "utf-8")


def part_changed(sheet: str, change: Callable[[bytes], bytes | None]) -> Callable:
    """Change the package part that holds the PM Tool's tab `sheet` (None: leave it out), the
    zip itself intact: what a program other than a spreadsheet program can leave behind."""

    def fault(district):
        path = path_of(district, "north")
        parts = package_parts(path)
        part = sheet_part(path, sheet)
        changed = change(parts[part])
        if changed is None:
            del parts[part]
        else:
            parts[part] = changed
        write_package(path, parts)

    return fault


def shared_text_lost(district) -> None:
    """The PM Tool as spreadsheet programs save it, its text kept in one shared part which a
    cell of the Strategies tab refers to, and then that part lost: the workbook still names it."""
    path = path_of(district, "north")
    parts = package_parts(path)
    rels = "xl/_rels/workbook.xml.rels"
    shared = (
        b'<Relationship Id="rIdShared" Target="sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    )
    parts[rels] = parts[rels].replace(b"</Relationships>", shared)
    strategies = sheet_part(path, "Strategies")
    parts[strategies] = re.sub(
        rb'<c r="B2"([^>]*) t="inlineStr"><is><t>[^<]*</t></is></c>',
        rb'<c r="B2"\1 t="s"><v>0</v></c>',
        parts[strategies],
        count=1,
    )
    write_package(path, parts)


# Entities that would expand to a billion "lol"s, as in the classic attack on XML parsers.
LAUGHS = (
    b'<!DOCTYPE worksheet [<!ENTITY l0 "lol">'
    + b"".join(b'<!ENTITY l%d "%s">' % (n, b"&l%d;" % (n - 1) * 10) for n in range(1, 10))
    + b"]>"
)


def with_laughs(xml: bytes) -> bytes:
    """The tab declares the entities, and its first strategy's name uses the largest."""
    xml = xml.replace(b"<worksheet", LAUGHS + b"<worksheet", 1)
    return re.sub(rb"(<c r=\"B2\"[^>]*><is><t>)[^<]*", rb"\1&l9;", xml, count=1)


def renamed(name: str) -> Callable:
    """The Decision Log renamed by hand, or come back from an email or a download, as `name`."""

    def fault(district):
        path = path_of(district, "north", "Decision Log")
        path.rename(path.with_name(name))

    return fault


def lock_beside(name: str) -> Callable:
    return lambda district: (path_of(district, "north").parent / name).write_bytes(b"lock")


def make_read_only(which: str) -> Callable:
    def fault(district):
        path = path_of(district, "north")
        target = path if which == "file" else path.parent
        target.chmod(stat.S_IMODE(target.stat().st_mode) & ~0o222)

    return fault


def odd_choices(plan):
    plan["pm_tool"]["benchmarks"][0]["status"] = "  met "
    plan["pm_tool"]["action_steps"][1]["status"] = "IN-PROGRESS"


def numbered_strategies(plan):
    """Strategy IDs typed as numbers on one tab and as text (a number stored as text) on others."""
    for number, strategy in enumerate(plan["pm_tool"]["strategies"], start=1):
        strategy["id"] = number
    for tab in ("goals", "benchmarks", "action_steps"):
        for row in plan["pm_tool"][tab]:
            row["strategy"] = row["strategy"].removeprefix("MIS ")


def move_first(tab: str) -> Callable:
    return edit(lambda book: book.move_sheet(tab, offset=-book.sheetnames.index(tab)))


def group_row_above_header(book):
    steps = book["Action Steps"]
    steps.insert_rows(1)
    steps["C1"] = "When"
    steps.merge_cells("C1:D1")


def header_repeated(book):
    steps = book["Action Steps"]
    steps.insert_rows(3)
    for column in range(1, 8):
        steps.cell(3, column).value = steps.cell(1, column).value


def row_far_below(book):
    steps = book["Action Steps"]
    values = ["MIS 1", "Visit classrooms", "2026-12-01", "2026-12-18", "Sub coverage", None, ""]
    for column, value in enumerate(values, start=1):
        steps.cell(5000, column).value = value


CASES: dict[str, Case] = {
    # cells
    "#REF! in a required cell": Case(
        ("cell-error", "Action Steps", "F3"),
        fault=edit(lambda book: book["Action Steps"].cell(3, 6, "#REF!")),
        says="shows the error #REF!",
    ),
    "#N/A in a date cell": Case(
        ("cell-error", "Action Steps", "D2"),
        fault=edit(lambda book: book["Action Steps"].cell(2, 4, "#N/A")),
        says="shows the error #N/A",
    ),
    "a formula whose cached result is #DIV/0!": Case(
        ("cell-error", "Benchmarks", "F2"),
        fault=put_cell_xml("Benchmarks", "F2", '<c r="F2" t="e"><f>80/0</f><v>#DIV/0!</v></c>'),
        says="#DIV/0!",
    ),
    "a formula with its cached result": Case(
        None,
        fault=put_cell_xml(
            "Action Steps",
            "F3",
            '<c r="F3" t="str"><f>"Ben "&amp;"Brooks"</f><v>Ben Brooks</v></c>',
        ),
    ),
    "a formula with no saved result": Case(
        ("formula-no-result", "Action Steps", "F3"),
        fault=edit(lambda book: book["Action Steps"].cell(3, 6, '=PROPER("ben brooks")')),
        says="result was never saved",
    ),
    "numbers stored as text": Case(None, plan=numbered_strategies),
    "choices in odd case and spacing": Case(None, plan=odd_choices),
    # structure
    "tabs in another order": Case(None, fault=move_first("Action Steps")),
    "a grouping row above the header": Case(None, fault=edit(group_row_above_header)),
    "the header repeated inside the table": Case(
        ("header-repeated", "Action Steps", "3:3"),
        fault=edit(header_repeated),
        says="Row 3 repeats the column headers",
    ),
    "a row far below the table": Case(
        ("required", "Action Steps", "F5000"), fault=edit(row_far_below)
    ),
    "a value in the sheet's very last cell": Case(
        ("far-cell", "Action Steps", "XFD1048576"),
        fault=edit(lambda book: book["Action Steps"].cell(1_048_576, 16_384, "oops")),
        says="Delete it, or move it into the table",
    ),
    # files
    "a truncated workbook": Case(
        ("workbook-unreadable", None, None), fault=truncate("PM Tool"), says="damaged or incomplete"
    ),
    "a tab cut off inside an intact file": Case(
        ("workbook-unreadable", "Benchmarks", None),
        fault=part_changed("Benchmarks", lambda xml: xml[: len(xml) // 2]),
        says="PM Tool.xlsx is damaged: its Benchmarks tab is not complete XML",
    ),
    "a tab missing from the file": Case(
        ("workbook-unreadable", "EOY Goals", None),
        fault=part_changed("EOY Goals", lambda xml: None),
        says="PM Tool.xlsx is damaged: its EOY Goals tab is missing from the file",
    ),
    "the shared text missing from the file": Case(
        ("workbook-unreadable", None, None),
        fault=shared_text_lost,
        says="the text its tabs share (xl/sharedStrings.xml) is missing from the file",
    ),
    "a tab declaring a billion laughs": Case(
        ("workbook-unreadable", "Strategies", None),
        fault=part_changed("Strategies", with_laughs),
        says="its Strategies tab declares XML entities of its own",
    ),
    "an empty file": Case(
        ("workbook-unreadable", None, None), fault=empty("Decision Log"), says="is empty"
    ),
    "a password to open": Case(
        ("workbook-password", None, None), fault=encrypt("PM Tool"), says="needs a password"
    ),
    "saved as .xls": Case(
        ("workbook-format", None, None),
        fault=saved_as_xls_beside,
        says="There is no PM Tool.xlsx, but there is “PM Tool.xls”: the workbook was saved as the "
        "old Excel 97-2003 format",
    ),
    "saved as .csv": Case(
        ("workbook-format", None, None),
        fault=saved_as_csv_beside,
        says="saved as CSV text (.csv), which keeps only one tab",
    ),
    "an .xls renamed .xlsx": Case(
        ("workbook-format", None, None), fault=xls_named_xlsx, says="old Excel 97-2003 format"
    ),
    "CSV text renamed .xlsx": Case(
        ("workbook-format", None, None), fault=csv_named_xlsx, says="holds CSV text"
    ),
    "a name in other letter case": Case(
        ("workbook-missing", None, None),
        fault=renamed("decision log.xlsx"),
        says="there is “decision log.xlsx”. Rename it Decision Log.xlsx",
    ),
    "a space before the extension": Case(
        ("workbook-missing", None, None),
        fault=renamed("Decision Log .xlsx"),
        says="there is “Decision Log .xlsx”. Rename it Decision Log.xlsx",
    ),
    "the extension typed twice": Case(
        ("workbook-missing", None, None),
        fault=renamed("Decision Log.xlsx.xlsx"),
        says="there is “Decision Log.xlsx.xlsx”. Rename it Decision Log.xlsx",
    ),
    "underscores for spaces": Case(
        ("workbook-missing", None, None),
        fault=renamed("Decision_Log.xlsx"),
        says="there is “Decision_Log.xlsx”. Rename it Decision Log.xlsx",
    ),
    "the school's folder renamed": Case(
        ("workbook-missing", None, None),
        fault=lambda district: path_of(district, "north").parent.rename(
            district.workbooks_dir / "North "
        ),
        says="The school's folder north is not there, but there is “North ”. Rename it north",
    ),
    "the school's folder gone": Case(
        ("workbook-missing", None, None),
        fault=lambda district: shutil.rmtree(path_of(district, "north").parent),
        says="The school's folder north is not there, so none of its workbooks are",
    ),
    "another format and spelling": Case(
        ("workbook-format", None, None),
        fault=renamed("decision-log.xlsm"),
        says="there is “decision-log.xlsm”: the workbook was saved as a macro-enabled workbook",
    ),
    "open in LibreOffice": Case(
        ("summary-not-written", "Coach Summary", None),
        fault=lock_beside(".~lock.PM Tool.xlsx#"),
        says="open in a spreadsheet program",
    ),
    "a read-only file": Case(
        ("summary-not-written", "Coach Summary", None),
        fault=make_read_only("file"),
        says="file is marked read-only",
    ),
    "a read-only folder": Case(
        ("summary-not-written", "Coach Summary", None),
        fault=make_read_only("folder"),
        says="folder holding the file is marked read-only",
    ),
}


@pytest.mark.parametrize("name", CASES, ids=list(CASES))
def test_a_fault_is_reported_and_nothing_is_lost(make_district, name):
    case = CASES[name]
    plan = good_plan(" (North Elementary)")
    if case.plan:
        case.plan(plan)
    district = make_district({"north": plan})
    if case.fault:
        case.fault(district)
    before = snapshot_files(district.workbooks_dir)
    result = run_sync(district)
    north = next(school for school in result.schools if school.school.id == "north")
    if case.expected is None:
        assert school_issues(result, "north") == []
    else:
        assert case.expected in school_issues(result, "north")
        [issue] = [i for i in north.issues if (i.rule, i.sheet, i.cell) == case.expected][:1]
        assert case.says in issue.message
    assert school_issues(result, "south") == []
    assert rolled_up(result) == SCHOOL_NAMES
    assert_nothing_lost(before, district.workbooks_dir)


# -- cells whose content must come through whole ------------------------------------------------


def test_a_formulas_cached_result_is_what_the_rollup_shows(make_district):
    district = make_district()
    CASES["a formula with its cached result"].fault(district)
    result = run_sync(district)
    steps = cells(Path(result.rollup), "Action Steps")
    owners = [row[8] for row in steps if row[1] == "north"]
    assert owners == ["Ana Alvarez", "Ben Brooks"]


def test_very_long_text_comes_through_whole_and_messages_stay_short(make_district):
    plan = good_plan()
    description = ("Every family hears from us early and often. " * 800)[:32_767].strip()
    plan["pm_tool"]["strategies"][1]["description"] = description
    plan["pm_tool"]["benchmarks"][0]["status"] = "Mostly met, see notes. " * 300
    district = make_district({"north": plan})
    result = run_sync(district)
    [issue] = result.schools[0].issues
    assert (issue.rule, issue.sheet, issue.cell) == ("invalid-choice", "Benchmarks", "H2")
    assert len(issue.message) < 250 and "…”" in issue.message
    strategies = cells(Path(result.rollup), "Strategies")
    assert [row[5] for row in strategies if row[1] == "north"][1] == description
    summary = cells(path_of(district, "north"), "Coach Summary")
    assert any(issue.message in row for row in summary)


def test_non_latin_text_and_emoji_round_trip_into_the_rollup_and_the_summary(make_district):
    plan = good_plan()
    step = "Lectura diaria 📚 每日阅读 — قراءة يومية · Ежедневное чтение 👩🏽‍🏫"
    plan["pm_tool"]["action_steps"][1].update(step=step, owner=None)
    # Renamed everywhere the plan names her, so the roster still holds every owner.
    for workbook in plan.values():
        for rows in workbook.values():
            for row in rows:
                for key, value in row.items():
                    if value == "Ana Alvarez":
                        row[key] = "Zoë Nguyễn-Øster 🌻"
    district = make_district({"north": plan})
    result = run_sync(district)
    assert school_issues(result, "north") == [("required", "Action Steps", "F3")]
    assert result.schools[0].issues[0].message.startswith(f"“{step}”: Owner is empty.")
    rollup = Path(result.rollup)
    assert step in [row[4] for row in cells(rollup, "Action Steps")]
    assert "Zoë Nguyễn-Øster 🌻" in [row[3] for row in cells(rollup, "Team")]
    summary = cells(path_of(district, "north"), "Coach Summary")
    assert any(str(value).startswith(f"“{step}”") for row in summary for value in row)


# -- leaks, races and a big workbook ------------------------------------------------------------


def test_a_copy_of_another_schools_workbook_shows_none_of_its_data(make_district):
    district = make_district(
        {"north": good_plan(" [NORTH-ONLY]"), "south": good_plan(" [SOUTH-ONLY]")}
    )
    shutil.copy(
        path_of(district, "south", "Decision Log"), path_of(district, "north", "Decision Log")
    )
    result = run_sync(district)
    assert ("stamp-school", "_plansync", None) in school_issues(result, "north")
    summary = str(cells(path_of(district, "north"), "Coach Summary"))
    assert "SOUTH-ONLY" not in summary and "South Middle" not in summary
    rollup = Path(result.rollup)
    north_decisions = [row for row in cells(rollup, "Decisions") if row[1] == "north"]
    assert north_decisions == []
    assert "SOUTH-ONLY" not in str([r for r in cells(rollup, "Issues") if r[1] == "north"])


def _before_writes_of(school_id: str, happen: Callable[[], None], monkeypatch) -> None:
    """`happen` once the school has been read and checked, just before its writes are planned."""
    planned = nightly.plan_writes

    def plan_writes(state, school, *args):
        if school.school.id == school_id:
            happen()
        return planned(state, school, *args)

    monkeypatch.setattr(nightly, "plan_writes", plan_writes)


def test_a_workbook_saved_between_read_and_write_back_keeps_the_new_edits(
    make_district, monkeypatch
):
    """The whole nightly path: someone saves North's PM Tool after the sync has read it."""
    district = make_district()
    path = path_of(district, "north")
    saved = {}

    def someone_saves() -> None:
        edit_workbook(path, lambda book: book["Action Steps"].cell(3, 6, "Carla Diaz"))
        saved.update(snapshot_files(district.workbooks_dir))

    _before_writes_of("north", someone_saves, monkeypatch)
    result = run_sync(district)
    issues = result.schools[0].issues
    # Neither the summary nor the roster's copy (the first night's) is written over the edit.
    assert [(i.rule, i.sheet) for i in issues] == [
        ("summary-not-written", "Coach Summary"),
        ("roster-not-written", "_plansync"),
    ]
    assert all("changed while the sync was running" in issue.message for issue in issues)
    assert cells(path, "Action Steps")[2][5] == "Carla Diaz"
    assert_nothing_lost(saved, district.workbooks_dir)
    assert rolled_up(result) == SCHOOL_NAMES


def test_writes_refused_tonight_are_on_the_rollups_issues_tab(make_district, monkeypatch):
    """Issues found while writing back come after the school's findings were kept: the rollup's
    Issues tab lists them all the same."""
    district = make_district()
    path = path_of(district, "north")

    def someone_saves() -> None:
        edit_workbook(path, lambda book: book["Action Steps"].cell(3, 6, "Carla Diaz"))

    _before_writes_of("north", someone_saves, monkeypatch)
    result = run_sync(district)
    assert _rollup_issues(result, "north") == [
        ("Coach Summary", "changed while the sync was running"),
        ("_plansync", "changed while the sync was running"),
    ]


def _rollup_issues(result, school_id: str) -> list[tuple[str, str]]:
    """The rollup's Issues rows of one school that came from writing back: tab, and the gist."""
    book = python_calamine.CalamineWorkbook.from_path(str(result.rollup))
    rows = book.get_sheet_by_name("Issues").to_python()
    return [
        (row[5], "changed while the sync was running")
        for row in rows[1:]
        if row[1] == school_id and "changed while the sync was running" in row[8]
    ]


def test_a_file_put_back_with_the_same_size_and_time_still_counts_as_changed(
    make_district, monkeypatch
):
    """A backup restored over the workbook after the read keeps its size and time; the sync must
    still not write over it."""
    district = make_district()
    path = path_of(district, "north")

    def restored() -> None:
        backup = path.with_name("backup.xlsx")
        shutil.copy2(path, backup)
        backup.replace(path)

    _before_writes_of("north", restored, monkeypatch)
    result = run_sync(district)
    assert school_issues(result, "north") == [
        ("summary-not-written", "Coach Summary", None),
        ("roster-not-written", "_plansync", None),  # the first night's copy of the team
    ]


def test_a_50000_row_table_is_read_checked_and_summarised(make_district, tmp_path):
    """The read, checks and summary of the nightly sync on a 50,000-row Action Steps tab (the
    rollup of 50,000 rows is left to the benchmark: `bench_sync.py --big-rows 50000` prints the
    time and memory of a whole sync with one)."""
    district = make_district()
    path = path_of(district, "north")
    header = [column.header for column in template_by_id("pm_tool").tab("action_steps").columns]
    rows = [header] + [
        ["MIS 1", f"Step {n}", "2026-09-01", "2027-03-01", "Time", "" if n == 40_000 else "Ana"]
        + ["Not Started"]
        for n in range(2, 50_002)
    ]
    sheet = OutSheet("Action Steps")
    for row in rows:
        sheet.add(*row)
    put_sheet(path, "Action Steps", sheet_xml(sheet, protect=False))

    store, school, template = open_store(district), district.schools[0], template_by_id("pm_tool")
    cycles = tuple(cycle.name for cycle in district.cycles)
    ref = store.locate(school, template)
    tables = read_tables(store.read(ref, skip=(template.summary_tab,)), template, cycles)
    assert len(tables.tables["action_steps"].rows) == 50_000
    result = SchoolResult(school, [WorkbookResult(template, ref, tables)])
    check_school(result, CheckContext("north", TODAY, ("Cycle 1", "Cycle 2")))
    assert [(i.rule, i.sheet, i.cell) for i in result.issues] == [
        ("required", "Action Steps", "F40000")
    ]
    with StateStore(tmp_path / STATE_NAME) as state:
        write_summary(store, state, result, build_summary(result, district, TODAY))
    assert any("Action Steps, Owner, row 40000" in row for row in cells(path, "Coach Summary"))
