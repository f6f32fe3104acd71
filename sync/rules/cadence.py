"""Rule kind `cadence`: each meeting the team set a rhythm for was held within its window.

    - {type: cadence, tab: meetings, meeting: meeting, frequency: frequency, next: next_date,
       log: meeting_log, held: date, held_meeting: meeting,
       every: {Weekly: 7, Every Two Weeks: 14, Monthly: 31, Each Cycle: 92, ...}, grace: 7,
       why: ...}

The cadence tab says how often each meeting happens; the log tab records the meetings held. A
meeting whose frequency names a number of days (`every`) should appear in the log within that
many days (plus `grace`) of today, once the school year has run that long. A frequency not in
`every` (a one-off such as a summer institute) should appear once its planned date (`next`) has
passed. Each cadence row is one quality check, reported at its meeting. A workbook without the log
tab (it is optional) is not judged.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from ..tables import WorkbookTables
from ..values import normalize_words
from .base import CheckContext, IssueKind, QualityRule, WorkbookCheck
from .helpers import format_date

NOT_HELD = IssueKind("meeting-not-held", "Meeting not held at its cadence", "warning", quality=True)


class CadenceRule(QualityRule):
    """Meetings on the cadence tab appear in the log tab as often as their frequency says."""

    type: Literal["cadence"]
    meeting: str
    frequency: str
    next: str
    # The log tab (its key), its date column and its meeting column.
    log: str
    held: str
    held_meeting: str
    # Frequency -> the most days that may pass between two meetings.
    every: dict[str, int]
    grace: int = 7

    issues: ClassVar[tuple[IssueKind, ...]] = (NOT_HELD,)

    def columns_named(self) -> tuple[str, ...]:
        return (self.meeting, self.frequency, self.next)

    def sources(self) -> tuple[str, ...]:
        return (f"{self.log}.{self.held}", f"{self.log}.{self.held_meeting}")

    def _logged(self, tables: WorkbookTables) -> list[tuple[str, dt.date]]:
        """Each meeting in the log tab (its name as compared) with the day it was held."""
        held = []
        for row in tables.tables[self.log].rows:
            day = row.value(self.held)
            if isinstance(day, dt.date):
                held.append((normalize_words(row.text(self.held_meeting)), _day(day)))
        return held

    def _last_held(self, tables: WorkbookTables, today: dt.date) -> dict[str, dt.date]:
        """Each logged meeting (its name as compared) with the last day it was held so far."""
        last_held: dict[str, dt.date] = {}
        for key, day in self._logged(tables):
            if day <= today:
                last_held[key] = max(day, last_held.get(key, day))
        return last_held

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        cadence, log = tables.tables[self.tab], tables.tables[self.log]
        if not log.found or log.header_row is None:
            return
        last_held = self._last_held(tables, ctx.today)
        every = {normalize_words(name): days for name, days in self.every.items()}
        for row in cadence.rows:
            meeting, frequency = row.text(self.meeting), row.text(self.frequency)
            if not meeting.strip() or self.meeting not in row.cells:
                continue
            last = last_held.get(normalize_words(meeting))
            days = every.get(normalize_words(frequency))
            since = f"last logged {format_date(last)}" if last else "none is logged"
            if days is not None:
                window = days + self.grace
                started = ctx.year_start is None or (ctx.today - ctx.year_start).days > window
                passed = not started or (last is not None and (ctx.today - last).days <= window)
                problem = (
                    f"{meeting} meets {frequency.lower()}, but {since} on the "
                    f"{log.display_name} tab."
                )
            else:
                planned = row.value(self.next)
                due = isinstance(planned, dt.date) and planned < ctx.today
                passed = not due or last is not None
                problem = (
                    f"{meeting} was planned for {format_date(planned)}, but none is logged on the "
                    f"{log.display_name} tab."
                    if isinstance(planned, dt.date)
                    else ""
                )
            self.verdict(
                result,
                passed,
                NOT_HELD,
                cadence.sheet_name,
                row.cells[self.meeting].address,
                problem,
            )

    def changes_on(self, tables: WorkbookTables, ctx: CheckContext) -> dt.date | None:
        # The verdicts turn on days counted from today: a logged meeting's day arriving, the
        # window after a meeting's last one so far (or after the year began) running out, a
        # planned one-off meeting's day passing. The windows of earlier meetings never decide.
        log = tables.tables[self.log]
        if not log.found or log.header_row is None:
            return None
        logged: dict[str, list[dt.date]] = {}
        for key, day in self._logged(tables):
            logged.setdefault(key, []).append(day)
        last_held = self._last_held(tables, ctx.today)
        every = {normalize_words(name): days for name, days in self.every.items()}
        days: list[dt.date] = []
        for row in tables.tables[self.tab].rows:
            meeting = row.text(self.meeting)
            if not meeting.strip() or self.meeting not in row.cells:
                continue
            key = normalize_words(meeting)
            days += logged.get(key, [])
            every_days = every.get(normalize_words(row.text(self.frequency)))
            planned = row.value(self.next)
            if every_days is not None:
                window = dt.timedelta(days=every_days + self.grace + 1)
                last = last_held.get(key)
                starts = [day for day in (last, ctx.year_start) if day is not None]
                days += [day + window for day in starts]
            elif isinstance(planned, dt.date):
                days.append(_day(planned) + dt.timedelta(days=1))
        return min((day for day in days if day > ctx.today), default=None)


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
