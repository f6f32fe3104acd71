"""Issues: every problem the sync finds, as a small value pointing at one place in one workbook.

The JSON output, the rollup's Issues tab and a school's summary tab are three views of the same
list. Every rule id a school can meet is declared, with its title and severity, in
`plansync.rules` (`ISSUE_KINDS`, `RULES`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


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
