"""A demo district: a config, a dozen schools' workbooks filled in the way real teams fill them.

Some plans are complete, some are missing pieces, some have overdue steps, some have dates typed as
words, one renamed a tab and a column, one lost its decision log. Everything is derived from a seed
and from "today", so dates make sense whenever the demo runs; one seed always gives one district.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import re
from dataclasses import dataclass
from pathlib import Path

from ..config import Coach, Cycle, District, School, dump_config, load_config
from ..layout import WorkbookPlan
from ..provision import provision_district
from ..templates import Template

DISTRICT_NAME = "Riverside Unified School District"
CONFIG_NAME = "district.yaml"

_PLACES = [
    "Lincoln",
    "Roosevelt",
    "César Chávez",
    "Washington",
    "Maple Grove",
    "Riverside",
    "Sunnyside",
    "Jefferson",
    "Harbor View",
    "Eastside",
    "Oak Park",
    "Mountain View",
    "Cedar Ridge",
    "Lakeview",
    "Franklin",
    "Hillcrest",
    "Willow Creek",
    "Mission",
    "Pioneer",
    "Valley Oak",
    "Sequoia",
    "Bayside",
    "Garfield",
    "Marshall",
    "Madison",
    "Highland",
    "Parkside",
    "Fairview",
    "Redwood",
    "Meadowbrook",
]
_LEVELS = [
    ("es", "Elementary"),
    ("ms", "Middle School"),
    ("k8", "K-8 Academy"),
    ("hs", "High School"),
]
_COACHES = [
    "Maria Lopez",
    "James Carter",
    "Aisha Khan",
    "Daniel Nguyen",
    "Rebecca Stein",
    "Samuel Okafor",
    "Hannah Lee",
    "Victor Ramirez",
]
_FIRST = [
    "Ana",
    "Ben",
    "Carmen",
    "Derek",
    "Elena",
    "Farah",
    "Grace",
    "Hector",
    "Imani",
    "Jorge",
    "Keisha",
    "Luis",
    "Mei",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Tariq",
    "Uma",
    "Wes",
    "Xiomara",
    "Yusuf",
    "Zoe",
]
_LAST = [
    "Alvarez",
    "Brooks",
    "Chen",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Johnson",
    "Kowalski",
    "Lindqvist",
    "Mendoza",
    "Nakamura",
    "Osei",
    "Patel",
    "Reyes",
    "Schmidt",
    "Thompson",
    "Vargas",
    "Williams",
    "Yamamoto",
]
_ROLES = [
    ("Principal", "School"),
    ("Assistant Principal", "School"),
    ("Instructional Coach", "School"),
    ("Grade-Level Lead", "School"),
    ("Counselor", "School"),
    ("Teacher Leader", "School"),
    ("District Implementation Liaison", "System"),
]


@dataclass(frozen=True)
class Theme:
    strategy: str
    description: str
    # (goal type, level, goal, metric, baseline, target)
    goals: tuple[tuple[str, str, str, str, str, str], ...]
    # (focus, benchmark, data source, target)
    benchmarks: tuple[tuple[str, str, str, str], ...]
    # (step, resources)
    steps: tuple[tuple[str, str], ...]


THEMES = (
    Theme(
        "Every K-5 classroom teaches foundational reading skills daily using the adopted phonics "
        "program.",
        "Children who can decode words fluently can spend their energy on meaning. Each day, every "
        "class spends 30 minutes on sounds, letters and decodable books, taught the same way in "
        "every room, and we check often to catch students who need more help.",
        (
            (
                "Outcome",
                "Student Data",
                "Raise the share of K-3 students at or above benchmark on "
                "the spring reading screener from 46% to 58% by May 2027.",
                "% of K-3 students at benchmark (reading screener)",
                "46%",
                "58%",
            ),
            (
                "Implementation",
                "System",
                "Every K-5 teacher delivers the daily phonics block as "
                "designed in at least 85% of walkthroughs by April 2027.",
                "% of walkthroughs with the phonics block as designed",
                "40%",
                "85%",
            ),
            (
                "Implementation Support",
                "System",
                "The district literacy team gives every K-5 teacher "
                "four coaching cycles on the phonics routine by March 2027.",
                "Coaching cycles completed per teacher",
                "0",
                "4",
            ),
        ),
        (
            (
                "Systems Implementation",
                "Phonics block appears in K-5 lesson plans each week",
                "Lesson plan collection",
                "90% of plans",
            ),
            (
                "Effectiveness",
                "Walkthroughs see the routine taught as designed",
                "Observation and feedback",
                "75% of visits",
            ),
            (
                "Student Outcomes",
                "Students at benchmark on the cycle reading check",
                "Reading screener",
                "52%",
            ),
            (
                "Effectiveness",
                "Students read decodable texts during the block",
                "Observation and feedback",
                "80% of visits",
            ),
        ),
        (
            (
                "Train K-5 teachers on the phonics routine",
                "Two PD afternoons; trainer from district",
            ),
            ("Build the weekly walkthrough schedule for the leadership team", "Walkthrough form"),
            ("Order decodable readers for every K-2 classroom", "$4,800 from Title I"),
            ("Hold a data meeting after each screening window", "Screener reports; sub coverage"),
            (
                "Start small-group reteach for students below benchmark",
                "Intervention block schedule",
            ),
        ),
    ),
    Theme(
        "Students in grades 6-8 make sense of grade-level math problems through daily "
        "collaborative tasks.",
        "Students learn math best when they reason together about rich problems. Every math class "
        "opens with a shared task, students explain their thinking to each other, and teachers use "
        "what they hear to plan the next lesson.",
        (
            (
                "Outcome",
                "Student Data",
                "Increase the percent of grade 6-8 students meeting standard "
                "on the spring interim from 31% to 40% by June 2027.",
                "% meeting standard, spring math interim",
                "31%",
                "40%",
            ),
            (
                "Implementation",
                "System",
                "All math teachers use the shared task routine in at least "
                "4 of 5 lessons each week by February 2027.",
                "Lessons per week using the task routine",
                "1",
                "4",
            ),
        ),
        (
            (
                "Systems Implementation",
                "Math teams plan the week's tasks together",
                "Team meeting notes",
                "Weekly, all teams",
            ),
            (
                "Effectiveness",
                "Students explain their reasoning to a partner during the task",
                "Observation and feedback",
                "70% of visits",
            ),
            (
                "Student Outcomes",
                "Students score proficient on the unit assessment",
                "Common unit assessment",
                "45%",
            ),
        ),
        (
            ("Adopt a shared lesson structure for the opening task", "Planning time in PLC"),
            ("Model the task routine in each math classroom", "Math coach schedule"),
            ("Collect student work samples from each unit", "Shared drive folder"),
            ("Review interim results with each math team", "Interim reports"),
        ),
    ),
    Theme(
        "We get every student to school every day by building strong relationships with families.",
        "Students cannot learn if they are not here. Advisors call home early when a student "
        "starts missing school, we celebrate good attendance, and we work with families to remove "
        "the barriers that keep children at home.",
        (
            (
                "Outcome",
                "Student Data",
                "Reduce chronic absenteeism from 24% to 17% by the end of the school year.",
                "Chronic absenteeism rate",
                "24%",
                "17%",
            ),
            (
                "Implementation",
                "System",
                "Every student with three absences in a month gets a family "
                "call within five school days, starting in October 2026.",
                "% of flagged students called within 5 days",
                "20%",
                "95%",
            ),
        ),
        (
            (
                "Systems Implementation",
                "Attendance team reviews the absence report every week",
                "Meeting log",
                "Weekly",
            ),
            (
                "Effectiveness",
                "Flagged students receive a family call within five days",
                "Call log",
                "90%",
            ),
            (
                "Student Outcomes",
                "Average daily attendance for the cycle",
                "Attendance data",
                "94%",
            ),
        ),
        (
            ("Set up the weekly attendance team meeting", "Counselor and office manager time"),
            ("Write the family call script in English and Spanish", "Translation support"),
            ("Launch monthly attendance celebrations", "$600 for incentives"),
            ("Home visits for students missing 20% or more", "Two staff, release time"),
        ),
    ),
    Theme(
        "Every classroom builds belonging through a daily community circle and consistent SEL "
        "lessons.",
        "Students who feel safe and known take more risks in their learning. Each class meets in a "
        "morning circle and teaches one SEL lesson a week, so students practise naming feelings, "
        "solving problems and repairing harm.",
        (
            (
                "Outcome",
                "Student Data",
                "Raise the share of students who say an adult at school "
                "knows them well from 58% to 70% on the spring climate survey.",
                "% agreeing on the climate survey item",
                "58%",
                "70%",
            ),
            (
                "Implementation",
                "System",
                "Every class holds a morning circle at least 4 days a week by December 2026.",
                "Days per week with a circle",
                "2",
                "4",
            ),
            (
                "Implementation Support",
                "System",
                "The district SEL team trains all staff on restorative circles by October 2026.",
                "% of staff trained",
                "35%",
                "100%",
            ),
        ),
        (
            (
                "Systems Implementation",
                "Classes hold the morning circle",
                "Teacher log",
                "4 days a week",
            ),
            (
                "Effectiveness",
                "Circles follow the agreed routine",
                "Observation and feedback",
                "75% of visits",
            ),
            ("Student Outcomes", "Office referrals per month", "Behavior data", "Down 15%"),
        ),
        (
            ("Train all staff on restorative circles", "District SEL trainer, two sessions"),
            ("Share a weekly SEL lesson calendar", "SEL curriculum licenses"),
            ("Run student focus groups on belonging", "Counselor time"),
            ("Review referral data with the climate team", "Behavior data report"),
        ),
    ),
    Theme(
        "Students who fall behind get the right help within two weeks through a clear intervention "
        "system.",
        "A student who struggles should not wait. We screen all students three times a year, meet "
        "as grade-level teams to decide who needs what, and run short intervention cycles that we "
        "check every six weeks.",
        (
            (
                "Implementation",
                "System",
                "Every grade-level team holds a data meeting within two "
                "weeks of each screening window this year.",
                "Data meetings held on time",
                "1 of 3",
                "3 of 3",
            ),
            (
                "Outcome",
                "Student Data",
                "Move 60% of students in intervention up at least one level by May 2027.",
                "% of intervention students moving up a level",
                "38%",
                "60%",
            ),
        ),
        (
            (
                "Systems Implementation",
                "Intervention groups start within two weeks of screening",
                "Intervention roster",
                "100% of groups",
            ),
            (
                "Effectiveness",
                "Intervention sessions happen as scheduled",
                "Attendance in intervention",
                "90% of sessions",
            ),
            (
                "Student Outcomes",
                "Students in intervention meet their six-week goal",
                "Progress monitoring",
                "65%",
            ),
        ),
        (
            ("Publish the screening calendar for the year", "District assessment calendar"),
            ("Create the intervention menu by skill", "Intervention materials inventory"),
            ("Train paraprofessionals on the intervention lessons", "Two training sessions"),
            ("Set six-week check-ins for every intervention group", "Progress monitoring tool"),
        ),
    ),
    Theme(
        "Teacher teams meet weekly to plan instruction from student work.",
        "The best plans start from what students actually did. Teams bring student work each week, "
        "agree on what it shows, and leave with a change they will all try in the next lesson.",
        (
            (
                "Implementation",
                "System",
                "Every grade-level team uses the student-work protocol in "
                "at least 3 meetings a month by January 2027.",
                "Meetings a month using the protocol",
                "1",
                "3",
            ),
            (
                "Outcome",
                "Student Data",
                "Raise the percent of students proficient on common "
                "writing tasks from 35% to 50% by May 2027.",
                "% proficient on common writing tasks",
                "35%",
                "50%",
            ),
        ),
        (
            (
                "Systems Implementation",
                "Teams bring student work to the weekly meeting",
                "Meeting notes",
                "3 of 4 weeks",
            ),
            (
                "Effectiveness",
                "Team agreements show up in the next week's lessons",
                "Observation and feedback",
                "70% of visits",
            ),
            (
                "Student Outcomes",
                "Students proficient on the common writing task",
                "Common writing rubric",
                "42%",
            ),
        ),
        (
            ("Protect a weekly team planning block in the master schedule", "Schedule change"),
            ("Train team leads to facilitate the student-work protocol", "Coach-led sessions"),
            ("Create a shared folder of scored writing samples", "Shared drive"),
        ),
    ),
)

_DECISIONS = [
    (
        "Which phonics program materials do K-2 teachers use in small groups?",
        "School",
        "Instructional leadership team",
        "Use the program's decodables; retire the old leveled sets.",
        "Keeps practice aligned to what is taught in the daily block.",
    ),
    (
        "When do grade-level teams meet for data meetings?",
        "School",
        "Principal",
        "Thursdays after school, the week after each screening window.",
        "Avoids conflict with staff meetings and gives time to score.",
    ),
    (
        "Do we adopt the district's SEL curriculum or keep our own lessons?",
        "System",
        "District SEL director",
        "Adopt the district curriculum from January.",
        "Shared training and materials across schools.",
    ),
    (
        "How are intervention groups staffed during the literacy block?",
        "School",
        "Principal and instructional coach",
        "",
        "",
    ),
    ("Which attendance incentives will we fund this year?", "School", "Attendance team", "", ""),
    (
        "Do teachers get release time for peer observations?",
        "System",
        "Assistant superintendent",
        "",
        "",
    ),
]
_MESSAGES = [
    (
        "Families",
        "What the new reading block looks like and how to practise at home",
        "Principal",
        "Newsletter",
        "Will my child get homework?",
        "Short nightly reading with decodable books we send home.",
    ),
    (
        "Teachers",
        "The walkthrough schedule and what observers look for",
        "Instructional Coach",
        "Meeting",
        "Is this part of my evaluation?",
        "No: walkthroughs are for feedback and planning only.",
    ),
    (
        "School board",
        "Mid-year progress on our improvement strategies",
        "Principal",
        "Meeting",
        "Are students improving?",
        "We share benchmark results for each cycle.",
    ),
]
_MEETINGS = [
    ("Implementation Team", "Every Two Weeks", "Principal, coach, grade-level leads"),
    ("Leadership Team", "Weekly", "Principal, assistant principal, counselor"),
    ("Teacher Workgroup", "Monthly", "All teachers by grade band, facilitated by team leads"),
    ("Regional Administrators", "Monthly", "Principal and district liaison"),
]
_RESPONSIBILITIES = [
    ("Schedule and lead the walkthroughs", "Walkthrough form and calendar"),
    ("Prepare data for each data meeting", "Screener exports"),
    ("Send the monthly family newsletter", "Translation support"),
    ("Track attendance calls and follow-ups", "Call log template"),
    ("Coordinate substitutes for training days", "Sub budget"),
    ("Update the PM Tool after each cycle", "Team meeting time"),
]

# How the demo's schools differ; the first few appear in every demo district, in this order.
PROFILES = [
    "complete",
    "partial",
    "overdue",
    "typos",
    "complete",
    "starting",
    "structural",
    "missing_log",
    "partial",
    "overdue",
    "complete",
    "typos",
]


def demo_district(schools: int, seed: int, today: dt.date) -> District:
    """A district config for the demo: schools, coaches and cycles of the current school year."""
    rng = random.Random(seed)
    year = today.year if today.month >= 7 else today.year - 1
    cycles = (
        Cycle(name="Cycle 1", start=dt.date(year, 8, 18), end=dt.date(year, 10, 31)),
        Cycle(name="Cycle 2", start=dt.date(year, 11, 3), end=dt.date(year + 1, 1, 29)),
        Cycle(name="Cycle 3", start=dt.date(year + 1, 2, 1), end=dt.date(year + 1, 4, 30)),
    )
    coach_count = max(1, min(len(_COACHES), (schools + 3) // 4))
    coaches = tuple(
        Coach(name=name, email=_email(name, "riverside.k12.example"))
        for name in _COACHES[:coach_count]
    )
    return District(
        district=DISTRICT_NAME,
        cycles=cycles,
        coaches=coaches,
        schools=tuple(
            School(id=school_id, name=name, coach=coaches[index % coach_count].name)
            for index, (school_id, name) in enumerate(_school_names(schools, rng))
        ),
    )


def _school_names(count: int, rng: random.Random) -> list[tuple[str, str]]:
    names = [(place, level) for place in _PLACES for level in _LEVELS]
    first = [(place, _LEVELS[i % 2]) for i, place in enumerate(_PLACES)]
    rest = [pair for pair in names if pair not in first]
    rng.shuffle(rest)
    chosen = (first + rest)[:count]
    while len(chosen) < count:  # very large demos: number the schools
        place, level = names[len(chosen) % len(names)]
        chosen.append((f"{place} {len(chosen) // len(names) + 1}", level))
    return [(_slug(f"{place} {suffix}"), f"{place} {label}") for place, (suffix, label) in chosen]


def _slug(text: str) -> str:
    plain = text.lower().replace("á", "a").replace("é", "e")
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _email(name: str, domain: str) -> str:
    first, last = name.lower().split(" ", 1)
    return f"{first[0]}{_slug(last)}@{domain}"


def write_demo(
    folder: Path,
    schools: int = 12,
    seed: int = 7,
    today: dt.date | None = None,
    night: dt.date | None = None,
) -> tuple[District, Path]:
    """Write the demo config and every school's filled-in workbooks into `folder`, as they stand
    `today` or as they stood on an earlier `night` (demo_nights plays the nights in between)."""
    today = today or dt.date.today()
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / CONFIG_NAME
    config_path.write_text(
        _config_header() + dump_config(demo_district(schools, seed, today)), "utf-8"
    )
    district = load_config(config_path)
    filler = DemoFiller(district, seed, today, night)
    provision_district(district, fill=filler)
    return district, config_path


def _config_header() -> str:
    return (
        "# Demo district written by `plansync demo`. Edit freely: add schools, change cycles.\n"
        "# Paths are relative to this file.\n"
    )


class DemoFiller:
    """Fills each plan with content according to the school's profile, as it stands `today` or
    as it stood on an earlier `night`."""

    def __init__(self, district: District, seed: int, today: dt.date, night: dt.date | None = None):
        self.district = district
        self.seed = seed
        self.today = today
        self.night = night or today
        self.index = {school.id: i for i, school in enumerate(district.schools)}

    def __call__(self, school: School, template: Template, plan: WorkbookPlan):
        number = self.index[school.id]
        profile = PROFILES[number % len(PROFILES)]
        rng = random.Random(f"{self.seed}:{school.id}")
        content = _SchoolContent(school, profile, rng, self.district, self.today)
        days_back = (self.today - self.night).days
        # The school lost its decision log two weeks ago; before that it had one.
        if profile == "missing_log" and template.id == "decisions" and days_back < 28:
            return None
        rows = content.rows(template.id)
        if template.id == "pm_tool" and days_back > 0:
            rows = as_of(rows, profile, self.night, days_back, self.district)
        for table in plan.tables:
            table.rows = rows.get(table.tab.key, [])
        # Renamed a tab and a column last week, so the sync no longer finds them as it did.
        if profile == "structural" and template.id == "pm_tool" and days_back < 7:
            steps = next(t for t in plan.tables if t.tab.key == "action_steps")
            steps.title = "Our Action Plan"
            steps.headers = ["Materials" if h == "Resources" else h for h in steps.headers]
        plan.saved_at = content.last_saved() - dt.timedelta(days=days_back)
        return plan


def as_of(
    rows: dict[str, list[dict]],
    profile: str,
    night: dt.date,
    days_back: int,
    district: District,
) -> dict[str, list[dict]]:
    """The PM Tool rows a demo plan held on an earlier `night`, from the rows it holds today."""
    rows = copy.deepcopy(rows)
    cycles = {cycle.name: cycle for cycle in district.cycles}
    # Some teams enter a new cycle's benchmarks a few weeks after it begins.
    late = 21 if profile in ("partial", "overdue", "typos") else 0
    benchmarks = []
    for benchmark in rows["benchmarks"]:
        cycle = cycles.get(benchmark["cycle"])
        if cycle is not None and cycle.start + dt.timedelta(days=late) > night:
            continue
        if cycle is not None and cycle.end >= night and benchmark["status"] in ("Met", "Not Met"):
            # results come in when the cycle ends; until then the team judges the trajectory
            met = benchmark["status"] == "Met"
            benchmark.update(status="On Track" if met else "Off Track", actual=None)
        benchmarks.append(benchmark)
    rows["benchmarks"] = benchmarks
    for step in rows["action_steps"]:
        due, start = step["due_date"], step["start_date"]
        if step["status"] == "Complete" and isinstance(due, dt.date) and due >= night:
            begun = isinstance(start, dt.date) and start <= night
            step["status"] = "In Progress" if begun else "Not Started"
    _earlier_gaps(rows, profile, days_back)
    return rows


def _earlier_gaps(rows: dict[str, list[dict]], profile: str, days_back: int) -> None:
    """What each kind of school had not filled in yet, `days_back` days ago."""
    if profile in ("complete", "partial") and days_back >= 42:
        for strategy in rows["strategies"][1:]:
            strategy["description"] = None
    if profile == "complete" and days_back >= 28:
        for step in rows["action_steps"][-3:]:
            step["resources"] = step["owner"] = None
    if profile in ("complete", "typos") and days_back >= 14:
        for benchmark in rows["benchmarks"][-2:]:
            benchmark["data_source"] = benchmark["target"] = None
    if profile == "starting":
        rows["goals"] = [] if days_back >= 28 else rows["goals"][:1]
        rows["strategies"] = rows["strategies"][:1] if days_back >= 42 else rows["strategies"]
    if profile == "typos" and days_back >= 28 and rows["action_steps"]:
        rows["action_steps"][0]["start_date"] = "first week of school"
    if profile == "partial" and days_back >= 28:
        rows["goals"] = rows["goals"][:-1]


class _SchoolContent:
    def __init__(
        self, school: School, profile: str, rng: random.Random, district: District, today: dt.date
    ):
        self.school, self.profile, self.rng, self.today = school, profile, rng, today
        self.district = district
        self.year_start = district.cycles[0].start
        self.themes = rng.sample(THEMES, 3 if rng.random() < 0.4 else 2)
        people = rng.sample([f"{f} {last}" for f in _FIRST for last in _LAST], len(_ROLES))
        count = rng.randint(4, len(_ROLES))
        self.team = [
            (name, role, level) for name, (role, level) in zip(people, _ROLES, strict=True)
        ]
        self.team = self.team[: count - 1] + [self.team[-1]]

    def last_saved(self) -> dt.datetime:
        days = {"complete": 2, "starting": 40, "missing_log": 20}.get(self.profile, 9)
        moment = dt.datetime.combine(self.today, dt.time(16, 30))
        return moment - dt.timedelta(days=self.rng.randint(0, days), hours=self.rng.randint(0, 6))

    def owner(self, index: int) -> str:
        return self.team[index % len(self.team)][0]

    def rows(self, template_id: str) -> dict[str, list[dict]]:
        builders = {"pm_tool": self._pm_tool, "roles": self._roles, "decisions": self._decisions}
        return builders[template_id]()

    # -- PM Tool -----------------------------------------------------------------------------

    def _pm_tool(self) -> dict[str, list[dict]]:
        strategies, goals, benchmarks, steps = [], [], [], []
        stages = ["Installation", "Initial Implementation", "Exploration", "Full Implementation"]
        for number, theme in enumerate(self.themes, start=1):
            label = f"MIS {number}"
            strategies.append(
                {
                    "id": label,
                    "strategy": theme.strategy,
                    "description": theme.description,
                    "stage": self.rng.choice(stages),
                    "owner": self.owner(number),
                }
            )
            goals += self._goals(label, theme)
            benchmarks += self._benchmarks(label, theme)
            steps += self._steps(label, theme, number)
        if self.profile == "partial":
            strategies[-1]["description"] = None
            goals = [
                g
                for g in goals
                if not (g["strategy"] == "MIS 2" and g is not self._first(goals, "MIS 2"))
            ]
            goals.append(
                {
                    "strategy": "MIS 1",
                    "goal": "Build a stronger reading culture across the school.",
                    "goal_type": "Outcome",
                    "level": "Student Data",
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
        return {
            "strategies": strategies,
            "goals": goals,
            "benchmarks": benchmarks,
            "action_steps": steps,
            "fidelity": self._fidelity(),
        }

    @staticmethod
    def _first(rows: list[dict], strategy: str) -> dict:
        return next(row for row in rows if row["strategy"] == strategy)

    def _goals(self, label: str, theme: Theme) -> list[dict]:
        end = self.district.cycles[-1].end
        picked = theme.goals[: self.rng.choice([2, 3])] if len(theme.goals) > 2 else theme.goals
        return [
            {
                "strategy": label,
                "goal": text,
                "goal_type": kind,
                "level": level,
                "metric": metric,
                "baseline": baseline,
                "target": target,
                "target_date": end + dt.timedelta(days=28),
            }
            for kind, level, text, metric, baseline, target in picked
        ]

    def _benchmarks(self, label: str, theme: Theme) -> list[dict]:
        rows = []
        for cycle in self.district.cycles_begun(self.today):
            finished = cycle.end < self.today
            for focus, text, source, target in theme.benchmarks[: self.rng.choice([2, 3, 3])]:
                if finished:
                    status = self.rng.choice(["Met", "Met", "Not Met"])
                    actual = target if status == "Met" else "Below target"
                else:
                    status, actual = (
                        self.rng.choice(["On Track", "On Track", "Off Track", "Not Started"]),
                        None,
                    )
                rows.append(
                    {
                        "strategy": label,
                        "cycle": cycle.name,
                        "benchmark": text,
                        "focus": focus,
                        "data_source": source,
                        "target": target,
                        "actual": actual,
                        "status": status,
                    }
                )
        return rows

    def _steps(self, label: str, theme: Theme, number: int) -> list[dict]:
        rows = []
        for index, (text, resources) in enumerate(theme.steps):
            start = self.year_start + dt.timedelta(days=10 + 35 * index + 6 * number)
            due = start + dt.timedelta(days=self.rng.randint(21, 45))
            rows.append(
                {
                    "strategy": label,
                    "step": text,
                    "start_date": start,
                    "due_date": due,
                    "resources": resources,
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

    def _typo_dates(self, steps: list[dict]) -> None:
        words = ["next Tuesday", "TBD", "Sept 31", "10/15", "end of Oct"]
        for step, word in zip(steps[2::3], words, strict=False):
            step["due_date"] = word
        if steps:
            steps[0]["status"] = "done!"

    def _fidelity(self) -> list[dict]:
        if self.profile != "complete":
            return []
        last = self.today - dt.timedelta(days=self.rng.randint(3, 20))
        return [
            {
                "component": "Daily block taught as designed",
                "looks_like": "All routine steps, on time, with student practice",
                "data_source": "Walkthroughs",
                "frequency": "Every Two Weeks",
                "last_observed": last,
                "rating": "Partial",
            },
            {
                "component": "Data meetings after screening",
                "looks_like": "Every team names students and next steps",
                "data_source": "Meeting notes",
                "frequency": "Each Cycle",
                "last_observed": last,
                "rating": "Full",
            },
        ]

    # -- roles tracker -----------------------------------------------------------------------

    def _roles(self) -> dict[str, list[dict]]:
        domain = f"{self.school.id}.riverside.k12.example"
        team = [
            {"name": name, "role": role, "email": _email(name, domain), "level": level}
            for name, role, level in self.team
        ]
        if self.profile == "typos":
            team[1]["email"] = team[1]["email"].split("@")[0] + "@"
        count = 2 if self.profile == "starting" else len(_RESPONSIBILITIES)
        responsibilities = []
        for index, (text, support) in enumerate(_RESPONSIBILITIES[:count]):
            due = self.today + dt.timedelta(days=self.rng.randint(-40, 60))
            late = due < self.today
            status = (
                "Done"
                if late and self.profile != "overdue"
                else self.rng.choice(["In Progress", "Not Started"])
            )
            responsibilities.append(
                {
                    "responsibility": text,
                    "owner": self.owner(index + 1),
                    "level": "School",
                    "support": support,
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
                    "meeting": meeting,
                    "frequency": frequency,
                    "attendees": attendees,
                    "next_date": self.today + dt.timedelta(days=self.rng.randint(1, 20)),
                }
                for meeting, frequency, attendees in _MEETINGS[: self.rng.randint(2, 4)]
            ]
        )
        return {
            "team": team if self.profile != "starting" else team[:1],
            "responsibilities": responsibilities,
            "meetings": meetings,
        }

    # -- decision log ------------------------------------------------------------------------

    def _decisions(self) -> dict[str, list[dict]]:
        rows = []
        count = 2 if self.profile == "starting" else self.rng.randint(4, len(_DECISIONS))
        for question, level, who, outcome, why in _DECISIONS[:count]:
            decided = bool(outcome)
            due = self.today + dt.timedelta(
                days=self.rng.randint(-50, -10) if decided else self.rng.randint(-12, 45)
            )
            row = {
                "decision": question,
                "level": level,
                "decided_by": who,
                "due_date": due,
                "status": "Decided" if decided else "Open",
            }
            if decided:
                row.update(outcome=outcome, decided_on=due - dt.timedelta(days=2), rationale=why)
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
                    "audience": audience,
                    "message": message,
                    "messenger": messenger,
                    "channel": channel,
                    "date": self.today + dt.timedelta(days=self.rng.randint(-20, 20)),
                    "questions": question,
                    "answers": answer,
                }
                for audience, message, messenger, channel, question, answer in _MESSAGES
            ]
        )
        return {"decisions": rows, "communication": messages}
