"""Issues: every problem the sync finds, as a small value pointing at one place in one workbook.

The JSON output, the rollup's Issues tab and a school's summary tab are three views of the same
list. `RULES` names every rule id a school can meet, with a short title.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]

RULES: dict[str, str] = {
    "workbook-missing": "Workbook not found",
    "workbook-unreadable": "Workbook cannot be opened",
    "workbook-format": "Saved in another format",
    "workbook-password": "Workbook has a password",
    "tab-missing": "Tab missing",
    "tab-renamed": "Tab renamed",
    "tab-hidden": "Tab hidden",
    "header-missing": "Header row not found",
    "header-repeated": "Header row repeated",
    "far-cell": "Value far outside the table",
    "column-missing": "Column missing",
    "stamp-missing": "Template stamp missing",
    "stamp-version": "Made from another template or version",
    "stamp-school": "Workbook made for another school",
    "required": "Required cell is empty",
    "invalid-date": "Not a date",
    "invalid-number": "Not a number",
    "invalid-choice": "Not one of the choices",
    "invalid-email": "Not an email address",
    "cell-error": "Cell shows an error",
    "formula-no-result": "Formula has no saved result",
    "unknown-reference": "Refers to something that is not listed",
    "duplicate": "Used twice",
    "too-few": "Fewer than the plan needs",
    "too-many": "More than the plan calls for",
    "date-order": "Dates out of order",
    "overdue": "Overdue",
    "not-measurable": "Goal is not measurable",
    "summary-not-written": "Summary tab not updated",
}


@dataclass(frozen=True, slots=True)
class Issue:
    rule: str
    severity: Severity
    school: str
    # The workbook's title (PM Tool, Roles and Responsibilities, Decision Log).
    workbook: str
    # The tab as the school named it; None for a problem with the whole workbook.
    sheet: str | None
    # "F7"; "1:1" for a whole row (a missing column is reported on the header row); None when
    # no single place in the tab holds the problem.
    cell: str | None
    message: str

    @property
    def where(self) -> str:
        """'PM Tool › Action Steps!F7', the way a person finds the cell."""
        place = self.workbook
        if self.sheet:
            place += f" › {self.sheet}" + (f"!{self.cell}" if self.cell else "")
        return place

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("school")
        return data


def flatten(issues: Iterable[Issue], fields: Sequence[str]) -> list[tuple]:
    """The issues as tuples of the given fields, for tests and tables."""
    return [tuple(getattr(issue, name) for name in fields) for issue in issues]


def count(issues: Iterable[Issue], severity: Severity) -> int:
    return sum(1 for issue in issues if issue.severity == severity)
