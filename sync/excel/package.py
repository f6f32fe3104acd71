"""Write one worksheet into an existing .xlsx without disturbing anything else in it.

An .xlsx file is a zip package of XML parts. Loading and saving it with openpyxl would rewrite every
part and drop what openpyxl does not model (shapes, sparklines, slicers, threaded comments, ...), so
the coach summary is written at the package level instead: the summary sheet's own part is replaced,
and when the tab is new, three index parts (the workbook's sheet list, its relationships and the
content types) gain one entry each. Every other part is copied byte for byte (as uncompressed
content). The new file is written beside the old one and moved over it in one step, so a crash
leaves either the old file or the new one, never half of each.

The sheet XML uses inline rich-text strings, so it needs no change to the shared strings or styles
parts either.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from xml.etree import ElementTree

from ..files import real_target, replace_keeping_owner, temporary_beside
from ..grid import OutCell, OutSheet, Style, a1, cell_text

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_REL = REL_NS + "/worksheet"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
OFFICE_DOCUMENT_REL = REL_NS + "/officeDocument"
MAX_CELL_TEXT = 32767
# A workbook saved as "Strict Open XML Spreadsheet" names the same elements in these namespaces:
# what is written into one is written in them too, so that no part of the package disagrees
# with the others (the content types are the same in both).
_STRICT = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
        b"http://purl.oclc.org/ooxml/spreadsheetml/main"
    ),
    REL_NS.encode(): b"http://purl.oclc.org/ooxml/officeDocument/relationships",
}

# Rich-text run properties per style (only run formatting: styles.xml stays untouched).
_RUN_PROPS: dict[Style, str] = {
    "title": '<b/><sz val="16"/><color rgb="FF1F3864"/>',
    "subtitle": '<i/><sz val="11"/><color rgb="FF595959"/>',
    "heading": '<b/><sz val="13"/><color rgb="FF1F3864"/>',
    "header": '<b/><sz val="11"/><color rgb="FF404040"/>',
    "text": "",
    "muted": '<i/><sz val="10"/><color rgb="FF7F7F7F"/>',
    "good": '<b/><sz val="11"/><color rgb="FF2E7D32"/>',
    "warn": '<b/><sz val="11"/><color rgb="FFB26A00"/>',
    "bad": '<b/><sz val="11"/><color rgb="FFC62828"/>',
}
# A zip member's local header (signature ... file name length, extra field length).
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class PackageError(Exception):
    """The file is not an .xlsx package we can safely write into."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _escape(text: str) -> str:
    if not plain_text(text):
        text = cell_text(_ILLEGAL_XML.sub(" ", text), len(text) * 2)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def plain_text(text: str) -> bool:
    """Text with nothing to clean or cut: printable ASCII (no control characters, no surrogates,
    no line breaks) well within a cell's length. Most cells are; they skip the cleaning."""
    return len(text) <= _PLAIN_UP_TO and text.isascii() and text.isprintable()


_PLAIN_UP_TO = MAX_CELL_TEXT // 2

# ---------------------------------------------------------------------------------------------
# Building the worksheet part


