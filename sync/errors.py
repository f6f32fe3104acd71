"""The exceptions plansync raises, all from one base.

Problems in a school's workbook are not exceptions: they become issues (see issues.py). These
are for what stops a command (a bad config) or one workbook (a file that cannot be opened).
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

from pydantic import ValidationError


class PlansyncError(Exception):
    """Base of every error plansync raises on purpose."""


class ConfigError(PlansyncError):
    """The district config or a template is wrong; the message is one line naming the key."""


class StoreError(PlansyncError):
    """A workbook could not be read or written. `reason` is a sentence for a school team."""

    rule = "workbook-unreadable"

    def __init__(self, reason: str, sheet: str | None = None):
        super().__init__(reason)
        self.reason = reason
        # The tab that shows the problem, when one does (the stamp of a copied workbook).
        self.sheet = sheet


class WorkbookMissing(StoreError):
    rule = "workbook-missing"


class WorkbookUnreadable(StoreError):
    rule = "workbook-unreadable"


class WorkbookWrongFormat(StoreError):
    """The workbook was saved as CSV, .xls, .ods, ... instead of .xlsx."""

    rule = "workbook-format"


class WorkbookPassword(StoreError):
    """The file needs a password to open."""

    rule = "workbook-password"


class WorkbookNotAFile(StoreError):
    """Something other than a workbook file is at its path: a folder, a pipe, a device, a socket,
    or a link to one of these or out of the district."""

    rule = "workbook-not-a-file"


class WorkbookTooLarge(StoreError):
    """The workbook would expand past what one workbook may take to read (size, parts, time)."""

    rule = "workbook-too-large"


class WorkbookOfAnotherSchool(StoreError):
    """The file's stamp names another school: it is a copy, and none of it may be shown here."""

    rule = "stamp-school"


class WorkbookBusy(StoreError):
    """The workbook is open or changed since it was read; writing now could lose someone's edits."""

    rule = "summary-not-written"


class SyncLocked(PlansyncError):
    """Another sync of the same district is running."""


class ReportNotWritten(PlansyncError):
    """A page of the HTML report could not be written (a full disk, a read-only folder)."""


class RunStateError(PlansyncError):
    """A file the run keeps (the state, the history) is held by another process past the wait,
    cannot be used, or its folder is full; the message is one line naming the file or folder."""


class RollupNotWritten(PlansyncError):
    """The district rollup could not be written (a read-only folder, a full disk, ...)."""


def unusable_file(path: Path, what: str, error: Exception, waited: float) -> RunStateError:
    """One line saying why the run's own SQLite file (`what`: state, history) cannot be used,
    after waiting `waited` seconds for another program to let go of it."""
    name = getattr(error, "sqlite_errorname", "")
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        why = (
            f"is in use by another program (waited {waited:g} seconds); nothing was "
            "changed in it. Run the sync again once that program lets go of it"
        )
    elif name == "SQLITE_FULL" or getattr(error, "errno", None) == errno.ENOSPC:
        why = f"cannot be written: the folder {path.parent} is full. Free some space there"
    elif name in ("SQLITE_READONLY", "SQLITE_PERM") or isinstance(error, PermissionError):
        why = "cannot be written (permission denied). Let the sync's account write it"
    else:
        why = f"cannot be used ({error}). Move it away; the sync starts a new one"
    return RunStateError(f"The sync's {what} file {path} {why}.")


def one_line_validation_error(error: ValidationError) -> str:
    """The first pydantic problem as `path.to.key: message`, which is all a user needs to fix it."""
    more = len(error.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return _problem_line(error.errors()[0]) + suffix


def validation_error_lines(error: ValidationError) -> list[str]:
    """Every pydantic problem, one `path.to.key: message` line each."""
    return [_problem_line(problem) for problem in error.errors()]


def _problem_line(first: Any) -> str:
    path = ".".join(
        f"[{part}]" if isinstance(part, int) else str(part) for part in first["loc"]
    ).replace(".[", "[")
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    elif first["type"] == "missing":
        message = "required key is missing"
    return f"{path}: {message}" if path else message


def validation_problems(error: ValidationError) -> list[tuple[tuple, str]]:
    """Every pydantic problem as (key path, message), in words a person fixing a file reads."""
    problems = []
    items = error.errors()
    deeper = {tuple(item["loc"][:n]) for item in items for n in range(len(item["loc"]))}
    for item in items:
        loc = tuple(part for part in item["loc"] if not str(part).startswith("function-"))
        if item["type"] == "too_short" and tuple(item["loc"]) in deeper:
            continue  # a list whose items have problems: those are the ones to fix
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling)"
        elif item["type"] == "missing":
            message = "required key is missing"
        elif item["type"] in ("string_type", "date_type") and isinstance(item.get("input"), dict):
            message = "should be a single value, not a block of keys"
        elif item["type"] in ("string_type", "date_type") and isinstance(item.get("input"), list):
            message = "should be a single value, not a list"
        elif item["type"] == "too_short":
            message = f"needs at least {item['ctx']['min_length']} entry"
        elif item["type"] == "string_too_long" or (
            item["type"] == "too_long" and isinstance(item.get("input"), str)
        ):
            message = f"too long (at most {item['ctx']['max_length']} characters)"
        elif item["type"] == "too_long":
            message = f"too many entries (at most {item['ctx']['max_length']})"
        elif item["type"] in ("tuple_type", "list_type"):
            message = "should be a list (one item per line, each starting with '- ')"
        elif item["type"] == "model_type" or item["type"] == "model_attributes_type":
            message = "should be a block of keys (key: value)"
        problems.append((loc, message))
    return problems


def read_text_file(path: Path, what: str) -> str:
    """A file the user named (a config, a key): its text, or a one-line ConfigError saying why
    it cannot be had; `what` names it in the message."""
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what}: no such file") from None
    except OSError as error:
        raise ConfigError(f"{what}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{what}: not a text file") from None
