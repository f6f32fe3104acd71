"""The backends: which store keeps a district's workbooks, as the config's `backend` key names it.

This module only names them (config reads the names; `store.open_store` opens one), so it imports
nothing of plansync.

Each backend is a subpackage (`excel/`, `google/`) holding its Store and everything that talks to
its libraries; this registry is the one place that names them. A backend is imported only when it is
used, so an Excel district never loads gspread. Another backend (OneDrive or SharePoint through
Microsoft Graph, say) is one more subpackage and one more line in BACKENDS.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Backend:
    """Where a backend's parts live, as "module:name" relative to this package."""

    # Its Store class, made with the district.
    store: str
    # For a backend whose workbooks are files: a function reading one file named by its path,
    # `(Path) -> RawWorkbook` (`plansync check` reads a workbook outside any district).
    read_file: str | None = None
    # ... and a function writing sheets as one file, `(Path, list[OutSheet]) -> None`
    # (`plansync export --format xlsx`).
    write_file: str | None = None


BACKENDS: dict[str, Backend] = {
    "excel": Backend(
        ".excel:ExcelStore", read_file=".excel:read_file", write_file=".excel:write_file"
    ),
    "google": Backend(".google.store:GoogleStore"),
}
DEFAULT_BACKEND = "excel"


def backend_names() -> tuple[str, ...]:
    """The values the config's `backend` key may take."""
    return tuple(BACKENDS)


def load(where: str) -> Any:
    """The object at "module:name", importing its module now."""
    module, _, name = where.partition(":")
    return getattr(importlib.import_module(module, __package__), name)
