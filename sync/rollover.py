"""The yearly rollover: start next school year's plans from this year's.

`rollover` writes a new district config into a new folder (the same district, coaches and schools,
the cycles moved one year later for staff to adjust, and a `previous_year` link back to this
year's config) and provisions next year's workbooks there. Each school's new workbooks start with
the rows of the tabs it carries forward (by default its strategies and its roles and
responsibilities: the tabs whose template `carry` group was asked for), each carried row marked
with a note so that the team reviews it. Dates are not carried: last year's due dates would all
be overdue on the first night; the team sets this year's.

Last year's files are only read, never written: its workbooks, rollup, history and state stay
byte for byte as they were, the archive of that year.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import standard_templates
from .config import Cycle, District, School, dump_config, load_config
from .errors import ConfigError, StoreError
from .layout import INSTRUCTIONS_TAB, WorkbookPlan
from .provision import Provisioned, provision_district
from .store import ReadRequest, Store, open_store
from .tables import Table, read_tables
from .templates import Template

DEFAULT_CARRY = ("strategies", "roles")


@dataclass
class RolledOver:
    config: Path
    district: District
    provisioned: list[Provisioned]
    # Rows carried per school id.
    carried: dict[str, int] = field(default_factory=dict)
    # Schools left out (inactive) and workbooks whose rows could not be carried, in plain words.
    notes: list[str] = field(default_factory=list)


def carry_groups(templates: Sequence[Template] | None = None) -> tuple[str, ...]:
    """The `--carry` names the templates declare, in template order."""
    groups: dict[str, None] = {}
    for template in templates or standard_templates():
        for tab in template.tabs:
            if tab.carry:
                groups.setdefault(tab.carry)
    return tuple(groups)


def rollover(
    district: District,
    config_path: Path,
    new_dir: Path,
    carry: Sequence[str] = DEFAULT_CARRY,
    *,
    folder_id: str | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> RolledOver:
    """Write next year's config into `new_dir` and provision its workbooks with the carried
    rows. Raises ConfigError (one line) for a `carry` name no template declares, a `new_dir`
    that already holds a config, or a Google district without a new folder."""
    known = carry_groups()
    unknown = [name for name in carry if name not in known]
    if unknown:
        raise ConfigError(
            f"--carry: {', '.join(unknown)} is not something a template carries "
            f"(choose from {', '.join(known)})"
        )
    new_dir = Path(new_dir).resolve()
    target = new_dir / Path(config_path).name
    if target.exists():
        raise ConfigError(f"{target} exists already: roll over into a new, empty folder")
    if new_dir == district.base_dir.resolve():
        raise ConfigError("NEW_DIR is this year's folder: roll over into a new folder")
    following = next_year(district, Path(config_path), new_dir, folder_id)
    notes = [
        f"{school.name} ({school.id}) is inactive and was not carried into the new year."
        for school in district.inactive_schools
    ]
    carried_rows = _carried_rows(district, open_store(district), set(carry), notes)

    new_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(_header(district, following) + dump_config(following), "utf-8")
    following = load_config(target)  # as every later command will read it
    carried: dict[str, int] = {}

    def fill(school: School, template: Template, plan: WorkbookPlan) -> WorkbookPlan:
        rows = carried_rows.get((school.id, template.id), {})
        count = _add_carried(plan, rows, district.school_year)
        if count:
            carried[school.id] = carried.get(school.id, 0) + count
        return plan

    done = provision_district(following, fill=fill, now=now, progress=progress)
    return RolledOver(target, following, done, carried, notes)


def next_year(
    district: District, config_path: Path, new_dir: Path, folder_id: str | None = None
) -> District:
    """Next year's district: same district, coaches and active schools (without their previous
    ids or mid-year start), its own folders in `new_dir`, cycles one year later and a link back."""
    google = district.google
    if google is not None:
        if not folder_id:
            raise ConfigError(
                "--google-folder: a Google district rolls over into a new Drive folder (next "
                "year's spreadsheets must not be mixed with this year's); give its id"
            )
        key = district.path(google.key_file) if google.key_file else None
        # A new registry beside the new config; the same key, wherever it was.
        google = google.model_copy(
            update={"folder_id": folder_id, "key_file": key, "registry": Path(google.registry.name)}
        )
    link = Path(os.path.relpath(Path(config_path).resolve(), new_dir))
    return District(
        district=district.district,
        backend=district.backend,
        google=google,
        date_order=district.date_order,
        cycles=tuple(_a_year_later(cycle) for cycle in district.cycles),
        coaches=district.coaches,
        schools=tuple(
            school.model_copy(update={"previous_ids": (), "start": None})
            for school in district.active_schools
        ),
        previous_year=link,
        base_dir=new_dir,
    )


def _a_year_later(cycle: Cycle) -> Cycle:
    return Cycle(name=cycle.name, start=_next_year(cycle.start), end=_next_year(cycle.end))


def _next_year(day: dt.date) -> dt.date:
    """The same date a year later; February 29 becomes February 28."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _header(before: District, after: District) -> str:
    return (
        f"# {after.district}, school year {after.school_year}: written by `plansync rollover`\n"
        f"# from the {before.school_year} config. The cycles are last year's, one year later:\n"
        "# check their dates before the first cycle starts.\n"
    )


