"""What a file really is, when it should be an .xlsx workbook and cannot be read as one.

Schools save a workbook as CSV or as an old .xls, put a password on it, or a copy gets cut off
halfway. The sync cannot read any of these; the issue it reports says which it is, in plain words,
and what to do. Nothing here runs for a workbook that reads fine.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

from ..errors import (
    StoreError,
    WorkbookMissing,
    WorkbookPassword,
    WorkbookUnreadable,
    WorkbookWrongFormat,
)
from .package import PackageError, sheet_parts, workbook_parts

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files, and Office files with a password
_ZIP = b"PK\x03\x04"
# Formats a school can pick in "Save As", by extension: what to call them in a message.
OTHER_FORMATS = {
    ".xls": "the old Excel 97-2003 format (.xls)",
    ".xlsm": "a macro-enabled workbook (.xlsm)",
    ".xlsb": "an Excel binary workbook (.xlsb)",
    ".ods": "an OpenDocument spreadsheet (.ods)",
    ".csv": "CSV text (.csv), which keeps only one tab",
    ".txt": "plain text (.txt), which keeps only one tab",
    ".numbers": "a Numbers file (.numbers)",
}
_SAVE_AS = "Open it and use File › Save As › Excel Workbook (.xlsx)"


def saved_as_other(path: Path) -> StoreError | None:
    """For a missing workbook: the file beside it that holds it under another format or spelling
    (other letter case, spaces, underscores or dashes, or the extension typed twice: a name
    renamed by hand, or that came back from an email or a download); or, when the school's
    whole folder is missing, the folder beside it spelt another way."""
    try:
        siblings = list(path.parent.iterdir())
    except FileNotFoundError:
        return _folder_elsewhere(path.parent)
    except OSError:
        return None
    wanted = _spelling(path.stem)
    for sibling in sorted(siblings):
        kind = sibling.suffix.casefold()
        if _spelling(sibling.stem) != wanted or not sibling.is_file():
            continue
        if kind in OTHER_FORMATS:
            return WorkbookWrongFormat(
                f"There is no {path.name}, but there is “{sibling.name}”: the workbook was saved "
                f"as {OTHER_FORMATS[kind]}. {_SAVE_AS}, named {path.name}."
            )
        if kind == path.suffix.casefold():
            return WorkbookMissing(
                f"There is no {path.name}, but there is “{sibling.name}”. Rename it {path.name} "
                "(the sync looks for that exact name)."
            )
    return None


def renamed_folder(folder: Path) -> str | None:
    """For a school whose folder is missing: the name of the folder beside it spelt another way
    (other letter case, a stray space...), if there is one."""
    try:
        renamed = sorted(
            other.name
            for other in folder.parent.iterdir()
            if _spelling(other.name) == _spelling(folder.name) and other.is_dir()
        )
    except OSError:
        return None
    return renamed[0] if renamed else None


def _folder_elsewhere(folder: Path) -> StoreError:
    renamed = renamed_folder(folder)
    if renamed:
        return WorkbookMissing(
            f"The school's folder {folder.name} is not there, but there is “{renamed}”. "
            f"Rename it {folder.name} (the sync looks for that exact name)."
        )
    return WorkbookMissing(
        f"The school's folder {folder.name} is not there, so none of its workbooks are: it may "
        "have been moved, renamed or deleted. Put it back, or run `plansync provision` to start "
        "new workbooks."
    )


def _spelling(stem: str) -> str:
    """A file name's stem as compared for spelling: without its letter case, its spaces,
    underscores, dashes and dots, or a spreadsheet extension typed into it ("PM Tool.xlsx" renamed
    "PM Tool.xlsx" where the extension is hidden, which makes PM Tool.xlsx.xlsx)."""
    text = stem.casefold().replace("%20", " ")
    for kind in (".xlsx", *OTHER_FORMATS):
        text = text.removesuffix(kind)
    return "".join(char for char in text if char.isalnum() or char in "()")


def why_unreadable(path: Path) -> StoreError:
    """Why a file that should be an .xlsx workbook cannot be read, from what it holds."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as error:
        return WorkbookUnreadable(f"{name} cannot be read ({error.strerror}).")
    if not data:
        return WorkbookUnreadable(
            f"{name} is empty: saving or copying it did not finish. Open the latest copy and "
            "save it again."
        )
    if data.startswith(_OLE):
        if "EncryptionInfo".encode("utf-16-le") in data:
            return WorkbookPassword(
                f"{name} needs a password to open, so the sync cannot read it. Remove the "
                "password (File › Info › Protect Workbook › Encrypt with Password, and clear it); "
                "protecting single tabs is fine."
            )
        return WorkbookWrongFormat(
            f"{name} is in the old Excel 97-2003 format (.xls), though its name ends in .xlsx. "
            f"{_SAVE_AS}."
        )
    if data.startswith(_ZIP):
        if _opendocument(path):
            return WorkbookWrongFormat(
                f"{name} is an OpenDocument spreadsheet (.ods), though its name ends in .xlsx. "
                f"{_SAVE_AS}."
            )
        where, tab = _damaged_part(path) or ("", None)
        if where:
            return WorkbookUnreadable(
                f"{name} is damaged: {where}. It may have been cut off while being saved or "
                "copied, or changed by a program other than a spreadsheet program. Open it in "
                "Excel (which can often repair it) and save it again, or put back the last good "
                "copy.",
                sheet=tab,
            )
        return WorkbookUnreadable(
            f"{name} is damaged or incomplete: it may have been cut off while being saved or "
            "copied. Open it in Excel (which can often repair it) and save it again, or put back "
            "the last good copy."
        )
    kind = _text_kind(data[:4096])
    if kind:
        return WorkbookWrongFormat(
            f"{name} holds {kind}, not a workbook, though its name ends in .xlsx. {_SAVE_AS}."
        )
    return WorkbookUnreadable(
        "The file could not be opened as an Excel workbook. It may be damaged or in another "
        "format: open it in Excel and save it as an Excel Workbook (.xlsx)."
    )


