"""Provisioning: create each school's three standard workbooks from the templates and share them.

An existing workbook is never overwritten or changed; running provision again only adds what is
missing (a new school in the config, a deleted file, a new team member to share with).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from .catalog import district_templates, record_template_versions
from .config import District, School
from .errors import WorkbookNotAFile
from .layout import WorkbookPlan, plan_workbook
from .renames import Moved, follow_renames
from .store import Store, WorkbookRef, check_folders, open_store
from .templates import Template

# Lets the demo fill a plan with rows before it is written; returning None skips the workbook.
Filler = Callable[[School, Template, WorkbookPlan], WorkbookPlan | None]


@dataclass(frozen=True)
class Provisioned:
    school: School
    template: Template
    ref: WorkbookRef
    # "created", "exists" (left as it was), "would create" (dry run), "skipped" (by `fill`),
    # "moved" (from a previous school id), "not moved" (see `move.problem`) or "refused" (its
    # folder leads out of the district, or is missing while one spelt another way is there:
    # `reason` says so).
    outcome: str
    # (email, role) access given now, or that would be given on a dry run.
    shared: tuple[tuple[str, str], ...] = ()
    move: Moved | None = None
    reason: str = ""


def provision_district(
    district: District,
    *,
    store: Store | None = None,
    dry_run: bool = False,
    fill: Filler | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Provisioned]:
    """Create every school's missing workbooks; report what was created and what already existed."""
    check_folders(district, for_sync=False)
    templates = district_templates(district)
    store = store or open_store(district)
    if not dry_run:
        record_template_versions(district, templates)
    done: list[Provisioned] = []
    if not dry_run:
        for move in follow_renames(district, store):
            outcome = "moved" if move.problem is None else "not moved"
            done.append(Provisioned(move.school, move.template, move.ref, outcome, (), move))
    schools = district.active_schools  # a school that left keeps its files; nothing is added
    for index, school in enumerate(schools, start=1):
        for template in templates:
            done.append(_provision_one(store, district, school, template, dry_run, fill, now))
        if progress:
            progress("Provisioning", index, len(schools))
    return done


def _provision_one(store, district, school, template, dry_run, fill, now) -> Provisioned:
    done = _create_one(store, district, school, template, dry_run, fill, now)
    if done.outcome in ("skipped", "refused"):
        return done
    shared = tuple(store.share(done.ref, school, dry_run=dry_run))
    return Provisioned(school, template, done.ref, done.outcome, shared)


def _create_one(store, district, school, template, dry_run, fill, now) -> Provisioned:
    ref = store.locate(school, template)
    if store.exists(ref):
        return Provisioned(school, template, ref, "exists")
    if dry_run:
        reason = store.refusal(ref)
        if reason:
            why = f"{ref.label} would not be created: {reason}"
            return Provisioned(school, template, ref, "refused", reason=why)
        return Provisioned(school, template, ref, "would create")
    plan = plan_workbook(template, school, district, now)
    if fill is not None:
        plan = fill(school, template, plan)
        if plan is None:
            return Provisioned(school, template, ref, "skipped")
    try:
        ref = store.create(ref, plan)
    except FileExistsError:  # appeared while we were building it: leave it alone
        return Provisioned(school, template, ref, "exists")
    except WorkbookNotAFile as error:  # its folder leads out of the district
        return Provisioned(school, template, ref, "refused", reason=error.reason)
    return Provisioned(school, template, ref, "created")
