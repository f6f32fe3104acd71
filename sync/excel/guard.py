"""What may be read as a workbook: a regular file inside the district, within a budget.

On a shared folder anything can sit where a workbook should: a folder, a named pipe (opening it
would wait for a writer forever), a device (reading it never ends), a socket, a link to any of
these, or a link out of the district (to someone's home folder, to /etc). Each is one issue for its
school, found from the file's metadata without opening it; a file is opened without waiting and
read only up to a size. An .xlsx is a zip: a file of a few kilobytes can expand to gigabytes, so
what its parts would expand to is checked against a budget before any of them is.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import WorkbookNotAFile, WorkbookTooLarge

MIB = 1024 * 1024


@dataclass(frozen=True)
class Budget:
    """How much one workbook may take to read. A school's plan is far below every figure (a
    50,000-row tab is about 5 MB on disk and 60 MB expanded)."""

    # The file itself.
    file_bytes: int = 200 * MIB
    # All its parts, expanded.
    expanded_bytes: int = 512 * MIB
    # How many parts (a workbook has a few dozen).
    members: int = 10_000
    # How much one part may expand relative to its compressed size (XML compresses about
    # 10-20 times; a bomb thousands of times). Parts this small are exempt from the ratio.
    ratio: int = 200
    ratio_from_bytes: int = 4 * MIB
    # Seconds to read it (enforced where workbooks are read in worker processes).
    seconds: float = 120.0


BUDGET = Budget()


def regular_file(path: Path, root: Path, label: str) -> Path:
    """The file to read or write for the workbook at `path`: `path` itself, or the file it
    leads to through links (the workbook's own, or its school folder's) when that stays inside
    `root` (the district's workbooks folder). Raises WorkbookNotAFile for anything else;
    FileNotFoundError when nothing is there."""
    info = os.lstat(path)
    try:
        real = path.resolve(strict=True)
    except FileNotFoundError:
        if not stat.S_ISLNK(info.st_mode):
            raise
        raise WorkbookNotAFile(
            f"{label} is a link to {os.readlink(path)}, which does not exist. Put the workbook "
            "itself here."
        ) from None
    except (OSError, RuntimeError):  # a loop of links
        raise WorkbookNotAFile(
            f"{label} is a link that leads back to itself. Put the workbook itself here."
        ) from None
    if not real.is_relative_to(root.resolve()):
        raise WorkbookNotAFile(
            f"{label} leads through a link to {real}, outside the district's workbooks folder, "
            "so the sync did not read it or write into it. Put the workbook itself here."
        )
    info = os.stat(real)
    if not stat.S_ISREG(info.st_mode):
        linked = f" (through a link, {real})" if stat.S_ISLNK(os.lstat(path).st_mode) else ""
        raise WorkbookNotAFile(
            f"{label} is {_kind(info.st_mode)}{linked}, not a workbook file, so the sync did not "
            "read it. Put the workbook itself here."
        )
    return real


def leads_out(folder: Path, root: Path) -> Path | None:
    """Where links lead `folder` when that is outside `root` (None: it stays inside)."""
    real = folder.resolve()
    return None if real.is_relative_to(root.resolve()) else real


def read_capped(path: Path, label: str, budget: Budget = BUDGET) -> bytes:
    """The file's bytes, opened without waiting (a pipe put there between the check and the
    open) and read no further than the budget."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise WorkbookNotAFile(
                f"{label} is {_kind(info.st_mode)}, not a workbook file, so the sync did not "
                "read it. Put the workbook itself here."
            )
        if info.st_size > budget.file_bytes:
            raise too_large(label, f"the file is {info.st_size // MIB} MB")
        chunks = []
        left = budget.file_bytes + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 8 * MIB))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:  # it grew while being read
            raise too_large(label, "the file is larger than the sync reads")
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def check_expansion(package: zipfile.ZipFile, label: str, budget: Budget = BUDGET) -> None:
    """Refuse a package whose parts would expand past the budget, before expanding any. The
    sizes are the ones the package declares; the zip reader stops at the declared size, so a
    part cannot expand further than it says."""
    members = package.infolist()
    if len(members) > budget.members:
        raise too_large(label, f"it holds {len(members):,} parts")
    expanded = sum(member.file_size for member in members)
    if expanded > budget.expanded_bytes:
        raise too_large(label, f"it would expand to {expanded // MIB:,} MB")
    for member in members:
        if member.file_size > budget.ratio_from_bytes and member.file_size > budget.ratio * max(
            member.compress_size, 1
        ):
            times = member.file_size // max(member.compress_size, 1)
            raise too_large(
                label,
                f"its part {member.filename} expands {times:,} times (a file built to exhaust "
                "memory)",
            )


def too_much_memory(label: str) -> WorkbookTooLarge:
    return too_large(label, "it needs more memory than the sync may use")


def too_slow(label: str, budget: Budget = BUDGET) -> WorkbookTooLarge:
    return too_large(label, f"reading it took longer than {budget.seconds:g} seconds")


def too_large(label: str, why: str) -> WorkbookTooLarge:
    return WorkbookTooLarge(
        f"{label} is too large for the sync to read ({why}), so it was not read. A plan is far "
        "smaller: remove what is not part of it (pictures, pasted data, stray cells far out), or "
        "save a fresh copy."
    )


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"
