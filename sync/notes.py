"""The coach notes loop: a school's notes as values, and which of them the school acted on.

After the checks, for each school's workbook that has a notes tab (the `notes` rule kind):

- every row of the workbook is hashed (`row_hashes`); the state store keeps the hashes and the day
  each row was last seen changed, so a note is marked "changed since" when a row it is about
  changed on or after the day the note was written (a note carries a day, not a time, so an edit
  on the same day counts). Only workbooks read again tonight are hashed; the others keep their
  marks.
- each note becomes a `results.Note` (status, where About points, changed since);
- a change to one side's part of a note that the other side's part makes suspicious is reported
  (`check_sides`): Excel cannot say who typed a cell, so the sync reports what breaks the
  agreed turn-taking instead of guessing a person.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from .results import Issue, Note
from .rules.base import IssueKind
from .rules.notes import (
    NOTE_ANSWER_CHANGED,
    NOTE_COACH_PART_CHANGED,
    RESOLVED,
    NotesRule,
    Target,
    resolve_about,
)
from .state import RowHashes, RowMark
from .tables import Row, Table, WorkbookTables

# The parts of a note row kept apart in the row hashes, to tell which side's columns changed.
COACH_PART = "#coach"
SCHOOL_PART = "#school"
STATUS_PART = "#status"


def notes_rule(tables: WorkbookTables) -> NotesRule | None:
    """The template's notes rule, when this workbook has a notes tab."""
    return next((r for r in tables.template.rules if isinstance(r, NotesRule)), None)


def _digest(values: object) -> str:
    return hashlib.blake2b(repr(values).encode(), digest_size=8).hexdigest()


def row_hashes(tables: WorkbookTables) -> RowHashes:
    """A hash of every typed row of every tab, plus each note's coach, school and status parts."""
    hashes: RowHashes = {}
    for key, table in tables.tables.items():
        for row in table.rows:
            # The raw values, in the table's column order: cheap, and any edit changes them.
            hashes[(key, row.number)] = _digest([cell.raw for cell in row.cells.values()])
    rule = notes_rule(tables)
    if rule is not None:
        table = tables.tables[rule.tab]
        for row in table.rows:
            for part, digest in _parts(rule, table, row).items():
                hashes[(rule.tab + part, row.number)] = digest
    return hashes


def _parts(rule: NotesRule, table: Table, row: Row) -> dict[str, str]:
    by_side: dict[str, list[str]] = {"coach": [], "school": []}
    for column in table.tab.columns:
        if column.typed_by:
            by_side[column.typed_by].append(row.text(column.key))
    return {
        COACH_PART: _digest(by_side["coach"]),
        SCHOOL_PART: _digest(by_side["school"]),
        STATUS_PART: _digest(rule.status_of(row)),
    }


def read_notes(
    school_id: str, tables: WorkbookTables, marks: dict[tuple[str, int], RowMark]
) -> list[Note]:
    """The notes of one workbook, each with where it points and whether the school acted."""
    rule = notes_rule(tables)
    if rule is None or not tables.tables[rule.tab].found:
        return []
    table = tables.tables[rule.tab]
    notes = []
    for row in table.rows:
        if not row.text(rule.note) and not row.text(rule.about):
            continue
        written = row.value(rule.date)
        written = written if isinstance(written, dt.date) else None
        target = (
            resolve_about(tables, row.text(rule.about), rule.tab) if row.text(rule.about) else None
        )
        pointed = target if isinstance(target, Target) else None
        notes.append(
            Note(
                school_id=school_id,
                workbook=tables.template.title,
                sheet=table.display_name,
                row=row.number,
                written=written,
                author=row.text(rule.author),
                about=row.text(rule.about),
                text=row.text(rule.note),
                response=row.text(rule.response),
                status=rule.status_of(row),
                target_sheet=pointed.sheet if pointed else None,
                target_cell=pointed.cell if pointed else None,
                changed_since=_changed_since(pointed, written, marks),
            )
        )
    return notes


def _changed_since(
    target: Target | None, written: dt.date | None, marks: dict[tuple[str, int], RowMark]
) -> dt.date | None:
    if target is None or written is None:
        return None
    days = [
        mark.changed
        for key in target.rows
        if (mark := marks.get(key)) is not None and mark.changed and mark.changed >= written
    ]
    return min(days, default=None)


def check_sides(
    school_id: str,
    tables: WorkbookTables,
    marks: dict[tuple[str, int], RowMark],
    day: dt.date,
) -> list[Issue]:
    """Changes to a note that break the turn-taking, seen tonight (reported, never undone):
    the coach's words changed under an answer that stayed, or the answer changed on a note the
    coach had resolved."""
    rule = notes_rule(tables)
    if rule is None or not tables.tables[rule.tab].found:
        return []
    table = tables.tables[rule.tab]
    empty_answer = _digest([""] * sum(1 for c in table.tab.columns if c.typed_by == "school"))
    resolved = _digest(RESOLVED)
    issues = []
    for row in table.rows:
        coach = marks.get((rule.tab + COACH_PART, row.number))
        school = marks.get((rule.tab + SCHOOL_PART, row.number))
        status = marks.get((rule.tab + STATUS_PART, row.number))
        if coach is None or school is None:
            continue
        coach_changed = coach.changed == day and coach.before is not None
        school_changed = school.changed == day and school.before is not None
        address = row.cells[rule.note].address if rule.note in row.cells else f"A{row.number}"
        if coach_changed and not school_changed and school.hash != empty_answer:
            issues.append(
                _issue(
                    NOTE_COACH_PART_CHANGED,
                    school_id,
                    tables,
                    table,
                    address,
                    "The note's Date, From, About or Note changed after the team had answered "
                    "it. Only the coach writes there; if that was not the coach, put the words "
                    "back and answer in Response. A new question is best as a new note.",
                )
            )
        before_status = (
            status.before if status and status.changed == day else (status.hash if status else None)
        )
        if school_changed and not coach_changed and before_status == resolved:
            cell = row.cells[rule.response].address if rule.response in row.cells else address
            issues.append(
                _issue(
                    NOTE_ANSWER_CHANGED,
                    school_id,
                    tables,
                    table,
                    cell,
                    "The Response changed after the coach had resolved this note. If there is "
                    "more to say, set Status back to Open so the coach sees it.",
                )
            )
    return issues


def _issue(
    kind: IssueKind, school_id: str, tables: WorkbookTables, table: Table, cell: str, text: str
) -> Issue:
    return Issue(
        kind.id, kind.severity, school_id, tables.template.title, table.sheet_name, cell, text
    )