def sheet_xml(sheet: OutSheet, protect: bool = True) -> bytes:
    """An OutSheet as a worksheet part: text as inline strings, numbers as numbers."""
    rows_xml = []
    hyperlinks = []
    for row_index, row in enumerate(sheet.rows, start=1):
        cells = []
        for col_index, cell in enumerate(row, start=1):
            if cell.value is None or cell.value == "":
                continue
            ref = a1(row_index, col_index)
            cells.append(_cell_xml(ref, cell))
            if cell.link:
                hyperlinks.append(
                    f'<hyperlink ref="{ref}" location="{_escape(cell.link)}" '
                    f'display="{_escape(str(cell.value))[:255]}"/>'
                )
        if cells:
            rows_xml.append(f'<row r="{row_index}">{"".join(cells)}</row>')
    last = a1(max(len(sheet.rows), 1), max(sheet.width, 1))
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{REL_NS}">',
        "<sheetPr>",
        f'<tabColor rgb="FF{sheet.tab_color}"/>' if sheet.tab_color else "",
        '<pageSetUpPr fitToPage="1"/></sheetPr>',
        f'<dimension ref="A1:{last}"/>',
        '<sheetViews><sheetView workbookViewId="0" showGridLines="0">',
        _pane_xml(sheet.freeze_rows),
        "</sheetView></sheetViews>",
        '<sheetFormatPr defaultRowHeight="15"/>',
        _cols_xml(sheet.widths),
        "<sheetData>",
        "".join(rows_xml),
        "</sheetData>",
        '<sheetProtection sheet="1" objects="1" scenarios="1"/>' if protect else "",
        f"<hyperlinks>{''.join(hyperlinks)}</hyperlinks>" if hyperlinks else "",
        '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>',
        # Printed, the summary fits the page width (coaches print it for meetings).
        '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>',
        "</worksheet>",
    ]
    return "".join(parts).encode("utf-8")


def _cell_xml(ref: str, cell: OutCell) -> str:
    value = cell.value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and cell.style == "text":
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = str(value)
    if not plain_text(text):
        text = cell_text(text, MAX_CELL_TEXT)
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    props = _RUN_PROPS[cell.style]
    if cell.link:
        props = '<u val="single"/><color rgb="FF0563C1"/>'
    body = f"<t{space}>{_escape(text)}</t>"
    if props:
        body = f"<r><rPr>{props}</rPr>{body}</r>"
    return f'<c r="{ref}" t="inlineStr"><is>{body}</is></c>'


def _pane_xml(freeze_rows: int) -> str:
    if not freeze_rows:
        return ""
    top = a1(freeze_rows + 1, 1)
    return (
        f'<pane ySplit="{freeze_rows}" topLeftCell="{top}" activePane="bottomLeft" '
        'state="frozen"/><selection pane="bottomLeft"/>'
    )


def _cols_xml(widths: list[int]) -> str:
    if not widths:
        return ""
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1)
    )
    return f"<cols>{cols}</cols>"


# ---------------------------------------------------------------------------------------------
# Writing it into a package


def put_sheet(
    path: Path,
    name: str,
    xml: bytes,
    before_replace: Callable[[], None] | None = None,
    opened: zipfile.ZipFile | None = None,
) -> None:
    """Replace the sheet called `name` (or add it at the end) in the .xlsx at `path`, atomically.

    `before_replace` runs after the new file is complete and just before it takes the old one's
    place; raising there leaves the old file untouched. `opened`: the package at `path`, when
    the caller has read it already (it is not read again; the caller closes it).
    """
    put_sheets(path, {name: xml}, before_replace, opened)


def put_sheets(
    path: Path,
    sheets: dict[str, bytes],
    before_replace: Callable[[], None] | None = None,
    opened: zipfile.ZipFile | None = None,
) -> None:
    """`put_sheet` for several sheets in one rewrite of the package; at most one of them may be
    new (a new sheet changes the package's index parts)."""
    try:
        opening = zipfile.ZipFile(path) if opened is None else contextlib.nullcontext(opened)
        with opening as package:
            replacements: dict[str, bytes] = {}
            added = 0
            for name, xml in sheets.items():
                parts = _replacements(package, name, xml)
                added += len(parts) > 1
                replacements |= parts
            if added > 1:
                raise PackageError("only one new tab can be added at a time")
            _write_package(path, package, replacements, before_replace)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,  # a compression method zipfile does not know
        KeyError,
        ElementTree.ParseError,
    ) as error:
        raise PackageError(f"not a workbook package we can write into ({error})") from None


def _replacements(package: zipfile.ZipFile, name: str, xml: bytes) -> dict[str, bytes]:
    workbook_part = _workbook_part(package)
    rels_part = _rels_part(workbook_part)
    workbook_xml = package.read(workbook_part)
    rels_xml = package.read(rels_part)
    targets = _relationship_targets(rels_xml, workbook_part)
    sheets = _sheet_entries(workbook_xml)
    for sheet_name, rel_id, _sheet_id in sheets:
        if sheet_name.casefold() == name.casefold() and rel_id in targets:
            return {targets[rel_id]: xml}
    return _add_sheet(package, workbook_part, rels_part, workbook_xml, rels_xml, sheets, name, xml)


