"""Small helpers the rule kinds share: naming a row, writing a date, picking rows by value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..tables import Row, Table
from ..templates import Tab
from ..values import normalize_words


def row_label(tab: Tab, row: Row, limit: int = 60) -> str:
    """A short name for a row: its first plain text cell, e.g. the action step itself."""
    for column in tab.columns:
        if column.type == "text" and not column.choices_from and row.text(column.key):
            text = " ".join(row.text(column.key).split())
            return f"“{text[: limit - 1]}…”" if len(text) > limit else f"“{text}”"
    return f"Row {row.number}"


def format_date(day: dt.date) -> str:
    """'Nov 5, 2026': a date the way issues and summaries write it."""
    return f"{day:%b} {day.day}, {day.year}"


def rows_where(table: Table, when: dict[str, str]) -> Iterator[Row]:
    """The rows whose columns hold the given values (case and spacing ignored)."""
    wanted = {key: normalize_words(value) for key, value in when.items()}
    for row in table.rows:
        if all(normalize_words(row.text(key)) == value for key, value in wanted.items()):
            yield row
