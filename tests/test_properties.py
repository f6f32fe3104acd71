"""Property: whatever a school types, the sync finishes, and every issue points at a real place.

Hypothesis fills one of North's PM Tool tabs with arbitrary cells: text with control characters and
emoji, numbers, dates, booleans, text beginning with =, +, - or @, error cells and formulas with
and without a saved result. The cells are written as Excel writes them (control characters as
_xHHHH_ escapes, which no spreadsheet library writes), then the whole nightly sync runs on a copy of
a provisioned district. Every issue must name an existing tab of its workbook, and its cell must be
inside that tab's used range (one row past it for a row the plan still needs).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import python_calamine
import yaml
from district_helpers import CONFIG, TODAY, good_plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plansync.catalog import template_by_id
from plansync.config import load_config
from plansync.excel.package import put_sheet
from plansync.grid import column_letter, parse_a1
from plansync.nightly import sync_district
from plansync.provision import provision_district

PM_TOOL = template_by_id("pm_tool")
TABS = [tab for tab in PM_TOOL.tabs if not tab.optional]
CHOICES = sorted({choice for tab in TABS for column in tab.columns for choice in column.choices})

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
formula_like = st.tuples(st.sampled_from("=+-@"), text).map("".join)
odd_choice = st.tuples(st.sampled_from(CHOICES), st.sampled_from(["", " ", "  "])).map(
    lambda pair: pair[1] + pair[0].swapcase() + pair[1]
)
number = st.integers(-(10**9), 10**9) | st.floats(allow_nan=False, allow_infinity=False)
date = st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2099, 12, 31))
error = st.sampled_from(["#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"])
formula = st.tuples(
    st.sampled_from(["A1&B1", "SUM(C2:C9)", "VLOOKUP(A2,Strategies!A:B,2,0)", "1/0"]),
    st.none() | text,
)
cell = st.one_of(
    st.none(),
    text,
    formula_like,
    odd_choice,
    number,
    date,
    st.booleans(),
    error.map(lambda code: ("error", code)),
    formula.map(lambda pair: ("formula", *pair)),
)


@st.composite
def tab_contents(draw):
    """A tab name and its rows: the template's header (a cell or two may be changed), then data."""
    tab = draw(st.sampled_from(TABS))
    header = [column.header for column in tab.columns]
    for index in draw(st.lists(st.integers(0, len(header) - 1), max_size=2)):
        header[index] = draw(cell)
    width = len(header) + draw(st.integers(0, 2))
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), max_size=8))
    return tab.title, [header, *rows]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A provisioned two-school district with complete plans, copied afresh for each example."""
    folder = tmp_path_factory.mktemp("pristine")
    (folder / "district.yaml").write_text(yaml.safe_dump(CONFIG), "utf-8")
    district = load_config(folder / "district.yaml")

    def fill(school, template, plan):
        rows = good_plan()
        for table in plan.tables:
            table.rows = copy.deepcopy(rows[template.id].get(table.tab.key, []))
        return plan

    provision_district(district, fill=fill)
    return folder


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(contents=tab_contents())
def test_any_cells_sync_without_error_and_every_issue_points_at_a_real_cell(pristine, contents):
    name, rows = contents
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(shutil.copytree(pristine, Path(scratch) / "district"))
        district = load_config(folder / "district.yaml")
        pm_tool = district.workbooks_dir / "north" / "PM Tool.xlsx"
        put_sheet(pm_tool, name, worksheet_xml(rows))
        result = sync_district(district, today=TODAY)
        for issue in result.issues:
            path = district.workbooks_dir / issue.school / f"{issue.workbook}.xlsx"
            assert_points_at_a_real_cell(path, issue.sheet, issue.cell)


def assert_points_at_a_real_cell(path: Path, sheet: str | None, cell: str | None) -> None:
    if sheet is None:
        assert cell is None
        return
    with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
        assert sheet in book.sheet_names
        grid = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    if cell is None:
        return
    height, width = len(grid), max((len(row) for row in grid), default=0)
    if match := re.fullmatch(r"(\d+):\1", cell):
        assert 1 <= int(match.group(1)) <= height + 1
        return
    row, column = parse_a1(cell)
    assert row <= height + 1 and column <= max(width, 1), (cell, height, width)


# -- cells as Excel writes them -------------------------------------------------------------------

_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def worksheet_xml(rows: list[list]) -> bytes:
    body = "".join(
        f'<row r="{number}">'
        + "".join(
            cell_xml(f"{column_letter(column)}{number}", value)
            for column, value in enumerate(row, start=1)
            if value is not None
        )
        + "</row>"
        for number, row in enumerate(rows, start=1)
    )
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>"
    ).encode()


def cell_xml(ref: str, value) -> str:
    if isinstance(value, tuple) and value[0] == "error":
        return f'<c r="{ref}" t="e"><v>{value[1]}</v></c>'
    if isinstance(value, tuple):
        _kind, formula, cached = value
        saved = f"<v>{escape(cached)}</v>" if cached is not None else ""
        return f'<c r="{ref}" t="str"><f>{escape(formula)}</f>{saved}</c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, dt.datetime):
        return f'<c r="{ref}" t="d"><v>{value.isoformat()}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'


def escape(text: str) -> str:
    """XML text, with what XML cannot hold escaped the way Excel does (_x0007_, and _x005F_ for an
    underscore that would otherwise read as the start of such an escape)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _NOT_IN_XML.sub(lambda match: f"_x{ord(match.group(0)):04X}_", text)
