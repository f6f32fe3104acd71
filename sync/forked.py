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
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


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


# The young generation's size in a night (Python's default: 700 objects), and how many young
# collections make a middle one, and middle ones a full one (default: 10 each).
NIGHT_THRESHOLDS = (20_000, 10, 10)


@contextlib.contextmanager
def collected_less_often() -> Iterator[None]:
    """The cycle collector runs less often until this ends (the processes forked meanwhile keep
    its pace). A night makes millions of objects that live until it ends and hold no cycles: at
    Python's pace the collector walks them again and again, and full collections walked
    everything a 2,000-school full sync holds 14 times (1.4 s). Objects that are garbage still
    go as soon as nothing refers to them; only cycles wait a little longer."""
    before = gc.get_threshold()
    gc.set_threshold(*NIGHT_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


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


class ForkedMap(Generic[T, R]):
    """`work` on each of `items` in `workers` processes forked now (each takes every workers-th
    item); `next()` gives the answers in the items' order as they come. An item whose work
    raised, whose answer could not be sent, or whose process died or could not be had answers
    None: the caller does that work itself. Closing (or leaving the `with`) ends the processes,
    whether or not every answer was taken."""

    def __init__(self, work: Callable[[T], R | None], items: Sequence[T], workers: int) -> None:
        self._count = max(1, min(workers, len(items)))
        self._taken = 0
        self._children: list[tuple[Any, Connection | None]] = []
        if sys.platform != "linux" or not items:
            return  # forking a process that may hold threads is only sound where it is the norm
        context = multiprocessing.get_context("fork")
        with set_aside_from_the_collector():
            for first in range(self._count):
                self._children.append(_start_serving(context, work, items[first :: self._count]))

    def next(self) -> R | None:
        which = self._taken % self._count
        self._taken += 1
        if which >= len(self._children):
            return None
        process, receiving = self._children[which]
        if receiving is None:
            return None
        try:
            return receiving.recv()
        except (EOFError, OSError, ValueError):  # it died (the system ended it for its memory)
            receiving.close()
            self._children[which] = (process, None)
            return None

    def close(self) -> None:
        for process, receiving in self._children:
            if receiving is not None:
                receiving.close()
            if process is not None:
                if process.is_alive():
                    process.kill()  # its answers are not wanted any more
                process.join()
        self._children = []

    def __enter__(self) -> ForkedMap[T, R]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _start_serving(
    context: Any, work: Callable[[T], R | None], share: Sequence[T]
) -> tuple[Any, Connection | None]:
    """A forked child answering `share`, and the pipe its answers come by; (None, None) when
    no process can be had (too many processes, no memory)."""
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(work, share, sending), daemon=True)
    try:
        process.start()
    except OSError:
        receiving.close()
        sending.close()
        return None, None
    sending.close()
    return process, receiving


def _serve(work: Callable[[T], R | None], share: Sequence[T], sending: Connection) -> None:
    """A child of ForkedMap: the answer to each of its items, in turn. It ends quietly when the
    sync no longer listens (it left early) or is interrupted: no traceback of a child's."""
    with contextlib.suppress(OSError, KeyboardInterrupt):
        for item in share:
            try:
                answer = work(item)
            except Exception:  # noqa: BLE001 - the sync does this one itself
                answer = None
            try:
                sending.send(answer)
            except OSError:
                raise  # the pipe is gone
            except Exception:  # an answer that cannot be pickled
                sending.send(None)
    sending.close()
