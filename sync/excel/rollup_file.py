"""The rollup as an .xlsx file, written fast enough for a state's thousands of schools.

openpyxl draws each tab's frame: widths, the frozen header, the filter, the colour scales, the
charts, the first row, and the cell formats the other rows use. Those other rows, which can
number hundreds of thousands of cells, are then written straight into each sheet's part as XML, a
batch of rows at a time: several times faster than openpyxl's writer, in constant memory. Text is
written as inline strings, so it is never read as a formula.

The frame is kept too, with what it was drawn from: most nights only rows change, and then it is
used again, and openpyxl is not even imported (importing it took longer than the rest of a night's
rollup for one edited school).

A sheet part is one deflate stream. Blocks of rows (a school's rows on a tab) go in by groups of
GROUP: each group is compressed on its own (the stream is fully flushed before and after it, so
that it refers to nothing outside itself) and kept, with its CRC-32, as it was written from its
first row. A later night whose group holds the same blocks from the same row on puts those bytes
in as they are, with no drawing, numbering or compressing, and joins the CRCs. Each block is also
kept drawn, with a mark for each row number, for a group that must be compressed again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import itertools
import json
import math
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from ..grid import (
    DrawnRows,
    OutCell,
    OutSheet,
    RowBlock,
    Style,
    cell_text,
    column_letter,
    excel_serial,
    hash_of,
)
from .package import MAX_CELL_TEXT, add_compressed, plain_text, sheet_parts

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# Rows openpyxl writes itself on each tab (the header, or the About tab's title).
FRAME_ROWS = 1
# Rows rendered and compressed at a time.
BATCH_ROWS = 2000
# Level 3 rather than 6: 0.5 s instead of 1.4 s for a 2,000-school rollup's 134 MB of sheets,
# for a file a tenth larger (10.2 MB instead of 9.2).
LEVEL = 3
# Blocks compressed together. A group compresses better the larger it is (alone, a school's
# block compresses three times worse: the stream cannot refer back to the schools before it),
# and is used again less often (one changed block compresses its group again). At 2,000 schools,
# groups of 16 make the blocks 5.1 MB instead of 4.3 MB as one stream (of a 10 MB file).
GROUP = 16

# Values that need a number format of their own (a datetime before a date: it is one).
_DAYS_AND_TIMES = (dt.datetime, dt.date, dt.time, dt.timedelta)
_FORMAT_KINDS = (str, *_DAYS_AND_TIMES)
# Each style and kind of value's cell format, as the attribute a cell carries (see _formats).
_Formats = dict[tuple[str, type], str]


def write_rollup_file(
    sheets: list[OutSheet], target: Path | io.BytesIO, drawn: DrawnRows | None = None
) -> None:
    """Write the rollup of `sheets` as an .xlsx package at `target`. A block of rows (see
    grid.RowBlock) that `drawn` kept under its key is taken from there instead of being made and
    drawn again; one drawn here is kept there."""
    frame, formats = _frame(sheets, drawn)
    blocks = _Blocks(formats, drawn)
    bodies: list[Iterator[str | _Deflated]] = [
        itertools.chain(
            _rows_xml(content.rows[FRAME_ROWS:], FRAME_ROWS + 1, formats),
            blocks.pieces(content.blocks, len(content.rows) + 1),
        )
        for content in sheets
    ]
    now, written_at = dt.datetime.now(dt.UTC), time.localtime()[:6]
    with zipfile.ZipFile(io.BytesIO(frame)) as source:
        parts = sheet_parts(source).values()
        by_part = dict(zip(parts, zip(sheets, bodies, strict=True), strict=True))
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as package:
            for info in source.infolist():
                data = source.read(info)
                info.date_time = written_at  # not when the frame was drawn, if it was kept
                if info.filename in by_part:
                    content, body = by_part[info.filename]
                    _write_sheet(package, info, data, content, body)
                elif info.filename == _PROPERTIES:
                    package.writestr(info, _dated(data, now))
                else:
                    package.writestr(info, data)


# The part of the package that says when the workbook was made and last saved.
_PROPERTIES = "docProps/core.xml"
_DATES = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


def _dated(properties: bytes, now: dt.datetime) -> bytes:
    """The workbook's properties, made and saved `now` (a frame kept from an earlier night
    still carries that night's time)."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return _DATES.sub(lambda match: match.group(1) + stamp + match.group(2), properties)


