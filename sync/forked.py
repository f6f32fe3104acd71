"""Work done in a forked process while the sync goes on: the HTML pages are drawn while the
rollup is written and the night recorded, two costs that no longer add up on a machine with two
cores.

The child is forked, so it starts with the sync's findings in memory instead of having them sent
to it; only its answer (or the exception it raised) comes back, through a pipe. Where a fork is
not what the platform offers, or cannot be had (no memory, too many processes), the work runs in
the sync's own process when its answer is asked for, as it always did.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

T = TypeVar("T")


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
