"""The district config: one YAML file naming the district, its schools, coaches, cycles and folders.

Every mistake in it is a one-line ConfigError naming the key, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .backends import DEFAULT_BACKEND, backend_names
from .errors import ConfigError, one_line_validation_error, read_text_file
from .google.settings import GoogleSettings

SCHOOL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# The District fields that hold a backend's own section, each named as its backend.
BACKEND_SECTIONS = ("google",)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cycle(Model):
    """A monitoring cycle: benchmarks are set and checked once per cycle."""

    name: str
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _starts_before_it_ends(self) -> Cycle:
        if self.end < self.start:
            raise ValueError(f"cycle {self.name!r} ends before it starts")
        return self


class Coach(Model):
    name: str
    email: str | None = None


class School(Model):
    id: str
    name: str
    coach: str | None = None
    # Team emails: who the Google backend shares the school's spreadsheets with.
    team: tuple[str, ...] = ()
    # Ids the school had before (a new code, a merge): its workbooks and history follow it.
    previous_ids: tuple[str, ...] = ()
    # The day a school joined mid-year: cycles that ended before it are not expected of it.
    start: dt.date | None = None
    # False for a school that left: its files and history are kept, it is no longer checked.
    active: bool = True

    @field_validator("id")
    @classmethod
    def _id_is_a_safe_folder_name(cls, value: str) -> str:
        return _safe_id(value)

    @field_validator("previous_ids")
    @classmethod
    def _previous_ids_are_safe(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_safe_id(value) for value in values)

    def cycles_expected(self, cycles: tuple[Cycle, ...], today: dt.date) -> tuple[Cycle, ...]:
        """The cycles this school owes benchmarks for by `today`: those begun, less those that
        ended before the school joined."""
        return tuple(
            cycle
            for cycle in cycles
            if cycle.start <= today and (self.start is None or cycle.end >= self.start)
        )


def _safe_id(value: str) -> str:
    if not SCHOOL_ID.match(value) or ".." in value:
        raise ValueError("use letters, digits, '-', '_' or '.' (it names the school's folder)")
    return value


class District(Model):
    district: str
    # The name of a backend in backends.BACKENDS.
    backend: str = DEFAULT_BACKEND
    # A backend's own section, named as the backend. It is a field here, not something the
    # backend adds, so that the file is validated in one pass and a mistake in the section is
    # one line naming the key like any other; its model lives with the backend and loads
    # nothing from Google. (A backend with settings of its own adds its section here too.)
    google: GoogleSettings | None = None
    workbooks: Path = Path("workbooks")
    rollup: Path = Path("rollup")
    reports: Path = Path("reports")
    # Last school year's district config (written by `plansync rollover`): its history is read,
    # never written, to show this year against last year.
    previous_year: Path | None = None
    # How to read a date typed as text like 3/4/2027: month first (MDY) or day first (DMY).
    date_order: Literal["MDY", "DMY"] = "MDY"
    cycles: tuple[Cycle, ...] = Field(min_length=1)
    coaches: tuple[Coach, ...] = ()
    schools: tuple[School, ...] = Field(min_length=1)
    # Folder the config file lives in; relative paths above are read from there.
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("backend", mode="before")
    @classmethod
    def _backend_is_known(cls, value: Any) -> Any:
        names = backend_names()
        if value not in names:
            choices = ", ".join(repr(name) for name in names[:-1]) + f" or {names[-1]!r}"
            raise ValueError(f"Input should be {choices}")
        return value

    @model_validator(mode="after")
    def _names_are_consistent(self) -> District:
        if self.backend in BACKEND_SECTIONS and getattr(self, self.backend) is None:
            raise ValueError(f"{self.backend}: required key is missing (backend is {self.backend})")
        seen: set[str] = set()
        for index, school in enumerate(self.schools):
            if school.id.casefold() in seen:
                raise ValueError(f"schools[{index}].id: {school.id!r} is used by another school")
            seen.add(school.id.casefold())
        for index, school in enumerate(self.schools):
            for old in school.previous_ids:
                if old.casefold() in seen:
                    raise ValueError(
                        f"schools[{index}].previous_ids: {old!r} is the id of a school in the "
                        "config or another school's previous id"
                    )
                seen.add(old.casefold())
        coaches = {coach.name for coach in self.coaches}
        for index, school in enumerate(self.schools):
            if school.coach and coaches and school.coach not in coaches:
                raise ValueError(f"schools[{index}].coach: {school.coach!r} is not in coaches")
        names = [cycle.name for cycle in self.cycles]
        if len(set(names)) != len(names):
            raise ValueError("cycles: two cycles share a name")
        return self

    def path(self, value: Path) -> Path:
        return value if value.is_absolute() else self.base_dir / value

    @property
    def workbooks_dir(self) -> Path:
        return self.path(self.workbooks)

    @property
    def rollup_dir(self) -> Path:
        return self.path(self.rollup)

    @property
    def reports_dir(self) -> Path:
        return self.path(self.reports)

    def school(self, school_id: str) -> School:
        for school in self.schools:
            if school.id == school_id:
                return school
        raise KeyError(school_id)

    @property
    def previous_year_config(self) -> Path | None:
        return self.path(self.previous_year) if self.previous_year else None

    @property
    def school_year(self) -> str:
        """The school year its cycles span, as people write it: "2026-27"."""
        first = min(cycle.start for cycle in self.cycles).year
        last = max(cycle.end for cycle in self.cycles).year
        return str(first) if first == last else f"{first}-{str(last)[-2:]}"

    @property
    def active_schools(self) -> tuple[School, ...]:
        return tuple(school for school in self.schools if school.active)

    @property
    def inactive_schools(self) -> tuple[School, ...]:
        return tuple(school for school in self.schools if not school.active)

    def id_aliases(self) -> dict[str, str]:
        """Every previous school id -> the school's id now."""
        return {old: school.id for school in self.schools for old in school.previous_ids}

    def cycles_begun(self, today: dt.date) -> tuple[Cycle, ...]:
        """The cycles that have started by `today`: benchmarks are expected for these."""
        return tuple(cycle for cycle in self.cycles if cycle.start <= today)


def load_config(path: Path | str) -> District:
    """Read and validate a district config; raise ConfigError with one line on any mistake."""
    path = Path(path)
    text = read_text_file(path, str(path))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path.name}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: expected keys such as 'district' and 'schools'")
    if "base_dir" in data:
        raise ConfigError(f"{path.name}: base_dir: unknown key (check its spelling)")
    try:
        return District.model_validate({**data, "base_dir": path.resolve().parent})
    except ValidationError as error:
        raise ConfigError(f"{path.name}: {one_line_validation_error(error)}") from None


def dump_config(district: District) -> str:
    """The config as YAML text, as a person would write it (used by the demo)."""
    unset = {name for name in BACKEND_SECTIONS if getattr(district, name) is None}
    data = district.model_dump(mode="json", exclude_defaults=False, exclude={"base_dir"} | unset)
    if data.get("previous_year") is None:
        data.pop("previous_year", None)
    for school in data["schools"]:
        # Keys left at their default are left out, so the file reads as a person writes it.
        for key, default in (("previous_ids", []), ("start", None), ("active", True)):
            if school.get(key) == default:
                school.pop(key)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
