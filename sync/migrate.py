"""`plansync migrate`: bring every school's workbooks up to the templates and config in use.

For each workbook: read it, find its tabs and columns as the sync does, and compare them (and the
layout its hidden stamp records) with the template. What is missing is added (tabs; columns with
their header, help note, width, dropdown or check and date format), columns the template renamed
get their new header, dropdowns follow the template and the config (new cycles, changed choices,
columns moved), and the Instructions tab and the stamp follow the template version and the
school's name. What the template dropped stays with what the school typed, and is reported. The
store applies the changes (`Store.migrate`) without touching a cell the school typed.

Running it again changes nothing: the stamp records what was laid out.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

from .catalog import district_templates, record_template_versions, standard_templates
from .changes import NewColumn, NewHeader, NewValidation, WorkbookChanges
from .config import District, School
from .errors import StoreError
from .layout import (
    instructions_sheet,
    layout_record,
    plan_table,
    stamp_for,
    stamp_version,
    table_validations,
    validation_fingerprint,
)
from .run_lock import district_lock
from .store import (
    RawSheet,
    RawWorkbook,
    ReadRequest,
    Store,
    WorkbookRef,
    check_folders,
    open_store,
)
from .tables import WorkbookTables, normalize_header, read_tables, stamp_cycles
from .templates import Template
from .values import as_text

# The stamp keys that say what the workbook was laid out for (not when, or by which plansync).
_STAMP_KEYS = ("template", "version", "school_id", "school", "district", "cycles", "layout")


@dataclass
class Migrated:
    school: School
    template: Template
    ref: WorkbookRef
    # "migrated", "would migrate" (dry run), "up to date", "skipped" (see `reason`), "missing".
    outcome: str
    changes: WorkbookChanges
    reason: str | None = None


def migrate_district(
    district: District,
    *,
    store: Store | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Migrated]:
    """Migrate (or, on a dry run, plan) every school's workbooks; one entry per workbook.

    Takes the district's sync lock: a migrate and a sync never write the same files at once."""
    check_folders(district, for_sync=True)
    templates = district_templates(district)
    store = store or open_store(district)
    now = now or dt.datetime.now().replace(microsecond=0)
    done: list[Migrated] = []
    with district_lock(district.rollup_dir):
        if not dry_run:
            record_template_versions(district, templates)
        slots = [
            (school, template, store.locate(school, template))
            for school in district.schools
            for template in templates
        ]
        present = []
        for school, template, ref in slots:
            if store.exists(ref):
                present.append((school, template, ref))
            else:
                missing = "run `plansync provision`"
                done.append(Migrated(school, template, ref, "missing", WorkbookChanges(), missing))
        # Read as the sync does (on every core, for the Excel store), write one by one.
        requests = [
            ReadRequest(ref, tuple(t for t in (template.summary_tab,) if t))
            for _school, template, ref in present
        ]
        outcomes = store.read_many(requests)
        for index, ((school, template, ref), raw) in enumerate(
            zip(present, outcomes, strict=True), start=1
        ):
            done.append(_migrate_one(store, district, school, template, ref, raw, dry_run, now))
            if progress:
                progress("Migrating", index, len(present))
        store.finish()
    order = {(school.id, template.id): i for i, (school, template, _) in enumerate(slots)}
    return sorted(done, key=lambda m: order[m.school.id, m.template.id])


def _migrate_one(
    store: Store,
    district: District,
    school: School,
    template: Template,
    ref: WorkbookRef,
    raw: RawWorkbook | StoreError,
    dry_run: bool,
    now: dt.datetime,
) -> Migrated:
    nothing = WorkbookChanges()
    if isinstance(raw, StoreError):
        return Migrated(school, template, ref, "skipped", nothing, raw.reason)
    cycles = tuple(cycle.name for cycle in district.cycles)
    tables = read_tables(raw, template, cycles, rows=False)
    stamped_school = (tables.stamp or {}).get("school_id")
    if stamped_school and stamped_school != school.id:
        reason = f"it was made for another school ({stamped_school}); it was left alone"
        return Migrated(school, template, ref, "skipped", nothing, reason)
    changes = plan_changes(raw, tables, school, district, now)
    if changes.empty:
        return Migrated(school, template, ref, "up to date", changes)
    if dry_run:
        return Migrated(school, template, ref, "would migrate", changes)
    try:
        store.migrate(ref, changes, raw.version)
    except StoreError as error:
        return Migrated(school, template, ref, "skipped", changes, error.reason)
    return Migrated(school, template, ref, "migrated", changes)


