"""Workbooks drawn with openpyxl: a provisioned workbook from its plan, and the district rollup.

The Excel twin of google/render.py. Only new files are drawn here: a school's existing workbook is
never loaded and saved by openpyxl (the summary tab goes in through package.py).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.comments import Comment
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ..grid import OutCell, OutChart, OutSheet, cell_text, column_letter
from ..layout import (
    DATE_FORMAT,
    LISTS_COLUMN,
    ROSTER_COLUMN,
    ROSTER_TITLE,
    SIDE_COLORS,
    STAMP_TAB,
    TABLE_ROWS,
    TablePlan,
    Validation,
    WorkbookPlan,
    header_note,
)
from .package import MAX_CELL_TEXT

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet.worksheet import Worksheet

_FONTS = {
    "title": Font(bold=True, size=16, color="1F3864"),
    "subtitle": Font(italic=True, size=11, color="595959"),
    "heading": Font(bold=True, size=13, color="1F3864"),
    "header": Font(bold=True, color="FFFFFF"),
    "text": Font(),
    "muted": Font(italic=True, size=10, color="7F7F7F"),
    "good": Font(bold=True, color="2E7D32"),
    "warn": Font(bold=True, color="B26A00"),
    "bad": Font(bold=True, color="C62828"),
}
_HEADER_FILL = PatternFill("solid", fgColor="1F3864")
_WRAP = Alignment(wrap_text=True, vertical="top")


def plan_workbook(plan: WorkbookPlan) -> Workbook:
    """A new school workbook: instructions, the summary's placeholder, the tables, the stamp."""
    book = Workbook()
    for first in book.worksheets:  # the empty sheet every new openpyxl workbook starts with
        book.remove(first)
    _render_text_sheet(book.create_sheet(plan.instructions.name), plan.instructions)
    if plan.summary:
        _render_text_sheet(book.create_sheet(plan.summary.name), plan.summary)
    for table in plan.tables:
        _render_table(book.create_sheet(table.title), table)
    stamp = book.create_sheet(STAMP_TAB)
    for key, value in plan.stamp.items():
        stamp.append([key, storable(value)])
    # The roster's column, empty until the nightly sync copies the school's team into it.
    stamp.cell(1, ROSTER_COLUMN, ROSTER_TITLE)
    for offset, (title, choices) in enumerate(plan.lists.items()):
        column = LISTS_COLUMN + offset
        stamp.cell(1, column, storable(title))
        for row, choice in enumerate(choices, start=2):
            # As text: a choice such as "=1" or "2026" must stay what the config says.
            stamp.cell(row, column, storable(choice)).data_type = "s"
    stamp.sheet_state = "hidden"
    if plan.saved_at:
        utc = plan.saved_at.astimezone(dt.UTC).replace(tzinfo=None)
        book.properties.created = book.properties.modified = utc
    return book


def rollup_workbook(sheets: list[OutSheet], rows: int | None = None) -> Workbook:
    """The district rollup, streamed (write-only): it can hold every row of every school.

    With `rows`, each tab gets only its first `rows` rows, none of them from its blocks, and
    everything else (widths, the frozen header, the filter and colour scales, the charts) as for
    all of them: rollup_file.py writes the other rows itself."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        _render_rollup_sheet(book, sheet, rows)
    return book


def rollup_style_id(sheet: WriteOnlyWorksheet, cell: OutCell) -> int:
    """The index, among the workbook's cell formats, of the one `cell` gets in the rollup (its
    font, and the number format its value needs, such as a date's); registered if new."""
    drawn = _rollup_cell(sheet, cell)
    if not isinstance(drawn, Cell):  # a plain value: the cell openpyxl would make of it
        drawn = WriteOnlyCell(sheet, value=drawn)
    return drawn.style_id


