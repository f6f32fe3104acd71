"""The nightly sync: read every school's workbooks, check them, write summaries and the rollup.

    read (store -> tables) -> check (checks) -> write-back (summary tabs) -> rollup

One school's broken file never stops the run: it becomes an issue for that school and the run goes
on. The phases are timed so the benchmark can report them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .checks import (
    CheckContext,
    WorkbookCheck,
    check_absent_workbook,
    check_workbook,
    completeness,
    metric_value,
    stamp_matches_school,
)
from .config import District, School, check_folders
from .errors import StoreError, WorkbookOfAnotherSchool
from .issues import Issue, count
from .layout import STAMP_TAB
from .run_lock import district_lock
from .store import Store, WorkbookRef, open_store
from .tables import WorkbookTables, read_stamp, read_tables, stamp_cycles
from .templates import Template, standard_templates

Progress = Callable[[str, int, int], None]


@dataclass
class WorkbookResult:
    template: Template
    ref: WorkbookRef
    tables: WorkbookTables | None = None
    error: StoreError | None = None


@dataclass
class SchoolResult:
    school: School
    workbooks: list[WorkbookResult]
    issues: list[Issue] = field(default_factory=list)
    expected: int = 0
    met: int = 0
    # Rollup figures, label -> value (None when the workbook holding it could not be read).
    metrics: dict[str, int | None] = field(default_factory=dict)

    @property
    def completeness(self) -> int:
        return completeness(self.expected, self.met)

    @property
    def errors(self) -> int:
        return count(self.issues, "error")

    @property
    def warnings(self) -> int:
        return count(self.issues, "warning")

    @property
    def last_edit(self) -> dt.datetime | None:
        saved = [wb.tables.modified for wb in self.workbooks if wb.tables and wb.tables.modified]
        return max(saved, default=None)

    def workbook(self, template_id: str) -> WorkbookResult:
        return next(wb for wb in self.workbooks if wb.template.id == template_id)

    def tables(self, template_id: str) -> WorkbookTables | None:
        return self.workbook(template_id).tables


@dataclass
class SyncResult:
    district: District
    today: dt.date
    schools: list[SchoolResult]
    rollup: str | None = None
    # Seconds per phase: read, check, write_back, rollup.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def issues(self) -> list[Issue]:
        return [issue for school in self.schools for issue in school.issues]


def sync_district(
    district: District,
    *,
    today: dt.date | None = None,
    store: Store | None = None,
    write_back: bool = True,
    progress: Progress | None = None,
) -> SyncResult:
    """Run the whole nightly flow for one district and return what it found and wrote.

    Raises ConfigError for a folder that cannot be used, SyncLocked when another sync of the
    district is running, RollupNotWritten when the rollup cannot be written.
    """
    check_folders(district, for_sync=True)
    with district_lock(district.rollup_dir):
        return _sync(district, today or dt.date.today(), store, write_back, progress)


def _sync(
    district: District,
    today: dt.date,
    store: Store | None,
    write_back: bool,
    progress: Progress | None,
) -> SyncResult:
    from .reports.rollup import build_rollup
    from .reports.summary import build_summary

    store = store or open_store(district)
    templates = standard_templates()
    result = SyncResult(district, today, [])
    tick = _Stopwatch(result.timings)
    report = progress or (lambda phase, done, total: None)
    total = len(district.schools)

    cycle_names = tuple(cycle.name for cycle in district.cycles)
    for index, school in enumerate(district.schools, start=1):
        workbooks = [read_workbook(store, school, template, cycle_names) for template in templates]
        result.schools.append(SchoolResult(school, workbooks))
        report("Reading workbooks", index, total)
    tick("read")

    begun = tuple(cycle.name for cycle in district.cycles_begun(today))
    for school in result.schools:
        check_school(school, CheckContext(school.school.id, today, begun))
    tick("check")

    if write_back:
        for index, school in enumerate(result.schools, start=1):
            write_summary(store, school, build_summary(school, district, today))
            report("Writing summary tabs", index, total)
    tick("write_back")

    result.rollup = store.write_rollup(build_rollup(result))
    tick("rollup")
    return result


def read_workbook(
    store: Store, school: School, template: Template, cycles: tuple[str, ...]
) -> WorkbookResult:
    """One school's copy of one template as typed tables, or the reason it could not be read."""
    ref = store.locate(school, template)
    skip = (template.summary_tab,) if template.summary_tab else ()
    try:
        raw = store.read(ref, skip=skip)
    except StoreError as error:
        return WorkbookResult(template, ref, error=error)
    tables = read_tables(raw, template, cycles)
    if not stamp_matches_school(tables, school.id):
        # A copy of another school's file: none of it may reach this school's summary or rows.
        return WorkbookResult(template, ref, error=_another_schools_copy())
    return WorkbookResult(template, ref, tables=tables)


