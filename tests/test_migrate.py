"""District-owned templates and `plansync migrate`: a template changes, the workbooks follow, and
nothing a school typed or added changes."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from district_helpers import (
    STRICT_NAMESPACES,
    TODAY,
    libreoffice_convert,
    package_parts,
    run_sync,
    save_as_strict,
    sheet_part,
    workbook_path,
)
from openpyxl.chart import BarChart, Reference
from plansync.catalog import LOCK_NAME, district_templates, write_templates
from plansync.config import load_config
from plansync.errors import ConfigError
from plansync.migrate import migrate_district

# openpyxl (used here only to look at the result) says it cannot keep sparklines: plansync never
# saves a school's file with it.
pytestmark = pytest.mark.filterwarnings("ignore:Sparkline Group extension")

SPARKLINES = (
    '<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:sparklineGroups xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:sparklineGroup displayEmptyCellsAs="gap"><x14:colorSeries rgb="FF376092"/>'
    "<x14:sparklines><x14:sparkline><xm:f>'Action Steps'!C2:D2</xm:f><xm:sqref>K2</xm:sqref>"
    "</x14:sparkline></x14:sparklines></x14:sparklineGroup></x14:sparklineGroups></ext></extLst>"
)
EVIDENCE = {
    "key": "evidence",
    "header": "Evidence Type",
    "type": "choice",
    "required": True,
    "choices": ["Walkthrough", "Student Work", "Survey", "Meeting Notes"],
    "width": 18,
    "help": "What will show that the step was done.",
    "why": "Every action step says how its completion will be seen.",
}


# -- the district's own templates ------------------------------------------------------------------


def _own_templates(folder: Path, change=None, key: str = "pm_tool") -> Path:
    """Write the shipped templates into `folder` and apply `change` to one of them (as data)."""
    templates = folder / "templates"
    write_templates(templates)
    if change is not None:
        path = templates / f"{key}.yaml"
        data = yaml.safe_load(path.read_text("utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return templates


def _with_templates(district, templates: Path, **changes):
    """The district's config with `templates:` (and other keys) added, loaded again."""
    path = district.base_dir / "district.yaml"
    config = yaml.safe_load(path.read_text("utf-8"))
    config.update({"templates": str(templates), **changes})
    path.write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    return load_config(path)


def _add_evidence(data: dict) -> None:
    data["version"] = 2
    steps = next(tab for tab in data["tabs"] if tab["key"] == "action_steps")
    steps["columns"].append(dict(EVIDENCE))


def _config(tmp_path: Path, templates: Path | None):
    text = (
        "district: D\ncycles: [{name: Cycle 1, start: 2026-08-17, end: 2026-10-30}]\n"
        "schools: [{id: north, name: North}]\n"
    )
    if templates is not None:
        text += f"templates: {templates}\n"
    (tmp_path / "district.yaml").write_text(text, "utf-8")
    return load_config(tmp_path / "district.yaml")


def test_templates_writes_the_shipped_ones_and_a_lock_and_they_load_unchanged(tmp_path):
    templates = _own_templates(tmp_path)
    assert sorted(p.name for p in templates.iterdir()) == [
        "decisions.yaml",
        LOCK_NAME,
        "pm_tool.yaml",
        "roles.yaml",
    ]
    loaded = district_templates(_config(tmp_path, templates))
    assert [(t.id, t.version) for t in loaded] == [("pm_tool", 1), ("roles", 1), ("decisions", 1)]


def test_a_template_changed_without_a_new_version_is_refused_naming_file_and_key(tmp_path):
    def change(data):
        data["tabs"][0]["columns"][0]["help"] = "Changed words."

    templates = _own_templates(tmp_path, change)
    with pytest.raises(ConfigError) as refused:
        district_templates(_config(tmp_path, templates))
    assert str(refused.value) == (
        "pm_tool.yaml: version: the content differs from the shipped version 1; a changed "
        "template needs a higher version (say 2)"
    )


def test_every_mistake_in_a_district_template_is_one_line(tmp_path):
    def change(data):
        data["version"] = 2
        data["tabs"][0]["columns"][0]["colour"] = "red"
        data["tabs"][1]["columns"][0]["type"] = "colour"

    templates = _own_templates(tmp_path, change)
    (templates / "roles.yaml").write_text("id: roles\nversion: [", "utf-8")
    with pytest.raises(ConfigError) as refused:
        district_templates(_config(tmp_path, templates))
    lines = str(refused.value).splitlines()
    assert lines[0] == "pm_tool.yaml: tabs[0].columns[0].colour: unknown key (check its spelling)"
    assert lines[1].startswith("pm_tool.yaml: tabs[1].columns[0].type: Input should be")
    assert lines[2].startswith("roles.yaml: not valid YAML")
    assert len(lines) == 3


