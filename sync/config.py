"""The district config: one YAML file naming the district, its schools, coaches, cycles and folders.

Every mistake in it is a one-line ConfigError naming the key, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .backends import DEFAULT_BACKEND, backend_names
from .errors import ConfigError, validation_problems
from .yaml_text import Lines, YamlProblem, read_yaml

SCHOOL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Names of the district's own folders, which a school's folder must never be mistaken for.
RESERVED_IDS = ("rollup", "reports")
# The District fields that hold a backend's own section, each named as its backend.
BACKEND_SECTIONS = ("google",)
# Monitoring cycles of a school year: a date outside these years is a typing mistake.
FIRST_YEAR, LAST_YEAR = 2000, 2100
# Where the consistency checks put their problems when the loader collects them all.
COLLECT = "problems"


def _plain_text(value: str) -> str:
    """Names go into workbooks, file names and web pages: no control characters, no unpaired
    surrogates, no leading or trailing spaces (a person cannot see those)."""
    value = value.strip()
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError(f"holds an invisible control character ({ord(char):#06x}); retype it")
    if not value:
        raise ValueError("is empty")
    return value


def _not_a_number(value: Any) -> Any:
    """A name typed as a number (`name: 1234`) is read as the text it shows."""
    if isinstance(value, bool):
        raise ValueError("should be text, not true or false; put it in quotes")
    if isinstance(value, int):
        return str(value)
    return value


# Text a person names things with, at most so many characters (see _plain_text).
Name = Annotated[
    str, BeforeValidator(_not_a_number), AfterValidator(_plain_text), Field(max_length=120)
]
Email = Annotated[
    str, BeforeValidator(_not_a_number), AfterValidator(_plain_text), Field(max_length=254)
]


def _typed_date(value: Any) -> Any:
    """A date as people type it in YAML (2026-08-18); a number is not a date."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError("should be a date written as YYYY-MM-DD, such as 2026-08-18")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"{value.strip()[:40]!r} is not a date: write it as YYYY-MM-DD, such as 2026-08-18"
        ) from None


def _in_school_years(value: dt.date) -> dt.date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"{value.isoformat()} is not a school year's date")
    return value


