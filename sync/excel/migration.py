"""`plansync migrate` on an .xlsx file, at the package level like the summary write (package.py).

The school's file is never loaded and saved by a spreadsheet library. Only the parts a change needs
are edited, as bytes: a table sheet gains header cells, column widths, validations and help notes
(its comments part and their drawing); the styles part may gain one date format; new tabs, the
Instructions tab and the stamp are sheet parts of their own. Every other part (charts, images,
sparklines, threaded comments, ...) is copied byte for byte, and the new file replaces the old one
in one step.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ..changes import NewColumn, NewHeader, NewValidation, WorkbookChanges, body_rows
from ..grid import OutSheet, a1, column_letter
from ..layout import DATE_FORMAT, STAMP_TAB, TablePlan, Validation
from .package import (
    REL_NS,
    WORKSHEET_REL,
    WORKSHEET_TYPE,
    PackageError,
    _escape,
    _relationship_targets,
    _rels_part,
    _sheet_entries,
    _workbook_part,
    _write_package,
    sheet_xml,
)

COMMENTS_REL = REL_NS + "/comments"
VML_REL = REL_NS + "/vmlDrawing"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# The children of a worksheet, in the order the file format requires them.
_WORKSHEET_ORDER = [
    *("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData"),
    *("sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter"),
    *("sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr"),
    *("conditionalFormatting", "dataValidations", "hyperlinks", "printOptions"),
    *("pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks"),
    *("customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing"),
    *("legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls"),
    *("webPublishItems", "tableParts", "extLst"),
]


def migrate_package(
    path: Path,
    changes: WorkbookChanges,
    before_replace: Callable[[], None] | None = None,
    stamp_beside: Sequence[Sequence[Any]] = (),
) -> None:
    """Apply the changes to the .xlsx at `path` and replace it atomically. `stamp_beside` are
    the stamp tab's cells right of the stamp (the dropdowns' choices), kept in a new stamp."""
    try:
        with zipfile.ZipFile(path) as package:
            edit = _Edit(package)
            edit.apply(changes, stamp_beside)
            _write_package(path, package, edit.parts, before_replace)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        KeyError,
        ValueError,
        ElementTree.ParseError,
    ) as error:
        raise PackageError(f"not a workbook package we can change ({error})") from None


class _Edit:
    """The parts changed so far; each read sees the earlier changes."""

    def __init__(self, package: zipfile.ZipFile):
        self.package = package
        self.parts: dict[str, bytes] = {}
        self.workbook_part = _workbook_part(package)
        self._date_style: int | None = None

    def read(self, part: str) -> bytes:
        return self.parts[part] if part in self.parts else self.package.read(part)

    def exists(self, part: str) -> bool:
        return part in self.parts or part in self.package.namelist()

    # -- the whole migration ----------------------------------------------------------------

    def apply(self, changes: WorkbookChanges, stamp_beside: Sequence[Sequence[Any]] = ()) -> None:
        for table in changes.new_tabs:
            self._new_tab(table)
        by_sheet: dict[str, list[NewColumn | NewHeader | NewValidation]] = {}
        every: list[NewColumn | NewHeader | NewValidation] = [
            *changes.new_columns,
            *changes.new_headers,
            *changes.validations,
        ]
        for change in every:
            by_sheet.setdefault(change.sheet, []).append(change)
        for name, sheet_changes in by_sheet.items():
            self._change_sheet(name, sheet_changes)
        if changes.instructions is not None:
            self._put_sheet(changes.instructions.name, sheet_xml(changes.instructions, False))
        if changes.stamp is not None:
            stamp = OutSheet(STAMP_TAB)
            pairs = list(changes.stamp.items())
            for index in range(max(len(pairs), len(stamp_beside))):
                key, value = pairs[index] if index < len(pairs) else (None, None)
                stamp.add(key, value, *(stamp_beside[index] if index < len(stamp_beside) else ()))
            self._put_sheet(STAMP_TAB, sheet_xml(stamp, False), hidden=True)

    # -- sheets -------------------------------------------------------------------------------

    def sheet_part(self, name: str) -> str | None:
        targets = _relationship_targets(
            self.read(_rels_part(self.workbook_part)), self.workbook_part
        )
        for sheet_name, rel_id, _sheet_id in _sheet_entries(self.read(self.workbook_part)):
            if sheet_name.casefold() == name.casefold() and rel_id in targets:
                return targets[rel_id]
        return None

    def _put_sheet(self, name: str, xml: bytes, hidden: bool = False) -> str:
        part = self.sheet_part(name)
        if part is not None:
            # A fresh part: relationships of the old one (its comments, drawings) no longer apply.
            rels = _rels_part(part)
            if self.exists(rels):
                self.parts[rels] = _empty_rels()
            self.parts[part] = xml
            return part
        return self._add_sheet(name, xml, hidden)

    def _add_sheet(self, name: str, xml: bytes, hidden: bool) -> str:
        number = 1
        while self.exists(f"xl/worksheets/sheet{number}.xml"):
            number += 1
        part = f"xl/worksheets/sheet{number}.xml"
        rels_part = _rels_part(self.workbook_part)
        target = posixpath.relpath(part, posixpath.dirname(self.workbook_part) or ".")
        rel_id = self._add_relationship(rels_part, WORKSHEET_REL, target)
        workbook_xml = self.read(self.workbook_part)
        sheet_id = max((entry[2] for entry in _sheet_entries(workbook_xml)), default=0) + 1
        close = re.search(rb"</([A-Za-z0-9_]+:)?sheets>", workbook_xml)
        if not close:
            raise PackageError("the workbook part has no sheet list")
        prefix = (close.group(1) or b"").decode()
        state = ' state="hidden"' if hidden else ""
        element = (
            f'<{prefix}sheet xmlns:r="{REL_NS}" name="{_escape(name)}" sheetId="{sheet_id}"'
            f'{state} r:id="{rel_id}"/>'
        ).encode()
        self.parts[self.workbook_part] = _insert(workbook_xml, close.start(), element)
        self._add_override(f"/{part}", WORKSHEET_TYPE)
        self.parts[part] = xml
        return part

    def _add_relationship(self, rels_part: str, kind: str, target: str) -> str:
        rels_xml = self.read(rels_part) if self.exists(rels_part) else _empty_rels()
        used = {match.decode() for match in re.findall(rb'Id="([^"]+)"', rels_xml)}
        rel_id = next(f"rIdPlansync{n}" for n in range(1, 100_000) if f"rIdPlansync{n}" not in used)
        close = re.search(rb"</([A-Za-z0-9_]+:)?Relationships>", rels_xml)
        if not close:
            raise PackageError("a relationships part is incomplete")
        prefix = (close.group(1) or b"").decode()
        element = f'<{prefix}Relationship Id="{rel_id}" Type="{kind}" Target="{target}"/>'
        self.parts[rels_part] = _insert(rels_xml, close.start(), element.encode())
        return rel_id

    def _add_override(self, part_name: str, content_type: str) -> None:
        types_xml = self.read("[Content_Types].xml")
        if f'PartName="{part_name}"'.encode() in types_xml:
            return
        close = re.search(rb"</([A-Za-z0-9_]+:)?Types>", types_xml)
        if not close:
            raise PackageError("the package's content types part is incomplete")
        prefix = (close.group(1) or b"").decode()
        element = f'<{prefix}Override PartName="{part_name}" ContentType="{content_type}"/>'
        self.parts["[Content_Types].xml"] = _insert(types_xml, close.start(), element.encode())

    def _add_default(self, extension: str, content_type: str) -> None:
        types_xml = self.read("[Content_Types].xml")
        if re.search(rf'Extension="{extension}"'.encode(), types_xml, re.IGNORECASE):
            return
        close = re.search(rb"</([A-Za-z0-9_]+:)?Types>", types_xml)
        if not close:
            raise PackageError("the package's content types part is incomplete")
        prefix = (close.group(1) or b"").decode()
        element = f'<{prefix}Default Extension="{extension}" ContentType="{content_type}"/>'
        self.parts["[Content_Types].xml"] = _insert(types_xml, close.start(), element.encode())

    # -- a new tab ----------------------------------------------------------------------------

    def _new_tab(self, table: TablePlan) -> None:
        header = OutSheet(table.title, widths=[c.width for c in table.columns], freeze_rows=1)
        header.add(*table.headers, style="header")
        xml = sheet_xml(header, protect=False)
        self._put_sheet(table.title, xml)
        changes = [
            NewColumn(table.title, 1, index, column, table.validations.get(index))
            for index, column in enumerate(table.columns, start=1)
        ]
        self._change_sheet(table.title, changes, header_written=True)

    # -- a table sheet ------------------------------------------------------------------------

    def _change_sheet(
        self,
        name: str,
        changes: Sequence[NewColumn | NewHeader | NewValidation],
        header_written: bool = False,
    ) -> None:
        part = self.sheet_part(name)
        if part is None:
            raise PackageError(f"the tab {name!r} is not in the package")
        sheet = _Sheet(self.read(part))
        notes: list[tuple[str, str]] = []
        for change in changes:
            if isinstance(change, NewColumn):
                letter = column_letter(change.position)
                if not header_written:
                    style = sheet.style_near(change.header_row)
                    sheet.set_text(change.header_row, change.position, change.column.header, style)
                column_style = self.date_style() if change.column.type == "date" else None
                sheet.set_width(change.position, change.column.width, column_style)
                sheet.set_validation(
                    change.header_row, letter, change.column.header, change.validation
                )
                note = change.column.help + ("\nRequired." if change.column.required else "")
                notes.append((a1(change.header_row, change.position), note))
            elif isinstance(change, NewHeader):
                sheet.set_text(change.header_row, change.position, change.header, None, keep=True)
            else:
                letter = column_letter(change.position)
                sheet.set_validation(change.header_row, letter, change.header, change.validation)
        if notes:
            self._add_notes(part, sheet, notes)
        self.parts[part] = sheet.xml

    def date_style(self) -> int:
        """A cell style showing dates as yyyy-mm-dd, added to the styles part if it has none."""
        if self._date_style is None:
            self._date_style = self._find_or_add_date_style()
        return self._date_style

    def _find_or_add_date_style(self) -> int:
        targets = dict(
            _relationship_targets(self.read(_rels_part(self.workbook_part)), self.workbook_part)
        )
        rels = self.read(_rels_part(self.workbook_part))
        styles_id = re.search(rb'Id="([^"]+)"[^>]*Type="[^"]*/styles"', rels) or re.search(
            rb'Type="[^"]*/styles"[^>]*Id="([^"]+)"', rels
        )
        if not styles_id:
            raise PackageError("the workbook has no styles part")
        part = targets[styles_id.group(1).decode()]
        styles = self.read(part)
        fmt = re.search(
            rb'<(?:\w+:)?numFmt\s[^>]*numFmtId="(\d+)"[^>]*formatCode="yyyy-mm-dd"', styles
        )
        if fmt:
            fmt_id = int(fmt.group(1))
        else:
            ids = [int(x) for x in re.findall(rb'numFmtId="(\d+)"', styles)]
            fmt_id = max([163, *ids]) + 1
            element = f'<numFmt numFmtId="{fmt_id}" formatCode="{DATE_FORMAT}"/>'.encode()
            styles = _add_child(styles, b"numFmts", element, before=b"fonts")
        xfs = re.search(rb"<(\w+:)?cellXfs\b[^>]*>(.*?)</(\w+:)?cellXfs>", styles, re.DOTALL)
        if not xfs:
            raise PackageError("the styles part has no cell formats")
        entries = re.findall(
            rb"<(?:\w+:)?xf\b[^>]*?(?:/>|>.*?</(?:\w+:)?xf>)", xfs.group(2), re.DOTALL
        )
        for index, entry in enumerate(entries):
            if (
                re.search(rf'numFmtId="{fmt_id}"'.encode(), entry)
                and b'applyNumberFormat="1"' in entry
            ):
                self.parts[part] = styles
                return index
        prefix = xfs.group(1) or b""
        element = (
            b"<"
            + prefix
            + b'xf numFmtId="'
            + str(fmt_id).encode()
            + b'" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        )
        styles = styles[: xfs.end(2)] + element + styles[xfs.end(2) :]
        styles = _recount(styles, b"cellXfs")
        self.parts[part] = styles
        return len(entries)

    # -- help notes (comments and the drawing that shows them) ------------------------------

    def _add_notes(self, part: str, sheet: _Sheet, notes: list[tuple[str, str]]) -> None:
        rels_part = _rels_part(part)
        rels = self.read(rels_part) if self.exists(rels_part) else _empty_rels()
        targets = {kind: target for rel_id, target, kind in _typed_targets(rels, part)}
        comments_part = targets.get(COMMENTS_REL)
        vml_part = targets.get(VML_REL)
        if comments_part is None or not self.exists(comments_part):
            comments_part = self._free_name("xl/comments/comment{}.xml")
            self.parts[comments_part] = (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments '
                f'xmlns="{MAIN_NS}"><authors><author>plansync</author></authors>'
                "<commentList></commentList></comments>"
            ).encode()
            self._add_relationship(rels_part, COMMENTS_REL, _relative(part, comments_part))
            self._add_override(f"/{comments_part}", COMMENTS_TYPE)
        if vml_part is None or not self.exists(vml_part):
            vml_part = self._free_name("xl/drawings/commentsDrawing{}.vml")
            self.parts[vml_part] = _EMPTY_VML
            rel_id = self._add_relationship(rels_part, VML_REL, _relative(part, vml_part))
            self._add_default("vml", VML_TYPE)
            sheet.add_legacy_drawing(rel_id)
        comments = self.read(comments_part)
        vml = self.read(vml_part)
        for ref, text in notes:
            comments = _add_comment(comments, ref, text)
            vml = _add_vml_shape(vml, ref)
        self.parts[comments_part] = comments
        self.parts[vml_part] = vml

    def _free_name(self, pattern: str) -> str:
        number = 1
        while self.exists(pattern.format(number)):
            number += 1
        return pattern.format(number)


# -- one worksheet's XML, edited as bytes ------------------------------------------------------


class _Sheet:
    def __init__(self, xml: bytes):
        self.xml = xml
        root = re.search(rb"<(\w+:)?worksheet\b", xml)
        if not root:
            raise PackageError("a sheet part holds no worksheet")
        self.prefix = root.group(1) or b""

    def _tag(self, name: str) -> bytes:
        return self.prefix + name.encode()

    def _element(self, name: str) -> re.Match | None:
        tag = re.escape(self._tag(name))
        return re.search(rb"<" + tag + rb"\b[^>]*?(?:/>|>.*?</" + tag + rb">)", self.xml, re.DOTALL)

    def _insert_child(self, name: str, element: bytes) -> None:
        """Put a new child of the worksheet where the file format wants it."""
        later = _WORKSHEET_ORDER[_WORKSHEET_ORDER.index(name) + 1 :]
        for following in later:
            match = re.search(rb"<" + re.escape(self._tag(following)) + rb"\b", self.xml)
            if match:
                self.xml = _insert(self.xml, match.start(), element)
                return
        close = self.xml.rindex(b"</" + self._tag("worksheet"))
        self.xml = _insert(self.xml, close, element)

    # cells

    def style_near(self, row: int) -> str | None:
        """The style of the row's first styled cell: new headers look like the others."""
        found = self._row(row)
        if found is None:
            return None
        style = re.search(
            rb"<" + re.escape(self._tag("c")) + rb'\s[^>]*\bs="(\d+)"', found.group(0)
        )
        return style.group(1).decode() if style else None

    def _row(self, number: int) -> re.Match | None:
        tag = re.escape(self._tag("row"))
        return re.search(
            rb"<"
            + tag
            + rb'\s[^>]*\br="'
            + str(number).encode()
            + rb'"[^>]*?(?:/>|>.*?</'
            + tag
            + rb">)",
            self.xml,
            re.DOTALL,
        )

    def set_text(
        self, row: int, column: int, text: str, style: str | None, keep: bool = False
    ) -> None:
        """Write `text` into a cell (an inline string), keeping its style when `keep`."""
        ref = a1(row, column)
        c = self._tag("c").decode()
        found = self._row(row)
        if found is None:
            self._add_row(row)
            found = self._row(row)
            assert found is not None
        row_xml = found.group(0)
        cells = list(
            re.finditer(
                rb"<"
                + re.escape(c.encode())
                + rb'\s[^>]*\br="([A-Z]+)(\d+)"[^>]*?(?:/>|>.*?</'
                + re.escape(c.encode())
                + rb">)",
                row_xml,
                re.DOTALL,
            )
        )
        old = next((m for m in cells if m.group(1).decode() == column_letter(column)), None)
        if keep and old is not None:
            kept = re.search(rb'\bs="(\d+)"', old.group(0))
            style = kept.group(1).decode() if kept else None
        style_attr = f' s="{style}"' if style else ""
        is_tag = self._tag("is").decode()
        t_tag = self._tag("t").decode()
        inline = f"<{is_tag}><{t_tag}>{_escape(text)}</{t_tag}></{is_tag}>"
        cell = f'<{c} r="{ref}"{style_attr} t="inlineStr">{inline}</{c}>'.encode()
        if old is not None:
            row_xml = row_xml[: old.start()] + cell + row_xml[old.end() :]
        else:
            after = next((m for m in cells if _col(m.group(1)) > column), None)
            if row_xml.endswith(b"/>") and not cells:
                row_xml = row_xml[:-2] + b">" + cell + b"</" + self._tag("row") + b">"
            elif after is not None:
                row_xml = _insert(row_xml, after.start(), cell)
            else:
                row_xml = _insert(row_xml, row_xml.rindex(b"</"), cell)
        row_xml = re.sub(rb'\sspans="[^"]*"', b"", row_xml, count=1)
        self.xml = self.xml[: found.start()] + row_xml + self.xml[found.end() :]
        self._widen_dimension(row, column)

    def _add_row(self, number: int) -> None:
        tag = self._tag("row").decode()
        element = f'<{tag} r="{number}"></{tag}>'.encode()
        data = self._element("sheetData")
        if data is None:
            raise PackageError("a sheet part has no sheet data")
        block = data.group(0)
        if block.endswith(b"/>"):
            new_block = block[:-2] + b">" + element + b"</" + self._tag("sheetData") + b">"
        else:
            rows = re.finditer(rb"<" + re.escape(self._tag("row")) + rb'\s[^>]*\br="(\d+)"', block)
            after = next((m for m in rows if int(m.group(1)) > number), None)
            at = after.start() if after else block.rindex(b"</")
            new_block = _insert(block, at, element)
        self.xml = self.xml[: data.start()] + new_block + self.xml[data.end() :]

    def _widen_dimension(self, row: int, column: int) -> None:
        match = re.search(
            rb"(<" + re.escape(self._tag("dimension")) + rb'\s[^>]*ref=")([^"]+)"', self.xml
        )
        if not match:
            return
        first, _, last = match.group(2).decode().partition(":")
        last = last or first
        m = re.fullmatch(r"([A-Z]+)(\d+)", last)
        if not m:
            return
        new_last = a1(max(int(m.group(2)), row), max(_col(m.group(1).encode()), column))
        self.xml = (
            self.xml[: match.start(2)] + f"{first}:{new_last}".encode() + self.xml[match.end(2) :]
        )

    # columns

    def set_width(self, column: int, width: int, style: int | None) -> None:
        col = self._tag("col").decode()
        attrs = f'width="{width}" customWidth="1"' + (
            f' style="{style}"' if style is not None else ""
        )
        new = f'<{col} min="{column}" max="{column}" {attrs}/>'.encode()
        cols = self._element("cols")
        if cols is None:
            self._insert_child(
                "cols", b"<" + self._tag("cols") + b">" + new + b"</" + self._tag("cols") + b">"
            )
            return
        block = cols.group(0)
        entries = list(re.finditer(rb"<" + re.escape(col.encode()) + rb"\s[^>]*?/>", block))
        pieces: list[bytes] = []
        placed = False
        for entry in entries:
            low = int(re.search(rb'\bmin="(\d+)"', entry.group(0)).group(1))  # type: ignore[union-attr]
            high = int(re.search(rb'\bmax="(\d+)"', entry.group(0)).group(1))  # type: ignore[union-attr]
            if low <= column <= high:
                if low < column:
                    pieces.append(_col_range(entry.group(0), low, column - 1))
                pieces.append(new)
                if column < high:
                    pieces.append(_col_range(entry.group(0), column + 1, high))
                placed = True
            else:
                if not placed and low > column:
                    pieces.append(new)
                    placed = True
                pieces.append(entry.group(0))
        if not placed:
            pieces.append(new)
        open_tag = re.match(rb"<[^>]*>", block)
        assert open_tag is not None
        new_block = open_tag.group(0) + b"".join(pieces) + b"</" + self._tag("cols") + b">"
        self.xml = self.xml[: cols.start()] + new_block + self.xml[cols.end() :]

    # validations

    def set_validation(
        self, header_row: int, letter: str, header: str, validation: Validation | None
    ) -> None:
        """Replace the column's own validation (the one covering its body rows) with this one."""
        first, last = body_rows(header_row)
        area = f"{letter}{first}:{letter}{last}"
        tag = self._tag("dataValidation")
        block = self._element("dataValidations")
        entry = _validation_xml(self.prefix.decode(), validation, header, letter, first, area)
        if block is None:
            if not entry:
                return
            outer = self._tag("dataValidations")
            self._insert_child(
                "dataValidations", b"<" + outer + b' count="1">' + entry + b"</" + outer + b">"
            )
            return
        content = block.group(0)
        mine = re.compile(
            rb"<"
            + re.escape(tag)
            + rb'\s[^>]*\bsqref="'
            + re.escape(area.encode())
            + rb'"[^>]*?(?:/>|>.*?</'
            + re.escape(tag)
            + rb">)",
            re.DOTALL,
        )
        content = mine.sub(b"", content)
        close = content.rindex(b"</")
        content = _insert(content, close, entry)
        count = len(re.findall(rb"<" + re.escape(tag) + rb"\s", content))
        if count == 0:
            self.xml = self.xml[: block.start()] + self.xml[block.end() :]
            return
        content = re.sub(rb'\bcount="\d+"', f'count="{count}"'.encode(), content, count=1)
        self.xml = self.xml[: block.start()] + content + self.xml[block.end() :]

    def add_legacy_drawing(self, rel_id: str) -> None:
        r = f'xmlns:r="{REL_NS}" ' if b"xmlns:r=" not in self.xml[:2000] else ""
        element = f'<{self.prefix.decode()}legacyDrawing {r}r:id="{rel_id}"/>'.encode()
        self._insert_child("legacyDrawing", element)