def _in_package_namespaces(package: zipfile.ZipFile, parts: dict[str, bytes]) -> dict[str, bytes]:
    """`parts`, written (or edited) in the transitional namespaces, in the package's own: the
    strict ones for a workbook saved as Strict Open XML, so that no part disagrees with the
    others; as they are otherwise. The content types are the same in both."""
    strict_main = _STRICT[b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"]
    if not parts or strict_main not in package.read(_workbook_part(package)):
        return parts
    converted = {}
    for part, xml in parts.items():
        if part != "[Content_Types].xml":
            for transitional, strict in _STRICT.items():
                xml = xml.replace(transitional, strict)
        converted[part] = xml
    return converted


def sheet_parts(package: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's name -> the package part that holds it (as the workbook lists them)."""
    workbook_part = _workbook_part(package)
    targets = _relationship_targets(package.read(_rels_part(workbook_part)), workbook_part)
    return {
        name: targets[rel_id]
        for name, rel_id, _sheet_id in _sheet_entries(package.read(workbook_part))
        if rel_id in targets
    }


def workbook_parts(package: zipfile.ZipFile) -> list[str]:
    """Every part the workbook names in its relationships (tabs, shared text, formats...)."""
    workbook_part = _workbook_part(package)
    targets = _relationship_targets(package.read(_rels_part(workbook_part)), workbook_part)
    return list(targets.values())


def _rels_part(workbook_part: str) -> str:
    return posixpath.join(
        posixpath.dirname(workbook_part), "_rels", posixpath.basename(workbook_part) + ".rels"
    )


# The index parts below are parsed once per distinct content: every workbook made from one
# template has them byte for byte the same, and a sync reads hundreds of such workbooks.


def _workbook_part(package: zipfile.ZipFile) -> str:
    return _office_document(package.read("_rels/.rels"))


@lru_cache(maxsize=64)
def _office_document(package_rels: bytes) -> str:
    for rel in ElementTree.fromstring(package_rels):
        if rel.get("Type", "").endswith("/officeDocument"):
            return rel.get("Target", "").lstrip("/")
    raise PackageError("the package names no workbook part")


def _relationship_targets(rels_xml: bytes, workbook_part: str) -> dict[str, str]:
    return dict(_targets(rels_xml, workbook_part))


@lru_cache(maxsize=256)
def _targets(rels_xml: bytes, workbook_part: str) -> tuple[tuple[str, str], ...]:
    base = posixpath.dirname(workbook_part)
    targets = []
    for rel in ElementTree.fromstring(rels_xml):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        part = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(base, target))
        )
        targets.append((rel.get("Id", ""), part))
    return tuple(targets)


@lru_cache(maxsize=256)
def _sheet_entries(workbook_xml: bytes) -> tuple[tuple[str, str, int], ...]:
    """(name, relationship id, sheetId) of every sheet, whatever namespace prefixes are used."""
    entries = []
    for element in ElementTree.fromstring(workbook_xml).iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id" and "}" in k), "")
        sheet_id = element.get("sheetId", "0")
        entries.append(
            (element.get("name", ""), rel_id, int(sheet_id) if sheet_id.isdigit() else 0)
        )
    return tuple(entries)


