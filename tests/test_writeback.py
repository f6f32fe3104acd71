"""Writing the summary tab changes that tab and nothing else a school has in its file."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from district_helpers import (
    good_plan,
    package_parts,
    run_sync,
    school_issues,
    sheet_part,
    workbook_path,
)
from losscheck import INDEX_PARTS, one_element_added
from plansync.catalog import template_by_id
from plansync.errors import WorkbookBusy
from plansync.excel import ExcelStore
from plansync.excel.package import put_sheet, sheet_xml
from plansync.grid import OutSheet

FIXTURES = Path(__file__).parent / "fixtures"
# These pin how the .xlsx package is edited; the Google store's write-back is pinned in
# test_google_store.py.
pytestmark = pytest.mark.backends("excel")


def _values(path: Path) -> dict[str, list]:
    with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
        return {
            name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in book.sheet_names
        }


def _roster_column_only(before: list, after: list) -> bool:
    """The stamp tab changed in its roster column (C) alone: the stamp and the lists kept."""

    def without_roster(rows: list) -> list:
        kept = [[*row[:2], *row[3:]] for row in rows]
        while kept and not any(value not in (None, "") for value in kept[-1]):
            kept.pop()
        return kept

    return without_roster(before) == without_roster(after) and before != after


def test_only_the_summary_and_roster_parts_change_and_every_typed_cell_survives(make_district):
    district = make_district()
    path = workbook_path(district, "north")
    parts, values = package_parts(path), _values(path)
    run_sync(district)
    after = package_parts(path)
    summary, stamp = sheet_part(path, "Coach Summary"), sheet_part(path, "_plansync")
    assert set(after) == set(parts)
    # The first night also copies the team's names into the stamp tab, for the dropdowns.
    assert {name for name in parts if parts[name] != after[name]} == {summary, stamp}
    now = _values(path)
    changed = {name for name, rows in now.items() if rows != values[name]}
    assert changed == {"Coach Summary", "_plansync"}
    assert _roster_column_only(values["_plansync"], now["_plansync"])
    # A night without changes writes neither.
    run_sync(district)
    assert package_parts(path) == after


def _compressed_parts(path: Path) -> dict[str, bytes]:
    """Each part's bytes as stored in the file, still compressed."""
    parts = {}
    with zipfile.ZipFile(path) as package, open(path, "rb") as raw:
        for info in package.infolist():
            raw.seek(info.header_offset + 26)
            name_length, extra_length = (
                int.from_bytes(raw.read(2), "little"),
                int.from_bytes(raw.read(2), "little"),
            )
            raw.seek(info.header_offset + 30 + name_length + extra_length)
            parts[info.filename] = raw.read(info.compress_size)
    return parts


@pytest.mark.parametrize("fixture", [None, "libreoffice-pm-tool.xlsx"])
def test_unchanged_parts_are_copied_still_compressed(make_district, fixture):
    district = make_district()
    path = workbook_path(district, "north")
    if fixture:
        shutil.copy(FIXTURES / fixture, path)
    before = _compressed_parts(path)
    run_sync(district)
    after = _compressed_parts(path)
    written = {sheet_part(path, "Coach Summary"), sheet_part(path, "_plansync")}  # and the roster
    assert {name for name in before if before[name] != after[name]} == written
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None


def test_a_deleted_summary_tab_comes_back_with_three_index_entries_added(make_district):
    district = make_district()
    path = workbook_path(district, "north")
    _drop_sheet_with_zip_surgery(path, "Coach Summary")
    parts = package_parts(path)
    run_sync(district)
    after = package_parts(path)
    new_parts = set(after) - set(parts)
    assert len(new_parts) == 1 and new_parts.pop().startswith("xl/worksheets/sheet")
    changed = {name for name in parts if parts[name] != after[name]}
    assert changed == INDEX_PARTS | {sheet_part(path, "_plansync")}  # and the roster's copy
    assert all(one_element_added(parts[name], after[name]) for name in INDEX_PARTS)
    assert "Coach Summary" in _values(path)