def _validation_xml(
    prefix: str, validation: Validation | None, header: str, letter: str, first: int, area: str
) -> bytes:
    if validation is None:
        return b""
    if validation.kind == "list":
        formula = validation.source or '"' + ",".join(validation.choices) + '"'
        kind, error, extra = "list", "Pick one of the values in the list.", ""
    elif validation.kind == "date":
        formula, kind, extra = "36526", "date", ' operator="greaterThan"'
        error = "Type a date such as 2026-10-15."
    else:
        formula, kind, extra = f'ISNUMBER(SEARCH("@",{letter}{first}))', "custom", ""
        error = "Type an email address such as name@school.org."
    style = "stop" if validation.strict else "warning"
    prompt = (
        f' showInputMessage="1" promptTitle="{_escape(header[:32])}" '
        f'prompt="{_escape(validation.prompt)}"'
        if validation.prompt
        else ""
    )
    return (
        f'<{prefix}dataValidation type="{kind}"{extra} errorStyle="{style}" allowBlank="1" '
        f'showErrorMessage="1" errorTitle="{_escape(header[:32])}" error="{error}"{prompt} '
        f'sqref="{area}"><{prefix}formula1>{_escape(formula)}</{prefix}formula1>'
        f"</{prefix}dataValidation>"
    ).encode()


