"""Work done in a forked process while the sync goes on: the HTML pages are drawn while the
rollup is written and the night recorded, two costs that no longer add up on a machine with two
cores.

The child is forked, so it starts with what it needs already in memory; only its answer (or the
exception it raised) comes back, through a pipe. A forked child shares the sync's memory until
either writes to it, and then each page written to is held twice: the caller decides whether the
sync is small enough for that (the nightly run draws the pages beside the rollup only up to
nightly.DRAW_BESIDE_UP_TO). Where a fork is not what the platform offers, or cannot be had (no
memory, too many processes), the work runs in the sync's own process when its answer is asked
for, as it always did.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def resident_memory() -> int:
    """This process's resident memory in bytes (0 where the system does not say)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class Pending(Generic[T]):
    """Work started beside the sync; `answer()` waits for it and returns what it returned, or
    raises what it raised."""

    def __init__(self, work: Callable[[], T], *, fork: bool = True) -> None:
        self._work = work
        self._process: Any = None
        self._pipe: Connection | None = None
        if not fork or sys.platform != "linux":
            return  # forking a process that may hold threads is only sound where it is the norm
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(target=_run, args=(work, sending), daemon=True)
        try:
            with set_aside_from_the_collector():
                process.start()
        except OSError:
            receiving.close()
            sending.close()
            return
        sending.close()
        self._process, self._pipe = process, receiving

    @classmethod
    def ready(cls, value: T) -> Pending[T]:
        """An answer already known: nothing is forked."""
        return cls(lambda: value, fork=False)

    def answer(self) -> T:
        if self._pipe is None:
            return self._work()
        pipe, self._pipe = self._pipe, None
        try:
            outcome = pipe.recv()
        except (EOFError, OSError):
            outcome = None  # the child ended without an answer (the system ended it for its memory)
        finally:
            pipe.close()
            self._process.join()
        if outcome is None:
            return self._work()
        succeeded, value = outcome
        if not succeeded:
            raise value
        return value

    def __enter__(self) -> Pending[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Leaving before the answer was asked for (the sync failed): the child still finishes,
        so that no process outlives the sync."""
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
            self._process.join()


@contextlib.contextmanager
def set_aside_from_the_collector() -> Iterator[None]:
    """The objects made so far are set aside from the cycle collector (gc.freeze) until this
    ends, then given back. Two uses: fork inside it, and the child's collections never walk
    what it inherits (a collection writes into every object it walks, and each page of memory
    written to is copied into the child); and the nightly run sets aside what it has read and
    checked, which lives until the night ends. When objects are set aside already, nothing is
    done: gc can only give back all of them, and whoever set them aside gives them back."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run(work: Callable[[], Any], sending: Connection) -> None:
    try:
        outcome: tuple[bool, Any] = (True, work())
    except BaseException as error:  # noqa: BLE001 - raised again in the sync's own process
        outcome = (False, error)
    try:
        sending.send(outcome)
    except Exception:  # an answer that cannot be pickled: the sync does the work itself
        pass
    finally:
        sending.close()