def _add_sheet(package, workbook_part, rels_part, workbook_xml, rels_xml, sheets, name, xml):
    names = set(package.namelist())
    number = 1
    while f"xl/worksheets/sheet{number}.xml" in names:
        number += 1
    part = f"xl/worksheets/sheet{number}.xml"
    rel_ids = {match.decode() for match in re.findall(rb'Id="([^"]+)"', rels_xml)}
    rel_id = next(f"rIdPlansync{n}" for n in range(1, 10_000) if f"rIdPlansync{n}" not in rel_ids)
    sheet_id = max((entry[2] for entry in sheets), default=0) + 1
    target = posixpath.relpath(part, posixpath.dirname(workbook_part) or ".")

    sheets_close = re.search(rb"</([A-Za-z0-9_]+:)?sheets>", workbook_xml)
    if not sheets_close:
        raise PackageError("the workbook part has no sheet list")
    prefix = (sheets_close.group(1) or b"").decode()
    sheet_element = (
        f'<{prefix}sheet xmlns:r="{REL_NS}" name="{_escape(name)}" '
        f'sheetId="{sheet_id}" r:id="{rel_id}"/>'
    ).encode()
    new_workbook = _insert_before(workbook_xml, sheets_close.start(), sheet_element)

    rels_close = re.search(rb"</([A-Za-z0-9_]+:)?Relationships>", rels_xml)
    if not rels_close:
        raise PackageError("the workbook's relationships part is incomplete")
    relationship = (
        f'<{_prefix(rels_close)}Relationship Id="{rel_id}" Type="{WORKSHEET_REL}" '
        f'Target="{target}"/>'
    ).encode()
    new_rels = _insert_before(rels_xml, rels_close.start(), relationship)

    types_xml = package.read("[Content_Types].xml")
    types_close = re.search(rb"</([A-Za-z0-9_]+:)?Types>", types_xml)
    if not types_close:
        raise PackageError("the package's content types part is incomplete")
    override = (
        f'<{_prefix(types_close)}Override PartName="/{part}" ContentType="{WORKSHEET_TYPE}"/>'
    ).encode()
    new_types = _insert_before(types_xml, types_close.start(), override)
    return {
        part: xml,
        workbook_part: new_workbook,
        rels_part: new_rels,
        "[Content_Types].xml": new_types,
    }


def _prefix(match: re.Match | None) -> str:
    if not match:
        raise PackageError("an index part of the package is malformed")
    return (match.group(1) or b"").decode()


def _insert_before(data: bytes, position: int, insert: bytes) -> bytes:
    return data[:position] + insert + data[position:]


def _copyable(info: zipfile.ZipInfo) -> bool:
    """A part whose compressed bytes can be copied as they are: not encrypted, no extra fields
    (a zip64 one would have to be rewritten), a method that is known to be read correctly."""
    return (
        not info.extra
        and not info.flag_bits & 0x01
        and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
    )


def _copy_compressed(source: BinaryIO, info: zipfile.ZipInfo, target: zipfile.ZipFile) -> None:
    """Copy one part into `target` without inflating it: its local header is written anew, its
    compressed bytes are copied, and the central directory gets the same entry."""
    source.seek(info.header_offset)
    header = source.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
    source.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    data = source.read(info.compress_size)
    if len(data) != info.compress_size:
        raise zipfile.BadZipFile(f"{info.filename} is cut off")
    entry = _moved_entry(info, info.header_offset)  # add_compressed says where it goes
    entry.flag_bits &= ~0x08  # sizes and CRC go in the local header: no data descriptor
    add_compressed(target, entry, data)


def add_compressed(target: zipfile.ZipFile, entry: zipfile.ZipInfo, data: bytes) -> None:
    """Add a part whose bytes are compressed already: `entry` gives its name, method, CRC and
    sizes, which go in its local header (no data descriptor) and the central directory."""
    target.fp.seek(target.start_dir)  # type: ignore[union-attr]
    entry.header_offset = target.start_dir
    target.fp.write(entry.FileHeader())  # type: ignore[union-attr]
    target.fp.write(data)  # type: ignore[union-attr]
    target.start_dir = target.fp.tell()  # type: ignore[union-attr]
    target.filelist.append(entry)
    target.NameToInfo[entry.filename] = entry


