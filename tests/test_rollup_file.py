"""The rollup's rows written straight into its sheet parts hold what openpyxl alone would write:
the same values, number formats, fonts and fills, filters, frozen panes, colour scales and charts;
and the file opens in LibreOffice."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import openpyxl
import pytest
from district_helpers import libreoffice_convert, run_sync
from plansync.excel import rollup_file
from plansync.excel.render import rollup_workbook
from plansync.excel.rollup_file import BATCH_ROWS, write_rollup_file
from plansync.grid import OutCell, OutSheet, RowBlock
from plansync.reports.rollup import build_rollup

pytestmark = pytest.mark.backends("excel")


def _cells(path) -> dict[str, list]:
    book = openpyxl.load_workbook(path)
    found = {}
    for sheet in book.worksheets:
        found[sheet.title] = [
            (
                sheet.freeze_panes,
                sheet.auto_filter.ref,
                [str(rule.sqref) for rule in sheet.conditional_formatting],
                len(sheet._charts),
            ),
            *[
                [
                    (
                        cell.value,
                        cell.number_format,
                        cell.font.b,
                        cell.font.i,
                        cell.font.color.rgb if cell.font.color else None,
                        cell.fill.fgColor.rgb,
                    )
                    for cell in row
                ]
                for row in sheet.iter_rows()
            ],
        ]
    return found


def test_the_rollup_holds_what_openpyxl_alone_would_write(make_district, tmp_path):
    district = make_district()
    sheets = build_rollup(run_sync(district))
    rollup_workbook(sheets).save(tmp_path / "openpyxl.xlsx")
    write_rollup_file(sheets, tmp_path / "direct.xlsx")
    assert _cells(tmp_path / "direct.xlsx") == _cells(tmp_path / "openpyxl.xlsx")


def test_rows_of_every_kind_are_written_as_typed(tmp_path):
    """Dates, times, numbers and true/false keep their types; text that looks like a formula stays
    text; characters no .xlsx may hold are replaced; more rows than a batch hold."""
    sheet = OutSheet("Rows", widths=[10, 10], freeze_rows=1, filter_row=1)
    sheet.add("Value", "Kind", style="header")
    values = [
        dt.date(2026, 11, 27),
        dt.datetime(2026, 11, 27, 14, 30),
        dt.time(9, 15),
        3,
        2.5,
        True,
        "=SUM(A1:A2)",
        "bell\x07 & <tag>",
        "  spaced  ",
        OutCell("Late", "bad"),
        float("inf"),
    ]
    for value in values:
        cell = value if isinstance(value, OutCell) else OutCell(value, "text")
        sheet.add(cell, type(cell.value).__name__)
    # A text drawn once is drawn the same again (texts are cleaned once), in its cell's style.
    sheet.add(OutCell("bell\x07 & <tag>", "bad"), OutCell(dt.date(2026, 11, 27), "bad"))
    for number in range(BATCH_ROWS + 5):
        sheet.add(number, "filler")
    write_rollup_file([sheet], tmp_path / "rows.xlsx")
    book = openpyxl.load_workbook(tmp_path / "rows.xlsx")
    rows = list(book["Rows"].iter_rows(values_only=True))
    assert rows[1:7] == [
        (dt.datetime(2026, 11, 27), "date"),
        (dt.datetime(2026, 11, 27, 14, 30), "datetime"),
        (dt.time(9, 15), "time"),
        (3, "int"),
        (2.5, "float"),
        (True, "bool"),
    ]
    formula = book["Rows"]["A8"]
    assert formula.value == "=SUM(A1:A2)" and formula.data_type == "s"
    assert rows[8][0] == "bell  & <tag>"
    assert rows[9][0] == "  spaced  "
    assert book["Rows"]["A11"].font.b
    assert rows[11] == ("inf", "float")  # no number a spreadsheet can hold: shown as text
    assert rows[12] == ("bell  & <tag>", dt.datetime(2026, 11, 27))
    assert book["Rows"]["A13"].font.b and book["Rows"]["B13"].font.b
    assert rows[-1] == (BATCH_ROWS + 4, "filler")
    assert book["Rows"].auto_filter.ref == f"A1:B{len(sheet.rows)}"


class _Kept:
    """Blocks kept as drawn, in memory (the state file keeps them between nights)."""

    def __init__(self):
        self.parts: dict[str, dict[str, tuple[str, str]]] = {}

    def drawn_rows(self, part):
        return dict(self.parts.get(part, {}))

    def keep_drawn_rows(self, part, owner, key, drawn):
        self.parts.setdefault(part, {})[owner] = (key, drawn)


def _block_sheets(made: list[str]) -> list[OutSheet]:
    """A tab with a header and two schools' blocks (one empty), and a tab of blocks alone."""

    def block(owner: str, rows: list[list]) -> RowBlock:
        def make():
            made.append(owner)
            return [[OutCell(value) for value in row] for row in rows]

        return RowBlock(owner, "plan", f"key-{owner}-{rows!r}", len(rows), make)

    plan = OutSheet("Plan", widths=[10, 10, 10], filter_row=1, score_columns=[2])
    plan.add("School", "Row", "Text", style="header")
    plan.blocks = [
        block("north", [["North", 2, "bell\x07\x01 & <tag>"], ["North", 3, None], ["North", 4, 5]]),
        block("empty", []),
        block("south", [["South", 2, dt.date(2026, 11, 27)]]),
    ]
    bare = OutSheet("Bare", widths=[10])
    bare.blocks = [block("bare", [["only row"]])]
    return [plan, bare]


