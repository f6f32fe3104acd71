"""Year two: schools that change (a new id, a mid-year start, leaving), the yearly rollover and
importing a plan a school already has."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from district_helpers import (
    SERVICE_ACCOUNT,
    STAFF,
    TODAY,
    good_plan,
    package_parts,
    run_sync,
    school_issues,
    workbook_path,
)
from plansync.catalog import standard_templates
from plansync.cli import main
from plansync.config import District, load_config
from plansync.excel.cells import fill_cells
from plansync.history import HISTORY_NAME, open_history
from plansync.importing import import_plan
from plansync.reports.export import as_json
from plansync.rollover import _next_year, rollover
from plansync.store import open_store
from plansync.tables import read_stamp, read_tables
from plansync.templates import Column
from plansync.values import parse_choice


def _rewrite(district: District, change) -> District:
    """Edit the district's config file as district staff would, and load it again."""
    path = district.base_dir / "district.yaml"
    config = yaml.safe_load(path.read_text("utf-8"))
    change(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    return load_config(path)


def _tables(district: District, school_id: str, template_id: str):
    template = next(t for t in standard_templates() if t.id == template_id)
    school = district.school(school_id)
    store = open_store(district)
    raw = store.read(store.locate(school, template))
    return read_tables(raw, template, [c.name for c in district.cycles]), raw


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# -- schools change --------------------------------------------------------------------------------


def test_renamed_school_keeps_its_workbooks_and_one_line_of_history(
    make_district, backend, request
):
    district = make_district()
    run_sync(district)

    def rename(config):
        config["schools"][0].update(id="north-es", previous_ids=["north"])

    renamed = _rewrite(district, rename)
    result = run_sync(renamed, today=TODAY + dt.timedelta(days=1))

    north = next(s for s in result.schools if s.school.id == "north-es")
    assert school_issues(result, "north-es") == []  # read as its own, not another school's
    assert north.previous is not None and north.previous.day == TODAY
    tables, _raw = _tables(renamed, "north-es", "pm_tool")
    assert tables.stamp is not None
    assert (tables.stamp["school_id"], tables.stamp["template"]) == ("north-es", "pm_tool")
    assert len(tables.tables["strategies"].rows) == 2
    if backend == "excel":
        assert not (renamed.workbooks_dir / "north").exists()
        assert workbook_path(renamed, "north-es").is_file()
    else:
        labels = [
            f.app_properties.get("plansync_school")
            for f in request.getfixturevalue("google").spreadsheets()
            if f.app_properties.get("plansync_template")
        ]
        assert sorted(labels) == ["north-es"] * 3 + ["south"] * 3
    history = open_history(
        renamed.rollup_dir / HISTORY_NAME, writable=False, aliases=renamed.id_aliases()
    )
    nights = [(s.day, s.school_id) for s in history.snapshots("north-es")]
    history.close()
    assert nights == [(TODAY, "north-es"), (TODAY + dt.timedelta(days=1), "north-es")]
    output = CliRunner().invoke(main, ["history", str(renamed.base_dir / "district.yaml")]).output
    assert sum("North Elementary" in line for line in output.splitlines()) == 1


def test_previous_id_that_is_another_schools_id_is_refused(tmp_path):
    config = {
        "district": "D",
        "cycles": [{"name": "C1", "start": "2026-08-01", "end": "2026-10-01"}],
        "schools": [
            {"id": "a", "name": "A", "previous_ids": ["b"]},
            {"id": "b", "name": "B"},
        ],
    }
    path = tmp_path / "district.yaml"
    path.write_text(yaml.safe_dump(config), "utf-8")
    with pytest.raises(Exception, match=r"schools\[0\]\.previous_ids: 'b'"):
        load_config(path)


def test_mid_year_school_is_not_asked_for_cycles_that_ended_before_it_joined(make_district):
    plan = good_plan()
    plan["pm_tool"]["benchmarks"] = [
        row for row in plan["pm_tool"]["benchmarks"] if row["cycle"] != "Cycle 1"
    ]
    district = make_district(
        plans={"north": plan, "south": copy.deepcopy(plan)},
        schools=[
            {"id": "north", "name": "North Elementary", "start": "2026-11-09"},
            {"id": "south", "name": "South Middle School"},
        ],
    )
    result = run_sync(district)
    north = next(s for s in result.schools if s.school.id == "north")
    south = next(s for s in result.schools if s.school.id == "south")
    # Its benchmarks cover two of the three focuses, as they only began in Cycle 2.
    assert [i for i in north.issues if not i.quality] == []
    assert north.completeness == 100
    assert [i.message.split(" there")[0] for i in south.issues if i.rule == "too-few"] == [
        "For MIS 1 in Cycle 1",
        "For MIS 2 in Cycle 1",
    ]


def test_inactive_school_is_listed_but_not_checked(make_district, backend):
    district = make_district()
    run_sync(district)
    before = _hashes(district.workbooks_dir) if backend == "excel" else {}

    def leave(config):
        config["schools"][1]["active"] = False

    left = _rewrite(district, leave)
    result = run_sync(left, today=TODAY + dt.timedelta(days=1))
    assert [s.school.id for s in result.schools] == ["north"]
    assert as_json(result)["inactive_schools"] == [
        {"id": "south", "name": "South Middle School", "coach": "James Carter"}
    ]
    if backend == "excel":
        assert _hashes(left.workbooks_dir) == {
            **before,
            "north/PM Tool.xlsx": _hashes(left.workbooks_dir)["north/PM Tool.xlsx"],
        }
        rollup = openpyxl.load_workbook(result.rollup, read_only=True)
        rows = [[c for c in row] for row in rollup["Schools"].iter_rows(values_only=True)]
        assert rows[0][-1] == "Status"
        assert (rows[1][0], rows[1][-1]) == ("North Elementary", "Active")
        assert (rows[2][0], rows[2][1], rows[2][-1]) == (
            "South Middle School",
            "south",
            "Inactive",
        )
    history = open_history(left.rollup_dir / HISTORY_NAME, writable=False)
    assert [s.school_id for s in history.snapshots("south")] == ["south"]  # kept, not extended
    history.close()


# -- the rollover ----------------------------------------------------------------------------------


def test_rollover_carries_strategies_and_roles_and_leaves_last_year_byte_for_byte(
    make_district, tmp_path, backend, request
):
    district = make_district()
    run_sync(district)
    last_year = _hashes(tmp_path)
    folder_id, spreadsheets = None, {}
    if backend == "google":
        fake = request.getfixturevalue("google")
        folder_id = "next-year-folder"
        fake.folder(folder_id, {SERVICE_ACCOUNT: "fileOrganizer", STAFF: "writer"})
        spreadsheets = {f.id: copy.deepcopy(f) for f in fake.spreadsheets()}

    done = rollover(district, tmp_path / "district.yaml", tmp_path / "2027-28", folder_id=folder_id)

    assert _hashes(tmp_path / "2027-28") and _hashes(tmp_path) == {
        **last_year,
        **{f"2027-28/{name}": digest for name, digest in _hashes(tmp_path / "2027-28").items()},
    }
    following = load_config(tmp_path / "2027-28" / "district.yaml")
    assert following.previous_year == Path("../district.yaml")
    assert [(c.start, c.end) for c in following.cycles] == [
        (dt.date(2027, 8, 17), dt.date(2027, 10, 30)),
        (dt.date(2027, 11, 2), dt.date(2028, 1, 29)),
        (dt.date(2028, 2, 1), dt.date(2028, 4, 30)),
    ]
    assert done.carried == {"north": 7, "south": 7}  # 2 strategies, 2 people, 2 duties, 1 meeting
    old, _ = _tables(district, "north", "pm_tool")
    new, _ = _tables(following, "north", "pm_tool")
    assert [r.text("strategy") for r in new.tables["strategies"].rows] == [
        r.text("strategy") for r in old.tables["strategies"].rows
    ]
    assert new.tables["goals"].rows == [] and new.tables["benchmarks"].rows == []
    roles, _ = _tables(following, "north", "roles")
    duty = roles.tables["responsibilities"].rows[0]
    assert duty.text("responsibility") and duty.value("due_date") is None  # dates: the team's
    if backend == "excel":
        book = openpyxl.load_workbook(workbook_path(following, "north"))
        note = book["Strategies"]["A2"].comment
        assert note is not None and note.text.startswith("Carried from 2026-27.")
    else:
        assert all(fake.files[key] == before for key, before in spreadsheets.items())
        new = [f for f in fake.spreadsheets() if f.id not in spreadsheets]
        assert len(new) == 6 and all(f.parents == [folder_id] for f in new)

    later = TODAY.replace(year=2027)
    run_sync(following, today=later)
    output = (
        CliRunner().invoke(main, ["history", str(tmp_path / "2027-28" / "district.yaml")]).output
    )
    assert "This year (2027-28) against 2026-27, on the same date" in output
    data = json.loads(
        CliRunner()
        .invoke(main, ["history", str(tmp_path / "2027-28" / "district.yaml"), "--json"])
        .output
    )
    assert data["school_year"] == "2027-28"
    assert data["last_year"] == {
        "school_year": "2026-27",
        "schools": {
            "north": {"day": TODAY.isoformat(), "completeness": 100},
            "south": {"day": TODAY.isoformat(), "completeness": 100},
        },
    }
    assert {name: d for name, d in _hashes(tmp_path).items() if name in last_year} == last_year


def test_rollover_refuses_a_folder_that_holds_a_config(make_district, tmp_path):
    district = make_district()
    (tmp_path / "next").mkdir()
    (tmp_path / "next" / "district.yaml").write_text("district: x\n")
    result = CliRunner().invoke(
        main, ["rollover", str(tmp_path / "district.yaml"), str(tmp_path / "next")]
    )
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert district.schools


def test_a_cycle_on_february_29_moves_to_february_28():
    assert _next_year(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
    assert _next_year(dt.date(2027, 3, 1)) == dt.date(2028, 3, 1)


# -- import ----------------------------------------------------------------------------------------


def test_choice_aliases_read_as_the_choice_they_stand_for():
    template = standard_templates()[0]
    status = template.tab("action_steps").column("status")
    aliases = tuple(status.choice_aliases.items())
    assert parse_choice(" done ", status.choices, True, aliases).value == "Complete"
    assert parse_choice("In progress", status.choices, True, aliases).value == "In Progress"
    assert parse_choice("Finito", status.choices, True, aliases).problem is not None


def _messy_plan(path: Path) -> Path:
    """A school's own plan, as schools keep them: renamed tabs, their own headers, notes above
    the header, status words of their own, a date typed as text, columns of their own."""
    book = openpyxl.Workbook()
    strategies = book.active
    strategies.title = "Our Big Ideas"
    strategies.append(["Lincoln plan, draft 3: do not share"])
    strategies.append([])
    strategies.append(["Strategy ID", "Major Improvement Strategy", "Description", "Budget"])
    strategies.append(["MIS 1", "Every reader by grade 3", "Daily small-group reading.", 12000])
    strategies.append(["MIS 2", "Math talk in every room", "Number talks each morning.", None])
    steps = book.create_sheet("Steps")
    steps.append(["MIS", "Step", "Start", "Due", "Resources", "Person Responsible", "Status"])
    steps.append(
        ["MIS 1", "Train tutors", "Sept 8, 2026", dt.datetime(2026, 10, 1), "Grant", "Ana", "Done"]
    )
    steps.append(
        ["MIS 2", "Plan number talks", "2026-09-15", "TBD", "PD days", "Ben", "In progress"]
    )
    budget = book.create_sheet("Budget")
    budget.append(["Line", "Amount"])
    budget.append(["Tutors", 12000])
    book.save(path)
    return path


def test_import_places_a_messy_plan_and_lists_what_it_could_not_place(
    make_district, tmp_path, backend
):
    typed = good_plan()
    typed["pm_tool"] = {
        "strategies": [{"id": "MIS 0", "strategy": "Kept as typed", "description": "Ours"}]
    }
    district = make_district(plans={"north": typed})
    messy = _messy_plan(tmp_path / "Lincoln plan.xlsx")

    done = import_plan(district, "north", messy)

    assert done.added == {"PM Tool › Strategies": 2, "PM Tool › Action Steps": 2}
    assert [(item.where, item.why.split(":")[0]) for item in done.unplaced] == [
        ("tab “Budget”", "no tab of the plan has this name or these headers"),
        ("'Our Big Ideas'!1:1", "above the header row"),
        ("'Our Big Ideas'!D4", "the column “Budget” matches no column of the Strategies tab"),
        ("Steps!D3", "“TBD” is not a date. Type it as a date such as 2026-10-15."),
    ]
    tables, _raw = _tables(district, "north", "pm_tool")
    strategies = tables.tables["strategies"].rows
    assert [(r.number, r.text("id"), r.text("strategy")) for r in strategies] == [
        (2, "MIS 0", "Kept as typed"),
        (3, "MIS 1", "Every reader by grade 3"),
        (4, "MIS 2", "Math talk in every room"),
    ]
    steps = tables.tables["action_steps"].rows
    assert [
        (r.text("step"), r.value("start_date"), r.value("due_date"), r.text("status"))
        for r in steps
    ] == [
        ("Train tutors", dt.date(2026, 9, 8), dt.date(2026, 10, 1), "Complete"),
        ("Plan number talks", dt.date(2026, 9, 15), None, "In Progress"),
    ]
    assert all(cell.problem is None for r in steps for cell in r.cells.values())

    again = import_plan(district, "north", messy)
    assert again.added == {} and again.already_there == 4


def test_import_command_lists_what_it_could_not_place(make_district, tmp_path):
    district = make_district()
    messy = _messy_plan(tmp_path / "plan.xlsx")
    result = CliRunner().invoke(
        main, ["import", str(district.base_dir / "district.yaml"), "south", str(messy)]
    )
    assert result.exit_code == 0, result.output
    assert "    2 rows  added to PM Tool › Strategies" in result.output
    assert "  Steps!D3: “TBD”: “TBD” is not a date." in result.output
    stamp = read_stamp(
        open_store(district).read(
            open_store(district).locate(district.school("south"), standard_templates()[0])
        )
    )
    assert stamp is not None and stamp["school_id"] == "south"


def test_rollover_reads_a_renamed_schools_workbooks_where_they_still_are(
    make_district, tmp_path, backend, request
):
    district = make_district()

    def rename(config):
        config["schools"][0].update(id="north-es", previous_ids=["north"])

    renamed = _rewrite(district, rename)
    last_year = _hashes(tmp_path)
    folder_id = None
    if backend == "google":
        folder_id = "next-year-folder"
        request.getfixturevalue("google").folder(folder_id, {SERVICE_ACCOUNT: "fileOrganizer"})

    done = rollover(renamed, tmp_path / "district.yaml", tmp_path / "next", folder_id=folder_id)

    assert done.carried == {"north-es": 7, "south": 7}
    assert {name: d for name, d in _hashes(tmp_path).items() if name in last_year} == last_year
    assert [s.id for s in done.district.schools] == ["north-es", "south"]
    assert all(not s.previous_ids for s in done.district.schools)


def test_a_choice_alias_must_stand_for_one_of_the_choices():
    with pytest.raises(ValueError, match="'Done' stands for 'Finished', which is not one"):
        Column(
            key="status",
            header="Status",
            type="choice",
            choices=("Open", "Complete"),
            choice_aliases={"Done": "Finished"},
            help="Where it stands.",
        )


def test_filling_cells_writes_only_empty_ones_and_leaves_every_other_part(tmp_path):
    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Steps"
    sheet.append(["Step", "Owner", "Due"])
    sheet.append(["Typed by the school", None, None])
    sheet.column_dimensions["C"].number_format = "yyyy-mm-dd"
    book.create_sheet("Other").append(["untouched"])
    book.save(path)
    before = package_parts(path)

    written = fill_cells(
        path,
        "Steps",
        {(2, 1): "Imported", (2, 2): "Ana", (3, 1): "Second", (3, 3): dt.date(2026, 10, 1)},
    )

    assert written == 3
    after = package_parts(path)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"xl/worksheets/sheet1.xml"}
    rows = list(openpyxl.load_workbook(path)["Steps"].iter_rows(values_only=True))
    assert rows[1] == ("Typed by the school", "Ana", None)
    assert rows[2] == ("Second", None, dt.datetime(2026, 10, 1))
