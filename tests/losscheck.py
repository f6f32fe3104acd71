"""The loss check: a sync changes nothing a school owns.

`snapshot_files(folder)` records every file under a folder (the district's workbooks); after a
sync, `assert_nothing_lost(before, folder)` checks that

* the same files are there (no file gone, no temporary file or half-written copy left behind);
* every tab other than the coach summary is cell-for-cell the same: type, value and formula (on
  the hidden stamp tab, all but its roster column C, plansync's copy of the school's team);
* every package part other than the summary and stamp tabs' own parts is byte-for-byte the same
  (formulas, styles, comments, anything a program may keep in a part), except that adding a
  deleted summary tab back adds one entry to each of three index parts and one new part;
* a file that is not a workbook package, or one whose tabs are not well-formed XML (a CSV, a
  damaged or password-protected file) is byte-for-byte the same.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

SUMMARY_TAB = "Coach Summary"
STAMP_TAB = "_plansync"
# The stamp tab's roster column, which the sync keeps equal to the school's Team tab.
ROSTER_CELL = re.compile(r"C\d+")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
INDEX_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}


@dataclass(frozen=True)
class FileSnapshot:
    data: bytes
    parts: dict[str, bytes] | None
    summary_part: str | None
    stamp_part: str | None
    # Every tab but the summary, cell by cell (see tab_cells).
    cells: dict[str, dict[str, tuple]] | None


def snapshot(path: Path) -> FileSnapshot:
    data = path.read_bytes()
    try:
        with zipfile.ZipFile(path) as package:
            parts = {name: package.read(name) for name in package.namelist()}
            return FileSnapshot(
                data, parts, summary_part(package), stamp_part(package), tab_cells(package)
            )
    except (zipfile.BadZipFile, ElementTree.ParseError, IndexError):  # not a package, or damaged
        return FileSnapshot(data, None, None, None, None)


def snapshot_files(folder: Path) -> dict[Path, FileSnapshot]:
    """Every file under `folder`, hidden ones included."""
    return {path: snapshot(path) for path in sorted(folder.rglob("*")) if path.is_file()}


def tab_cells(package: zipfile.ZipFile) -> dict[str, dict[str, tuple]]:
    """Every tab but the summary as {cell: (type, value, formula)}, read from the sheet XML itself
    (shared strings resolved), so that formulas and error cells count too."""
    from plansync.excel.package import sheet_parts

    strings = _shared_strings(package)
    tabs = {}
    for name, part in sheet_parts(package).items():
        if name == SUMMARY_TAB or part not in package.NameToInfo:
            continue
        tabs[name] = {}
        for cell in ElementTree.fromstring(package.read(part)).iter(f"{{{MAIN}}}c"):
            kind = cell.get("t", "n")
            value = cell.findtext(f"{{{MAIN}}}v")
            if kind == "s" and value is not None:
                kind, value = "str", strings[int(value)]
            elif kind == "inlineStr":
                inline = cell.find(f"{{{MAIN}}}is")
                kind, value = "str", "".join(inline.itertext()) if inline is not None else ""
            tabs[name][cell.get("r")] = (kind, value, cell.findtext(f"{{{MAIN}}}f"))
    return tabs


def _shared_strings(package: zipfile.ZipFile) -> list[str]:
    try:
        root = ElementTree.fromstring(package.read("xl/sharedStrings.xml"))
    except KeyError:
        return []
    return ["".join(item.itertext()) for item in root.iter(f"{{{MAIN}}}si")]


def summary_part(package: zipfile.ZipFile, tab: str = SUMMARY_TAB) -> str | None:
    from plansync.excel.package import sheet_parts

    try:
        return sheet_parts(package).get(tab)
    except (KeyError, ValueError):
        return None


def stamp_part(package: zipfile.ZipFile) -> str | None:
    return summary_part(package, STAMP_TAB)


def _without_roster(cells: dict[str, dict[str, tuple]] | None) -> dict[str, dict[str, tuple]]:
    """The tabs' cells, the stamp tab's roster column left out."""
    return {
        name: {
            ref: cell
            for ref, cell in tab.items()
            if name != STAMP_TAB or not ROSTER_CELL.fullmatch(ref)
        }
        for name, tab in (cells or {}).items()
    }


def assert_nothing_lost(before: dict[Path, FileSnapshot], folder: Path) -> None:
    """Fail with the first file whose school-owned content changed (see the module docstring)."""
    after = {path for path in folder.rglob("*") if path.is_file()}
    assert after == set(before), f"files added or removed: {sorted(after ^ set(before))}"
    for path, old in before.items():
        assert_workbook_kept(old, snapshot(path), path)


def assert_workbook_kept(old: FileSnapshot, new: FileSnapshot, path: Path) -> None:
    if old.parts is None or new.parts is None:
        assert new.data == old.data, f"{path} changed"
        return
    assert _without_roster(new.cells) == _without_roster(old.cells), (
        f"{path}: a tab other than the summary changed"
    )
    summary = new.summary_part
    added = set(new.parts) - set(old.parts)
    assert not set(old.parts) - set(new.parts), f"{path}: parts removed"
    assert added <= {summary}, f"{path}: unexpected new parts {added}"
    for name, data in old.parts.items():
        if new.parts[name] == data or name in (summary, old.stamp_part):
            continue
        assert added and name in INDEX_PARTS, f"{path}: part {name} changed"
        assert one_element_added(data, new.parts[name]), f"{path}: {name} changed beyond an entry"


def one_element_added(before: bytes, after: bytes) -> bool:
    """True when `after` is `before` with exactly one self-closing element inserted."""
    return any(
        after[: m.start()] + after[m.end() :] == before for m in re.finditer(rb"<[^<>]+/>", after)
    )
