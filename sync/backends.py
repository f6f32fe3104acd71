"""The backends: which store keeps a district's workbooks, as the config's `backend` key names it.

Each backend is a subpackage (`excel/`, `google/`) holding its Store and everything that talks to
its libraries; this registry is the one place that names them. A backend is imported only when it is
used, so an Excel district never loads gspread. Another backend (OneDrive or SharePoint through
Microsoft Graph, say) is one more subpackage and one more line in BACKENDS.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:  # annotations only: config imports this module for the backends' names
    from .config import District
    from .store import RawWorkbook, Store


@dataclass(frozen=True)
class Backend:
    """Where a backend's parts live, as "module:name" relative to this package."""

    # Its Store class, made with the district.
    store: str
    # For a backend whose workbooks are files: a function reading one file named by its path,
    # `(Path) -> RawWorkbook` (`plansync check` reads a workbook outside any district).
    read_file: str | None = None


BACKENDS: dict[str, Backend] = {
    "excel": Backend(".excel:ExcelStore", read_file=".excel:read_file"),
    "google": Backend(".google.store:GoogleStore"),
}
DEFAULT_BACKEND = "excel"


def backend_names() -> tuple[str, ...]:
    """The values the config's `backend` key may take."""
    return tuple(BACKENDS)


def open_store(district: District) -> Store:
    """The store the config asks for; a ConfigError when it cannot be opened (e.g. a bad key)."""
    store: Store = _store_class(district)(district)
    return store


def check_folders(district: District, *, for_sync: bool) -> None:
    """A ConfigError naming the key when a folder in the config cannot be used: first the
    backend's own (see Store.check_folders), then the rollup folder, which every backend keeps
    its state, history and lock in. Nothing is signed in to or written."""
    _store_class(district).check_folders(district, for_sync=for_sync)
    rollup = district.rollup_dir
    if rollup.exists() and not rollup.is_dir():
        raise ConfigError(f"rollup: {rollup} is a file, not a folder")


def read_file(path: Path) -> RawWorkbook:
    """Every tab of the workbook file at `path`, outside any district; a StoreError when it
    cannot be read."""
    reader = next(backend.read_file for backend in BACKENDS.values() if backend.read_file)
    workbook: RawWorkbook = _load(reader)(path)
    return workbook


def _store_class(district: District) -> Any:
    return _load(BACKENDS[district.backend].store)


def _load(where: str) -> Any:
    """The object at "module:name", importing its module now."""
    module, _, name = where.partition(":")
    return getattr(importlib.import_module(module, __package__), name)
