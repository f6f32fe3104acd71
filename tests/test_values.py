"""What a school typed, read as the column's type; what cannot be read is explained, not guessed."""

from __future__ import annotations

import datetime as dt

import pytest
from plansync.values import parse_choice, parse_date, parse_email, parse_number, parse_text

D = dt.date


@pytest.mark.parametrize(
    "typed, day",
    [
        (dt.datetime(2026, 10, 5, 0, 0), D(2026, 10, 5)),
        (D(2026, 10, 5), D(2026, 10, 5)),
        ("2026-10-05", D(2026, 10, 5)),
        ("2026/10/5", D(2026, 10, 5)),
        ("2026-10-05 00:00:00", D(2026, 10, 5)),
        ("Oct 5, 2026", D(2026, 10, 5)),
        ("October 5th 2026", D(2026, 10, 5)),
        ("5 October 2026", D(2026, 10, 5)),
        ("Monday, Oct. 5, 2026", D(2026, 10, 5)),
        ("Sept 30, 2026", D(2026, 9, 30)),
        ("10/15/2026", D(2026, 10, 15)),
        ("15/10/2026", D(2026, 10, 15)),
        ("10/15/26", D(2026, 10, 15)),
        ("4/4/2027", D(2027, 4, 4)),
        (46300, D(2026, 10, 5)),  # a date that lost its format: Excel's day number
        (None, None),
        ("   ", None),
    ],
)
def test_dates_that_mean_one_day_are_read(typed, day):
    parsed = parse_date(typed)
    assert (parsed.value, parsed.problem) == (day, None)


@pytest.mark.parametrize(
    "typed, problem",
    [
        ("next Tuesday", "“next Tuesday” is not a date. Type it as a date such as 2026-10-15."),
        ("TBD", "“TBD” is not a date. Type it as a date such as 2026-10-15."),
        ("Sept 5", "“Sept 5” has no year. Type it as a date such as 2026-10-15."),
        ("10/15", "“10/15” has no year. Type it as a date such as 2026-10-15."),
        ("3/4/24", "“3/4/24” could be March 4 or April 3. Type it as a date such as 2026-10-15."),
        (
            "Feb 30, 2027",
            "“Feb 30, 2027” is not a real date. Type it as a date such as 2026-10-15.",
        ),
        (12.5, "12.5 is a number, not a date"),
        (True, "“TRUE” is not a date"),
    ],
)
def test_dates_that_cannot_be_read_say_why(typed, problem):
    parsed = parse_date(typed)
    assert (parsed.value, parsed.problem) == (None, problem)


def test_choices_ignore_case_spaces_and_hyphens_and_keep_the_lists_spelling():
    choices = ["Not Started", "On Track", "Off Track"]
    assert parse_choice("  on-track ", choices).value == "On Track"
    assert parse_choice("NOT_STARTED", choices).value == "Not Started"
    assert parse_choice("Great", choices).problem == (
        "“Great” is not one of the choices: Not Started, On Track, Off Track"
    )
    assert parse_choice("Jo Bloggs", ["Ana"], strict=False).value == "Jo Bloggs"


def test_numbers_emails_and_text():
    assert parse_number("1,250").value == 1250
    assert parse_number("45%").value == 45
    assert parse_number(3.0).value == 3
    assert parse_number("a few").problem == "“a few” is not a number"
    assert parse_email(" ana@school.org ").value == "ana@school.org"
    assert parse_email("ana@").problem == "“ana@” is not an email address"
    assert parse_text(12.0).value == "12"
    assert parse_text(D(2026, 1, 2)).value == "2026-01-02"
