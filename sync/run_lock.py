"""One sync of a district at a time: an exclusive lock on a file in the rollup folder.

The lock is the operating system's (flock on POSIX, msvcrt on Windows), not the file's presence: it
is released whenever the holding process ends, however it ends (a crash, a kill, a reboot). So a
lock file left behind is never stale in a way that blocks the next run; that run takes it. The file
records who holds the lock, for the message a second run prints.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import RollupNotWritten, SyncLocked

LOCK_NAME = ".plansync-sync.lock"


@contextlib.contextmanager
def district_lock(folder: Path) -> Iterator[Path]:
    """Hold the sync lock while the block runs; raise SyncLocked if another run holds it."""
    path = folder / LOCK_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the whole run
    except OSError as error:
        raise RollupNotWritten(
            f"The sync cannot write in the rollup folder {folder} ({error.strerror})."
        ) from None
    try:
        if not _try_lock(handle):
            raise SyncLocked(
                f"Another sync of this district is running ({_holder(handle)}); this one "
                "stopped without reading or writing anything."
            )
        handle.seek(0)
        handle.truncate()
        started = dt.datetime.now().replace(microsecond=0)
        handle.write(f"process {os.getpid()} on {socket.gethostname()}, started {started}")
        handle.flush()
        yield path
    finally:
        handle.close()  # closing releases the lock


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)  # every run locks the same first byte
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(handle) -> str:
    """Who holds the lock, as that run wrote it in the file."""
    try:
        handle.seek(0)
        return handle.read().strip() or "it has only just started"
    except OSError:
        return "started elsewhere"