# A frame is kept under this part and owner, beside the blocks of rows.
_FRAME_PART, _FRAME_OWNER = "frame", "rollup"


def _frame(sheets: list[OutSheet], drawn: DrawnRows | None) -> tuple[bytes, _Formats]:
    """The package openpyxl draws of the tabs' frames, and the cell formats registered in it:
    as `drawn` kept it when the frame would be the same, else drawn now (and kept)."""
    key = _frame_key(sheets)
    if drawn is not None:
        kept = drawn.drawn_rows(_FRAME_PART).get(_FRAME_OWNER)
        if kept is not None and kept[0] == key and (found := _unpack_frame(kept[1])) is not None:
            return found
    frame, formats = _draw_frame(sheets)
    if drawn is not None:
        drawn.keep_drawn_rows(_FRAME_PART, _FRAME_OWNER, key, _pack_frame(frame, formats))
    return frame, formats


def _frame_key(sheets: list[OutSheet]) -> str:
    """Everything the frame is drawn from: this module and the one that draws it, and each tab's
    settings, first rows, charts (with the header rows they name) and size."""
    tabs = [
        (
            sheet.settings(),
            sheet.charts,
            sheet.rows[:FRAME_ROWS],
            [sheet.rows[chart.header_row - 1 : chart.header_row] for chart in sheet.charts],
            sheet.width,
            # Whether it has a filter at all; where the filter and the colour scales end is set
            # as each night's rows are written (_sized).
            bool(sheet.filter_row) and sheet.row_count >= (sheet.filter_row or 0),
        )
        for sheet in sheets
    ]
    return hash_of((_SOURCE, _DRAWER_SOURCE, tabs))


def _draw_frame(sheets: list[OutSheet]) -> tuple[bytes, _Formats]:
    from .render import rollup_workbook  # openpyxl is slow to import: only for a new frame

    book = rollup_workbook(sheets, rows=FRAME_ROWS)
    # Every format a row may need is registered before the frame is saved, which writes them out;
    # the rows themselves are drawn as they are written.
    formats = _formats(book.worksheets[0]) if book.worksheets else {}
    frame = io.BytesIO()
    try:
        book.save(frame)
    except BaseException:
        _close_writers(book)
        raise
    return frame.getvalue(), formats


def _pack_frame(frame: bytes, formats: _Formats) -> bytes:
    listed = [[style, kind.__name__, attribute] for (style, kind), attribute in formats.items()]
    return json.dumps(listed).encode() + b"\n" + frame


def _unpack_frame(blob: bytes) -> tuple[bytes, _Formats] | None:
    """A kept frame and its formats; None when it cannot be used (then it is drawn again)."""
    head, _, frame = blob.partition(b"\n")
    kinds: dict[str, type] = {kind.__name__: kind for kind in _FORMAT_KINDS}
    try:
        formats: _Formats = {
            (style, kinds[kind]): attribute for style, kind, attribute in json.loads(head)
        }
        with zipfile.ZipFile(io.BytesIO(frame)) as package:
            if package.testzip() is not None:
                return None
    except (ValueError, TypeError, KeyError, zipfile.BadZipFile, zlib.error, EOFError):
        return None
    return frame, formats


def _close_writers(book: Workbook) -> None:
    """After a failed save, close the write-only sheets' writers now and quietly: left to the
    garbage collector, each would print a complaint about its closed file."""
    for sheet in book.worksheets:
        writer = getattr(sheet, "_writer", None)
        for generator in (getattr(sheet, "_rows", None), getattr(writer, "xf", None)):
            if generator is not None:
                with contextlib.suppress(Exception):
                    generator.close()