def _damaged_part(path: Path) -> tuple[str, str | None] | None:
    """In a package whose every part unzips whole: which part keeps it from being read, said for
    a person, and the tab it holds, if any (a tab missing, or not valid XML, or XML declaring
    entities of its own, which no spreadsheet program writes and the sync never expands). None
    when the package itself is cut off (a part fails its checksum) or the fault is elsewhere."""
    try:
        with zipfile.ZipFile(path) as package:
            tabs = {part: tab for tab, part in sheet_parts(package).items()}
            present = set(package.namelist())
            for part, tab in tabs.items():
                if part not in present:
                    return f"its {tab} tab is missing from the file", tab
            for part in package.namelist():
                if part.endswith((".xml", ".rels")):
                    fault = _xml_fault(package.read(part))
                    if fault:
                        holder = tabs.get(part)
                        where = f"{holder} tab" if holder else f"part {part}"
                        return f"its {where} {fault}", holder
            for part in workbook_parts(package):
                if part not in present:
                    return f"{_part_role(part)} ({part}) is missing from the file", None
    except (
        zipfile.BadZipFile,
        PackageError,
        KeyError,
        OSError,
        ElementTree.ParseError,
        ValueError,
    ):
        return None
    return None


# What the parts a workbook most often loses hold, said for a person.
_ROLES = {
    "sharedstrings": "the text its tabs share",
    "styles": "the formats of its cells",
}


def _part_role(part: str) -> str:
    stem = part.rsplit("/", 1)[-1].split(".", 1)[0].casefold()
    return _ROLES.get(stem, "a part it names")


def _xml_fault(data: bytes) -> str | None:
    """What is wrong with a part's XML, or None when it is well formed: checked as it streams
    through expat with no handlers (nothing is built in memory) and never with a DOCTYPE, so no
    entity is ever expanded."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return "declares XML entities of its own"
    parser = expat.ParserCreate()
    try:
        for start in range(0, len(data), 1 << 20):
            parser.Parse(data[start : start + (1 << 20)], False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        return "is not complete XML"
    return None


def _opendocument(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as package:
            return package.read("mimetype").startswith(b"application/vnd.oasis.opendocument")
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


def _text_kind(head: bytes) -> str | None:
    """'a web page (HTML)' or 'CSV text' when the file starts as one; None otherwise."""
    for encoding in ("utf-8-sig", "utf-16", "cp1252"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not all(char.isprintable() or char in "\t\r\n" for char in text):
            continue
        if text.lstrip().startswith("<"):
            return "a web page (HTML)"
        if any(separator in text for separator in ",;\t"):
            return "CSV text"
    return None