def _drop_sheet_with_zip_surgery(path: Path, name: str) -> None:
    """Remove a tab the way a spreadsheet program would leave the file, without openpyxl."""
    part = sheet_part(path, name)
    parts = package_parts(path)
    workbook = re.sub(
        rb'<sheet name="' + name.encode() + rb'"[^>]*/>', b"", parts["xl/workbook.xml"]
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for part_name, data in parts.items():
            if part_name != part:
                package.writestr(part_name, workbook if part_name == "xl/workbook.xml" else data)


def test_parts_a_library_would_drop_are_kept(make_district):
    """Sparklines, slicers, threaded comments...: parts the sync does not know are copied as is."""
    district = make_district()
    path = workbook_path(district, "north")
    extra = {
        "xl/threadedComments/threadedComment1.xml": b"<ThreadedComments>kept</ThreadedComments>",
        "xl/slicers/slicer1.xml": b"<slicers>also kept</slicers>",
    }
    with zipfile.ZipFile(path, "a") as package:
        for name, data in extra.items():
            package.writestr(name, data)
    run_sync(district)
    after = package_parts(path)
    assert {name: after[name] for name in extra} == extra


@pytest.mark.parametrize(
    "fixture", ["libreoffice-pm-tool.xlsx", "libreoffice-pm-tool-no-summary.xlsx"]
)
def test_a_workbook_saved_by_libreoffice_syncs_and_keeps_its_parts(make_district, fixture):
    district = make_district()
    path = workbook_path(district, "north")
    shutil.copy(FIXTURES / fixture, path)
    parts, values = package_parts(path), _values(path)
    result = run_sync(district)
    # Saved from the template before Goal IDs and the fidelity tab's Strategy ID: the columns
    # `plansync migrate` adds are reported as missing until then, and nothing else is wrong.
    assert [
        (issue.rule, issue.sheet, issue.cell)
        for issue in result.schools[0].issues
        if not issue.quality
    ] == [
        ("column-missing", "EOY Goals", "1:1"),
        ("column-missing", "Benchmarks", "1:1"),
        ("column-missing", "Fidelity", "1:1"),
    ]
    after = package_parts(path)
    changed = {name for name in parts if parts[name] != after[name]}
    stamp = sheet_part(path, "_plansync")  # the roster's copy is written there too
    if "no-summary" in fixture:
        assert changed == INDEX_PARTS | {stamp} and len(set(after) - set(parts)) == 1
    else:
        assert changed == {sheet_part(path, "Coach Summary"), stamp} and set(after) == set(parts)
    assert _roster_column_only(values["_plansync"], _values(path)["_plansync"])
    summary = _values(path)["Coach Summary"]
    assert summary[0][0] == "Coach summary · North Elementary"


def test_a_schools_summary_holds_none_of_another_schools_data(make_district):
    district = make_district(
        {"north": good_plan(" [NORTH-ONLY]"), "south": good_plan(" [SOUTH-ONLY]")}
    )
    run_sync(district)
    north = str(_values(workbook_path(district, "north"))["Coach Summary"])
    south = str(_values(workbook_path(district, "south"))["Coach Summary"])
    assert "NORTH-ONLY" in north and "SOUTH-ONLY" not in north and "South Middle" not in north
    assert "SOUTH-ONLY" in south and "NORTH-ONLY" not in south and "North Elementary" not in south


def test_text_that_looks_like_a_formula_is_written_as_text(make_district):
    """School text starting with =, +, - or @ stays text in the rollup and the summary tab."""
    plan = good_plan()
    typed = {
        "=": '=HYPERLINK("http://evil.example","click")',
        "+": "+1 555 0100",
        "-": "-- which day do data meetings happen?",
        "@": "@Leadership",
    }
    plan["pm_tool"]["action_steps"][1]["owner"] = typed["="]  # due soon: listed with its owner
    plan["roles"]["responsibilities"][0].update(owner=typed["+"], due_date=dt.date(2026, 12, 5))
    plan["decisions"]["decisions"][1].update(decision=typed["-"], decided_by=typed["@"])
    district = make_district({"north": plan})
    result = run_sync(district)
    for path in (Path(result.rollup), workbook_path(district, "north")):
        with zipfile.ZipFile(path) as package:
            sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/sheet")]
            assert not any(
                b"<f>" in package.read(name) or b"<f " in package.read(name) for name in sheets
            )
    rollup = _values(Path(result.rollup))
    assert typed["="] in [row[8] for row in rollup["Action Steps"]]
    assert typed["+"] in [row[4] for row in rollup["Responsibilities"]]
    assert typed["-"] in [row[3] for row in rollup["Decisions"]]
    assert typed["@"] in [row[5] for row in rollup["Decisions"]]
    summary = {
        value for row in _values(workbook_path(district, "north"))["Coach Summary"] for value in row
    }
    assert set(typed.values()) <= summary


def test_an_open_workbook_is_not_written_and_says_so(make_district):
    district = make_district()
    path = workbook_path(district, "north")
    (path.parent / "~$PM Tool.xlsx").write_bytes(b"lock")
    before = path.read_bytes()
    result = run_sync(district)
    assert ("summary-not-written", "Coach Summary", None) in school_issues(result, "north")
    assert path.read_bytes() == before
    assert school_issues(result, "south") == []


def test_a_workbook_changed_since_it_was_read_is_not_overwritten(make_district):
    district = make_district()
    path = workbook_path(district, "north")
    store = ExcelStore(district)
    ref = store.locate(district.schools[0], template_by_id("pm_tool"))
    version = store.read(ref).version
    os.utime(path, ns=(1, 1))  # someone saved it after the sync read it
    before = path.read_bytes()
    with pytest.raises(WorkbookBusy, match="changed while the sync was running"):
        store.write_summary(ref, OutSheet("Coach Summary"), version)
    assert path.read_bytes() == before


def test_the_summary_is_protected_and_links_to_the_cells(make_district):
    plan = good_plan()
    plan["pm_tool"]["action_steps"][1]["owner"] = None
    district = make_district({"north": plan})
    run_sync(district)
    path = workbook_path(district, "north")
    with zipfile.ZipFile(path) as package:
        xml = package.read(sheet_part(path, "Coach Summary")).decode()
    assert '<sheetProtection sheet="1"' in xml
    assert "location=\"'Action Steps'!F3\"" in xml


def test_put_sheet_leaves_no_temporary_file_behind_when_it_fails(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK not really a zip")
    with pytest.raises(Exception):  # noqa: B017 - any failure must leave the folder as it was
        put_sheet(path, "Coach Summary", sheet_xml(OutSheet("Coach Summary")))
    assert [p.name for p in tmp_path.iterdir()] == ["broken.xlsx"]


class _Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek in: it writes each part's sizes after its bytes (a data
    descriptor), as some programs save."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk) -> int:  # type: ignore[override]
        self.data += chunk
        return len(chunk)


def _saved_streaming(source: Path, extra: dict[str, bytes]) -> bytes:
    stream = _Unseekable()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info))
        for name, data in extra.items():
            new.writestr(name, data)
    return bytes(stream.data)


