"""The history of nightly runs: what a snapshot holds, replacing a night, trends, a broken file."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
import python_calamine
from click.testing import CliRunner
from district_helpers import TODAY, edit_workbook, good_plan, package_parts, run_sync, workbook_path
from plansync import history as history_module
from plansync.cli import main
from plansync.history import (
    HISTORY_NAME,
    Recorded,
    month_ago,
    open_history,
    status_change,
    status_counts,
)
from plansync.results import SchoolSnapshot
from plansync.values import as_text

# The history is kept beside the rollup whatever the backend; these tests edit .xlsx files.
pytestmark = pytest.mark.backends("excel")


def _late_plan() -> dict:
    """A plan with one overdue step (due Nov 17) and one strategy description left empty."""
    plan = good_plan()
    plan["pm_tool"]["action_steps"][1].update(
        start_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 11, 17)
    )
    plan["pm_tool"]["strategies"][1]["description"] = None
    return plan


# A description long enough for a family to follow (the `wording` quality rule).
DESCRIPTION = (
    "We call home early and often when a child misses school, and we celebrate good attendance "
    "with families every month of the year."
)


def _history(district):
    return open_history(district.rollup_dir / HISTORY_NAME, writable=False)


def test_a_snapshot_records_what_the_sync_found(make_district):
    district = make_district({"north": _late_plan()})
    result = run_sync(district)
    snapshots = {s.school_id: s for s in _history(district).snapshots()}
    assert set(snapshots) == {"north", "south"}
    for school in result.schools:
        snapshot = snapshots[school.school.id]
        assert snapshot.day == TODAY
        assert (snapshot.name, snapshot.coach) == (school.school.name, school.school.coach)
        assert (snapshot.completeness, snapshot.expected, snapshot.met) == (
            school.completeness,
            school.expected,
            school.met,
        )
        assert (snapshot.errors, snapshot.warnings) == (school.errors, school.warnings)
        assert snapshot.quality == school.quality
        assert snapshot.issues_by_rule == Counter(issue.rule for issue in school.issues)
        assert snapshot.metrics == school.metrics
    north = snapshots["north"]
    assert north.completeness < 100
    assert north.issues_by_rule == {"required": 1, "overdue": 1}
    assert (north.overdue_steps, north.open_decisions) == (1, 1)
    assert status_counts(north.benchmarks, ("cycle",)) == {
        ("Cycle 1",): Counter({"Met": 4}),
        ("Cycle 2",): Counter({"On Track": 4}),
    }
    assert [(b.row, b.strategy, b.focus, b.actual) for b in north.benchmarks[:3]] == [
        (2, "MIS 1", "Systems Implementation", "82%"),
        (3, "MIS 1", "Student Outcomes", "82%"),
        (4, "MIS 1", "Effectiveness", ""),
    ]
    assert north.quality == 100


def test_snapshots_for_the_trends_leave_out_what_they_do_not_show(make_district):
    district = make_district({"north": _late_plan()})
    run_sync(district)
    full = {s.school_id: s for s in _history(district).snapshots()}
    light = {s.school_id: s for s in _history(district).snapshots(benchmarks=False, counts=False)}
    assert {k: (s.day, s.completeness) for k, s in light.items()} == {
        k: (s.day, s.completeness) for k, s in full.items()
    }
    assert full["north"].issues_by_rule and full["north"].benchmarks
    assert all(not s.issues_by_rule and not s.metrics and not s.benchmarks for s in light.values())


def test_running_the_same_night_again_replaces_its_snapshot(make_district):
    district = make_district({"north": _late_plan()})
    run_sync(district)
    edit = workbook_path(district, "north")
    _set_cell(edit, "Strategies", "C3", DESCRIPTION)
    run_sync(district)
    history = _history(district)
    assert history.days() == [TODAY]
    tonight = {s.school_id: s for s in history.snapshots(on=TODAY)}
    assert len(history.snapshots()) == 2
    assert tonight["north"].issues_by_rule == {"overdue": 1}
    assert tonight["north"].completeness == 100


def test_the_summary_dates_the_last_change_and_the_rollup_compares_with_the_last_run(
    make_district,
):
    district = make_district({"north": _late_plan()})
    earlier = TODAY - dt.timedelta(days=14)
    before = run_sync(district, today=earlier).schools[0].completeness
    path = workbook_path(district, "north")
    _set_cell(path, "Strategies", "C3", DESCRIPTION)
    _set_cell(path, "Benchmarks", "H4", "Met")  # MIS 1, Cycle 2: On Track -> Met
    run_sync(district)

    rows = _sheets(path)["Coach Summary"]
    text = [" | ".join(as_text(v) for v in row if v not in ("", None)) for row in rows]
    # A date, not "since the last run": the line reads the same on every later night.
    assert f"Since | 100% since Nov 27, 2026 ({before}% before, +{100 - before})" in text
    header = text.index("Benchmarks by cycle") + 1
    assert text[header].endswith("| No status")
    assert "Cycle 2 | MIS 1 | 2 | 0 | 1 | 0 | 1 | 0 | 0" in text

    sheets = _sheets(district.rollup_dir / "District Rollup.xlsx")
    schools = [dict(zip(sheets["Schools"][0], row, strict=True)) for row in sheets["Schools"][1:]]
    north = next(row for row in schools if row["School ID"] == "north")
    assert (north["Last run %"], north["Completeness %"], north["Change"]) == (
        before,
        100,
        100 - before,
    )
    status = sheets["Benchmark Status"]
    assert status[0][-1] == "Since last run"
    counts = [0, 3, 0, 1, 0, 0, 4]  # Not Started, On Track, Off Track, Met, Not Met, none, total
    assert [as_text(v) for v in status[5]] == [
        "Cycle 2",
        "Effectiveness",
        *[str(n) for n in counts],
        "-1 On Track, +1 Met",
    ]
    charts = {
        name: xml
        for name, xml in package_parts(district.rollup_dir / "District Rollup.xlsx").items()
        if name.startswith("xl/charts/chart")
    }
    assert len(charts) == 3  # completeness by school, then one per cycle that has begun
    assert b"<f>'Trend'!$D$2:$D$3</f>" in charts["xl/charts/chart1.xml"]
    assert b"<f>'Benchmark Status'!$B$5:$B$7</f>" in charts["xl/charts/chart3.xml"]

    # Nights later, with nothing typed since, the tab still says when the score moved.
    run_sync(district, today=TODAY + dt.timedelta(days=3))
    text = [
        " | ".join(as_text(v) for v in row if v not in ("", None))
        for row in _sheets(path)["Coach Summary"]
    ]
    assert f"Since | 100% since Nov 27, 2026 ({before}% before, +{100 - before})" in text


def test_a_second_run_the_same_night_that_finds_the_same_leaves_the_history_as_it_is(
    make_district, monkeypatch
):
    district = make_district({"north": _late_plan()})
    run_sync(district)
    path = district.rollup_dir / HISTORY_NAME
    recorded = path.read_bytes()
    with monkeypatch.context() as patched:
        # Made from the same findings: the night's rows are not even gathered again.
        patched.setattr(history_module, "_night_rows", _not_expected)
        run_sync(district)
    assert path.read_bytes() == recorded
    _set_cell(workbook_path(district, "north"), "Strategies", "C3", DESCRIPTION)
    run_sync(district)  # it found something else: tonight is recorded again
    assert _history(district).snapshots(on=TODAY)[0].completeness == 100


def test_a_second_run_the_same_night_rewrites_only_the_schools_whose_figures_moved(make_district):
    district = make_district({"north": _late_plan()})
    run_sync(district)
    _log_rows_written(district)
    _set_cell(workbook_path(district, "north"), "Strategies", "C3", DESCRIPTION)
    run_sync(district)
    assert _rows_written(district) == {"north"}
    again = {s.school_id: s for s in _history(district).snapshots(on=TODAY)}
    assert again["north"].completeness == 100
    # The same night as a run that records it whole.
    run_sync(district, full=True)
    assert _rows_written(district) == {"north", "south"}
    assert {s.school_id: s for s in _history(district).snapshots(on=TODAY)} == again
    # A history that no longer holds the night as this sync recorded it is written whole.
    with sqlite3.connect(district.rollup_dir / HISTORY_NAME) as history:
        history.execute("UPDATE runs SET recorded_at = '2000-01-01T00:00:00'")
        history.execute("DELETE FROM schools WHERE school_id = 'south'")
    _set_cell(workbook_path(district, "north"), "Strategies", "C3", None)
    run_sync(district)
    assert _rows_written(district) == {"north", "south"}
    assert {s.school_id for s in _history(district).snapshots(on=TODAY)} == {"north", "south"}


def test_the_next_night_copies_the_rows_of_schools_whose_findings_held(make_district, monkeypatch):
    """A school whose findings are the same as on the last night recorded has its rows copied
    from that night, without being gathered; the night reads exactly as one recorded whole."""
    district = make_district({"north": _late_plan()})
    run_sync(district)
    tomorrow = TODAY + dt.timedelta(days=1)
    _set_cell(workbook_path(district, "north"), "Strategies", "C3", DESCRIPTION)
    gathered: list[str] = []
    real = history_module.school_snapshot
    monkeypatch.setattr(
        history_module,
        "school_snapshot",
        lambda school, day: gathered.append(school.school.id) or real(school, day),
    )
    run_sync(district, today=tomorrow)
    assert gathered == ["north"]  # checked again tonight: south's rows are last night's
    copied = _night_tables(district, tomorrow)
    assert {row[0] for row in copied["schools"]} == {"north", "south"}
    assert copied["benchmarks"] and copied["metrics"] and copied["issue_counts"]
    run_sync(district, today=tomorrow, full=True)  # gathers and writes every school's rows
    assert set(gathered) == {"north", "south"}
    assert _night_tables(district, tomorrow) == copied
    # A last night that the history no longer holds as recorded is not copied from.
    with sqlite3.connect(district.rollup_dir / HISTORY_NAME) as history:
        history.execute(
            "UPDATE runs SET recorded_at = '2000-01-01T00:00:00' WHERE day = ?",
            (tomorrow.isoformat(),),
        )
    gathered.clear()
    run_sync(district, today=tomorrow + dt.timedelta(days=1))
    assert set(gathered) == {"north", "south"}
    after = _night_tables(district, tomorrow + dt.timedelta(days=1))
    assert after == copied


def test_the_night_kept_in_the_state_file_reads_back_in_either_version():
    """An earlier version kept no digest of what each school's rows were made from: its night
    reads back with none (so nothing is copied), and a damaged entry as no night at all."""
    earlier = json.dumps(["2026-11-27", "2026-11-27T22:00:00 abc", {"north": "1f"}])
    recorded = Recorded.unpacked(earlier)
    assert recorded == Recorded(TODAY, "2026-11-27T22:00:00 abc", {"north": "1f"}, {})
    now = Recorded(TODAY, "2026-11-27T22:00:00 abc", {"north": "1f"}, {"north": "2e"})
    assert Recorded.unpacked(now.packed()) == now
    for damaged in (
        None,
        "",
        "not json",
        "[1, 2]",
        '["someday", "s", {}]',
        '["2026-11-27", 5, {}]',
    ):
        assert Recorded.unpacked(damaged) is None


def _night_tables(district, day: dt.date) -> dict[str, list[tuple]]:
    """Every row the history holds of the night of `day`, table by table (without the day)."""
    with sqlite3.connect(district.rollup_dir / HISTORY_NAME) as history:
        return {
            table: sorted(
                row[1:]
                for row in history.execute(
                    f"SELECT * FROM {table} WHERE day = ?", (day.isoformat(),)
                )
            )
            for table in _HISTORY_TABLES
        }


_HISTORY_TABLES = ("schools", "issue_counts", "metrics", "benchmarks", "notes")


def _log_rows_written(district) -> None:
    """From now on, the history file notes which schools' rows are written into it."""
    with sqlite3.connect(district.rollup_dir / HISTORY_NAME) as history:
        history.execute("CREATE TABLE written (school_id TEXT)")
        for table in _HISTORY_TABLES:
            history.execute(
                f"CREATE TRIGGER log_{table} AFTER INSERT ON {table} "
                "BEGIN INSERT INTO written VALUES (new.school_id); END"
            )