def test_blocks_of_rows_are_numbered_where_they_land_and_kept_as_drawn(tmp_path):
    made: list[str] = []
    kept = _Kept()
    write_rollup_file(_block_sheets(made), tmp_path / "first.xlsx", kept)
    assert sorted(made) == ["bare", "north", "south"]
    made.clear()
    write_rollup_file(_block_sheets(made), tmp_path / "again.xlsx", kept)
    assert made == []  # every block taken as kept
    sheets = _block_sheets(made)
    rollup_workbook(sheets).save(tmp_path / "openpyxl.xlsx")
    expected = _cells(tmp_path / "openpyxl.xlsx")
    assert _cells(tmp_path / "first.xlsx") == _cells(tmp_path / "again.xlsx") == expected
    rows = list(openpyxl.load_workbook(tmp_path / "again.xlsx")["Plan"].iter_rows(values_only=True))
    assert rows == [
        ("School", "Row", "Text"),
        ("North", 2, "bell   & <tag>"),  # control characters, the row mark's among them
        ("North", 3, None),
        ("North", 4, 5),
        ("South", 2, dt.datetime(2026, 11, 27)),
    ]


def test_blocks_that_move_are_numbered_again_without_being_made_and_damage_is_drawn_again(
    tmp_path,
):
    made: list[str] = []
    kept = _Kept()
    write_rollup_file(_block_sheets(made), tmp_path / "first.xlsx", kept)
    made.clear()
    moved = _block_sheets(made)
    moved[0].add("Total", 3, "rows")  # one row more above the blocks: each lands a row lower
    write_rollup_file(moved, tmp_path / "moved.xlsx", kept)
    assert made == []  # numbered again from what was kept, not made again
    rollup_workbook(moved).save(tmp_path / "openpyxl.xlsx")
    assert _cells(tmp_path / "moved.xlsx") == _cells(tmp_path / "openpyxl.xlsx")
    # Kept rows that were damaged (a group as compressed, a block as drawn) are made again, not
    # written as they are.
    for owner in ("\x00group 0", "north"):
        key, drawn = kept.parts["plan"][owner]
        kept.parts["plan"][owner] = (key, drawn[:-3] + bytes(b ^ 0xFF for b in drawn[-3:]))
    made.clear()
    write_rollup_file(moved, tmp_path / "again.xlsx", kept)
    assert made == ["north"]
    assert _cells(tmp_path / "again.xlsx") == _cells(tmp_path / "openpyxl.xlsx")


def test_the_frame_is_kept_and_drawn_again_only_when_what_it_shows_changes(tmp_path, monkeypatch):
    drawn_frames = []
    draw = rollup_file._draw_frame

    def counting(sheets):
        drawn_frames.append([sheet.name for sheet in sheets])
        return draw(sheets)

    monkeypatch.setattr(rollup_file, "_draw_frame", counting)
    kept = _Kept()
    made: list[str] = []
    write_rollup_file(_block_sheets(made), tmp_path / "first.xlsx", kept)
    write_rollup_file(_block_sheets(made), tmp_path / "again.xlsx", kept)
    assert len(drawn_frames) == 1  # the second night's frame was the first's
    assert _cells(tmp_path / "again.xlsx") == _cells(tmp_path / "first.xlsx")
    with zipfile.ZipFile(tmp_path / "again.xlsx") as package:
        properties = package.read("docProps/core.xml").decode()
    year = str(dt.datetime.now(dt.UTC).year)
    assert f'<dcterms:modified xsi:type="dcterms:W3CDTF">{year}-' in properties

    # More rows and fewer: the kept frame's filter and colour scale reach the last row tonight.
    for extra in (3, 0):
        sized = _block_sheets(made)
        for number in range(extra):
            sized[0].add("Total", number, "rows")
        write_rollup_file(sized, tmp_path / "sized.xlsx", kept)
        rollup_workbook(sized).save(tmp_path / "openpyxl.xlsx")
        assert _cells(tmp_path / "sized.xlsx") == _cells(tmp_path / "openpyxl.xlsx")
    assert len(drawn_frames) == 1

    renamed = _block_sheets(made)
    renamed[0].rows[0][2] = OutCell("Notes", "header")  # what the frame shows: drawn again
    write_rollup_file(renamed, tmp_path / "renamed.xlsx", kept)
    assert len(drawn_frames) == 2
    rollup_workbook(renamed).save(tmp_path / "openpyxl.xlsx")
    assert _cells(tmp_path / "renamed.xlsx") == _cells(tmp_path / "openpyxl.xlsx")

    key, frame = kept.parts["frame"]["rollup"]
    kept.parts["frame"]["rollup"] = (key, frame[:-40])  # a kept frame that was cut short
    write_rollup_file(renamed, tmp_path / "mended.xlsx", kept)
    assert len(drawn_frames) == 3
    assert _cells(tmp_path / "mended.xlsx") == _cells(tmp_path / "openpyxl.xlsx")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_the_rollup(make_district, tmp_path):
    district = make_district()
    sheets = build_rollup(run_sync(district))
    write_rollup_file(sheets, tmp_path / "rollup.xlsx")
    ods = libreoffice_convert(tmp_path / "rollup.xlsx", "ods", tmp_path, tmp_path)
    libreoffice_convert(ods, "xlsx:Calc MS Excel 2007 XML", tmp_path / "back", tmp_path)
    again = openpyxl.load_workbook(tmp_path / "back" / "rollup.xlsx")
    original = openpyxl.load_workbook(tmp_path / "rollup.xlsx")
    for name in ("Schools", "Strategies", "Issues"):
        assert [[cell.value for cell in row] for row in again[name].iter_rows()] == [
            [cell.value for cell in row] for row in original[name].iter_rows()
        ]
