"""Files plansync writes on a shared server: as any program would, never at someone's cost.

Every file is written to a temporary file beside its target and moved over it in one step. A new
file gets the mode the process umask gives (0644 under umask 022; a temporary file alone would be
0600) and, in a setgid folder, the folder's group (the kernel sees to that). A file that replaces
one already there (a school's workbook, last night's rollup) keeps that file's owner, group, mode,
ACLs and extended attributes, so that a sync running as a service account never locks people out
of their own files. A symbolic link is written through: its target is replaced, the link stays.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

# Temporary files are written beside their target under this prefix (hidden on macOS and Linux).
TEMPORARY_PREFIX = ".~plansync-"


def umask() -> int:
    """The process umask (read by setting it and setting it back: there is no other way)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


def new_file_mode() -> int:
    """The mode a program's new (non-executable) file gets: 0666 less the umask."""
    return 0o666 & ~umask()


def create_with_umask(path: Path) -> None:
    """Create `path` empty, with the mode the umask gives, unless something is there (SQLite
    would create it 0644 whatever the umask; an empty file is an empty database to it)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))


def real_target(path: Path) -> Path:
    """Where writing `path` must land: the file a symbolic link points to, else `path` itself."""
    if path.is_symlink():
        return path.resolve()
    return path


@contextlib.contextmanager
def temporary_beside(path: Path, suffix: str | None = None) -> Iterator[Path]:
    """A new, empty temporary file in `path`'s folder with a new file's mode; removed on the way
    out unless it was moved into place."""
    handle, name = tempfile.mkstemp(
        prefix=TEMPORARY_PREFIX, suffix=path.suffix if suffix is None else suffix, dir=path.parent
    )
    os.close(handle)
    temporary = Path(name)
    try:
        os.chmod(temporary, new_file_mode())
        yield temporary
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def replace_keeping_owner(
    temporary: Path, path: Path, before_replace: Callable[[], None] | None = None
) -> None:
    """Move `temporary` over `path` (through a link), giving it the replaced file's owner,
    group, mode, ACLs and extended attributes first; the contents are flushed to disk before."""
    target = real_target(path)
    with contextlib.suppress(FileNotFoundError):
        keep_metadata(target, temporary)
    with open(temporary, "rb") as written:
        os.fsync(written.fileno())
    if before_replace:
        before_replace()
    os.replace(temporary, target)


def write_replacing(path: Path, write: Callable[[Path], object], suffix: str | None = None) -> None:
    """Write a file by calling `write(temporary)` and move it over `path` in one step."""
    with temporary_beside(real_target(path), suffix) as temporary:
        write(temporary)
        replace_keeping_owner(temporary, path)


def keep_metadata(source: Path, target: Path) -> None:
    """Give `target` the owner, group, mode and extended attributes (ACLs among them) of
    `source`. The owner can only be given by an administrator: otherwise the group is kept where
    the process may, and the rest regardless."""
    info = os.stat(source)
    with contextlib.suppress(OSError):
        os.chown(target, info.st_uid, info.st_gid)
    if os.stat(target).st_gid != info.st_gid:
        with contextlib.suppress(OSError):
            os.chown(target, -1, info.st_gid)
    _copy_xattrs(source, target)
    # Last: a chown clears the setuid and setgid bits, and an ACL copied above sets the mode's
    # group bits from its mask, which is what the mode says too.
    os.chmod(target, stat.S_IMODE(info.st_mode))


def _copy_xattrs(source: Path, target: Path) -> None:
    if not hasattr(os, "listxattr"):  # not on this platform
        return
    try:
        names = os.listxattr(source)
    except OSError:  # the file system keeps none
        return
    for name in names:
        with contextlib.suppress(OSError):  # e.g. security.* a process may not set
            os.setxattr(target, name, os.getxattr(source, name))
