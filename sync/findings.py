"""Each school's findings, kept in the state store between nights.

A school's findings (issues, completeness and quality tallies, figures, coach notes, benchmarks)
are kept with a fingerprint of everything they were made from, and with what the rollup, the HTML
report and the roster copies need of its tables. A later night on which none of its workbooks
changed takes them back instead of unpacking and checking the school again, until the first day
on which they could change by themselves (a step falling due, a meeting's window running out).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .config import District, School
from .errors import StoreError
from .grid import hash_of
from .history import benchmark_records
from .packing import field_values, text_value, value_text
from .reports import html as report_pages
from .reports.html import plan_outline
from .reports.rollup import ISSUES_KEY, issues_block, rows_digest, school_rollup_rows
from .results import (
    BenchmarkRecord,
    FactDetails,
    Issue,
    Note,
    SchoolFacts,
    SchoolResult,
    WorkbookResult,
)
from .state import Remembered, StateStore
from .store import StrayCopy, WorkbookRef
from .tables import WorkbookTables
from .templates import Template
from .version import __version__


def keep_findings(
    state: StateStore,
    school: SchoolResult,
    shared: str,
    begun: tuple[str, ...],
    valid_until: dt.date | None,
    templates: Sequence[Template],
    roster: tuple[str | None, tuple[str, ...]],
    keep_rows: bool = True,
) -> None:
    """Save a school's findings for the nights to come, when each of its workbooks was read or
    is absent (one that could not be read is looked at again every night). `roster`: the hash
    of the names its roster copies should hold, and the workbooks that hold one. `keep_rows`:
    keep its rollup rows too (for a store that sends every row of the rollup each time)."""
    contents: dict[str, tuple[str | None, str | None, bool]] = {}
    for wb in school.workbooks:
        remembered = state.remembered(wb.ref.location) if wb.tables is not None else None
        if wb.tables is not None and remembered is not None:
            saved = wb.tables.modified
            contents[wb.template.id] = (
                wb.tables.content,
                saved.isoformat() if saved else "",
                remembered.date1904,
            )
        elif wb.absent and wb.error is not None:
            contents[wb.template.id] = _absence(wb.error)
        else:
            state.forget_findings(school.school.id)
            return
    school.fingerprint = _fingerprint((shared, begun), school.school, contents, school.stray_copies)
    rows = school_rollup_rows(school, templates)
    details = FactDetails(
        rollup_blocks={key: (len(tab), rows_digest(school, tab)) for key, tab in rows.items()}
        | {ISSUES_KEY: issues_block(school)},
        headers=school.headers(),
        outline=plan_outline(school),
    )
    school.facts = SchoolFacts(
        last_edit=school.last_edit,
        benchmarks=benchmark_records(school),
        rollup_rows=lambda: rows,
        roster=roster,
        load_details=lambda: details,
    )
    findings = _pack_findings(school, school.facts)
    school.facts.digest = state.save_findings(
        school.school.id,
        school.fingerprint,
        valid_until,
        findings,
        list(rows.items()) if keep_rows else None,
    )


def shared_fingerprint(district: District, templates: Sequence[Template]) -> str:
    """What every school's findings depend on besides its own workbooks and the cycles it owes
    benchmarks for: this version of the code, the templates in use (the district's own, with
    their choice aliases), the district's settings and cycles, and every school's previous ids
    (a workbook stamped with one of them is that school's)."""
    signatures = (_code_signature(), hash_of([template.model_dump() for template in templates]))
    settings = district.model_dump_json(exclude={"schools"})
    aliases = sorted(district.id_aliases().items())
    return hash_of((__version__, signatures, settings, aliases))


@functools.cache
def _code_signature() -> str:
    """This version of plansync's code: an upgrade (a new message, a fixed rule) checks every
    school again."""
    digest = hashlib.blake2b(digest_size=16)
    for folder in sorted({Path(__file__).parent, Path(report_pages.__file__).parent}):
        for source in sorted(folder.rglob("*.py")):
            digest.update(source.read_bytes())
    return digest.hexdigest()


def _absence(error: StoreError) -> tuple[str, str | None, bool]:
    return (f"{type(error).__name__}: {error.reason}", error.sheet, False)


def _fingerprint(
    shared: tuple[str, tuple[str, ...]],
    school: School,
    contents: dict[str, tuple[str | None, str | None, bool]],
    strays: list[StrayCopy],
) -> str:
    """A school's findings are made from these: what every school's depend on and the cycles this
    school owes benchmarks for (`shared`), its config (id, start, active, previous ids...), its
    workbooks' tabs (the hash of what was read of each, when a person last saved it, and its date
    system) and the copies of them in its folder. A coach note's "changed since" comes from the
    rows' marks in the state store, which change only when a workbook is read again, that is when
    its content changed."""
    return hash_of((shared, school.model_dump_json(), sorted(contents.items()), strays))


def kept_fingerprint(
    school: School,
    same: list[tuple[Template, WorkbookRef, str, Remembered]],
    missing: list[tuple[Template, WorkbookRef, StoreError]],
    strays: list[StrayCopy],
    shared: tuple[str, tuple[str, ...]],
) -> str:
    """What the school's kept findings were made from, if they were made from its workbooks as
    they are (`same`: unchanged since last read, `missing`: not there, and why)."""
    contents: dict[str, tuple[str | None, str | None, bool]] = {
        template.id: (remembered.content, remembered.modified or "", remembered.date1904)
        for template, _ref, _version, remembered in same
    }
    contents |= {template.id: _absence(error) for template, _ref, error in missing}
    return _fingerprint(shared, school, contents, strays)


def kept_findings(
    state: StateStore,
    school: School,
    same: list[tuple[Template, WorkbookRef, str, Remembered]],
    missing: list[tuple[Template, WorkbookRef, StoreError]],
    strays: list[StrayCopy],
    shared: tuple[str, tuple[str, ...]],
    today: dt.date,
    templates: Sequence[Template],
    loader: Callable[[Template, WorkbookRef], Callable[[], WorkbookTables | None]],
    fingerprint: str | None = None,
) -> SchoolResult | None:
    """The school's findings from the state store, when none of its workbooks changed since they
    were checked and none of them falls due by itself before `today`. `fingerprint`: the
    school's kept_fingerprint, when already worked out."""
    fingerprint = fingerprint or kept_fingerprint(school, same, missing, strays, shared)
    cached = state.findings(school.id, fingerprint, today)
    if cached is None:
        return None
    try:
        found = _unpack_findings(cached.findings, school.id)
    except (KeyError, TypeError, ValueError):
        return None  # not something this version stored: check the school again
    workbooks = [
        WorkbookResult(template, ref, load=loader(template, ref))
        for template, ref, _version, _remembered in same
    ]
    workbooks += [
        WorkbookResult(template, ref, error=error, absent=True) for template, ref, error in missing
    ]
    order = {template.id: index for index, template in enumerate(templates)}
    workbooks.sort(key=lambda workbook: order[workbook.template.id])
    result = SchoolResult(school, workbooks, stray_copies=strays, fingerprint=fingerprint)
    result.issues, result.expected, result.met, result.metrics = found[:4]
    result.notes, result.need_migrate = found[6], found[7]
    result.judged, result.passed = found[8], found[9]
    result.facts = SchoolFacts(
        last_edit=found[4],
        benchmarks=found[5],
        rollup_rows=functools.partial(_kept_rows, state, school.id),
        roster=found[10],
        load_details=functools.partial(_unpack_details, found[11]),
        digest=cached.digest,
    )
    summary_unchanged = all(
        remembered.summary_version == version
        for template, _ref, version, remembered in same
        if template.summary_tab
    )
    result.summary_key = cached.summary_key if summary_unchanged else None
    return result


def _kept_rows(state: StateStore, school_id: str) -> dict[str, list[list[Any]]] | None:
    """The school's rollup rows as kept with its findings; None when they were not kept (or
    cannot be unpacked): then they are made from its tables."""
    kept = state.rollup_rows(school_id)
    return dict(kept) if isinstance(kept, list) else None


def _pack_findings(school: SchoolResult, facts: SchoolFacts) -> list:
    """A school's findings as the state store keeps them (lists only: see packing.pack_value)."""
    return [
        [
            [i.rule, i.severity, i.workbook, i.sheet, i.cell, i.message, i.quality]
            for i in school.issues
        ],
        school.expected,
        school.met,
        [[key, value] for key, value in school.metrics.items()],
        facts.last_edit,
        [field_values(record) for record in facts.benchmarks],
        [field_values(note) for note in school.notes],
        school.need_migrate,
        school.judged,
        school.passed,
        [facts.roster[0], list(facts.roster[1])],
        _pack_details(facts.details),
    ]


def _pack_details(details: FactDetails) -> str:
    """Text nested in the packed findings, decoded only when a night asks for the details. The
    headers are text of their own within it: most schools' are the same (see `_headers`)."""
    headers = [[title, tab, list(cols.items())] for (title, tab), cols in details.headers.items()]
    blocks = [[key, count, digest] for key, (count, digest) in details.rollup_blocks.items()]
    return value_text([value_text(headers), details.outline, blocks])


def _unpack_details(text: str) -> FactDetails:
    headers, outline, blocks = text_value(text)
    return FactDetails(
        headers=_headers(headers),
        outline=outline,
        rollup_blocks={key: (count, digest) for key, count, digest in blocks},
    )


@functools.lru_cache(maxsize=64)
def _headers(text: str) -> dict[tuple[str, str], dict[int, str]]:
    """The headers a school's details keep, decoded once for all the schools whose workbooks have
    the same columns (most of a district: decoding each school's took 0.3 s at 2,000 schools).
    The schools share the mapping: it is read, never changed."""
    if not isinstance(text, str):
        raise TypeError("not text")
    return {(title, tab): dict(columns) for title, tab, columns in text_value(text)}


def _unpack_findings(data: list, school_id: str):
    (
        issues_data,
        expected,
        met,
        metrics,
        last_edit,
        benchmarks,
        notes,
        need_migrate,
        judged,
        passed,
        (roster, holders),
        details,
    ) = data
    issues = [
        Issue(rule, severity, school_id, workbook, sheet, cell, message, bool(quality))
        for rule, severity, workbook, sheet, cell, message, quality in issues_data
    ]
    return (
        issues,
        int(expected),
        int(met),
        {key: value for key, value in metrics},
        last_edit,
        tuple(BenchmarkRecord(*fields) for fields in benchmarks),
        [Note(*fields) for fields in notes],
        int(need_migrate),
        int(judged),
        int(passed),
        (roster, tuple(holders)),
        _text(details),
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value