def test_a_version_put_into_workbooks_cannot_be_reused_for_other_content(tmp_path):
    templates = _own_templates(tmp_path, _add_evidence)
    district = _config(tmp_path, templates)
    (tmp_path / "workbooks").mkdir()
    migrate_district(district)  # records version 2 as it is now
    path = templates / "pm_tool.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["tabs"][0]["columns"][0]["help"] = "Changed again, still version 2."
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    with pytest.raises(ConfigError, match=r"pm_tool.yaml: version: version 2 was put into"):
        district_templates(district)
    data["version"] = 3
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    assert district_templates(district)[0].version == 3


def test_an_older_version_than_the_shipped_one_is_refused(tmp_path):
    templates = _own_templates(tmp_path, lambda data: data.update(version=0))
    with pytest.raises(ConfigError, match=r"^pm_tool.yaml: version: 0 is older"):
        district_templates(_config(tmp_path, templates))


# -- migrate, on both backends ---------------------------------------------------------------------


def _school_data(edits, district) -> dict[str, list]:
    """Every cell of the plan tabs the school typed in (the sync's own tabs left out)."""
    tabs = edits.tabs(district, "north")
    return {
        name: rows
        for name, rows in tabs.items()
        if name not in ("Instructions", "Coach Summary", "_plansync")
    }


def _without_column(rows: list[list], column: int) -> list[list]:
    return [row[: column - 1] + row[column:] for row in rows]


def test_migrate_adds_a_required_column_and_keeps_everything_the_school_has(
    make_district, edits, backend, tmp_path, google_or_none
):
    district = make_district()
    if backend == "excel":
        _add_chart_and_sparkline(workbook_path(district, "north"))
    before = _school_data(edits, district)
    district = _with_templates(district, _own_templates(tmp_path, _add_evidence))

    night = run_sync(district)
    assert not [i for i in night.issues if i.rule in ("column-missing", "stamp-version")]
    assert night.need_migrate == 2
    assert night.notes[0].startswith("2 workbooks need `plansync migrate`")

    planned = migrate_district(district, dry_run=True)
    assert [(m.school.id, m.template.id, m.outcome) for m in planned if m.changes.lines()] == [
        ("north", "pm_tool", "would migrate"),
        ("south", "pm_tool", "would migrate"),
    ]
    assert planned[0].changes.lines() == [
        "add column “Evidence Type” to “Action Steps” at H1",
        "rewrite the Instructions tab",
        "update the stamp (template version 2)",
    ]
    if backend == "google":
        google_or_none.reset_counts()
    done = migrate_district(district)
    assert [m.outcome for m in done] == ["migrated", "up to date", "up to date"] * 2
    if backend == "google":  # per spreadsheet: a metadata read, one batchUpdate
        assert google_or_none.calls["sheets.spreadsheets.batchUpdate"] == 2

    after = _school_data(edits, district)
    steps = after.pop("Action Steps")
    assert steps[0][7] == "Evidence Type"
    assert _without_column(steps, 8) == [row[:7] + row[8:] for row in before.pop("Action Steps")]
    assert after == before  # every other tab reads the same, cell for cell
    assert _validation_of(edits, district, backend, "H2") == [
        "Walkthrough",
        "Student Work",
        "Survey",
        "Meeting Notes",
    ]

    night = run_sync(district)
    assert not [i for i in night.issues if i.rule in ("column-missing", "tab-missing")]
    assert night.need_migrate == 0 and not night.notes
    blank_evidence = [i for i in night.issues if i.rule == "required" and i.cell[0] == "H"]
    assert blank_evidence  # the new required column is checked like any other

    version = edits.version(district, "north")
    again = migrate_district(district)
    assert {m.outcome for m in again} == {"up to date"}
    assert edits.version(district, "north") == version  # nothing written at all


@pytest.mark.backends("excel")
def test_a_strict_open_xml_workbook_is_migrated_in_its_own_namespaces(make_district, tmp_path):
    district = make_district()
    path = workbook_path(district, "north")
    save_as_strict(path)
    district = _with_templates(district, _own_templates(tmp_path, _add_evidence))
    done = migrate_district(district)
    assert [m.outcome for m in done][:3] == ["migrated", "up to date", "up to date"]
    for name, data in package_parts(path).items():
        if name != "[Content_Types].xml":
            assert not any(transitional in data for transitional in STRICT_NAMESPACES), name
    night = run_sync(district)
    north = next(school for school in night.schools if school.school.id == "north")
    assert not [i for i in north.issues if i.rule in ("column-missing", "workbook-unreadable")]
    steps = north.tables("pm_tool").tables["action_steps"]
    assert "evidence" in steps.columns