def _formats(sheet: WriteOnlyWorksheet) -> _Formats:
    """The workbook's cell format for each style and kind of value (text and numbers, or a kind
    of date or time), registered in it, as a cell's attribute (none for the default format)."""
    from .render import rollup_style_id

    samples: dict[type, Any] = {
        str: "",
        dt.datetime: dt.datetime(2000, 1, 1),
        dt.date: dt.date(2000, 1, 1),
        dt.time: dt.time(),
        dt.timedelta: dt.timedelta(),
    }
    formats = {}
    for style in get_args(Style):
        for kind, sample in samples.items():
            index = rollup_style_id(sheet, OutCell(sample, style))
            formats[(style, kind)] = f' s="{index}"' if index else ""
    return formats


def _rows_xml(rows: list[list[OutCell]], first: int, formats: _Formats) -> Iterator[str]:
    """The rows' XML, a batch of rows per string."""
    for start in range(0, len(rows), BATCH_ROWS):
        numbered = enumerate(rows[start : start + BATCH_ROWS], start=first + start)
        yield "".join(_row_xml(row, str(number), formats) for number, row in numbered)


def _row_xml(row: list[OutCell], number: str, formats: _Formats) -> str:
    """One row's XML ('' when it holds nothing); `number` is its row number, or a mark for it.
    Text and numbers, nearly every cell of a rollup, are drawn here; the rest by _cell_xml."""
    cells = []
    for letter, (value, style, _link) in zip(_letters(len(row)), row, strict=False):
        if type(value) is str:
            if value:
                cells.append(_text_xml(f"{letter}{number}", value, formats[(style, str)]))
        elif type(value) is int or (type(value) is float and math.isfinite(value)):
            cells.append(f'<c r="{letter}{number}"{formats[(style, str)]}><v>{value!r}</v></c>')
        elif value is not None:
            cells.append(_cell_xml(f"{letter}{number}", value, style, formats))
    return f'<row r="{number}">{"".join(cells)}</row>' if cells else ""


_LETTERS: list[str] = []


def _letters(count: int) -> list[str]:
    """The first `count` column letters (A, B, ...), made once."""
    while len(_LETTERS) < count:
        _LETTERS.append(column_letter(len(_LETTERS) + 1))
    return _LETTERS


# A block of rows is drawn once with a mark where each row number goes, rows apart, and numbered
# where it lands (row numbers and cell references carry them). Neither character can be in a
# cell: text is cleaned of control characters before it is written.
_NUMBER = "\x00"
_ROW_BREAK = "\x01"


@dataclass(frozen=True)
class _Deflated:
    """Rows as they go into a sheet part: raw deflate data that refers to nothing before or
    after it and ends byte-aligned (a full flush), the CRC-32 of the rows and their length."""

    data: bytes
    crc: int
    length: int


# How a group is kept: its rows' CRC-32 and length, and a checksum of its deflated bytes (they go
# into a part unread, so damage there would spoil the file); then those bytes.
_KEPT = struct.Struct("<IQI")
# Groups are kept beside the blocks, under an owner no school id can be.
_GROUP_OWNER = "\x00group {}"


def _pack_group(deflated: _Deflated) -> bytes:
    head = _KEPT.pack(deflated.crc, deflated.length, zlib.adler32(deflated.data))
    return head + deflated.data


def _unpack_group(blob: bytes) -> _Deflated | None:
    """A kept group's deflated rows; None when damaged."""
    if len(blob) < _KEPT.size:
        return None
    crc, length, check = _KEPT.unpack_from(blob)
    data = blob[_KEPT.size :]
    return _Deflated(data, crc, length) if zlib.adler32(data) == check else None