def _rows_written(district) -> set[str]:
    """The schools whose rows were written since the last asked (see _log_rows_written)."""
    with sqlite3.connect(district.rollup_dir / HISTORY_NAME) as history:
        written = {school for (school,) in history.execute("SELECT school_id FROM written")}
        history.execute("DELETE FROM written")
    return written


def _not_expected(*args, **kwargs):
    raise AssertionError("not expected to be called")


def test_the_rollup_follows_last_nights_figures_as_the_history_holds_them_now(make_district):
    district = make_district({"north": _late_plan()})
    yesterday = TODAY - dt.timedelta(days=1)
    before = run_sync(district, today=yesterday).schools[0].completeness
    run_sync(district)
    rollup = district.rollup_dir / "District Rollup.xlsx"
    assert _last_run(rollup, "north") == before
    # Yesterday's night as another copy of the history holds it (a backup put back, say).
    with sqlite3.connect(district.rollup_dir / HISTORY_NAME) as history:
        history.execute(
            "UPDATE schools SET completeness = 50 WHERE school_id = 'north' AND day = ?",
            (yesterday.isoformat(),),
        )
        history.execute(
            "UPDATE runs SET recorded_at = '2026-11-26T21:00:00' WHERE day = ?",
            (yesterday.isoformat(),),
        )
    history.close()
    run_sync(district)
    assert _last_run(rollup, "north") == 50


