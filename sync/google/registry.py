"""The registry: which Google spreadsheet is which school's copy of which template.

A JSON file beside the district config, written by provisioning and read by every sync, so that
the sync opens each spreadsheet by its id without searching Drive. Per spreadsheet it also keeps
who it has been shared with (so provisioning shares nothing twice), when a person last edited
it (Drive's modification time also moves when the sync writes the summary tab), and its tabs' ids
at a Drive version, so that the summary of a spreadsheet nobody edited is written without first
reading the spreadsheet. After the sync writes its own tabs (summary, roster copy) it keeps the
version the write was made over: while Drive says the sync made the last change, what the school
typed is still that version, and no request is spent asking Drive for the new number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..files import write_replacing

_ABOUT = (
    "Written by plansync: the Google spreadsheet ids of each school's workbooks, whom each is "
    "shared with, when a person last edited it and its tabs. Keep it beside the district config."
)


@dataclass
class Entry:
    """One spreadsheet: its id, whom it is shared with, a person's last edit, its tabs
    (title -> [sheet id, protected]) as they were at version `tabs_version`, and the version
    the sync's last write of its own tabs was made over (`own_write`)."""

    id: str
    shared: dict[str, str] = field(default_factory=dict)
    last_edit: str | None = None
    tabs: dict[str, list] = field(default_factory=dict)
    tabs_version: str | None = None
    own_write: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "shared": dict(sorted(self.shared.items()))}
        if self.last_edit:
            data["last_edit"] = self.last_edit
        if self.tabs_version:
            data["tabs"] = self.tabs
            data["tabs_version"] = self.tabs_version
        if self.own_write:
            data["own_write"] = self.own_write
        return data


@dataclass
class Registry:
    path: Path
    # school id -> template id -> entry
    schools: dict[str, dict[str, Entry]] = field(default_factory=dict)
    rollup: str | None = None
    # The entries by spreadsheet id, made when first asked for and again after a change: a night
    # looks up thousands of spreadsheets by id.
    _by_id: dict[str, Entry] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> Registry:
        """The registry at `path`; an empty one when the file does not exist yet."""
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as error:
            raise ConfigError(f"{path.name}: cannot be read as a registry ({error})") from None
        try:
            schools = {
                school: {template: _entry(item) for template, item in books.items()}
                for school, books in data.get("schools", {}).items()
            }
            return cls(path, schools, data.get("rollup"))
        except (AttributeError, KeyError, TypeError):
            raise ConfigError(f"{path.name}: not a plansync registry (edited by hand?)") from None

    def entry(self, school_id: str, template_id: str) -> Entry | None:
        return self.schools.get(school_id, {}).get(template_id)

    def entry_by_id(self, spreadsheet_id: str) -> Entry | None:
        if self._by_id is None:
            self._by_id = {}
            for books in self.schools.values():
                for entry in books.values():
                    self._by_id.setdefault(entry.id, entry)  # the first, should two share one
        return self._by_id.get(spreadsheet_id)

    def record(self, school_id: str, template_id: str, spreadsheet_id: str) -> Entry:
        entry = Entry(spreadsheet_id)
        self.schools.setdefault(school_id, {})[template_id] = entry
        self._by_id = None
        return entry

    def move(self, old_school_id: str, school_id: str, template_id: str) -> Entry | None:
        """File a school's entry under its new id (a renamed school), keeping what it knows."""
        entry = self.schools.get(old_school_id, {}).pop(template_id, None)
        self._by_id = None
        if entry is not None:
            self.schools.setdefault(school_id, {})[template_id] = entry
            if not self.schools[old_school_id]:
                del self.schools[old_school_id]
        return entry

    def forget(self, spreadsheet_id: str) -> None:
        """Drop the entry of a spreadsheet that is gone (until a new one is recorded)."""
        self._by_id = None
        for books in self.schools.values():
            for template, entry in list(books.items()):
                if entry.id == spreadsheet_id:
                    del books[template]

    def save(self) -> None:
        """Write the registry in one step, so a crash never leaves half a file."""
        data = {
            "about": _ABOUT,
            "rollup": self.rollup,
            "schools": {
                school: {template: entry.as_json() for template, entry in sorted(books.items())}
                for school, books in sorted(self.schools.items())
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        write_replacing(self.path, lambda temporary: temporary.write_text(text, "utf-8"))


def _entry(item: dict[str, Any]) -> Entry:
    return Entry(
        str(item["id"]),
        dict(item.get("shared", {})),
        item.get("last_edit"),
        dict(item.get("tabs", {})),
        item.get("tabs_version"),
        item.get("own_write"),
    )