def _write_package(
    path: Path,
    package: zipfile.ZipFile,
    replacements: dict[str, bytes],
    before_replace: Callable[[], None] | None,
) -> None:
    """Copy every part into a temporary file beside `path`, swapping in the replacements, in
    the package's own namespaces (see _in_package_namespaces). The parts are copied from the
    package as opened (from `path`, or from its bytes as read)."""
    source: BinaryIO = package.fp  # type: ignore[assignment]
    with temporary_beside(real_target(path)) as temporary:
        pending = dict(_in_package_namespaces(package, replacements))
        ends = _entry_ends(package)
        with zipfile.ZipFile(temporary, "w") as target:
            run: list[zipfile.ZipInfo] = []  # parts to copy, back to back in the source
            for info in package.infolist():
                data = pending.pop(info.filename, None)
                if data is None and _copyable(info):
                    if run and ends.get(run[-1].header_offset) != info.header_offset:
                        _copy_run(source, run, ends, target)
                    run.append(info)
                    continue
                _copy_run(source, run, ends, target)
                if data is None:
                    data = package.read(info)
                target.writestr(info, data, compress_type=info.compress_type)
            _copy_run(source, run, ends, target)
            for name, data in pending.items():
                target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
        # The school's file keeps its owner, group, mode, ACLs and extended attributes.
        replace_keeping_owner(temporary, path, before_replace)


def _entry_ends(package: zipfile.ZipFile) -> dict[int, int]:
    """Where each part's bytes end in the file (its local header, data and any data descriptor),
    by where they begin: at the next part, or the central directory after the last one."""
    starts = sorted(info.header_offset for info in package.infolist())
    return dict(zip(starts, [*starts[1:], package.start_dir], strict=True))


def _header_matches(data: bytes, info: zipfile.ZipInfo, at: int) -> bool:
    """Whether the part's local header is at `at` in `data`, names it as its entry does (in plain
    ASCII) and is followed by all of its compressed bytes."""
    header = data[at : at + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        return False
    name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
    name = data[at + _LOCAL_HEADER.size : at + _LOCAL_HEADER.size + name_length]
    size = _LOCAL_HEADER.size + name_length + extra_length + info.compress_size
    return info.filename.isascii() and name == info.filename.encode() and at + size <= len(data)


def _copy_run(
    source: BinaryIO,
    run: list[zipfile.ZipInfo],
    ends: dict[int, int],
    target: zipfile.ZipFile,
) -> None:
    """Copy parts that lie back to back in the source in one read and one write, headers and all;
    each keeps its central directory entry, moved to where it now begins. Parts whose local
    header does not match their entry (a name that is not plain ASCII, parts that overlap) get
    their headers written anew instead, one by one (see `_copy_compressed`)."""
    if not run:
        return
    first, end = run[0].header_offset, ends[run[-1].header_offset]
    source.seek(first)
    data = source.read(end - first)
    if not all(_header_matches(data, info, info.header_offset - first) for info in run):
        for info in run:
            _copy_compressed(source, info, target)
        run.clear()
        return
    shift = target.start_dir - first
    target.fp.seek(target.start_dir)  # type: ignore[union-attr]
    target.fp.write(data)  # type: ignore[union-attr]
    target.start_dir = target.fp.tell()  # type: ignore[union-attr]
    for info in run:
        entry = _moved_entry(info, info.header_offset + shift)
        target.filelist.append(entry)
        target.NameToInfo[entry.filename] = entry
    run.clear()


# The fields of a part's central directory entry, copied by hand (those it has: a later Python
# may add some): copy.copy takes twice as long, and a rewrite copies every part's entry (about
# 25 for a PM Tool, thousands of times a night).
_ENTRY_FIELDS = tuple(zipfile.ZipInfo.__slots__)


def _moved_entry(info: zipfile.ZipInfo, header_offset: int) -> zipfile.ZipInfo:
    """A copy of a part's entry, saying its local header is at `header_offset`."""
    entry = zipfile.ZipInfo.__new__(zipfile.ZipInfo)
    for name in _ENTRY_FIELDS:
        value = getattr(info, name, _ABSENT)
        if value is not _ABSENT:
            setattr(entry, name, value)
    entry.header_offset = header_offset
    return entry


_ABSENT = object()