def _last_run(rollup: Path, school_id: str):
    sheets = _sheets(rollup)
    schools = [dict(zip(sheets["Schools"][0], row, strict=True)) for row in sheets["Schools"][1:]]
    return next(row for row in schools if row["School ID"] == school_id)["Last run %"]


def _sheets(path: Path) -> dict[str, list[list]]:
    with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
        return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _set_cell(path: Path, sheet: str, cell: str, value) -> None:
    def change(book):
        book[sheet][cell] = value

    edit_workbook(path, change)


def _snapshot(school: str, day: dt.date, score: int) -> SchoolSnapshot:
    return SchoolSnapshot(day, school, school.title(), None, score, 100, score, 0, 0)


def test_a_month_ago_is_the_latest_night_at_least_four_weeks_old_or_the_first():
    days = [dt.date(2026, 10, 1), dt.date(2026, 10, 20), dt.date(2026, 11, 13)]
    snapshots = [
        _snapshot("north", day, score) for day, score in zip(days, (50, 60, 70), strict=True)
    ]
    snapshots.append(_snapshot("east", dt.date(2026, 11, 13), 80))
    snapshots.append(_snapshot("east", TODAY, 90))  # tonight itself is never the baseline
    chosen = month_ago(snapshots, TODAY)
    assert {school: (s.day, s.completeness) for school, s in chosen.items()} == {
        "north": (dt.date(2026, 10, 20), 60),
        "east": (dt.date(2026, 11, 13), 80),
    }