# -- comments ----------------------------------------------------------------------------------


def _add_comment(comments: bytes, ref: str, text: str) -> bytes:
    root = re.search(rb"<(\w+:)?comments\b", comments)
    prefix = (root.group(1) or b"").decode() if root else ""
    authors = re.findall(rb"<(?:\w+:)?author>([^<]*)</(?:\w+:)?author>", comments)
    if b"plansync" in authors:
        author = authors.index(b"plansync")
    else:
        close = re.search(rb"</(\w+:)?authors>", comments)
        if close is None:
            raise PackageError("a comments part has no authors")
        comments = _insert(
            comments, close.start(), f"<{prefix}author>plansync</{prefix}author>".encode()
        )
        author = len(authors)
    # A note already on that cell (the school's own) is left, and none is added.
    if re.search(rf'<(?:\w+:)?comment\s[^>]*ref="{ref}"'.encode(), comments):
        return comments
    element = (
        f'<{prefix}comment ref="{ref}" authorId="{author}"><{prefix}text><{prefix}r>'
        f'<{prefix}t xml:space="preserve">{_escape(text)}</{prefix}t></{prefix}r>'
        f"</{prefix}text></{prefix}comment>"
    ).encode()
    close_list = re.search(rb"</(\w+:)?commentList>", comments)
    if close_list is None:
        empty = re.search(rb"<(\w+:)?commentList\s*/>", comments)
        if empty is None:
            raise PackageError("a comments part has no comment list")
        tag = f"{prefix}commentList".encode()
        return (
            comments[: empty.start()]
            + b"<"
            + tag
            + b">"
            + element
            + b"</"
            + tag
            + b">"
            + comments[empty.end() :]
        )
    return _insert(comments, close_list.start(), element)


