"""Reading workbooks in worker processes, each within its time; writing them in worker processes.

A parse runs in native code, which nothing inside a process can interrupt; so a read past its
time is stopped from outside, by ending the pool's processes and starting a new pool for the
reads that were under way. A worker the system ends (for its memory) breaks the pool the same
way. Either way the workbook at fault becomes its school's issue and every other one is read.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from ..errors import StoreError
from ..forked import set_aside_from_the_collector
from ..store import RawWorkbook, ReadRequest
from .guard import Budget, too_much_memory, too_slow

# Reads handed to the pool at once, per worker: enough to keep every worker busy while the sync
# types what came back.
IN_FLIGHT_PER_WORKER = 4
# When each read in the pool began (time.monotonic(), which every process shares on Linux), by
# request; shared memory the pool's forked workers inherit. 0: not begun.
_STARTS: Any = None


def _started_read(
    read: functools.partial[RawWorkbook | StoreError], index: int, request: ReadRequest
) -> RawWorkbook | StoreError:
    if _STARTS is not None:
        _STARTS[index] = time.monotonic()
    return read(request)


def read_in_pool(
    read: functools.partial[RawWorkbook | StoreError],
    requests: list[ReadRequest],
    workers: int,
    budget: Budget,
) -> Iterator[RawWorkbook | StoreError]:
    """`read` every request in worker processes, in order, each within `budget.seconds`.

    A workbook's clock starts when a worker begins reading it. One that runs out of time cannot
    be stopped inside a worker (the parser is native code), so the pool is ended (its processes
    killed) and a new one reads what was in flight, with fresh clocks; the late workbook becomes
    its school's issue. A worker that dies (the system ended it for its memory) breaks the pool
    without saying which workbook did it: those in flight are read again one at a time, and the
    one that breaks a pool alone is given up.
    """
    global _STARTS
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    # Where workers are not forked, they cannot share the clocks: a read's clock starts when it
    # is handed out, and only one per worker is.
    shared = context.get_start_method() == "fork"
    starts: Any = context.RawArray("d", len(requests)) if shared else None
    limit = workers * (IN_FLIGHT_PER_WORKER if shared else 1)
    results: dict[int, RawWorkbook | StoreError] = {}
    queue = list(range(len(requests) - 1, -1, -1))  # popped from the end: in order
    suspects: set[int] = set()
    handed_out: dict[int, float] = {}
    emitted = 0
    _STARTS = starts
    try:
        while emitted < len(requests):
            pool = ProcessPoolExecutor(workers, mp_context=context)
            started = False
            running: dict[Future, int] = {}
            broken = False
            try:
                while (queue or running) and not broken:
                    while queue and len(running) < limit:
                        alone = queue[-1] in suspects or any(
                            i in suspects for i in running.values()
                        )
                        if alone and running:
                            break
                        index = queue.pop()
                        if starts is not None:
                            starts[index] = 0.0
                        handed_out[index] = time.monotonic()
                        future = _submit(
                            pool,
                            not started,
                            _started_read,
                            read,
                            index,
                            requests[index],
                        )
                        started = True
                        running[future] = index
                    begun = [
                        (starts[index] if starts is not None else handed_out[index])
                        for index in running.values()
                    ]
                    begun = [start for start in begun if start > 0]
                    wake = min(begun) + budget.seconds if begun else time.monotonic() + 1.0
                    done, _pending = wait(
                        running,
                        timeout=min(max(wake - time.monotonic(), 0), 1.0),
                        return_when=FIRST_COMPLETED,
                    )
                    for future in done:
                        try:
                            outcome = future.result()
                        except BrokenProcessPool:
                            broken = True
                            continue
                        results[running.pop(future)] = outcome
                    if broken:
                        in_flight = list(running.values())
                        if len(in_flight) == 1 and in_flight[0] in suspects:
                            label = requests[in_flight[0]].ref.label
                            results[in_flight[0]] = too_much_memory(label)
                            running.clear()
                        # Only a read that had begun can have ended its worker.
                        suspects.update(
                            index for index in in_flight if starts is None or starts[index] > 0
                        )
                    now = time.monotonic()
                    for future, index in list(running.items()):
                        start = starts[index] if starts is not None else handed_out[index]
                        if not future.done() and start > 0 and now - start >= budget.seconds:
                            del running[future]
                            results[index] = too_slow(requests[index].ref.label, budget)
                            broken = True
                    while emitted in results:
                        yield results.pop(emitted)
                        emitted += 1
            finally:
                if broken or running:
                    queue.extend(sorted(running.values(), reverse=True))
                    _kill(pool)
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        _STARTS = None


def _submit(pool: ProcessPoolExecutor, first: bool, *call: Any) -> Future:
    """Submit a call; the pool's first forks its workers (all of them, for a forked pool), with
    the sync's objects set aside from the cycle collector (forked.set_aside_from_the_collector)."""
    with set_aside_from_the_collector() if first else contextlib.nullcontext():
        return pool.submit(*call)


