"""What a demo school's plan holds today: its rows in each workbook, according to its profile.

A profile is the kind of school it is: "complete", "partial" (pieces missing), "overdue",
"typos" (dates typed as words, a bad email), "starting" (barely begun), "structural" and
"missing_log" (both plan like the others; district.py makes their structural changes).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

from ..config import District, School
from .texts import Theme, people, school_texts, themes

# A workbook's rows: tab key -> one dict of column key -> value per row.
Rows = dict[str, list[dict[str, Any]]]

_STAGES = ["Installation", "Initial Implementation", "Exploration", "Full Implementation"]
# Due dates the "typos" schools type as words, or as days that do not exist.
_DATE_TYPOS = ["next Tuesday", "TBD", "Sept 31", "10/15", "end of Oct"]


class SchoolContent:
    """One school's plan as it stands `today`: everything drawn from `rng`, in a fixed order, so
    that one seed always gives the same plan."""

    def __init__(
        self, school: School, profile: str, rng: random.Random, district: District, today: dt.date
    ) -> None:
        self.school, self.profile, self.rng, self.today = school, profile, rng, today
        self.district = district
        self.year_start = district.cycles[0].start
        self.themes = rng.sample(themes(), 3 if rng.random() < 0.4 else 2)
        names = people()
        roles = names.roles
        team_names = rng.sample(
            [f"{f} {last}" for f in names.first_names for last in names.last_names], len(roles)
        )
        count = rng.randint(4, len(roles))
        team = [(name, role.role, role.level) for name, role in zip(team_names, roles, strict=True)]
        self.team = team[: count - 1] + [team[-1]]

    def last_saved(self) -> dt.datetime:
        days = {"complete": 2, "starting": 40, "missing_log": 20}.get(self.profile, 9)
        moment = dt.datetime.combine(self.today, dt.time(16, 30))
        return moment - dt.timedelta(days=self.rng.randint(0, days), hours=self.rng.randint(0, 6))

    def owner(self, index: int) -> str:
        return self.team[index % len(self.team)][0]

    def rows(self, template_id: str) -> Rows:
        """The rows of the school's workbook made from the template `template_id`."""
        builders = {"pm_tool": self._pm_tool, "roles": self._roles, "decisions": self._decisions}
        return builders[template_id]()

    # -- PM Tool -----------------------------------------------------------------------------

    def _pm_tool(self) -> Rows:
        strategies: list[dict[str, Any]] = []
        goals: list[dict[str, Any]] = []
        benchmarks: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
        for number, theme in enumerate(self.themes, start=1):
            label = f"MIS {number}"
            strategies.append(
                {
                    "id": label,
                    "strategy": theme.strategy,
                    "description": theme.description,
                    "stage": self.rng.choice(_STAGES),
                    "owner": self.owner(number),
                }
            )
            mine = self._goals(label, theme, number)
            goals += mine
            benchmarks += self._benchmarks(label, theme, mine)
            steps += self._steps(label, theme, number)
        if self.profile == "partial":
            strategies[-1]["description"] = None
            goals = [
                g
                for g in goals
                if not (g["strategy"] == "MIS 2" and g is not self._first(goals, "MIS 2"))
            ]
            # A goal nobody can measure: the check warns about it.
            goals.append(
                {
                    "strategy": "MIS 1",
                    "goal": "Build a stronger reading culture across the school.",
                    "goal_type": "Outcome",
                    "level": "Student Data",
                    "id": "G1.9",
                }
            )
            benchmarks = [
                b for b in benchmarks if not (b["strategy"] == "MIS 1" and b["cycle"] == "Cycle 2")
            ]
            for step in steps[1::4]:
                step["owner"] = None
        if self.profile == "starting":
            goals = [self._first(goals, s["id"]) for s in strategies]
            benchmarks, steps = [], steps[:2]
        if self.profile == "typos":
            self._typo_dates(steps)
        self._quality_gaps(strategies, benchmarks, steps)
        return {
            "strategies": strategies,
            "goals": goals,
            "benchmarks": benchmarks,
            "action_steps": steps,
            "fidelity": self._fidelity(),
        }

    def _quality_gaps(
        self,
        strategies: list[dict[str, Any]],
        benchmarks: list[dict[str, Any]],
        steps: list[dict[str, Any]],
    ) -> None:
        """What a coach would raise on a visit, as weaker plans show it: a strategy that grew into
        a paragraph, benchmarks nobody tied to a goal, a step owned by someone not on the team."""
        if self.profile in ("overdue", "typos") and len(strategies) > 1:
            strategies[1]["strategy"] += (
                " Teachers will also get coaching. We will look at the data every month."
            )
        if self.profile in ("typos", "partial"):
            for benchmark in benchmarks[::3]:
                benchmark["goal"] = None
        if self.profile in ("overdue", "partial") and steps:
            steps[-1]["owner"] = "the new interventionist"
            late = next((s for s in steps if s["strategy"] == "MIS 1"), None)
            if late is not None and isinstance(late["due_date"], dt.date):
                steps.append(
                    {
                        **late,
                        "step": "Share the plan with every family",
                        "start_date": self.district.cycles[-1].end - dt.timedelta(days=10),
                        "due_date": self.district.cycles[-1].end + dt.timedelta(days=30),
                        "status": "Not Started",
                    }
                )

    @staticmethod
    def _first(rows: list[dict[str, Any]], strategy: str) -> dict[str, Any]:
        return next(row for row in rows if row["strategy"] == strategy)

    def _goals(self, label: str, theme: Theme, number: int) -> list[dict[str, Any]]:
        end = self.district.cycles[-1].end
        picked = theme.goals[: self.rng.choice([2, 3])] if len(theme.goals) > 2 else theme.goals
        return [
            {
                "strategy": label,
                "id": f"G{number}.{index}",
                "goal": goal.goal,
                "goal_type": goal.goal_type,
                "level": goal.level,
                "metric": goal.metric,
                "baseline": goal.baseline,
                "target": goal.target,
                "target_date": end - dt.timedelta(days=7),
            }
            for index, goal in enumerate(picked, start=1)
        ]

    def _benchmarks(
        self, label: str, theme: Theme, goals: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        rows = []
        for cycle in self.district.cycles_begun(self.today):
            finished = cycle.end < self.today
            count = min(4, len(theme.benchmarks), max(len(goals), self.rng.choice([3, 3, 4])))
            picked = theme.benchmarks[:count]
            for benchmark, goal_id in zip(picked, _goal_ids(picked, goals), strict=True):
                actual: str | None
                if finished:
                    status = self.rng.choice(["Met", "Met", "Not Met"])
                    actual = benchmark.target if status == "Met" else "Below target"
                else:
                    status = self.rng.choice(["On Track", "On Track", "Off Track", "Not Started"])
                    actual = None
                rows.append(
                    {
                        "strategy": label,
                        "cycle": cycle.name,
                        "goal": goal_id,
                        "benchmark": benchmark.benchmark,
                        "focus": benchmark.focus,
                        "data_source": benchmark.data_source,
                        "target": benchmark.target,
                        "actual": actual,
                        "status": status,
                    }
                )
        return rows

    def _steps(self, label: str, theme: Theme, number: int) -> list[dict[str, Any]]:
        rows = []
        for index, action_step in enumerate(theme.action_steps):
            start = self.year_start + dt.timedelta(days=10 + 35 * index + 6 * number)
            due = start + dt.timedelta(days=self.rng.randint(21, 45))
            rows.append(
                {
                    "strategy": label,
                    "step": action_step.step,
                    "start_date": start,
                    "due_date": due,
                    "resources": action_step.resources,
                    "owner": self.owner(index + number),
                    "status": self._status(due),
                }
            )
        return rows

    def _status(self, due: dt.date) -> str:
        if due < self.today:
            if self.profile == "overdue" and self.rng.random() < 0.6:
                return self.rng.choice(["In Progress", "Not Started"])
            return "Complete" if self.rng.random() < 0.93 else "In Progress"
        return "In Progress" if (due - self.today).days < 30 else "Not Started"

    def _typo_dates(self, steps: list[dict[str, Any]]) -> None:
        for step, word in zip(steps[2::3], _DATE_TYPOS, strict=False):
            step["due_date"] = word
        if steps:
            steps[0]["status"] = "done!"

    def _fidelity(self) -> list[dict[str, Any]]:
        if self.profile != "complete":
            return []
        last = self.today - dt.timedelta(days=self.rng.randint(3, 20))
        return [
            {
                "component": check.component,
                "looks_like": check.looks_like,
                "data_source": check.data_source,
                "frequency": check.frequency,
                "last_observed": last,
                "rating": check.rating,
            }
            for check in school_texts().fidelity
        ]

    # -- roles tracker -----------------------------------------------------------------------

    def _roles(self) -> Rows:
        domain = f"{self.school.id}.riverside.k12.example"
        team = [
            {"name": name, "role": role, "email": email_address(name, domain), "level": level}
            for name, role, level in self.team
        ]
        if self.profile == "typos":
            team[1]["email"] = team[1]["email"].split("@")[0] + "@"
        texts = school_texts()
        count = 2 if self.profile == "starting" else len(texts.responsibilities)
        responsibilities: list[dict[str, Any]] = []
        for index, item in enumerate(texts.responsibilities[:count]):
            due = self.today + dt.timedelta(days=self.rng.randint(-40, 60))
            late = due < self.today
            status = (
                "Done"
                if late and self.profile != "overdue"
                else self.rng.choice(["In Progress", "Not Started"])
            )
            responsibilities.append(
                {
                    "responsibility": item.responsibility,
                    "owner": self.owner(index + 1),
                    "level": "School",
                    "support": item.support,
                    "due_date": due,
                    "status": status,
                }
            )
        if self.profile == "partial":
            responsibilities[2]["owner"] = None
        meetings = (
            []
            if self.profile == "starting"
            else [
                {
                    "meeting": meeting.meeting,
                    "frequency": meeting.frequency,
                    "attendees": meeting.attendees,
                    "next_date": self.today + dt.timedelta(days=self.rng.randint(1, 20)),
                }
                for meeting in texts.meetings[: self.rng.randint(2, 4)]
            ]
        )
        return {
            "team": team if self.profile != "starting" else team[:1],
            "responsibilities": responsibilities,
            "meetings": meetings,
            "meeting_log": self._meeting_log(meetings),
        }

    def _meeting_log(self, meetings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The meetings held since the year began, at their cadence. In a school whose plan has
        slipped, the first meeting on its list stopped five weeks ago."""
        held = []
        for number, meeting in enumerate(meetings):
            every = _MEETING_DAYS.get(meeting["frequency"])
            if every is None:
                continue
            stop = self.today
            if number == 0 and self.profile in ("overdue", "partial", "typos"):
                stop = self.today - dt.timedelta(days=35)
            day = self.year_start + dt.timedelta(days=self.rng.randint(1, 5))
            while day <= stop:
                held.append(
                    {
                        "date": day,
                        "meeting": meeting["meeting"],
                        "attendees": meeting["attendees"],
                        "notes": "Reviewed the action steps due and the latest benchmark data",
                    }
                )
                day += dt.timedelta(days=every)
        return sorted(held, key=lambda row: row["date"])

    # -- decision log ------------------------------------------------------------------------

    def _decisions(self) -> Rows:
        texts = school_texts()
        rows: list[dict[str, Any]] = []
        count = 2 if self.profile == "starting" else self.rng.randint(4, len(texts.decisions))
        for decision in texts.decisions[:count]:
            decided = bool(decision.outcome)
            due = self.today + dt.timedelta(
                days=self.rng.randint(-50, -10) if decided else self.rng.randint(-12, 45)
            )
            row: dict[str, Any] = {
                "decision": decision.decision,
                "level": decision.level,
                "decided_by": decision.decided_by,
                "due_date": due,
                "status": "Decided" if decided else "Open",
            }
            if decided:
                row.update(
                    outcome=decision.outcome,
                    decided_on=due - dt.timedelta(days=2),
                    rationale=decision.rationale,
                )
            rows.append(row)
        if self.profile == "partial" and rows:
            rows[0]["outcome"] = None
        if self.profile == "complete" and len(rows) > 4:
            rows[4]["status"] = "Deferred"
        messages = (
            []
            if self.profile == "starting"
            else [
                {
                    "audience": message.audience,
                    "message": message.message,
                    "messenger": message.messenger,
                    "channel": message.channel,
                    "date": self.today + dt.timedelta(days=self.rng.randint(-20, 20)),
                    "questions": message.questions,
                    "answers": message.answers,
                }
                for message in texts.communication
            ]
        )
        return {"decisions": rows, "communication": messages}


# Days between two meetings of each frequency the demo's teams keep.
_MEETING_DAYS = {"Weekly": 7, "Every Two Weeks": 14, "Monthly": 28}

# The kind of goal a benchmark of each focus usually measures.
_GOAL_FOR_FOCUS = {
    "Systems Implementation": ("Implementation", "Implementation Support"),
    "Effectiveness": ("Implementation", "Implementation Support"),
    "Student Outcomes": ("Outcome",),
}


def _goal_ids(benchmarks, goals: list[dict[str, Any]]) -> list[str | None]:
    """The goal each benchmark measures: one of the kind its focus looks at, so that every goal
    gets a benchmark in the cycle where there are enough of them."""
    if not goals:
        return [None] * len(benchmarks)
    chosen: list[str] = []
    for benchmark in benchmarks:
        kinds = _GOAL_FOR_FOCUS.get(benchmark.focus, ())
        fits = [g["id"] for g in goals if g["goal_type"] in kinds] or [goals[0]["id"]]
        unused = [goal_id for goal_id in fits if goal_id not in chosen]
        chosen.append((unused or fits)[0])
    for goal in goals:  # a goal still without a benchmark takes one shared by another goal
        if goal["id"] in chosen:
            continue
        shared = [i for i, g in enumerate(chosen) if chosen.count(g) > 1]
        if shared:
            chosen[shared[-1]] = goal["id"]
    return list(chosen)


def email_address(name: str, domain: str) -> str:
    """A person's made-up address: first initial and last name ("Maria Lopez" -> mlopez@...)."""
    first, last = name.lower().split(" ", 1)
    return f"{first[0]}{slug(last)}@{domain}"


def slug(text: str) -> str:
    """Lower-case letters and digits joined by hyphens: a school's id from its name."""
    plain = text.lower().replace("á", "a").replace("é", "e")
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