@pytest.mark.backends("excel")
def test_migrate_keeps_a_chart_and_a_sparkline_byte_for_byte(make_district, tmp_path):
    district = make_district()
    path = workbook_path(district, "north")
    _add_chart_and_sparkline(path)
    parts = package_parts(path)
    district = _with_templates(district, _own_templates(tmp_path, _add_evidence))
    migrate_district(district)
    after = package_parts(path)
    steps = sheet_part(path, "Action Steps")
    changed = {name for name in parts if parts[name] != after.get(name)}
    # The tab that gained the column, its notes, the two tabs plansync writes, the date style.
    assert changed <= {
        steps,
        sheet_part(path, "Instructions"),
        sheet_part(path, "_plansync"),
        "xl/styles.xml",
        *(name for name in parts if re.search(r"comments|vmlDrawing|commentsDrawing", name)),
    }
    charts = [name for name in parts if name.startswith(("xl/charts/", "xl/drawings/drawing"))]
    assert charts and all(after[name] == parts[name] for name in charts)
    assert SPARKLINES.encode() in after[steps]
    assert re.search(rb"<drawing [^>]*r:id=", after[steps])  # the chart is still placed
    book = openpyxl.load_workbook(path)  # and a spreadsheet library still opens it
    assert book["Action Steps"]["H1"].comment.text.startswith("What will show")
    if shutil.which("soffice"):
        assert libreoffice_convert(path, "csv", tmp_path / "converted", tmp_path).exists()


@pytest.mark.backends("excel")
def test_a_workbook_open_in_excel_is_skipped_and_migrated_on_a_later_run(make_district, tmp_path):
    district = make_district()
    path = workbook_path(district, "north")
    lock = path.parent / f"~${path.name}"
    lock.write_text("someone", "utf-8")
    district = _with_templates(district, _own_templates(tmp_path, _add_evidence))
    done = migrate_district(district)
    north = next(m for m in done if m.school.id == "north" and m.template.id == "pm_tool")
    assert north.outcome == "skipped" and "open in a spreadsheet program" in north.reason
    assert run_sync(district).need_migrate == 1
    lock.unlink()
    later = migrate_district(district)
    assert [m.outcome for m in later if m.template.id == "pm_tool"] == ["migrated", "up to date"]


def test_renamed_and_dropped_columns_and_a_new_cycle(make_district, edits, tmp_path):
    district = make_district()

    def change(data):
        data["version"] = 2
        steps = next(tab for tab in data["tabs"] if tab["key"] == "action_steps")
        resources = next(c for c in steps["columns"] if c["key"] == "resources")
        resources.update(header="Resources Needed", renamed_from=["Resources"])
        fidelity = next(tab for tab in data["tabs"] if tab["key"] == "fidelity")
        fidelity["columns"] = [c for c in fidelity["columns"] if c["key"] != "frequency"]

    district = _with_templates(district, _own_templates(tmp_path, change))
    # The migration of the shipped version's layout: dropped `status`, renamed `resources`.
    path = district.base_dir / "district.yaml"
    config = yaml.safe_load(path.read_text("utf-8"))
    config["cycles"].append({"name": "Cycle 4", "start": "2027-05-03", "end": "2027-06-11"})
    path.write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    district = load_config(path)
    before = edits.rows(district, "north", "Action Steps")
    done = migrate_district(district)
    lines = next(m for m in done if m.school.id == "north").changes.lines()
    assert "rename column “Resources” to “Resources Needed” on “Action Steps”" in lines
    assert "update the dropdown or check of “Cycle” on “Benchmarks”" in lines
    assert "keep column “Frequency” on “Fidelity”: no longer in the template, left as it is" in (
        lines
    )
    after = edits.rows(district, "north", "Action Steps")
    assert after[0][4] == "Resources Needed"
    assert after[1:] == before[1:]
    assert edits.rows(district, "north", "Fidelity")[0][3] == "Frequency"
    assert _validation_of(edits, district, edits.backend, "B2", tab="Benchmarks")[-1] == "Cycle 4"
    roles = next(m for m in done if m.school.id == "north" and m.template.id == "roles")
    assert roles.outcome == "migrated"  # the new cycle reaches every workbook's stamp
    night = run_sync(district, today=TODAY)
    assert not [i for i in night.issues if i.rule in ("column-missing", "stamp-version")]
    assert {m.outcome for m in migrate_district(district)} == {"up to date"}