def _another_schools_copy() -> WorkbookOfAnotherSchool:
    return WorkbookOfAnotherSchool(
        "This workbook was made for another school: it is a copy of that school's file, so the "
        "sync did not read it or write into it. Put this school's own workbook here.",
        sheet=STAMP_TAB,
    )


def check_school(school: SchoolResult, ctx: CheckContext) -> None:
    """Check each of a school's workbooks and total its issues, completeness and figures."""
    for workbook in school.workbooks:
        if workbook.tables is not None:
            outcome = check_workbook(workbook.tables, ctx)
        else:
            empty = WorkbookTables.empty(workbook.template, workbook.ref)
            outcome = check_absent_workbook(workbook.template, empty, workbook.error, ctx)
        _add(school, outcome)
        for metric in workbook.template.metrics:
            school.metrics[metric.label] = metric_value(metric, workbook.tables, ctx.today)


def _add(school: SchoolResult, outcome: WorkbookCheck) -> None:
    school.issues.extend(outcome.issues)
    school.expected += outcome.expected
    school.met += outcome.met


def write_summary(store: Store, school: SchoolResult, sheet) -> None:
    """Write the coach summary into the school's PM Tool, unless that could harm the file."""
    for workbook in school.workbooks:
        template = workbook.template
        if not template.summary_tab or workbook.tables is None:
            continue
        if not stamp_matches_school(workbook.tables, school.school.id):
            continue  # another school's file: never write this school's data into it
        try:
            store.write_summary(workbook.ref, sheet, workbook.tables.version)
        except StoreError as error:
            school.issues.append(
                Issue(
                    "summary-not-written",
                    "warning",
                    school.school.id,
                    template.title,
                    template.summary_tab,
                    None,
                    error.reason,
                )
            )


class _Stopwatch:
    def __init__(self, timings: dict[str, float]):
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self.timings[phase] = now - self.last
        self.last = now


# -- one workbook on its own (plansync check) ----------------------------------------------------


def check_file(path: Path, today: dt.date, district: District | None = None):
    """Check one workbook file against its template, outside any district run.

    The template, school and monitoring cycles come from the workbook's hidden stamp; a district
    config, when given, supplies the cycles instead. Returns (template, WorkbookCheck).
    """
    from .excel_store import read_xlsx

    raw = read_xlsx(Path(path), WorkbookRef("", "", str(path), str(path)))
    stamp = read_stamp(raw) or {}
    template = _template_for(raw.sheet_names, stamp.get("template", ""))
    if district is not None:
        cycles = [(cycle.name, cycle.start) for cycle in district.cycles]
    else:
        cycles = stamp_cycles(stamp)
    tables = read_tables(raw, template, tuple(name for name, _start in cycles))
    begun = tuple(name for name, start in cycles if start <= today)
    school_id = stamp.get("school_id") or "(this workbook)"
    return template, check_workbook(tables, CheckContext(school_id, today, begun))


def _template_for(sheet_names: list[str], stamped: str) -> Template:
    """The template a workbook was made from: its stamp, else the one whose tabs it has most of."""
    templates = standard_templates()
    for template in templates:
        if template.id == stamped:
            return template
    names = {name.casefold() for name in sheet_names}

    def matches(template: Template) -> int:
        return sum(1 for tab in template.tabs if any(t.casefold() in names for t in tab.titles))

    return max(templates, key=matches)
