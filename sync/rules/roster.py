"""Rule kind `roster`: one list of people, the team roster, used across a school's workbooks.

    - {type: roster, tab: team, name: name, role: role, owns: responsibilities.owner,
       groups: [team, committee, ...], why: ...}

Every column a template marks `person: true` (strategy owner, step owner, responsibility owner,
who decides, who delivers a message), in any of the school's workbooks, names someone on the
roster: a name or a role listed there ("Principal"), several joined by "and" or commas, or a group
(a value holding one of `groups`, such as "Leadership team"). Every roster person owns at least
one of the `owns` rows. Each name and each roster person is one quality check.

The cross-workbook part runs in `check_school`, once per school, since the roster lives in one
workbook (the roles tracker) and the names in all three. `school_roster` gives the roster's names
for the person columns' dropdowns, which the nightly sync copies into each workbook's stamp tab.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar, Literal

from ..tables import WorkbookTables
from ..values import normalize_words
from .base import CheckContext, IssueKind, QualityRule, WorkbookCheck
from .helpers import row_label

NOT_ON_ROSTER = IssueKind("not-on-roster", "Not on the team roster", "warning", quality=True)
NO_RESPONSIBILITY = IssueKind(
    "no-responsibility", "Team member with no responsibility", "warning", quality=True
)

_SEPARATORS = re.compile(r"\s*(?:,|;|/|&|\+|\band\b)\s*", re.IGNORECASE)


class RosterRule(QualityRule):
    """The roster (`tab`) lists everyone a person column may name; each person owns something."""

    type: Literal["roster"]
    name: str
    role: str
    # "tab.column": rows each roster person should own at least one of.
    owns: str
    # Words that make a value a group rather than a person ("team", "committee").
    groups: tuple[str, ...] = ()

    issues: ClassVar[tuple[IssueKind, ...]] = (NOT_ON_ROSTER, NO_RESPONSIBILITY)

    def columns_named(self) -> tuple[str, ...]:
        return (self.name, self.role)

    def sources(self) -> tuple[str, ...]:
        return (self.owns,)

    def names_in(self, tables: WorkbookTables) -> tuple[str, ...] | None:
        """The roster's names as typed, each once, in the tab's order; None when the workbook
        lacks the roster tab or its name column (nothing to offer is not an empty team)."""
        roster = tables.tables[self.tab]
        if not roster.found or self.name not in roster.columns:
            return None
        names: dict[str, str] = {}
        for row in roster.rows:
            name = " ".join(row.text(self.name).split())
            if name:
                names.setdefault(normalize_words(name), name)
        return tuple(names.values())

    def check(self, tables: WorkbookTables, ctx: CheckContext, result: WorkbookCheck) -> None:
        roster = tables.tables[self.tab]
        owns_key, _, owner = self.owns.partition(".")
        owned = tables.tables[owns_key]
        if not owned.found or owner not in owned.columns:
            return
        owners = {
            normalize_words(part)
            for row in owned.rows
            for part in _SEPARATORS.split(row.text(owner))
            if part
        }
        for row in roster.rows:
            name = row.text(self.name)
            if not name.strip() or self.name not in row.cells:
                continue
            role = row.text(self.role)
            self.verdict(
                result,
                normalize_words(name) in owners or bool(role and normalize_words(role) in owners),
                NO_RESPONSIBILITY,
                roster.sheet_name,
                row.cells[self.name].address,
                f"{name} is on the team but owns nothing on the {owned.display_name} tab.",
            )

    def check_school(
        self,
        workbooks: dict[str, WorkbookTables],
        ctx: CheckContext,
        results: dict[str, WorkbookCheck],
    ) -> None:
        home = next(
            (tables for tables in workbooks.values() if self in tables.template.rules), None
        )
        if home is None:
            return  # the roster's workbook could not be read: nothing to compare names with
        roster = home.tables[self.tab]
        if not roster.found or not roster.rows:
            return
        known = {
            normalize_words(row.text(key))
            for row in roster.rows
            for key in (self.name, self.role)
            if row.text(key).strip()
        }
        group_words = _group_pattern(self.groups)
        where = f"{home.template.title} › {roster.display_name}"
        for template_id, tables in workbooks.items():
            result = results[template_id]
            for table in tables.tables.values():
                people = [column for column in table.tab.columns if column.person]
                for row in table.rows:
                    for column in people:
                        cell = row.cells.get(column.key)
                        if cell is None or cell.blank:
                            continue
                        unknown = [
                            part
                            for part in _SEPARATORS.split(cell.text.strip())
                            if part
                            and normalize_words(part) not in known
                            and not (group_words and group_words.search(part))
                        ]
                        self.verdict(
                            result,
                            not unknown,
                            NOT_ON_ROSTER,
                            table.sheet_name,
                            cell.address,
                            f"{row_label(table.tab, row)}: {column.header} "
                            f"{', '.join(f'“{part}”' for part in unknown)} is not on the team "
                            f"roster ({where}). Pick a name from the roster, or add the person "
                            "there.",
                        )


def school_roster(workbooks: Iterable[WorkbookTables]) -> tuple[str, ...] | None:
    """The names on the school's roster, from whichever of its workbooks holds a roster rule;
    None when none does or the roster cannot be told (that workbook was not read)."""
    for tables in workbooks:
        for rule in tables.template.rules:
            if isinstance(rule, RosterRule):
                return rule.names_in(tables)
    return None


def _group_pattern(groups: tuple[str, ...]) -> re.Pattern[str] | None:
    if not groups:
        return None
    alternatives = "|".join(re.escape(word) for word in groups)
    return re.compile(rf"\b(?:{alternatives})s?\b", re.IGNORECASE)
