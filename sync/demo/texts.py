"""The words the demo's schools type, read from the YAML files in `data/`.

The demo's code decides which school gets which text and makes up every date, status and owner;
the texts themselves (strategies, goals, names, decisions, ...) are data, so that they can be
read and edited without reading Python.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from importlib.resources import files
from typing import Any, TypeVar

import yaml

_T = TypeVar("_T")


@dataclass(frozen=True)
class Goal:
    goal_type: str
    level: str
    goal: str
    metric: str
    baseline: str
    target: str


@dataclass(frozen=True)
class Benchmark:
    focus: str
    benchmark: str
    data_source: str
    target: str


@dataclass(frozen=True)
class ActionStep:
    step: str
    resources: str


@dataclass(frozen=True)
class Theme:
    """One improvement strategy with the goals, benchmarks and action steps that go with it."""

    strategy: str
    description: str
    goals: tuple[Goal, ...]
    benchmarks: tuple[Benchmark, ...]
    action_steps: tuple[ActionStep, ...]


@dataclass(frozen=True)
class Level:
    # The end of a school's id ("es") and of its name ("Elementary").
    suffix: str
    label: str


@dataclass(frozen=True)
class Role:
    role: str
    level: str


@dataclass(frozen=True)
class People:
    """The names in the demo district."""

    places: tuple[str, ...]
    levels: tuple[Level, ...]
    coaches: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class Responsibility:
    responsibility: str
    support: str


@dataclass(frozen=True)
class Meeting:
    meeting: str
    frequency: str
    attendees: str


@dataclass(frozen=True)
class Decision:
    decision: str
    level: str
    decided_by: str
    # Empty while the decision is still open.
    outcome: str = ""
    rationale: str = ""


@dataclass(frozen=True)
class Message:
    audience: str
    message: str
    messenger: str
    channel: str
    questions: str
    answers: str


@dataclass(frozen=True)
class FidelityCheck:
    component: str
    looks_like: str
    data_source: str
    frequency: str
    rating: str


@dataclass(frozen=True)
class SchoolTexts:
    """What schools type on their roles tracker and decision log, and their fidelity checks."""

    responsibilities: tuple[Responsibility, ...]
    meetings: tuple[Meeting, ...]
    decisions: tuple[Decision, ...]
    communication: tuple[Message, ...]
    fidelity: tuple[FidelityCheck, ...]


@cache
def themes() -> tuple[Theme, ...]:
    """The improvement strategies, in the order of `data/themes.yaml`."""
    return tuple(
        Theme(
            strategy=_text(item["strategy"], "themes.yaml: strategy"),
            description=_text(item["description"], "themes.yaml: description"),
            goals=_records(Goal, item["goals"], "themes.yaml: goals"),
            benchmarks=_records(Benchmark, item["benchmarks"], "themes.yaml: benchmarks"),
            action_steps=_records(ActionStep, item["action_steps"], "themes.yaml: action_steps"),
        )
        for item in _read("themes.yaml")["themes"]
    )


@cache
def people() -> People:
    """The names in `data/people.yaml`."""
    data = _read("people.yaml")
    return People(
        places=_texts(data["places"], "people.yaml: places"),
        levels=_records(Level, data["levels"], "people.yaml: levels"),
        coaches=_texts(data["coaches"], "people.yaml: coaches"),
        first_names=_texts(data["first_names"], "people.yaml: first_names"),
        last_names=_texts(data["last_names"], "people.yaml: last_names"),
        roles=_records(Role, data["roles"], "people.yaml: roles"),
    )


@dataclass(frozen=True)
class CoachNote:
    about: str
    note: str
    response: str


@cache
def coach_notes() -> tuple[CoachNote, ...]:
    """The notes in `data/coach_notes.yaml`."""
    return _records(CoachNote, _read("coach_notes.yaml")["notes"], "notes")


@cache
def school_texts() -> SchoolTexts:
    """The texts in `data/school_texts.yaml`."""
    data = _read("school_texts.yaml")
    return SchoolTexts(
        responsibilities=_records(Responsibility, data["responsibilities"], "responsibilities"),
        meetings=_records(Meeting, data["meetings"], "meetings"),
        decisions=_records(Decision, data["decisions"], "decisions"),
        communication=_records(Message, data["communication"], "communication"),
        fidelity=_records(FidelityCheck, data["fidelity"], "fidelity"),
    )


def _read(name: str) -> dict[str, Any]:
    text = (files("plansync.demo") / "data" / name).read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"demo data {name}: expected a mapping at the top")
    return data


def _records(kind: type[_T], items: list[dict[str, Any]], where: str) -> tuple[_T, ...]:
    """Each mapping as a `kind`; an unknown or missing key, or a value that is not text, is
    refused (a YAML number such as `0` would otherwise reach a workbook as a number)."""
    names = {field.name for field in fields(kind)}  # type: ignore[arg-type]
    records = []
    for item in items:
        unknown = set(item) - names
        if unknown:
            raise ValueError(f"demo data {where}: unknown key {sorted(unknown)[0]!r}")
        records.append(kind(**{key: _text(value, f"{where}.{key}") for key, value in item.items()}))
    return tuple(records)


def _texts(items: list[Any], where: str) -> tuple[str, ...]:
    return tuple(_text(item, where) for item in items)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"demo data {where}: {value!r} is not text (quote it in the YAML)")
    return value
