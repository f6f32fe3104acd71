"""Schools that changed their id: their workbooks follow them.

A school's entry in the config lists the ids it had before (`previous_ids`). The next `provision`
or `sync` finds each of its workbooks still under an old id, moves it to the new one through the
store (the Excel store moves the folder, the Google store re-labels the spreadsheet) and re-stamps
it, so that the sync reads it as this school's own. Nothing a school typed changes. The history
needs no rewrite: it reads a school's nights under its old ids as the school's (history.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import standard_templates
from .config import District, School
from .errors import StoreError
from .store import Store, WorkbookRef
from .tables import read_stamp
from .templates import Template


@dataclass(frozen=True)
class Moved:
    school: School
    template: Template
    old_id: str
    ref: WorkbookRef
    # Why it could not be moved or re-stamped (it is tried again on the next run), else None.
    problem: str | None = None


def follow_renames(district: District, store: Store) -> list[Moved]:
    """Move and re-stamp every workbook still under one of its school's previous ids."""
    moved: list[Moved] = []
    for school in district.schools:
        if not school.previous_ids:
            continue
        for template in standard_templates():
            done = _follow(store, school, template)
            if done is not None:
                moved.append(done)
    return moved


def _follow(store: Store, school: School, template: Template) -> Moved | None:
    ref = store.locate(school, template)
    if store.exists(ref):
        return None  # already where it belongs (moved on an earlier run, or made new)
    for old_id in school.previous_ids:
        old_ref = store.locate(school.model_copy(update={"id": old_id}), template)
        if not store.exists(old_ref):
            continue
        try:
            ref = store.relocate(old_ref, ref)
            restamp(store, ref, school)
        except StoreError as error:
            return Moved(school, template, old_id, old_ref, error.reason)
        return Moved(school, template, old_id, ref)
    return None


def restamp(store: Store, ref: WorkbookRef, school: School) -> bool:
    """Record the school's id and name now in the workbook's hidden stamp, keeping every other
    entry (its template, version, cycles, when it was made). False when it already says so."""
    raw = store.read(ref)
    stamp = read_stamp(raw)
    if stamp is None:
        return False  # made before stamps, or its stamp tab was deleted: nothing to correct
    if stamp.get("school_id") == school.id and stamp.get("school") == school.name:
        return False
    stamp = {**stamp, "school_id": school.id, "school": school.name}
    store.restamp(ref, stamp)
    return True
