"""The exceptions plansync raises, all from one base.

Problems in a school's workbook are not exceptions: they become issues (see issues.py). These
are for what stops a command (a bad config) or one workbook (a file that cannot be opened).
"""

from __future__ import annotations

from pydantic import ValidationError


class PlansyncError(Exception):
    """Base of every error plansync raises on purpose."""


class ConfigError(PlansyncError):
    """The district config or a template is wrong; the message is one line naming the key."""


class StoreError(PlansyncError):
    """A workbook could not be read or written. `reason` is a sentence for a school team."""

    rule = "workbook-unreadable"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class WorkbookMissing(StoreError):
    rule = "workbook-missing"


class WorkbookUnreadable(StoreError):
    rule = "workbook-unreadable"


class WorkbookBusy(StoreError):
    """The workbook is open or changed since it was read; writing now could lose someone's edits."""

    rule = "summary-not-written"


class SyncLocked(PlansyncError):
    """Another sync of the same district is running."""


def one_line_validation_error(error: ValidationError) -> str:
    """The first pydantic problem as `path.to.key: message`, which is all a user needs to fix it."""
    first = error.errors()[0]
    path = ".".join(
        f"[{part}]" if isinstance(part, int) else str(part) for part in first["loc"]
    ).replace(".[", "[")
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    elif first["type"] == "missing":
        message = "required key is missing"
    more = len(error.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{path}: {message}{suffix}" if path else f"{message}{suffix}"
