"""What `plansync migrate` changes in one workbook, described once for every backend.

`plansync.migrate` works out a `WorkbookChanges` per workbook by comparing it (and the layout its
hidden stamp records) with the templates and config in use; each store applies it in its own way
(`Store.migrate`). Every change adds or relabels what plansync laid out: none touches a cell a
school typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .grid import OutSheet, a1
from .layout import TABLE_ROWS, TablePlan, Validation
from .templates import Column


@dataclass(frozen=True)
class NewColumn:
    """A template column the tab lacks, added after the last column anything is typed in."""

    sheet: str
    header_row: int
    position: int
    column: Column
    validation: Validation | None


@dataclass(frozen=True)
class NewHeader:
    """A column the template renamed (`renamed_from`): its header cell gets the new name."""

    sheet: str
    header_row: int
    position: int
    header: str
    old: str


@dataclass(frozen=True)
class NewValidation:
    """A column whose dropdown or check changed (new cycles, changed choices): set it again."""

    sheet: str
    header_row: int
    position: int
    header: str
    validation: Validation | None


def body_rows(header_row: int) -> tuple[int, int]:
    """The rows (first, last; 1-based) a column's validation and date format cover."""
    return header_row + 1, header_row + TABLE_ROWS - 1


@dataclass
class WorkbookChanges:
    """Everything to change in one workbook; empty when it is up to date."""

    new_tabs: list[TablePlan] = field(default_factory=list)
    new_columns: list[NewColumn] = field(default_factory=list)
    new_headers: list[NewHeader] = field(default_factory=list)
    validations: list[NewValidation] = field(default_factory=list)
    # The Instructions tab and the hidden stamp, rewritten in full when they should change.
    instructions: OutSheet | None = None
    stamp: dict[str, str] | None = None
    # What the template no longer has but the school's workbook does: kept, and reported.
    kept: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing to write (what is kept is only reported)."""
        return not (
            self.new_tabs
            or self.new_columns
            or self.new_headers
            or self.validations
            or self.instructions
            or self.stamp
        )

    def lines(self) -> list[str]:
        """What would change, one line each, as `migrate --dry-run` lists it."""
        lines = [f"add tab “{table.title}”" for table in self.new_tabs]
        lines += [
            f"add column “{c.column.header}” to “{c.sheet}” at {a1(c.header_row, c.position)}"
            for c in self.new_columns
        ]
        lines += [
            f"rename column “{h.old}” to “{h.header}” on “{h.sheet}”" for h in self.new_headers
        ]
        lines += [
            f"update the dropdown or check of “{v.header}” on “{v.sheet}”" for v in self.validations
        ]
        if self.instructions is not None:
            lines.append("rewrite the Instructions tab")
        if self.stamp is not None:
            lines.append(f"update the stamp (template version {self.stamp.get('version')})")
        return lines + [f"keep {what}" for what in self.kept]