def test_a_tab_a_new_template_version_adds_reaches_every_workbook(make_district, edits, tmp_path):
    district = make_district()

    def change(data):
        data["version"] = 2
        data["tabs"].append(
            {
                "key": "visits",
                "title": "Coach Visits",
                "noun": "visit",
                "nouns": "visits",
                "purpose": "What the coach saw on each visit.",
                "columns": [
                    {
                        "key": "strategy",
                        "header": "Strategy ID",
                        "required": True,
                        "choices_from": "strategies.id",
                        "help": "The strategy visited.",
                    },
                    {
                        "key": "date",
                        "header": "Visit Date",
                        "type": "date",
                        "required": True,
                        "help": "When.",
                    },
                ],
            }
        )

    district = _with_templates(district, _own_templates(tmp_path, change))
    assert not [i for i in run_sync(district).issues if i.rule == "tab-missing"]
    done = migrate_district(district)
    assert next(m for m in done if m.school.id == "north").changes.lines()[0] == (
        "add tab “Coach Visits”"
    )
    assert edits.rows(district, "north", "Coach Visits")[0][:2] == ["Strategy ID", "Visit Date"]
    assert _validation_of(edits, district, edits.backend, "A2", tab="Coach Visits") == (
        ["=Strategies!$A$2:$A$500"] if edits.backend == "google" else ["Strategies!$A$2:$A$500"]
    )
    night = run_sync(district)
    assert not [i for i in night.issues if i.rule in ("tab-missing", "column-missing")]
    assert {m.outcome for m in migrate_district(district)} == {"up to date"}


# -- helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def google_or_none(backend, request):
    return request.getfixturevalue("google") if backend == "google" else None


def _validation_of(edits, district, backend, cell: str, tab: str = "Action Steps") -> list[str]:
    """The choices a cell's dropdown offers."""
    if backend == "excel":
        book = openpyxl.load_workbook(edits.path(district, "north"))
        for rule in book[tab].data_validations.dataValidation:
            if cell in rule.sqref:
                return rule.formula1.strip('"').split(",")
        return []
    _key, sheet = edits._sheet(district, "north", tab, "PM Tool")
    row, column = int(cell[1:]) - 1, ord(cell[0]) - 65
    rule = sheet.validation(row, column) or {}
    return [v["userEnteredValue"] for v in rule.get("condition", {}).get("values", [])]


def _add_chart_and_sparkline(path: Path) -> None:
    """A chart (openpyxl draws it) and a sparkline (raw XML) the school added to Action Steps."""
    book = openpyxl.load_workbook(path)
    sheet = book["Action Steps"]
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=3), titles_from_data=True)
    sheet.add_chart(chart, "L2")
    book.save(path)
    part = sheet_part(path, "Action Steps")
    with zipfile.ZipFile(path) as package:
        parts = {info: package.read(info) for info in package.infolist()}
    rewritten = path.with_suffix(".tmp")
    with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in parts.items():
            if info.filename == part:
                data = data.replace(b"</worksheet>", SPARKLINES.encode() + b"</worksheet>")
            package.writestr(info, data)
    rewritten.replace(path)


# -- the commands ----------------------------------------------------------------------------------


def _invoke(*args):
    from click.testing import CliRunner
    from plansync.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.backends("excel")
def test_the_commands_write_templates_list_a_dry_run_then_migrate(make_district, tmp_path):
    district = make_district()
    config = district.base_dir / "district.yaml"
    written = _invoke("templates", tmp_path / "own")
    assert written.exit_code == 0
    assert written.output.splitlines()[0] == f"     wrote  {tmp_path / 'own' / 'pm_tool.yaml'}"
    path = tmp_path / "own" / "pm_tool.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    _add_evidence(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    _with_templates(district, tmp_path / "own")

    dry = _invoke("migrate", config, "--dry-run")
    assert dry.exit_code == 0
    assert dry.output.splitlines() == [
        "would migrate  workbooks/north/PM Tool.xlsx",
        "                 add column “Evidence Type” to “Action Steps” at H1",
        "                 rewrite the Instructions tab",
        "                 update the stamp (template version 2)",
        "would migrate  workbooks/south/PM Tool.xlsx",
        "                 add column “Evidence Type” to “Action Steps” at H1",
        "                 rewrite the Instructions tab",
        "                 update the stamp (template version 2)",
        "6 workbooks: 2 would migrate, 4 up to date.",
    ]
    assert _invoke("migrate", config).output.splitlines()[-1] == (
        "6 workbooks: 2 migrated, 4 up to date."
    )
    assert _invoke("migrate", config).output == "6 workbooks: 0 migrated, 6 up to date.\n"

    data["tabs"][0]["columns"][0]["help"] = "Changed without a new version."
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    refused = _invoke("migrate", config)
    assert refused.exit_code == 1
    assert refused.output == (
        "Error: pm_tool.yaml: version: version 2 was put into workbooks with other content "
        f"(see {LOCK_NAME}); give the changed template version 3\n"
    )
