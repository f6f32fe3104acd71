"""Templates load from YAML, refuse mistakes with one line, and drive the checks as data."""

from __future__ import annotations

import pytest
from plansync.catalog import load_template_file, standard_templates
from plansync.checks import CheckContext, check_workbook
from plansync.errors import ConfigError
from plansync.store import RawSheet, RawWorkbook, WorkbookRef
from plansync.tables import read_tables

TINY = """
id: tiny
version: 3
title: Tiny
about: A template made in a test.
tabs:
  - key: visits
    title: Visits
    noun: visit
    nouns: visits
    purpose: Classroom visits.
    columns:
      - {key: room, header: Room, required: true, help: Which room., why: Say which room.}
      - {key: minutes, header: Minutes, type: number, help: How long.}
rules:
  - {type: count, tab: visits, min: 2, why: Visit at least two rooms.}
"""


def test_the_three_standard_templates_load_with_their_versions():
    templates = standard_templates()
    assert [(t.id, t.version, t.title) for t in templates] == [
        ("pm_tool", 1, "PM Tool"),
        ("roles", 1, "Roles and Responsibilities"),
        ("decisions", 1, "Decision Log"),
    ]
    pm_tool = templates[0]
    assert [tab.title for tab in pm_tool.tabs] == [
        "Strategies",
        "EOY Goals",
        "Benchmarks",
        "Action Steps",
        "Fidelity",
        "Coach Notes",
    ]
    assert pm_tool.summary_tab == "Coach Summary"


@pytest.mark.parametrize(
    "change, message",
    [
        (("version: 3", "version: 3\ncolour: blue"), "tiny.yaml: colour: unknown key"),
        (("type: number", "type: money"), "tiny.yaml: tabs[0].columns[1].type: Input should be"),
        (("tab: visits, min: 2", "tab: vists, min: 2"), "tiny.yaml: rules[0] (count): no tab"),
        (
            ("{key: room, header: Room,", "{key: room,"),
            "tiny.yaml: tabs[0].columns[0].header: required key is missing",
        ),
        (("tabs:", "tabs: [\n"), "tiny.yaml: not valid YAML"),
    ],
)
def test_a_bad_template_gives_one_line_naming_the_key(tmp_path, change, message):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY.replace(*change), "utf-8")
    with pytest.raises(ConfigError) as error:
        load_template_file(path)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_a_column_and_a_count_rule_added_in_yaml_are_checked():
    template = load_template_file("tiny.yaml", TINY)
    ref = WorkbookRef("s1", "tiny", "memory", "memory")
    grid = [["Minutes", "Room"], [20, "Room 4"], ["half an hour", None]]
    raw = RawWorkbook(ref, [RawSheet("Visits", grid)], None, "1")
    outcome = check_workbook(read_tables(raw, template, ()), CheckContext("s1", None, ()))
    assert [(i.rule, i.cell, i.message) for i in outcome.issues] == [
        ("stamp-missing", None, outcome.issues[0].message),
        ("required", "B3", "Row 3: Room is empty. Say which room."),
        ("invalid-number", "A3", "Minutes: “half an hour” is not a number"),
    ]
    assert (outcome.expected, outcome.met) == (2, 1)