def test_parts_are_copied_intact_whatever_way_their_package_was_saved(tmp_path):
    """Parts are copied back to back as they lie in the file: with data descriptors after them,
    beside a part with a name in UTF-8, and behind a part replaced in between."""
    book = openpyxl.Workbook()
    book.active.title = "Plan"
    book.active["A1"] = "typed by the school"
    book.create_sheet("Coach Summary")["A1"] = "old summary"
    book.create_sheet("Notes")["B2"] = 42
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    path = tmp_path / "streamed.xlsx"
    path.write_bytes(_saved_streaming(plain, {"customXml/résumé.xml": b"<r>kept</r>"}))
    with zipfile.ZipFile(path) as package:
        assert all(info.flag_bits & 0x08 for info in package.infolist())
        before = {info.filename: package.read(info) for info in package.infolist()}

    summary = OutSheet("Coach Summary")
    summary.add("new summary")
    put_sheet(path, "Coach Summary", sheet_xml(summary))

    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        after = {info.filename: package.read(info) for info in package.infolist()}
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed == {sheet_part(path, "Coach Summary")}
    assert after["customXml/résumé.xml"] == b"<r>kept</r>"
    values = _values(path)
    assert values["Plan"][0][0] == "typed by the school"
    assert values["Coach Summary"][0][0] == "new summary"
    assert values["Notes"][1][1] == 42