def _kill(pool: ProcessPoolExecutor) -> None:
    """End a pool's worker processes now (the executor has no public way to)."""
    for process in list((pool._processes or {}).values()):
        with contextlib.suppress(Exception):
            process.kill()


J = TypeVar("J")
R = TypeVar("R")
# The work the write workers do, inherited when they are forked rather than sent with every job.
_WORK: Any = None


class WritePool(Generic[J, R]):
    """Worker processes that do `work` on jobs, forked when the pool is made. Made before the
    night's reading, while the sync is small: a worker forked from a sync that has read 2,000
    schools would keep every page of memory the sync changes afterwards twice, its old copy and
    the sync's new one. `work` is inherited; each job and its answer are pickled, through a pipe
    per worker. Plain processes and pipes, no threads: the sync forks other processes after
    this (the readers, the HTML pages'), and a fork is only safe from a process without threads.
    Answers must be small (outcomes, not data): a worker writes its answer before it reads its
    next job."""

    def __init__(self, work: Callable[[J], R], workers: int) -> None:
        global _WORK
        self.work = work
        _WORK = work
        context = multiprocessing.get_context("fork")
        self.workers: list[tuple[Any, Connection | None]] = []
        with set_aside_from_the_collector():
            for _ in range(workers):
                ours, theirs = context.Pipe()
                others = [connection for _process, connection in self.workers]
                process = context.Process(target=_serve, args=(theirs, others), daemon=True)
                try:
                    process.start()
                except OSError:  # no more processes to be had: fewer workers, or none
                    ours.close()
                    theirs.close()
                    break
                theirs.close()
                self.workers.append((process, ours))

    def carry_out(self, jobs: Iterable[J]) -> Iterator[R]:
        """`work` on each job, a few jobs ahead of the answers, which come in the order of the
        jobs. The jobs are handed out as the workers have room, so whoever makes them works
        while the workers do. A job whose worker died (the system ended it for its memory) is
        done in this process instead, and so is every later job of that worker."""
        pending: collections.deque[tuple[J, int | None]] = collections.deque()
        limit = max(len(self.workers), 1) * IN_FLIGHT_PER_WORKER
        for turn, job in enumerate(jobs):
            pending.append((job, self._hand_out(job, turn)))
            if len(pending) >= limit:
                yield self._answer(*pending.popleft())
        while pending:
            yield self._answer(*pending.popleft())

    def _hand_out(self, job: J, turn: int) -> int | None:
        """Send the job to the next worker still there; None when there is none."""
        for step in range(len(self.workers)):
            index = (turn + step) % len(self.workers)
            connection = self.workers[index][1]
            if connection is None:
                continue
            try:
                connection.send(job)
                return index
            except OSError:  # the worker is gone
                self._lost(index)
        return None

    def _answer(self, job: J, index: int | None) -> R:
        connection = self.workers[index][1] if index is not None else None
        if connection is None or index is None:
            return self.work(job)
        try:
            succeeded, value = connection.recv()
        except (EOFError, OSError):
            self._lost(index)
            return self.work(job)
        if not succeeded:
            raise value
        return value

    def _lost(self, index: int) -> None:
        process, connection = self.workers[index]
        if connection is not None:
            connection.close()
        self.workers[index] = (process, None)

    def close(self) -> None:
        """End the workers (each finishes the job in hand first)."""
        for _process, connection in self.workers:
            if connection is not None:
                with contextlib.suppress(OSError):
                    connection.send(None)
                connection.close()
        for process, _connection in self.workers:
            process.join()
        self.workers = []


def _serve(connection: Connection, others: list[Connection | None]) -> None:
    """A write worker: jobs in, answers out, until told to stop (None) or the sync is gone."""
    for other in others:  # the sync's ends of the workers forked before this one
        if other is not None:
            other.close()
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            answer: tuple[bool, Any] = (True, _WORK(job))
        except Exception as error:  # raised again in the sync's own process
            answer = (False, error)
        try:
            connection.send(answer)
        except Exception as error:  # an answer that cannot be pickled
            connection.send((False, RuntimeError(f"a write worker could not answer: {error}")))
