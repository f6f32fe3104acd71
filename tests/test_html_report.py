"""The HTML report and the coach pages: well formed, offline, one coach's schools each, escaped."""

from __future__ import annotations

import datetime as dt
import os
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner
from district_helpers import TODAY, good_plan, run_sync
from plansync import nightly
from plansync.cli import main
from plansync.config import load_config
from plansync.nightly import report_district
from plansync.state import StateStore

SCHOOLS = [
    {"id": "north", "name": "North Elementary", "coach": "Maria Lopez"},
    {"id": "south", "name": "South Middle School", "coach": "James Carter"},
    {"id": "east", "name": "East K-8 & Annex", "coach": "Maria Lopez"},
]
# Elements that never have an end tag in HTML.
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "source", "wbr", "area", "base"}


class Page(HTMLParser):
    """Parses a page, checks that every element closes in order, and keeps its text and tags."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.problems: list[str] = []
        self.feed(html)
        self.close()
        if self.open:
            self.problems.append(f"never closed: {self.open}")

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:]}")
        else:
            self.open.pop()

    def handle_data(self, data):
        if data.strip():
            self.text.append(" ".join(data.split()))


def _page(path: Path) -> tuple[str, Page]:
    html = path.read_text("utf-8")
    return html, Page(html)


def _overdue(plan: dict) -> dict:
    plan["pm_tool"]["action_steps"][1].update(
        start_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 11, 17)
    )
    return plan


def test_the_report_is_well_formed_holds_every_school_and_loads_nothing(make_district):
    district = make_district(schools=SCHOOLS)
    run_sync(district, today=TODAY - dt.timedelta(days=30))
    written = report_district(district, TODAY)
    assert written.district == district.reports_dir / "District Report.html"
    assert set(written.coaches) == {"Maria Lopez", "James Carter"}
    for path in [written.district, *written.coaches.values()]:
        html, page = _page(path)
        assert page.problems == []
        assert "http://" not in html and "https://" not in html
        assert not [tag for tag, _ in page.tags if tag in ("script", "link", "iframe", "img")]
        assert not [attrs for _, attrs in page.tags if "src" in attrs]
        assert {"svg", "table"} <= {tag for tag, _ in page.tags}
    html, page = _page(written.district)
    text = " ".join(page.text)
    for school in SCHOOLS:
        assert school["name"] in text
    assert "Every classroom teaches phonics daily (North Elementary)" in text
    assert "Raise reading proficiency from 40% to 55% by May 2027 (East K-8 & Annex)" in text
    assert "Since Oct 28" in page.text


def test_each_coach_page_lists_only_that_coachs_schools_needing_attention_first(make_district):
    district = make_district({"east": _overdue(good_plan(" (East K-8 & Annex)"))}, schools=SCHOOLS)
    written = report_district(district, TODAY)
    _, maria = _page(written.coaches["Maria Lopez"])
    _, james = _page(written.coaches["James Carter"])
    maria_text, james_text = " ".join(maria.text), " ".join(james.text)
    assert "North Elementary" in maria_text and "East K-8 & Annex" in maria_text
    assert "South Middle School" not in maria_text
    assert "South Middle School" in james_text
    assert "North Elementary" not in james_text and "East K-8" not in james_text
    # East has an overdue step, so it comes first although both plans are complete.
    assert maria_text.index("1. East K-8 & Annex") < maria_text.index("2. North Elementary")
    assert "PM Tool › Action Steps, Due Date, row 3" in maria.text
    assert "Nothing is overdue." in maria.text


def test_a_plan_with_much_missing_comes_before_a_complete_one_with_a_late_step(make_district):
    gaps = good_plan()
    for strategy in gaps["pm_tool"]["strategies"]:
        strategy["description"] = None
    gaps["roles"]["responsibilities"][0]["owner"] = None
    district = make_district({"east": _overdue(good_plan()), "north": gaps}, schools=SCHOOLS)
    _, maria = _page(report_district(district, TODAY).coaches["Maria Lopez"])
    text = " ".join(maria.text)
    assert text.index("1. North Elementary") < text.index("2. East K-8 & Annex")


def test_text_typed_by_a_school_is_shown_as_text_never_as_markup(make_district):
    plan = good_plan()
    plan["pm_tool"]["strategies"][0]["strategy"] = "<script>alert(1)</script>"
    plan["pm_tool"]["strategies"][1]["description"] = '"><img src=x onerror=alert(2)> & more'
    plan["pm_tool"]["goals"][0]["goal"] = "</li></ol><h1>Hacked</h1>"
    plan["pm_tool"]["action_steps"][1]["owner"] = None  # its issue message quotes the step
    plan["pm_tool"]["action_steps"][1]["step"] = "<b onclick=alert(3)>Call home</b>"
    district = make_district({"north": plan})
    written = report_district(district, TODAY)
    for path in [written.district, written.coaches["Maria Lopez"]]:
        html, page = _page(path)
        assert page.problems == []
        assert not [tag for tag, _ in page.tags if tag in ("script", "img")]
        assert not [attrs for _, attrs in page.tags if any(name.startswith("on") for name in attrs)]
        assert [tag for tag, _ in page.tags].count("h1") == 1
        assert "<script>" not in html and "<b onclick" not in html
    html, page = _page(written.district)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in page.text
    assert '"><img src=x onerror=alert(2)> & more' in page.text
    assert "</li></ol><h1>Hacked</h1>" in " ".join(page.text)
    _, coach = _page(written.coaches["Maria Lopez"])
    assert any("<b onclick=alert(3)>Call home</b>" in text for text in coach.text)


def test_report_command_writes_the_report_and_a_page_per_coach(make_district):
    district = make_district(schools=SCHOOLS)
    config = district.base_dir / "district.yaml"
    result = CliRunner().invoke(main, ["report", str(config), "--today", "2026-11-27"])
    assert result.exit_code == 0
    folder = district.reports_dir
    assert result.output.splitlines() == [
        f"District report: {folder / 'District Report.html'}",
        f"  coach page    {folder / 'coaches' / 'maria-lopez.html'}  (Maria Lopez)",
        f"  coach page    {folder / 'coaches' / 'james-carter.html'}  (James Carter)",
    ]
    # Reading for the report changes no workbook and records no night.
    assert not (district.rollup_dir / "history.sqlite").exists()
    assert not (district.rollup_dir / "District Rollup.xlsx").exists()


def test_the_nightly_sync_refreshes_the_pages_and_removes_those_of_coaches_gone(make_district):
    district = make_district(schools=SCHOOLS)
    result = run_sync(district)
    assert result.reports == district.reports_dir / "District Report.html"
    coaches = district.reports_dir / "coaches"
    pages = sorted(path.name for path in coaches.glob("*.html"))
    assert len(pages) == 2
    mine = coaches / "notes by a person.html"
    mine.write_text("<p>kept</p>", "utf-8")

    # James Carter leaves: his school goes to Maria Lopez.
    text = (district.base_dir / "district.yaml").read_text("utf-8")
    text = text.replace("coach: James Carter", "coach: Maria Lopez")
    (district.base_dir / "district.yaml").write_text(text, "utf-8")
    later = run_sync(load_config(district.base_dir / "district.yaml"), today=TODAY)
    assert later.reports is not None
    left = sorted(path.name for path in coaches.glob("*.html"))
    assert len(left) == 2 and mine.name in left  # Maria's page and the person's own file
    assert mine.read_text("utf-8") == "<p>kept</p>"
    maria = Page((coaches / next(n for n in left if n != mine.name)).read_text("utf-8"))
    assert "South Middle School" in " ".join(maria.text)


def test_pages_drawn_beside_the_sync_are_those_it_would_draw_itself(make_district, monkeypatch):
    """The pages are drawn in a forked child from the sync's own objects. A school kept from the
    last night is drawn from what the sync holds in memory: the child never asks the state
    store (its connection belongs to the sync), and the pages are byte for byte those the sync
    draws in its own process."""
    district = make_district({"east": _overdue(good_plan())}, schools=SCHOOLS)
    run_sync(district, today=TODAY - dt.timedelta(days=1))
    sync_process = os.getpid()
    reading = StateStore._reading

    def in_the_sync_only(self):
        assert os.getpid() == sync_process, "the state store was asked from the forked child"
        return reading(self)

    monkeypatch.setattr(StateStore, "_reading", in_the_sync_only)
    monkeypatch.setattr(nightly, "DRAW_BESIDE_UP_TO", 2**62)
    beside = run_sync(district, today=TODAY)
    assert all(school.facts is not None for school in beside.schools)  # kept, not checked again
    pages = sorted(district.reports_dir.rglob("*.html"))
    drawn_beside = {path: path.read_bytes() for path in pages}

    (district.reports_dir / "District Report.html").unlink()  # so that they are drawn again
    monkeypatch.setattr(nightly, "DRAW_BESIDE_UP_TO", 0)
    run_sync(district, today=TODAY)
    assert {path: path.read_bytes() for path in pages} == drawn_beside