class _Blocks:
    """Draws the sheets' blocks of rows, or takes them as `drawn` kept them."""

    def __init__(self, formats: _Formats, drawn: DrawnRows | None):
        self.formats = formats
        self.drawn = drawn
        # What a block's drawing depends on besides its rows: this module and the formats' ids.
        self.signature = hashlib.blake2b(
            _SOURCE + repr(sorted(formats.items(), key=repr)).encode(), digest_size=8
        ).hexdigest()

    def pieces(self, blocks: list[RowBlock], first: int) -> Iterator[_Deflated]:
        """The blocks' rows, numbered from `first`, deflated a group of blocks at a time."""
        kept: dict[str, tuple[str, bytes]] = {}
        if self.drawn is not None and blocks:
            kept = self.drawn.drawn_rows(blocks[0].part)
        rows = [block for block in blocks if block.count]
        for start in range(0, len(rows), GROUP):
            group = rows[start : start + GROUP]
            owner = _GROUP_OWNER.format(start // GROUP)
            key = hash_of((self.signature, first, [(b.owner, b.key) for b in group]))
            found = kept.get(owner)
            deflated = _unpack_group(found[1]) if found is not None and found[0] == key else None
            if deflated is None:
                text = "".join(self._numbered(b, row, kept) for b, row in _firsts(group, first))
                deflated = _deflate(text.encode("utf-8"))
                if self.drawn is not None:
                    self.drawn.keep_drawn_rows(group[0].part, owner, key, _pack_group(deflated))
            yield deflated
            first += sum(block.count for block in group)

    def _numbered(self, block: RowBlock, first: int, kept: dict[str, tuple[str, bytes]]) -> str:
        """A block's rows numbered from `first`: from its rows as kept drawn, or drawn now."""
        key = f"{self.signature}:{block.key}"
        found = kept.get(block.owner)
        template = _template(found[1]) if found is not None and found[0] == key else None
        if template is None:
            template = _ROW_BREAK.join(_row_xml(row, _NUMBER, self.formats) for row in block.make())
            if self.drawn is not None:
                packed = zlib.compress(template.encode(), 1)
                self.drawn.keep_drawn_rows(block.part, block.owner, key, packed)
        return "".join(
            row.replace(_NUMBER, str(number))
            for number, row in enumerate(template.split(_ROW_BREAK), start=first)
        )


def _firsts(blocks: list[RowBlock], first: int) -> Iterator[tuple[RowBlock, int]]:
    """Each block with the row it begins on, the first from `first`."""
    for block in blocks:
        yield block, first
        first += block.count


def _template(marked: bytes) -> str | None:
    """A kept block's rows with their number marks; None when they cannot be unpacked."""
    try:
        return zlib.decompress(marked).decode()
    except (zlib.error, UnicodeDecodeError):
        return None


def _deflate(data: bytes) -> _Deflated:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    packed = compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)
    return _Deflated(packed, zlib.crc32(data), len(data))


class _PartStream:
    """One sheet part's deflate stream, from text and from deflated pieces put in as they are."""

    def __init__(self) -> None:
        self.compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        self.chunks: list[bytes] = []
        self.crc = 0
        self.length = 0
        self.flushed = True  # nothing compressed since the last full flush

    def text(self, data: bytes) -> None:
        self.chunks.append(self.compressor.compress(data))
        self.crc = zlib.crc32(data, self.crc)
        self.length += len(data)
        self.flushed = False

    def piece(self, piece: _Deflated) -> None:
        if not self.flushed:  # what came before must end on a byte, referring to nothing after
            self.chunks.append(self.compressor.flush(zlib.Z_FULL_FLUSH))
            self.flushed = True
        self.chunks.append(piece.data)
        self.crc = _crc_joined(self.crc, piece.crc, piece.length)
        self.length += piece.length

    def finish(self) -> bytes:
        self.chunks.append(self.compressor.flush())
        return b"".join(self.chunks)


# CRC-32 is linear: the CRC of A then B is the CRC of A carried through len(B) zero bytes, plus
# the CRC of B, less the CRC of those zero bytes alone.
_ZEROS = memoryview(bytes(1 << 20))


def _crc_joined(crc: int, piece_crc: int, length: int) -> int:
    carried, alone = crc, 0
    for start in range(0, length, len(_ZEROS)):
        zeros = _ZEROS[: min(len(_ZEROS), length - start)]
        carried, alone = zlib.crc32(zeros, carried), zlib.crc32(zeros, alone)
    return carried ^ piece_crc ^ alone


