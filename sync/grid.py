"""Positions and sheets, shared by every backend.

Cells are 1-based (row, column) like the spreadsheet programs show them; `a1()` and `parse_a1()`
convert to and from "D7". `OutSheet` is a backend-neutral sheet to write (the rollup's tabs, a coach
summary): rows of values with a style name each, which the Excel and Google stores render.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal, NamedTuple, Protocol

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def column_letter(column: int) -> str:
    """1 -> A, 27 -> AA."""
    if column < 1:
        raise ValueError(f"column numbers start at 1, not {column}")
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_number(letters: str) -> int:
    """A -> 1, AA -> 27."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def a1(row: int, column: int) -> str:
    return f"{column_letter(column)}{row}"


def parse_a1(ref: str) -> tuple[int, int]:
    """'D7' -> (7, 4)."""
    match = _A1.match(ref)
    if not match:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(match.group(2)), column_number(match.group(1))


def quote_sheet(name: str) -> str:
    """A sheet name as it must appear in a reference: 'Action Steps'!F7."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        return name
    return "'" + name.replace("'", "''") + "'"


_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def cell_text(text: str, limit: int) -> str:
    """Text a spreadsheet cell (and the XML it sits in) can hold: control characters become
    spaces, unpaired surrogates the replacement character, and text longer than `limit` is cut
    with an ellipsis. Spreadsheet programs count length in UTF-16 units (an emoji takes two), so
    the cut counts them too and never splits a character."""
    text = _NOT_IN_XML.sub(" ", text)
    if _SURROGATE.search(text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        text = _SURROGATE.sub("\ufffd", text)
    if len(text) <= limit // 2:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            kept, used = text[:index], units - (2 if ord(char) > 0xFFFF else 1)
            while used > limit - 1:  # room for the ellipsis
                used -= 2 if ord(kept[-1]) > 0xFFFF else 1
                kept = kept[:-1]
            return kept + "…"
    return text


# Day 0 of a workbook's serial dates (the 1900 date system, every workbook plansync writes).
_SERIAL_EPOCH = dt.datetime(1899, 12, 30)
_SECONDS_A_DAY = 86400


def excel_serial(value: dt.date | dt.time | dt.timedelta) -> float:
    """A date, time or duration as the number a spreadsheet cell stores for it: days since
    1899-12-30 (a time: the part of a day; a duration: its days). As Excel counts, a day before
    1900-03-01 is one less: Excel keeps a 29 February 1900 that never was."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / _SECONDS_A_DAY
    if isinstance(value, dt.time):
        return _day_part(value)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    days = (value.replace(tzinfo=None) - _SERIAL_EPOCH).days
    if 0 < days <= 60:
        days -= 1
    return days + _day_part(value)


def _day_part(moment: dt.time | dt.datetime) -> float:
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    return (seconds + moment.microsecond / 10**6) / _SECONDS_A_DAY


Style = Literal["title", "subtitle", "heading", "header", "text", "muted", "good", "warn", "bad"]


class OutCell(NamedTuple):
    """One value to write. `link` jumps to a cell of the same workbook ("'Action Steps'!F7").

    A named tuple: a rollup has hundreds of thousands of these, so they must be cheap."""

    value: str | int | float | dt.date | None = None
    style: Style = "text"
    link: str | None = None


@dataclass(frozen=True)
class OutChart:
    """A chart over a block of its own sheet's cells, for the store to draw natively.

    Categories are read down `category_column` from `first_row` to `last_row`; each of
    `value_columns` is one series, named by its cell in `header_row`. `kind` is "bar" (horizontal
    bars, first category at the top), "column" or "line"; `stacked` piles the series up.
    """

    title: str
    kind: Literal["bar", "column", "line"]
    header_row: int
    first_row: int
    last_row: int
    category_column: int
    value_columns: tuple[int, ...]
    # Top-left cell the chart is placed at, e.g. "H2", and its size in centimetres.
    anchor: str
    width_cm: float = 16.0
    height_cm: float = 8.0
    stacked: bool = False
    value_title: str = ""
    # A fixed value axis, e.g. (0, 100) for percentages; None lets the program choose.
    value_range: tuple[float, float] | None = None
    # One "RRGGBB" per series; empty for the program's own colours.
    colors: tuple[str, ...] = ()


def hash_of(value: object) -> str:
    """A short hash of what `value` prints as (the values hashed with it print the same each
    run): a row block's key, a school's fingerprint."""
    return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class RowBlock:
    """Rows of a sheet that belong together (one school's rows on a rollup tab), counted and
    keyed without being made: a store that kept them drawn from an earlier night, under the same
    key, need not make or draw them again."""

    owner: str
    part: str
    # A hash of what the rows hold: the same key, the same rows.
    key: str
    count: int
    make: Callable[[], list[list[OutCell]]]


class DrawnRows(Protocol):
    """Where a store keeps blocks of rows as it drew them, by part and owner, with their keys."""

    def drawn_rows(self, part: str) -> dict[str, tuple[str, bytes]]:
        """Each owner's block of `part` as last kept: (key, drawn, as the writer packed it)."""
        ...

    def keep_drawn_rows(self, part: str, owner: str, key: str, drawn: bytes) -> None: ...


@dataclass
class OutSheet:
    """A sheet to write in full: the rollup's tabs and the coach summary are built as these.

    Its rows are `rows`, then the rows of each of `blocks` (no wider than `rows`' widest)."""

    name: str
    rows: list[list[OutCell]] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)
    freeze_rows: int = 0
    # Row number of a header row that should carry a filter (tables in the rollup).
    filter_row: int | None = None
    tab_color: str | None = None
    # Columns holding a 0-100 score, shaded red to green in the rollup.
    score_columns: list[int] = field(default_factory=list)
    charts: list[OutChart] = field(default_factory=list)
    blocks: list[RowBlock] = field(default_factory=list)

    def add(
        self, *cells: OutCell | str | int | float | dt.date | None, style: Style = "text"
    ) -> None:
        """Append one row; plain values take `style`."""
        self.rows.append([c if isinstance(c, OutCell) else OutCell(c, style) for c in cells])

    def blank(self) -> None:
        self.rows.append([])

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)

    def settings(self) -> tuple:
        """What the sheet shows besides its cells and charts: its name, column widths, frozen
        rows, filter, tab colour and colour scales."""
        return (
            self.name,
            self.widths,
            self.freeze_rows,
            self.filter_row,
            self.tab_color,
            self.score_columns,
        )

    @property
    def row_count(self) -> int:
        return len(self.rows) + sum(block.count for block in self.blocks)

    def all_rows(self) -> Iterator[list[OutCell]]:
        """Every row, the blocks' made one block at a time."""
        yield from self.rows
        for block in self.blocks:
            yield from block.make()

    def expanded(self) -> OutSheet:
        """The same sheet with its blocks' rows made and added to `rows`."""
        if not self.blocks:
            return self
        return replace(self, rows=list(self.all_rows()), blocks=[])
