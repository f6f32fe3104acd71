"""The history as a person or a script reads it (`plansync history`): text tables and JSON.

Without a school: completeness night by night for every school, with the district average. With a
school: that school's figures night by night and how its benchmarks stood in each cycle.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict

from ..catalog import standard_templates
from ..config import District
from ..history import LastYear, status_counts
from ..results import SchoolSnapshot
from ..rules import RULES
from ..rules.helpers import format_date
from ..templates import metric_labels

# Nights shown side by side in the district table; --json has them all.
SHOWN_NIGHTS = 6


def history_json(
    district: District, snapshots: Sequence[SchoolSnapshot], before: LastYear | None = None
) -> dict:
    """Every snapshot, grouped by school, for scripts; with `before` (the config links last
    school year), each school's completeness on the same date last year."""
    nights = sorted({snapshot.day for snapshot in snapshots})
    labels = metric_labels(standard_templates())
    data: dict = {
        "district": district.district,
        "school_year": district.school_year,
        "nights": [day.isoformat() for day in nights],
        "schools": [
            {
                "id": school_id,
                "name": runs[-1].name,
                "coach": runs[-1].coach,
                "nights": [_night_json(snapshot, labels) for snapshot in runs],
            }
            for school_id, runs in _by_school(district, snapshots).items()
        ],
    }
    if before is not None and before.schools:
        data["last_year"] = {
            "school_year": before.label,
            "schools": {
                school_id: {"day": then.day.isoformat(), "completeness": then.completeness}
                for school_id, then in before.schools.items()
            },
        }
    return data


def _night_json(snapshot: SchoolSnapshot, labels: dict[str, str]) -> dict:
    """One night; figures named by their labels, as `sync --json` names them."""
    return {
        "day": snapshot.day.isoformat(),
        "completeness": snapshot.completeness,
        "quality": snapshot.quality,
        "expected": snapshot.expected,
        "met": snapshot.met,
        "errors": snapshot.errors,
        "warnings": snapshot.warnings,
        "overdue_steps": snapshot.overdue_steps,
        "open_decisions": snapshot.open_decisions,
        "metrics": {labels.get(key, key): value for key, value in snapshot.metrics.items()},
        "issues_by_rule": snapshot.issues_by_rule,
        "benchmarks": [asdict(record) for record in snapshot.benchmarks],
    }


def _by_school(
    district: District, snapshots: Sequence[SchoolSnapshot]
) -> dict[str, list[SchoolSnapshot]]:
    """Snapshots per school, schools in config order (then any no longer in the config)."""
    runs: dict[str, list[SchoolSnapshot]] = {}
    for snapshot in sorted(snapshots, key=lambda s: s.day):
        runs.setdefault(snapshot.school_id, []).append(snapshot)
    order = {school.id: index for index, school in enumerate(district.schools)}
    return dict(
        sorted(runs.items(), key=lambda item: (order.get(item[0], len(order)), item[1][-1].name))
    )


def district_table(district: District, snapshots: Sequence[SchoolSnapshot]) -> list[str]:
    """Completeness per school for the latest nights, with the district average."""
    nights = sorted({snapshot.day for snapshot in snapshots})[-SHOWN_NIGHTS:]
    if not nights:
        return []
    runs = _by_school(district, snapshots)
    scores = {
        school_id: {s.day: s.completeness for s in school_runs}
        for school_id, school_runs in runs.items()
    }
    names = {school_id: school_runs[-1].name for school_id, school_runs in runs.items()}
    width = max(len("District average"), *(len(name) for name in names.values()))
    lines = [
        f"Completeness by night · {district.district} · {_span(nights)}",
        "",
        f"{'School':<{width}}" + "".join(f"  {day:%b} {day.day:>2}" for day in nights) + "  Change",
    ]
    for school_id, by_day in scores.items():
        cells = [by_day.get(day) for day in nights]
        lines.append(f"{names[school_id]:<{width}}" + _cells(cells) + _change(cells))
    averages = []
    for day in nights:
        values = [by_day[day] for by_day in scores.values() if day in by_day]
        averages.append(round(sum(values) / len(values)) if values else None)
    lines.append(f"{'District average':<{width}}" + _cells(averages) + _change(averages))
    return lines