def plan_changes(
    raw: RawWorkbook,
    tables: WorkbookTables,
    school: School,
    district: District,
    now: dt.datetime,
) -> WorkbookChanges:
    """What this workbook needs to match its template and the config (see the module's doc)."""
    template = tables.template
    cycles = tuple(cycle.name for cycle in district.cycles)
    changes = WorkbookChanges()
    sheets = {sheet.name: sheet for sheet in raw.sheets}
    # Where every template column is (or will be) in this workbook.
    places: dict[tuple[str, str], tuple[str, int]] = {}
    for tab in template.tabs:
        table = tables.tables[tab.key]
        if not table.found:
            changes.new_tabs.append(plan_table(template, tab, cycles))
            for position, column in enumerate(tab.columns, start=1):
                places[(tab.key, column.key)] = (tab.title, position)
            continue
        if table.header_row is None or table.sheet_name is None:
            continue  # no header row to add to: the sync reports it, a person fixes it
        for key, position in table.columns.items():
            places[(tab.key, key)] = (table.sheet_name, position)
        free = _first_free_column(sheets[table.sheet_name])
        for column in table.missing:
            places[(tab.key, column.key)] = (table.sheet_name, free)
            free += 1

    desired = table_validations(template, cycles, lambda t, c: places.get((t, c)))
    for plan in changes.new_tabs:  # their dropdowns point where the listed columns really are
        plan.validations = {
            index: validation
            for index, column in enumerate(plan.columns, start=1)
            if (validation := desired[(plan.tab.key, column.key)]) is not None
        }
    before = _recorded_layout(tables, district)
    for tab in template.tabs:
        table = tables.tables[tab.key]
        if not table.found or table.header_row is None or table.sheet_name is None:
            continue
        header = raw_row(sheets[table.sheet_name], table.header_row)
        missing = {column.key for column in table.missing}
        for column in tab.columns:
            validation = desired[(tab.key, column.key)]
            _sheet, position = places[(tab.key, column.key)]
            if column.key in missing:
                changes.new_columns.append(
                    NewColumn(table.sheet_name, table.header_row, position, column, validation)
                )
                continue
            typed = as_text(header[position - 1]) if position <= len(header) else ""
            renamed = {normalize_header(old) for old in column.renamed_from}
            if normalize_header(typed) in renamed:
                changes.new_headers.append(
                    NewHeader(table.sheet_name, table.header_row, position, column.header, typed)
                )
            recorded = before.get(tab.key, {}).get("columns", {}).get(column.key)
            if recorded is None or recorded[1] != validation_fingerprint(validation):
                changes.validations.append(
                    NewValidation(
                        table.sheet_name, table.header_row, position, column.header, validation
                    )
                )
    changes.kept = _dropped(before, template, tables)

    stamp = dict(tables.stamp or {})
    wanted = stamp_for(template, school, district, now, desired)
    if any(stamp.get(key) != wanted[key] for key in _STAMP_KEYS):
        wanted["created"] = stamp.get("created") or wanted["created"]
        wanted["migrated"] = now.isoformat()
        changes.stamp = wanted
        if (
            stamp_version(stamp) != template.version
            or stamp.get("school") != school.name
            or stamp.get("district") != district.district
        ):
            changes.instructions = instructions_sheet(template, school, district)
    return changes


def _recorded_layout(tables: WorkbookTables, district: District) -> dict:
    """The layout plansync last gave this workbook: as its stamp records it, or, for a workbook
    stamped before stamps recorded it, as the template of its stamped version laid it out."""
    stamp = tables.stamp or {}
    if "layout" in stamp:
        try:
            recorded = json.loads(stamp["layout"])
            return recorded if isinstance(recorded, dict) else {}
        except ValueError:
            return {}
    version = stamp_version(stamp)
    made_from = [
        t
        for t in (tables.template, *standard_templates())
        if (t.id, t.version) == (tables.template.id, version)
    ]
    if not made_from:
        return {}  # a version nobody kept: every dropdown is set again
    template = made_from[0]
    cycles = tuple(name for name, _start in stamp_cycles(stamp)) or tuple(
        cycle.name for cycle in district.cycles
    )
    return json.loads(layout_record(template, table_validations(template, cycles)))


def _dropped(before: dict, template: Template, tables: WorkbookTables) -> list[str]:
    """Tabs and columns the last layout had and the template no longer has, still in the
    workbook: they stay as the school left them."""
    kept = []
    names = {name.casefold(): name for name in tables.sheet_names}
    keys = {tab.key for tab in template.tabs}
    for tab_key, tab in before.items():
        if not isinstance(tab, dict):
            continue
        title = str(tab.get("title", ""))
        if tab_key not in keys:
            if title.casefold() in names:
                kept.append(
                    f"tab “{names[title.casefold()]}”: no longer in the template, left as it is"
                )
            continue
        table = tables.tables[tab_key]
        columns = {column.key for column in template.tab(tab_key).columns}
        for column_key, (header, _fingerprint) in tab.get("columns", {}).items():
            if column_key not in columns and table.found:
                kept.append(
                    f"column “{header}” on “{table.sheet_name}”: no longer in the template, "
                    "left as it is"
                )
    return kept


def raw_row(sheet: RawSheet, number: int) -> list:
    return sheet.rows[number - 1] if number <= len(sheet.rows) else []


def _first_free_column(sheet: RawSheet) -> int:
    """The column after the last one anything is typed in, on any row."""
    last = 0
    for row in sheet.rows:
        for index in range(len(row), last, -1):
            value = row[index - 1]
            if value is not None and value != "":
                last = index
                break
    return last + 1
