"""Figures and columns are found by the template's keys: renaming what people read changes nothing
the sync computes, and a template that lacks a key the reports read is refused, naming it."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest
from plansync.catalog import load_template_file
from plansync.config import School
from plansync.errors import ConfigError
from plansync.history import school_snapshot
from plansync.nightly import check_school
from plansync.results import SchoolResult, WorkbookResult
from plansync.rules.base import CheckContext
from plansync.templates import Template
from tables_from_lists import grid, tables_from_lists

TODAY = dt.date(2026, 11, 27)
RENAMED_LABELS = {
    "label: Overdue steps": "label: Steps past their date",
    "label: Action steps": "label: Steps",
    "label: Open decisions": "label: Decisions still to make",
    "label: Decisions\n": "label: All decisions\n",
    "title: Action Steps": "title: Next Moves",
    "header: Due Date": "header: Finish By",
}


def _shipped(template_id: str) -> str:
    folder = resources.files("plansync.sheet_templates")
    return (folder / f"{template_id}.yaml").read_text("utf-8")


def _renamed(template_id: str) -> Template:
    text = _shipped(template_id)
    for old, new in RENAMED_LABELS.items():
        text = text.replace(old, new)
    assert text != _shipped(template_id)
    return load_template_file(f"{template_id}.yaml", text)


def _school_with(pm_tool: Template, decisions: Template) -> SchoolResult:
    steps = grid(
        pm_tool,
        "action_steps",
        {"step": "Train the team", "due_date": dt.date(2026, 10, 1), "status": "In Progress"},
        {"step": "Plan the walkthroughs", "due_date": dt.date(2027, 3, 1)},
    )
    open_decision = grid(decisions, "decisions", {"decision": "Pick a screener", "status": "Open"})
    workbooks = [
        WorkbookResult(pm_tool, _ref(pm_tool), tables_from_lists(pm_tool, {"action_steps": steps})),
        WorkbookResult(
            decisions,
            _ref(decisions),
            tables_from_lists(decisions, {"decisions": open_decision}),
        ),
    ]
    school = SchoolResult(School(id="s1", name="First School"), workbooks)
    check_school(school, CheckContext("s1", TODAY, ()))
    return school


def _ref(template: Template):
    return tables_from_lists(template, {}).ref


def test_renamed_labels_leave_every_figure_filled_in() -> None:
    renamed = _school_with(_renamed("pm_tool"), _renamed("decisions"))
    shipped = _school_with(
        load_template_file("pm_tool.yaml", _shipped("pm_tool")),
        load_template_file("decisions.yaml", _shipped("decisions")),
    )
    assert renamed.metrics == shipped.metrics
    assert renamed.metrics["overdue_steps"] == 1
    assert renamed.metrics["open_decisions"] == 1
    snapshot = school_snapshot(renamed, TODAY)
    assert (snapshot.overdue_steps, snapshot.open_decisions) == (1, 1)
    # People read the new labels.
    assert renamed.labelled_metrics["Steps past their date"] == 1
    assert renamed.labelled_metrics["Decisions still to make"] == 1
    assert "Overdue steps" not in renamed.labelled_metrics


@pytest.mark.parametrize(
    ("template_id", "old", "new", "named"),
    [
        ("pm_tool", "id: overdue_steps", "id: late_steps", "overdue_steps"),
        ("decisions", "id: open_decisions", "id: undecided", "open_decisions"),
        ("pm_tool", "key: focus", "key: emphasis", "focus"),
    ],
)
def test_a_template_without_a_key_the_reports_read_is_refused(
    template_id: str, old: str, new: str, named: str
) -> None:
    text = _shipped(template_id)
    assert old in text
    with pytest.raises(ConfigError) as refused:
        load_template_file(f"{template_id}.yaml", text.replace(old, new))
    message = str(refused.value)
    assert message.startswith(f"{template_id}.yaml: ")
    assert repr(named) in message