Date = Annotated[dt.date, BeforeValidator(_typed_date), AfterValidator(_in_school_years)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cycle(Model):
    """A monitoring cycle: benchmarks are set and checked once per cycle."""

    name: Name
    start: Date
    end: Date

    @model_validator(mode="after")
    def _starts_before_it_ends(self) -> Cycle:
        if self.end < self.start:
            raise ValueError(f"cycle {self.name!r} ends before it starts")
        return self


class Coach(Model):
    name: Name
    email: Email | None = None


class School(Model):
    id: Annotated[str, BeforeValidator(_not_a_number), Field(max_length=64)]
    name: Name
    coach: Name | None = None
    # Team emails: who the Google backend shares the school's spreadsheets with.
    team: tuple[Email, ...] = Field(default=(), max_length=500)
    # Ids the school had before (a new code, a merge): its workbooks and history follow it.
    previous_ids: tuple[str, ...] = ()
    # The day a school joined mid-year: cycles that ended before it are not expected of it.
    start: Date | None = None
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


class GoogleSettings(Model):
    """The `google:` section, for a district whose workbooks are Google spreadsheets: where they
    live and how the sync signs in. Only settings: nothing from Google is loaded to read them."""

    # The Drive folder (in a shared drive) that holds every school's spreadsheets and the rollup.
    folder_id: str = Field(min_length=1)
    # The service account's JSON key; when unset, the file named by $PLANSYNC_GOOGLE_KEY.
    key_file: Path | None = None
    # What a school's coach may do in its spreadsheets; the school's team are always writers.
    coach_role: Literal["writer", "commenter", "reader"] = "commenter"
    # Whether Google emails people when a spreadsheet is shared with them.
    notify: bool = False
    # Where the ids of the spreadsheets made so far are recorded, beside the config.
    registry: Path = Path("plansync-google.json")


class District(Model):
    district: Name
    # The name of a backend in backends.BACKENDS.
    backend: str = DEFAULT_BACKEND
    # A backend's own section, named as the backend. It is a field here, not something the
    # backend adds, so that the file is validated in one pass and a mistake in the section is
    # one line naming the key like any other. (A backend with settings of its own adds its
    # section here too.)
    google: GoogleSettings | None = None
    workbooks: Path = Path("workbooks")
    rollup: Path = Path("rollup")
    reports: Path = Path("reports")
    # The district's own templates (written by `plansync templates DIR`); None: the shipped ones.
    templates: Path | None = None
    # Last school year's district config (written by `plansync rollover`): its history is read,
    # never written, to show this year against last year.
    previous_year: Path | None = None
    # How to read a date typed as text like 3/4/2027: month first (MDY) or day first (DMY).
    date_order: Literal["MDY", "DMY"] = "MDY"
    cycles: tuple[Cycle, ...] = Field(min_length=1, max_length=50)
    coaches: tuple[Coach, ...] = Field(default=(), max_length=20_000)
    schools: tuple[School, ...] = Field(min_length=1, max_length=20_000)
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
    def _names_are_consistent(self, info: ValidationInfo) -> District:
        problems = self.consistency_problems()
        collect = info.context.get(COLLECT) if isinstance(info.context, dict) else None
        if collect is not None:
            collect.extend(problems)  # the loader lists them all, each at its line
        elif problems:
            path, message = problems[0]
            raise ValueError(f"{_dotted(path)}: {message}")
        return self

    def consistency_problems(self) -> list[tuple[tuple, str]]:
        """What only the config as a whole can show, as (key path, message) pairs."""
        problems: list[tuple[tuple, str]] = []
        if self.backend in BACKEND_SECTIONS and getattr(self, self.backend) is None:
            problems.append(
                ((self.backend,), f"required key is missing (backend is {self.backend})")
            )
        seen: set[str] = set()
        for index, school in enumerate(self.schools):
            if school.id.casefold() in seen:
                problems.append(
                    (("schools", index, "id"), f"{school.id!r} is used by another school")
                )
            seen.add(school.id.casefold())
        for index, school in enumerate(self.schools):
            for old in school.previous_ids:
                if old.casefold() in seen:
                    problems.append(
                        (
                            ("schools", index, "previous_ids"),
                            f"{old!r} is the id of a school in the config or another school's "
                            "previous id",
                        )
                    )
                seen.add(old.casefold())
        coaches = {coach.name for coach in self.coaches}
        for index, school in enumerate(self.schools):
            if school.coach and coaches and school.coach not in coaches:
                problems.append(
                    (("schools", index, "coach"), f"{school.coach!r} is not in coaches")
                )
        seen_cycles: set[str] = set()
        for index, cycle in enumerate(self.cycles):
            if cycle.name.casefold() in seen_cycles:
                problems.append(
                    (("cycles", index, "name"), f"{cycle.name!r} names another cycle too")
                )
            seen_cycles.add(cycle.name.casefold())
        problems += self._folder_problems()
        return problems

    def _folder_problems(self) -> list[tuple[tuple, str]]:
        """The district's own folders (the rollup, which holds the state and the history, and
        the reports) never inside the workbooks folder, where every school has its folder, nor
        around it; and no school's folder named like one of them."""
        problems: list[tuple[tuple, str]] = []
        # With a backend of its own, the workbooks are not in a folder.
        on_disk = self.backend not in BACKEND_SECTIONS
        workbooks = self.workbooks_dir.resolve()
        for key in ("rollup", "reports") if on_disk else ():
            folder = self.path(getattr(self, key)).resolve()
            if folder == workbooks or folder.is_relative_to(workbooks):
                problems.append(
                    (
                        (key,),
                        f"{getattr(self, key)} is inside the workbooks folder, where each school "
                        "has its own folder; put it beside the workbooks folder",
                    )
                )
            elif workbooks.is_relative_to(folder):
                problems.append(
                    (
                        (key,),
                        f"{getattr(self, key)} holds the workbooks folder; give it a folder of "
                        "its own beside the workbooks folder",
                    )
                )
        for index, school in enumerate(self.schools):
            if school.id.casefold() in RESERVED_IDS:
                problems.append(
                    (
                        ("schools", index, "id"),
                        f"{school.id!r} is the name of the district's own rollup or reports "
                        "folder; give the school another id",
                    )
                )
        return problems

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

    @property
    def templates_dir(self) -> Path | None:
        return self.path(self.templates) if self.templates is not None else None

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
    """Read and validate a district config.

    Raises ConfigError listing every problem found, one line each, each naming the file, the
    line and the key: `district.yaml, line 12: schools[3].id: 'north' is used by another school`.
    """
    path = Path(path)
    try:
        data, lines = read_yaml(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror or error})") from None
    except YamlProblem as problem:
        where = f", line {problem.line}" if problem.line else ""
        raise ConfigError(f"{path.name}{where}: {problem.message}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: expected keys such as 'district' and 'schools'")
    if "base_dir" in data:
        raise ConfigError(
            f"{path.name}, line {lines.line(('base_dir',))}: base_dir: unknown key "
            "(check its spelling)"
        )
    problems: list[tuple[tuple, str]] = []
    try:
        district = District.model_validate(
            {**data, "base_dir": path.resolve().parent}, context={COLLECT: problems}
        )
    except ValidationError as error:
        problems = validation_problems(error) + problems
        district = None
    if problems:
        raise ConfigError(_listed(path.name, problems, lines))
    assert district is not None
    return district


def _listed(name: str, problems: list[tuple[tuple, str]], lines: Lines) -> str:
    """One line per problem, in the order of the file."""
    placed = sorted(
        ((lines.line(loc) or 0, _dotted(loc), message) for loc, message in problems),
        key=lambda item: item[0],
    )
    return "\n".join(
        f"{name}{f', line {line}' if line else ''}: {key + ': ' if key else ''}{message}"
        for line, key, message in dict.fromkeys(placed)
    )


def _dotted(loc: tuple) -> str:
    """('schools', 3, 'id') -> 'schools[3].id'."""
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")


def dump_config(district: District) -> str:
    """The config as YAML text, as a person would write it (used by the demo)."""
    unset = {name for name in BACKEND_SECTIONS if getattr(district, name) is None}
    data = district.model_dump(mode="json", exclude_defaults=False, exclude={"base_dir"} | unset)
    for key in ("previous_year", "templates"):
        if data.get(key) is None:
            data.pop(key, None)
    for school in data["schools"]:
        # Keys left at their default are left out, so the file reads as a person writes it.
        for key, default in (("previous_ids", []), ("start", None), ("active", True)):
            if school.get(key) == default:
                school.pop(key)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