def test_a_status_change_names_each_move_in_the_order_of_the_choices():
    order = ["Not Started", "On Track", "Off Track", "Met", "Not Met", "No status"]
    before = Counter({"On Track": 3, "Not Started": 1})
    now = Counter({"On Track": 1, "Met": 2, "Off Track": 1})
    assert status_change(before, now, order) == "-1 Not Started, -2 On Track, +1 Off Track, +2 Met"
    assert status_change(now, now, order) == "no change"
    assert status_change(None, now, order) == ""


def _another_database(path: Path) -> None:
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE workbooks (path TEXT, mtime REAL)")


def _garbage(path: Path) -> None:
    path.write_bytes(b"not a database at all\n" * 200)


@pytest.mark.parametrize("spoil", [_garbage, _another_database], ids=["garbage", "other-sqlite"])
def test_an_unusable_history_is_set_aside_and_a_new_one_started(make_district, spoil):
    district = make_district()
    path = district.rollup_dir / HISTORY_NAME
    path.parent.mkdir(parents=True)
    spoil(path)
    original = path.read_bytes()
    result = run_sync(district)
    aside = path.with_name(f"{HISTORY_NAME}.unreadable-{dt.date.today().isoformat()}")
    assert result.notes == [
        f"The history file {path} could not be used "
        f"({'file is not a database' if spoil is _garbage else 'it is not a plansync history'}). "
        f"It was moved to {aside.name} and a new history was started from tonight's run."
    ]
    assert aside.read_bytes() == original
    assert _history(district).days() == [TODAY]