def _span(nights: list[dt.date]) -> str:
    if len(nights) == 1:
        return f"1 night, {format_date(nights[0])}"
    return f"{len(nights)} nights, {format_date(nights[0])} to {format_date(nights[-1])}"


def _cells(values: list[int | None]) -> str:
    return "".join(f"  {'' if value is None else f'{value}%':>6}" for value in values)


def _change(values: list[int | None]) -> str:
    known = [value for value in values if value is not None]
    if len(known) < 2:
        return ""
    change = known[-1] - known[0]
    return f"  {change:>+6d}" if change else f"  {0:>6d}"


def school_table(snapshots: Sequence[SchoolSnapshot], cycles: Sequence[str]) -> list[str]:
    """One school's figures night by night, its benchmarks by cycle, its issues last night."""
    if not snapshots:
        return []
    runs = sorted(snapshots, key=lambda s: s.day)
    last = runs[-1]
    coach = f" · coach {last.coach}" if last.coach else ""
    lines = [
        f"{last.name} ({last.school_id}){coach} · {_span([s.day for s in runs])}",
        "",
        f"{'Night':<13} {'Complete':>8} {'Quality':>7} {'Errors':>6} {'Warnings':>8} "
        f"{'Overdue steps':>13} {'Open decisions':>14}  Benchmarks",
    ]
    for snapshot in runs:
        quality = "–" if snapshot.quality is None else f"{snapshot.quality}%"
        lines.append(
            f"{format_date(snapshot.day):<13} {snapshot.completeness:>7}% {quality:>7} "
            f"{snapshot.errors:>6} "
            f"{snapshot.warnings:>8} {_figure(snapshot.overdue_steps):>13} "
            f"{_figure(snapshot.open_decisions):>14}  {_benchmarks(snapshot, cycles)}"
        )
    issues = sorted(last.issues_by_rule.items(), key=lambda item: (-item[1], item[0]))
    lines += ["", f"Issues on {format_date(last.day)}:"]
    lines += [f"  {count:>4}  {RULES.get(rule, rule)}" for rule, count in issues] or ["  none"]
    return lines


def _figure(value: int | None) -> str:
    return "not read" if value is None else str(value)


def _benchmarks(snapshot: SchoolSnapshot, cycles: Sequence[str]) -> str:
    counts = status_counts(snapshot.benchmarks, ("cycle",))
    order = {name: index for index, name in enumerate(cycles)}
    parts = []
    for (cycle,), tally in sorted(counts.items(), key=lambda item: order.get(item[0][0], 99)):
        parts.append(f"{cycle or 'no cycle'}: {_tally(tally)}")
    return "; ".join(parts) or "none"


def _tally(tally: Counter) -> str:
    return ", ".join(f"{count} {status}" for status, count in tally.most_common())


def last_year_lines(
    district: District,
    snapshots: Sequence[SchoolSnapshot],
    before: LastYear,
    school_id: str | None = None,
) -> list[str]:
    """This year against last year: each school's completeness on its latest night and on the
    same date last school year (nothing when the config has no `previous_year` link)."""
    if not before.schools:
        return []
    latest = {snapshot.school_id: snapshot for snapshot in sorted(snapshots, key=lambda s: s.day)}
    wanted = [school_id] if school_id else [school.id for school in district.schools]
    rows = [(i, latest.get(i), before.schools.get(i)) for i in wanted]
    rows = [(i, now, then) for i, now, then in rows if now or then]
    if not rows:
        return []
    names = {school.id: school.name for school in district.schools}
    width = max(len("School"), *(len(names.get(i, i)) for i, _now, _then in rows))
    label = before.label or "last year"
    lines = [
        "",
        f"This year ({district.school_year}) against {label}, on the same date",
        "",
        f"{'School':<{width}}  {'Now':>6}  {'Then':>6}  Change",
    ]
    for school, now, then in rows:
        cells = [now.completeness if now else None, then.completeness if then else None]
        change = f"{cells[0] - cells[1]:>+6d}" if None not in cells else ""  # type: ignore[operator]
        lines.append(f"{names.get(school, school):<{width}}" + _cells(cells) + f"  {change}")
    return lines