def _render_text_sheet(sheet: Worksheet, content: OutSheet) -> None:
    """Instructions and placeholders: styled text, wrapped in wide columns."""
    for index, width in enumerate(content.widths, start=1):
        sheet.column_dimensions[column_letter(index)].width = width
    for row in content.rows:
        sheet.append([cell.value for cell in row])
        sheet.row_dimensions[sheet.max_row].height = _wrapped_height(row, content.widths)
        for col_index, cell in enumerate(row, start=1):
            target = sheet.cell(row=sheet.max_row, column=col_index)
            target.font = _FONTS[cell.style]
            if col_index > 1 or cell.style in ("text", "muted"):
                target.alignment = _WRAP  # titles stay on one line; prose wraps
            if isinstance(cell.value, str) and cell.value.startswith("="):
                target.data_type = "s"
    sheet.sheet_view.showGridLines = False
    _fit_to_page_width(sheet)


def _wrapped_height(row: list[OutCell], widths: list[int]) -> float | None:
    """Spreadsheet programs do not grow a row for wrapped text written by a script: estimate it."""
    lines = 1
    for index, cell in enumerate(row[1:], start=1):
        width = widths[index] if index < len(widths) else 10
        text = str(cell.value or "")
        lines = max(
            lines, sum(-(-max(len(part), 1) // int(width * 1.05)) for part in text.split("\n"))
        )
    return 15.0 * lines if lines > 1 else None


def _fit_to_page_width(sheet: Any) -> None:
    """Print one page wide (both openpyxl sheet kinds have these settings; its stubs say not)."""
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0


def _render_table(sheet: Worksheet, table: TablePlan) -> None:
    sheet.append(table.headers)
    for index, column in enumerate(table.columns, start=1):
        letter = column_letter(index)
        header = sheet.cell(row=1, column=index)
        header.font = _FONTS["header"]
        header.fill = (
            PatternFill("solid", fgColor=SIDE_COLORS[column.typed_by])
            if column.typed_by
            else _HEADER_FILL
        )
        header.alignment = Alignment(wrap_text=True, vertical="center")
        note = header_note(column)
        header.comment = Comment(note, "plansync", width=260, height=110)
        sheet.column_dimensions[letter].width = column.width
        if column.type == "date":
            sheet.column_dimensions[letter].number_format = DATE_FORMAT
        validation = table.validations.get(index)
        if validation:
            sheet.add_data_validation(_data_validation(validation, column.header, letter))
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "A2"
    # Printed, a plan tab reads on paper: landscape, one page wide, the headers on every page.
    sheet.page_setup.orientation = "landscape"
    _fit_to_page_width(sheet)
    sheet.print_title_rows = "1:1"
    keys = [column.key for column in table.columns]
    for number, values in enumerate(table.rows):
        sheet.append([values.get(key) for key in keys])
        if number in table.row_notes:
            first = sheet.cell(row=sheet.max_row, column=1)
            first.comment = Comment(table.row_notes[number], "plansync", width=260, height=90)
        for index, key in enumerate(keys, start=1):
            cell = sheet.cell(row=sheet.max_row, column=index)
            if isinstance(values.get(key), dt.date):
                cell.number_format = DATE_FORMAT
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
            cell.alignment = _WRAP


def _data_validation(validation: Validation, header: str, letter: str) -> DataValidation:
    area = f"{letter}2:{letter}{TABLE_ROWS}"
    if validation.kind == "list":
        formula = validation.source or '"' + ",".join(validation.choices) + '"'
        error = "Pick one of the values in the list."
        rule = DataValidation(type="list", formula1=formula, allow_blank=True)
    elif validation.kind == "date":
        rule = DataValidation(
            type="date", operator="greaterThan", formula1="36526", allow_blank=True
        )
        error = "Type a date such as 2026-10-15."
    else:
        rule = DataValidation(
            type="custom", formula1=f'ISNUMBER(SEARCH("@",{letter}2))', allow_blank=True
        )
        error = "Type an email address such as name@school.org."
    rule.errorStyle = "stop" if validation.strict else "warning"
    rule.showErrorMessage = True
    rule.errorTitle = header
    rule.error = error
    rule.showInputMessage = bool(validation.prompt)
    rule.promptTitle = header[:32]
    rule.prompt = validation.prompt
    rule.add(area)
    return rule


def _render_rollup_sheet(book: Workbook, content: OutSheet, rows: int | None) -> None:
    sheet = book.create_sheet(content.name)
    for index, width in enumerate(content.widths, start=1):
        sheet.column_dimensions[column_letter(index)].width = width
    sheet.page_setup.orientation = "landscape"
    _fit_to_page_width(sheet)
    if content.freeze_rows:
        sheet.freeze_panes = f"A{content.freeze_rows + 1}"
    last_row = content.row_count
    if content.filter_row and last_row >= content.filter_row:
        sheet.auto_filter.ref = (
            f"A{content.filter_row}:{column_letter(max(content.width, 1))}{last_row}"
        )
    for column in content.score_columns:
        letter = column_letter(column)
        sheet.conditional_formatting.add(
            f"{letter}2:{letter}{max(last_row, 2)}",
            ColorScaleRule(
                start_type="num",
                start_value=0,
                start_color="F8696B",
                mid_type="num",
                mid_value=70,
                mid_color="FFEB84",
                end_type="num",
                end_value=100,
                end_color="63BE7B",
            ),
        )
    for row in content.all_rows() if rows is None else content.rows[:rows]:
        sheet.append([_rollup_cell(sheet, cell) for cell in row])
    for chart in content.charts:
        sheet.add_chart(_chart(sheet, content, chart), chart.anchor)


def _chart(sheet: WriteOnlyWorksheet, content: OutSheet, chart: OutChart) -> BarChart | LineChart:
    """A native Excel chart over the sheet's own cells."""
    drawing: Any  # the two chart classes share the settings used here; openpyxl's stubs disagree
    if chart.kind == "line":
        drawing = LineChart()
    else:
        drawing = BarChart()
        drawing.type = "bar" if chart.kind == "bar" else "col"
        if chart.stacked:
            drawing.grouping = "stacked"
            drawing.overlap = 100
        drawing.gapWidth = 60
    if chart.kind == "bar":
        drawing.x_axis.scaling.orientation = "maxMin"  # first row at the top, as in the table
        drawing.y_axis.crosses = "max"  # and the value axis stays below the bars
    drawing.title = chart.title
    drawing.width, drawing.height = chart.width_cm, chart.height_cm
    drawing.legend.position = "b"
    # openpyxl 3.1 hides both axes unless told otherwise.
    drawing.x_axis.delete = drawing.y_axis.delete = False
    if chart.value_title:
        drawing.y_axis.title = chart.value_title
    if chart.value_range:
        drawing.y_axis.scaling.min, drawing.y_axis.scaling.max = chart.value_range
    header = content.rows[chart.header_row - 1]
    for index, column in enumerate(chart.value_columns):
        values = Reference(sheet, min_col=column, min_row=chart.first_row, max_row=chart.last_row)
        name = header[column - 1].value if column <= len(header) else None
        series = Series(values, title=str(name) if name is not None else None)
        if index < len(chart.colors):
            if chart.kind == "line":
                series.graphicalProperties.line.solidFill = chart.colors[index]
            else:
                series.graphicalProperties.solidFill = chart.colors[index]
                series.graphicalProperties.line.solidFill = chart.colors[index]
        drawing.series.append(series)
    drawing.set_categories(
        Reference(
            sheet,
            min_col=chart.category_column,
            min_row=chart.first_row,
            max_row=chart.last_row,
        )
    )
    return drawing


def _rollup_cell(sheet: WriteOnlyWorksheet, cell: OutCell) -> Any:
    """Plain values go in as they are; styled ones and text that looks like a formula get a cell."""
    value = storable(cell.value)
    formula_like = isinstance(value, str) and value.startswith("=")
    if cell.style == "text" and not formula_like:
        return value
    target = WriteOnlyCell(sheet, value=value)
    if formula_like:
        target.data_type = "s"  # school text is text: never run it as a formula
    if cell.style == "header":
        target.fill = _HEADER_FILL
        target.alignment = Alignment(wrap_text=True, vertical="center")
    if cell.style != "text":
        target.font = _FONTS[cell.style]
    return target


def storable(value: Any) -> Any:
    """Text as a cell can hold it: no control characters or unpaired surrogates (which no .xlsx
    may contain; a school can still have them, pasted in from elsewhere), and no longer than a
    cell allows, cut between characters (see grid.cell_text)."""
    if not isinstance(value, str):
        return value
    return cell_text(ILLEGAL_CHARACTERS_RE.sub(" ", value), MAX_CELL_TEXT)