_EMPTY_VML = (
    b'<xml xmlns:v="urn:schemas-microsoft-com:vml" '
    b'xmlns:o="urn:schemas-microsoft-com:office:office" '
    b'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
    b'<o:idmap v:ext="edit" data="1"/></o:shapelayout><v:shapetype id="_x0000_t202" '
    b'coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke '
    b'joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype></xml>'
)


def _add_vml_shape(vml: bytes, ref: str) -> bytes:
    """The box Excel shows a note in: one VML shape per comment."""
    row_text, letters = re.match(r"([A-Z]+)(\d+)", ref).group(2, 1)  # type: ignore[union-attr]
    row, column = int(row_text) - 1, _col(letters.encode()) - 1
    used = [int(n) for n in re.findall(rb'id="_x0000_s(\d+)"', vml)]
    number = max([1024, *used]) + 1
    shape = (
        f'<v:shape id="_x0000_s{number}" type="#_x0000_t202" style="position:absolute;'
        "margin-left:59.25pt;margin-top:1.5pt;width:195pt;height:82.5pt;z-index:1;"
        'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
        '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div>'
        '</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        f"<x:Anchor>{column + 1}, 15, {row}, 2, {column + 4}, 15, {row + 4}, 16</x:Anchor>"
        f"<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{column}</x:Column>"
        "</x:ClientData></v:shape>"
    ).encode()
    close = vml.rindex(b"</xml>")
    return _insert(vml, close, shape)


