"""The rule kinds templates may use, registered in one table, and every issue id a school can meet.

Each rule kind lives in one module here, holding its settings (a pydantic model: the YAML keys of
a rule of that `type`), its check (the model's `check` method) and the issue ids it reports
(`IssueKind`: id, title, severity). `structure.py` holds the checks every template gets (stamp,
tabs, headers, columns, cells) and the ids the stores raise for a whole workbook.

`KINDS` is the registration table. From it are built the template schema (`template_schema`,
used by `plansync.catalog` to load YAML) and the list of issue ids with titles (`ISSUE_KINDS`,
`RULES`). A new rule kind is one new module and one line in `KINDS`.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Annotated, Any

from pydantic import Field, create_model

from ..templates import Template
from .base import IssueKind, Rule
from .cadence import CadenceRule
from .count import CountRule
from .covers import CoversRule
from .date_order import DateOrderRule
from .linked import LinkedRule
from .measurable import MeasurableRule
from .mentions import MentionsRule
from .notes import NotesRule
from .overdue import OverdueRule
from .required_when import RequiredWhenRule
from .roster import RosterRule
from .sequence import SequenceRule
from .structure import ISSUES as STRUCTURE_ISSUES
from .unique import UniqueRule
from .wording import WordingRule

# The registration table: every rule kind a template may use, in the order error messages list
# their `type`s.
KINDS: tuple[type[Rule], ...] = (
    CountRule,
    RequiredWhenRule,
    OverdueRule,
    MeasurableRule,
    DateOrderRule,
    UniqueRule,
    NotesRule,
    # The quality rules: the field guides' criteria for a good plan (results.quality).
    WordingRule,
    MentionsRule,
    CoversRule,
    LinkedRule,
    SequenceRule,
    RosterRule,
    CadenceRule,
)


def template_schema(
    kinds: tuple[type[Rule], ...] = KINDS, name: str = "Template", module: str | None = None
) -> type[Template]:
    """The Template model whose `rules` accept exactly these kinds, told apart by `type`.

    A rule's validation errors name it as `rules[2].count.tab`, and a `type` that is not
    registered is refused with the list of those that are.
    """
    rule: Any = reduce(or_, kinds)
    if len(kinds) > 1:
        rule = Annotated[rule, Field(discriminator="type")]
    return create_model(
        name,
        __base__=Template,
        __module__=module or __name__,
        rules=(tuple[rule, ...], ()),
    )


def issue_kinds(kinds: tuple[type[Rule], ...] = KINDS) -> tuple[IssueKind, ...]:
    """Every issue id: the structure checks' and the stores', then each rule kind's."""
    declared: dict[str, IssueKind] = {}
    for kind in (*STRUCTURE_ISSUES, *(issue for rule in kinds for issue in rule.issues)):
        if declared.setdefault(kind.id, kind) != kind:
            raise ValueError(f"issue id {kind.id!r} is declared twice, differently")
    return tuple(declared.values())


ISSUE_KINDS = issue_kinds()
# Rule id -> its title, for reports.
RULES: dict[str, str] = {kind.id: kind.title for kind in ISSUE_KINDS}
# The ids of the quality rules' issues.
QUALITY_RULES: frozenset[str] = frozenset(kind.id for kind in ISSUE_KINDS if kind.quality)

__all__ = [
    "ISSUE_KINDS",
    "KINDS",
    "QUALITY_RULES",
    "RULES",
    "IssueKind",
    "Rule",
    "issue_kinds",
    "template_schema",
]
