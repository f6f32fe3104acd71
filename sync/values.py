"""Turning what a school typed into typed values, or into a plain reason why it could not be read.

Nothing here changes a cell: a parse only decides how the sync understands it. A date typed as text
is read when it can mean one day only ("2026-10-05", "Oct 5, 2026", "10/15/2026"); anything else
("next Tuesday", "TBD", "3/4/27", which could be March 4 or April 3) is reported, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

# Excel stores dates as days since 1899-12-30; a bare number in this range is a date that lost its
# format (pasted values, a column formatted as General).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_RANGE = (36526, 73051)  # 2000-01-01 .. 2099-12-31

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_WEEKDAYS = {
    "mon",
    "monday",
    "tue",
    "tues",
    "tuesday",
    "wed",
    "wednesday",
    "thu",
    "thur",
    "thurs",
    "thursday",
    "fri",
    "friday",
    "sat",
    "saturday",
    "sun",
    "sunday",
}
_ISO = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_NUMERIC_NO_YEAR = re.compile(r"^(\d{1,2})[/](\d{1,2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")


@dataclass(frozen=True, slots=True)
class ErrorValue:
    """A cell that shows an error (#REF!, #N/A, #DIV/0!, ...) instead of a value."""

    code: str

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class FormulaWithoutResult:
    """A formula whose result was never saved in the file (written by a program, not a person's
    spreadsheet program), so nobody knows what it shows. `formula` is its text when known."""

    formula: str = ""

    def __str__(self) -> str:
        return f"={self.formula}" if self.formula else ""


# The issue rule for a cell that holds no value at all, whatever its column's type.
UNREADABLE_RULES = {ErrorValue: "cell-error", FormulaWithoutResult: "formula-no-result"}
# School text quoted in a message is cut to this length: a message is read, not a copy of the cell.
QUOTE_LIMIT = 80


class Parsed(NamedTuple):
    """A cell as the sync understands it: `value` is typed (None when blank or unreadable)."""

    value: Any
    problem: str | None = None


BLANK = Parsed(None)


def is_blank(raw: Any) -> bool:
    if raw is None or raw == "":  # what an empty cell reads as
        return True
    return type(raw) is str and not raw.strip()


def as_text(raw: Any) -> str:
    """A cell's value as a person would read it."""
    if type(raw) is str:  # by far the most common case: first
        return raw.strip()
    if raw is None:
        return ""
    if isinstance(raw, (ErrorValue, FormulaWithoutResult)):
        return str(raw)
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw).strip()


def quoted(text: str) -> str:
    """School text quoted in a message: “like this”, cut short when it is long."""
    text = " ".join(text.split())
    if len(text) > QUOTE_LIMIT:
        text = text[: QUOTE_LIMIT - 1] + "…"
    return f"“{text}”"


def unreadable_rule(raw: Any) -> str | None:
    """The rule for a cell that holds an error or an uncalculated formula; None for any value."""
    return UNREADABLE_RULES.get(type(raw))


def _unreadable(raw: Any) -> Parsed | None:
    if isinstance(raw, ErrorValue):
        return Parsed(
            None,
            f"the cell shows the error {raw.code} instead of a value. Fix or retype what it "
            "refers to, or type the value itself.",
        )
    if isinstance(raw, FormulaWithoutResult):
        return Parsed(
            None,
            "the cell holds a formula whose result was never saved in the file. Open the "
            "workbook in Excel, LibreOffice or Google Sheets and save it, or type the value "
            "itself.",
        )
    return None


@lru_cache(maxsize=8192)
def normalize_words(text: str) -> str:
    """Case, spaces, hyphens and underscores do not matter: 'On-track ' == 'on track'."""
    return " ".join(text.replace("-", " ").replace("_", " ").split()).casefold()


@lru_cache(maxsize=256)
def _choice_index(
    choices: tuple[str, ...], aliases: tuple[tuple[str, str], ...] = ()
) -> dict[str, str]:
    """Normalized spelling (of a choice or an alias) -> the list's own spelling, built once per
    list of choices. A choice's own spelling wins over an alias that reads the same."""
    index = {normalize_words(alias): choice for alias, choice in aliases}
    index.update((normalize_words(choice), choice) for choice in reversed(choices))
    return index


def parse_date(raw: Any) -> Parsed:
    if is_blank(raw):
        return BLANK
    if isinstance(raw, dt.datetime):
        return Parsed(raw.date())
    if isinstance(raw, dt.date):
        return Parsed(raw)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if _SERIAL_RANGE[0] <= raw <= _SERIAL_RANGE[1]:
            return Parsed(_EXCEL_EPOCH + dt.timedelta(days=int(raw)))
        return Parsed(None, f"{as_text(raw)} is a number, not a date")
    if isinstance(raw, str):
        return _parse_date_text(raw.strip())
    return Parsed(None, f"{quoted(as_text(raw))} is not a date")