# -- helpers -----------------------------------------------------------------------------------


def _typed_targets(rels_xml: bytes, part: str) -> list[tuple[str, str, str]]:
    base = posixpath.dirname(part)
    found = []
    for rel in ElementTree.fromstring(rels_xml):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        resolved = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(base, target))
        )
        found.append((rel.get("Id", ""), resolved, rel.get("Type", "")))
    return found


def _relative(part: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(part))


def _empty_rels() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>'
    )


def _insert(data: bytes, position: int, insert: bytes) -> bytes:
    return data[:position] + insert + data[position:]


def _col(letters: bytes) -> int:
    number = 0
    for char in letters.decode().upper():
        number = number * 26 + ord(char) - 64
    return number


def _col_range(element: bytes, low: int, high: int) -> bytes:
    element = re.sub(rb'\bmin="\d+"', f'min="{low}"'.encode(), element, count=1)
    return re.sub(rb'\bmax="\d+"', f'max="{high}"'.encode(), element, count=1)


def _add_child(xml: bytes, name: bytes, element: bytes, before: bytes) -> bytes:
    """Add `element` to the `name` list of the styles part (making the list if needed)."""
    block = re.search(
        rb"<(\w+:)?" + name + rb"\b[^>]*?(?:/>|>.*?</(\w+:)?" + name + rb">)", xml, re.DOTALL
    )
    if block is None:
        at = re.search(rb"<(\w+:)?" + before + rb"\b", xml)
        if at is None:
            raise PackageError("the styles part is incomplete")
        prefix = at.group(1) or b""
        new = b"<" + prefix + name + b' count="1">' + element + b"</" + prefix + name + b">"
        return _insert(xml, at.start(), new)
    prefix = block.group(1) or b""
    content = block.group(0)
    if content.endswith(b"/>"):
        content = content[:-2] + b">" + element + b"</" + prefix + name + b">"
    else:
        content = _insert(content, content.rindex(b"</"), element)
    xml = xml[: block.start()] + content + xml[block.end() :]
    return _recount(xml, name)


def _recount(xml: bytes, name: bytes) -> bytes:
    block = re.search(
        rb"<(\w+:)?" + name + rb"\b[^>]*>(.*?)</(\w+:)?" + name + rb">", xml, re.DOTALL
    )
    if block is None:
        return xml
    child = b"xf" if name == b"cellXfs" else b"numFmt"
    count = len(re.findall(rb"<(?:\w+:)?" + child + rb"\s", block.group(2)))
    head = xml[block.start() : block.start(2)]
    if b"count=" in head:
        new_head = re.sub(rb'count="\d+"', f'count="{count}"'.encode(), head, count=1)
    else:
        new_head = head[:-1] + f' count="{count}">'.encode()
    return xml[: block.start()] + new_head + xml[block.start(2) :]