_SOURCE = Path(__file__).read_bytes()
_DRAWER_SOURCE = Path(__file__).with_name("render.py").read_bytes()


# Due dates repeat down a rollup, as its texts do.
@functools.lru_cache(maxsize=1 << 12)
def _serial_text(value: dt.date | dt.time | dt.timedelta) -> str:
    return repr(excel_serial(value))


def _cell_xml(ref: str, value: object, style: Style, formats: _Formats) -> str:
    if isinstance(value, _DAYS_AND_TIMES):
        kind = next(k for k in _DAYS_AND_TIMES if isinstance(value, k))
        return f'<c r="{ref}"{formats[(style, kind)]}><v>{_serial_text(value)}</v></c>'
    s = formats[(style, str)]
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)) and math.isfinite(value):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = str(value)
    return _text_xml(ref, text, s) if text else ""


def _text_xml(ref: str, text: str, s: str) -> str:
    """A text cell, written inline (so it is never read as a formula)."""
    return f'<c r="{ref}"{s} t="inlineStr">{_text_tail(text)}'


# A rollup's texts repeat: 2,000 schools' 1.3 million text cells held 18,000 different texts.
@functools.lru_cache(maxsize=1 << 16)
def _text_tail(text: str) -> str:
    """A text cell's XML after its reference and style: the text cleaned and escaped."""
    if not plain_text(text):
        text = cell_text(text, MAX_CELL_TEXT)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Spreadsheet programs trim a text's outer spaces unless told not to; saying so only where
    # there are any keeps a fifth of the rollup's bytes out of every write.
    keep = _KEEP_SPACES if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<is><t{keep}>{text}</t></is></c>"


_KEEP_SPACES = ' xml:space="preserve"'
# The end row of the filter and of the score columns' colour scales, as render.py draws them.
_FILTER_END = re.compile(rb'(<autoFilter ref="[A-Z]+\d+:[A-Z]+)\d+"')
_SCALE_END = re.compile(rb'(<conditionalFormatting sqref="[A-Z]+2:[A-Z]+)\d+"')


def _sized(frame: bytes, content: OutSheet) -> bytes:
    """The sheet's frame with its filter and colour scales reaching its last row tonight: a
    kept frame was drawn for the rows of an earlier night."""
    last = content.row_count
    frame = _FILTER_END.sub(lambda match: match.group(1) + b'%d"' % last, frame, count=1)
    return _SCALE_END.sub(lambda match: match.group(1) + b'%d"' % max(last, 2), frame)


_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def _write_sheet(
    package: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    frame: bytes,
    content: OutSheet,
    body: Iterator[str | _Deflated],
) -> None:
    """The sheet part as openpyxl wrote it, with the other rows inside its sheetData."""
    frame = _sized(frame, content)
    if content.row_count <= min(len(content.rows), FRAME_ROWS):  # the frame holds them all
        package.writestr(info, frame)
        return
    last = f"{column_letter(max(content.width, 1))}{content.row_count}"
    frame = _DIMENSION.sub(f'<dimension ref="A1:{last}"/>'.encode(), frame, count=1)
    end = frame.find(b"</sheetData>")
    if end < 0:  # openpyxl wrote no row at all: an empty element
        empty = frame.find(b"<sheetData/>")
        head, tail = frame[:empty] + b"<sheetData>", b"</sheetData>" + frame[empty + 12 :]
    else:
        head, tail = frame[:end], frame[end:]
    stream = _PartStream()
    stream.text(head)
    for piece in body:
        if isinstance(piece, _Deflated):
            stream.piece(piece)
        else:
            stream.text(piece.encode("utf-8"))
    stream.text(tail)
    data = stream.finish()
    entry = zipfile.ZipInfo(info.filename, info.date_time)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = info.external_attr
    entry.CRC, entry.file_size, entry.compress_size = stream.crc, stream.length, len(data)
    add_compressed(package, entry, data)