def test_a_history_deleted_after_earlier_runs_is_started_again_with_a_note(make_district):
    district = make_district()
    assert run_sync(district).notes == []
    (district.rollup_dir / HISTORY_NAME).unlink()
    notes = run_sync(district, today=TODAY + dt.timedelta(days=1)).notes
    assert notes == [
        f"The history file {district.rollup_dir / HISTORY_NAME} was missing; a new history "
        "starts with this run."
    ]


def test_reading_an_unusable_history_changes_nothing_and_reads_as_empty(tmp_path):
    path = tmp_path / HISTORY_NAME
    _garbage(path)
    history = open_history(path, writable=False)
    assert history.snapshots() == []
    assert history.notes[0].startswith(f"The history file {path} could not be read")
    assert sorted(p.name for p in tmp_path.iterdir()) == [HISTORY_NAME]


def _two_nights(make_district):
    """North: description missing and a step overdue on Nov 13, description filled by Nov 27."""
    district = make_district({"north": _late_plan()})
    run_sync(district, today=TODAY - dt.timedelta(days=14))
    _set_cell(workbook_path(district, "north"), "Strategies", "C3", DESCRIPTION)
    run_sync(district)
    return district


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_history_prints_completeness_night_by_night(make_district):
    district = _two_nights(make_district)
    result = _invoke("history", district.base_dir / "district.yaml")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "Completeness by night · Test District · 2 nights, Nov 13, 2026 to Nov 27, 2026",
        "",
        "School               Nov 13  Nov 27  Change",
        "North Elementary        99%    100%      +1",
        "South Middle School    100%    100%       0",
        "District average       100%    100%       0",
    ]


def test_history_of_one_school_shows_its_figures_and_benchmarks(make_district):
    district = _two_nights(make_district)
    result = _invoke("history", district.base_dir / "district.yaml", "--school", "north")
    assert result.output.splitlines() == [
        "North Elementary (north) · coach Maria Lopez · 2 nights, Nov 13, 2026 to Nov 27, 2026",
        "",
        "Night         Complete Quality Errors Warnings Overdue steps Open decisions  Benchmarks",
        "Nov 13, 2026       99%    100%      1        0             0              1  "
        "Cycle 1: 4 Met; Cycle 2: 4 On Track",
        "Nov 27, 2026      100%    100%      0        1             1              1  "
        "Cycle 1: 4 Met; Cycle 2: 4 On Track",
        "",
        "Issues on Nov 27, 2026:",
        "     1  Overdue",
    ]


def test_history_json_has_every_night_of_every_school(make_district):
    district = _two_nights(make_district)
    result = _invoke("history", district.base_dir / "district.yaml", "--json")
    data = json.loads(result.output)
    assert data["nights"] == ["2026-11-13", "2026-11-27"]
    assert [school["id"] for school in data["schools"]] == ["north", "south"]
    north = data["schools"][0]["nights"]
    assert [(n["day"], n["completeness"], n["issues_by_rule"]) for n in north] == [
        ("2026-11-13", 99, {"required": 1}),
        ("2026-11-27", 100, {"overdue": 1}),
    ]
    assert north[1]["benchmarks"][0] == {
        "row": 2,
        "strategy": "MIS 1",
        "cycle": "Cycle 1",
        "focus": "Systems Implementation",
        "benchmark": "MIS 1 Systems Implementation check",
        "target": "80%",
        "actual": "82%",
        "status": "Met",
    }


def test_history_of_an_unknown_school_is_one_line_and_exit_1(make_district):
    district = make_district()
    result = CliRunner().invoke(
        main, ["history", str(district.base_dir / "district.yaml"), "--school", "west"]
    )
    assert result.exit_code == 1
    assert result.output == "Error: no school with id 'west' in district.yaml\n"


def test_history_before_any_sync_says_so(make_district):
    district = make_district()
    result = _invoke("history", district.base_dir / "district.yaml")
    assert result.output == (
        f"No nights recorded yet in {district.rollup_dir / HISTORY_NAME}: the history starts "
        "with the next sync.\n"
    )