Rows = dict[str, list[dict[str, Any]]]


def _carried_rows(
    district: District, store: Store, carry: set[str], notes: list[str]
) -> dict[tuple[str, str], Rows]:
    """Last year's rows of every carried tab, per (school id, template id): read only."""
    templates = [t for t in standard_templates() if any(tab.carry in carry for tab in t.tabs)]
    cycles = tuple(cycle.name for cycle in district.cycles)
    slots = [(school, template) for school in district.active_schools for template in templates]
    present = []
    for school, template in slots:
        # Under its id now, or still under an old one (a rename no sync has followed yet: it
        # is read there, not moved, since last year's files are not to be touched).
        for school_id in (school.id, *school.previous_ids):
            ref = store.locate(school.model_copy(update={"id": school_id}), template)
            if store.exists(ref):
                present.append(((school, template), ref))
                break
    requests = [ReadRequest(ref, _not_read(template)) for (_s, template), ref in present]
    found: dict[tuple[str, str], Rows] = {}
    for ((school, template), _ref), raw in zip(present, store.read_many(requests), strict=True):
        if isinstance(raw, StoreError):
            notes.append(
                f"{school.name}: last year's {template.title} could not be read, so nothing was "
                f"carried from it ({raw.reason})"
            )
            continue
        tables = read_tables(raw, template, cycles)
        stamped = (tables.stamp or {}).get("school_id")
        if stamped and stamped not in (school.id, *school.previous_ids):
            notes.append(
                f"{school.name}: last year's {template.title} is a copy of another school's "
                "workbook, so nothing was carried from it"
            )
            continue
        found[(school.id, template.id)] = {
            tab.key: _rows(tables.tables[tab.key]) for tab in template.tabs if tab.carry in carry
        }
    return found


def _not_read(template: Template) -> tuple[str, ...]:
    return tuple(tab for tab in (template.summary_tab, INSTRUCTIONS_TAB) if tab)


def _rows(table: Table) -> list[dict[str, Any]]:
    """A tab's rows as column key -> what to write: the value as read (a choice in the list's
    spelling), the text as typed when it could not be read, and no dates."""
    rows = []
    for row in table.rows:
        values: dict[str, Any] = {}
        for key, cell in row.cells.items():
            if cell.blank or table.tab.column(key).type == "date":
                continue
            readable = cell.problem is None and cell.value is not None
            values[key] = cell.value if readable else cell.text
        if values:
            rows.append(values)
    return rows


def _add_carried(plan: WorkbookPlan, rows: Rows, school_year: str) -> int:
    count = 0
    for table in plan.tables:
        carried = rows.get(table.tab.key, [])
        for values in carried:
            table.row_notes[len(table.rows)] = (
                f"Carried from {school_year}. Review it with your team: keep it, change it or "
                "delete the row. Dates were left for you to set."
            )
            table.rows.append(values)
        count += len(carried)
    if count:
        plan.instructions.blank()
        plan.instructions.add(
            "Carried from last year",
            f"Some rows were carried from your {school_year} plan (each has a note on its first "
            "cell). Review them with your team: keep, change or delete each one, and set this "
            "year's dates.",
        )
    return count