def _parse_date_text(text: str) -> Parsed:
    hint = "Type it as a date such as 2026-10-15."
    if match := _ISO.match(text):
        return _make_date(text, int(match[1]), int(match[2]), int(match[3]), hint)
    if match := _NUMERIC.match(text):
        first, second, year = int(match[1]), int(match[2]), _full_year(match[3])
        if first > 12 >= second:
            return _make_date(text, year, second, first, hint)
        if second > 12 >= first or first == second:
            return _make_date(text, year, first, second, hint)
        return Parsed(
            None,
            f"{quoted(text)} could be {_month_day(first, second)} or "
            f"{_month_day(second, first)}. {hint}",
        )
    if _NUMERIC_NO_YEAR.match(text):
        return Parsed(None, f"{quoted(text)} has no year. {hint}")
    return _parse_wordy_date(text, hint)


def _parse_wordy_date(text: str, hint: str) -> Parsed:
    words = [w for w in re.split(r"[\s,.]+", text.casefold()) if w and w not in _WEEKDAYS]
    months = [w for w in words if w in _MONTHS]
    days = [int(m[1]) for w in words if (m := _DAY.match(w)) and 1 <= int(m[1]) <= 31]
    years = [int(w) for w in words if re.fullmatch(r"\d{4}", w)]
    recognised = len(months) + len(days) + len(years)
    if len(months) == 1 and len(days) == 1 and recognised == len(words):
        if len(years) == 1:
            return _make_date(text, years[0], _MONTHS[months[0]], days[0], hint)
        if not years:
            return Parsed(None, f"{quoted(text)} has no year. {hint}")
    return Parsed(None, f"{quoted(text)} is not a date. {hint}")


def _make_date(text: str, year: int, month: int, day: int, hint: str) -> Parsed:
    try:
        return Parsed(dt.date(year, month, day))
    except ValueError:
        return Parsed(None, f"{quoted(text)} is not a real date. {hint}")


def _full_year(digits: str) -> int:
    return int(digits) + 2000 if len(digits) == 2 else int(digits)


def _month_day(month: int, day: int) -> str:
    return f"{dt.date(2000, month, 1):%B} {day}"


def parse_number(raw: Any) -> Parsed:
    if is_blank(raw):
        return BLANK
    if isinstance(raw, bool):
        return Parsed(None, f"{as_text(raw)} is not a number")
    if isinstance(raw, (int, float)):
        return Parsed(int(raw) if float(raw).is_integer() else raw)
    text = as_text(raw)
    cleaned = text.replace(",", "").replace("$", "").rstrip("%").strip()
    try:
        number = float(cleaned)
    except ValueError:
        return Parsed(None, f"{quoted(text)} is not a number")
    return Parsed(int(number) if number.is_integer() else number)


def parse_choice(
    raw: Any,
    choices: Sequence[str],
    strict: bool = True,
    aliases: tuple[tuple[str, str], ...] = (),
) -> Parsed:
    """Match a choice (or one of its aliases: "Done" for Complete) ignoring case and spacing;
    the value is the list's own spelling."""
    if is_blank(raw):
        return BLANK
    text = as_text(raw)
    choice = _choice_index(tuple(choices), aliases).get(normalize_words(text))
    if choice is not None:
        return Parsed(choice)
    if not strict:
        return Parsed(text)
    listed = ", ".join(choices) if choices else "(the list is empty)"
    return Parsed(None, f"{quoted(text)} is not one of the choices: {listed}")


def parse_email(raw: Any) -> Parsed:
    if is_blank(raw):
        return BLANK
    text = as_text(raw)
    if _EMAIL.match(text):
        return Parsed(text)
    return Parsed(None, f"{quoted(text)} is not an email address")


def parse_text(raw: Any) -> Parsed:
    return BLANK if is_blank(raw) else Parsed(as_text(raw))


def parse_value(
    raw: Any,
    column_type: str,
    choices: Sequence[str] = (),
    strict: bool = True,
    aliases: tuple[tuple[str, str], ...] = (),
) -> Parsed:
    """Read one raw cell as its column's type."""
    unreadable = _unreadable(raw)
    if unreadable is not None:  # an error or an uncalculated formula, whatever the type
        return unreadable
    if column_type == "text":
        return parse_text(raw)
    if column_type == "date":
        return parse_date(raw)
    if column_type == "choice":
        return parse_choice(raw, choices, strict, aliases)
    if column_type == "number":
        return parse_number(raw)
    return parse_email(raw)
