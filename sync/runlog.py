"""What a command tells the person (or the cron mail) running it, and where a crash is recorded.

`RunLog` writes timestamped lines: to stdout, or appended to a log file (`--log FILE`), with
problems also on stderr; `quiet` keeps only problems and the run's one-line summary.

`record_crash` is the last resort for an exception nobody expected: the full traceback goes into a
log file and the person sees one line naming it. `quiet_unraisable` keeps the "Exception ignored
in ..." messages Python prints for errors in finalizers (a pool, a socket, a file closed at exit)
out of a person's terminal: they go into the same log file.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, TextIO

CRASH_FOLDER_ENV = "PLANSYNC_LOG_DIR"


def stamp(now: dt.datetime | None = None) -> str:
    """'2026-11-27 02:15:03': the time a log line was written."""
    return f"{(now or dt.datetime.now()):%Y-%m-%d %H:%M:%S}"


class RunLog:
    """Lines for a person: each with a timestamp; `problem` lines always shown (and on stderr),
    `info` lines unless quiet, `summary` always; with a log file everything is appended there."""

    def __init__(self, log_file: Path | None = None, quiet: bool = False):
        self.quiet = quiet
        self.log_file = log_file
        self._file: TextIO | None = None
        if log_file is not None:
            # Line-buffered and appended, so a crash or kill keeps every line written so far.
            self._file = log_file.open("a", encoding="utf-8", buffering=1)

    def info(self, text: str) -> None:
        if not self.quiet:
            self._out(text, sys.stdout)

    def summary(self, text: str) -> None:
        self._out(text, sys.stdout)

    def problem(self, text: str) -> None:
        self._out(text, sys.stderr, always_terminal=True)

    def record(self, text: str) -> None:
        """Into the log file only (what is also shown another way, such as click's errors)."""
        if self._file is not None:
            self._file.write(f"{stamp()} {text}\n")

    def _out(self, text: str, stream: TextIO, always_terminal: bool = False) -> None:
        when = stamp()
        lines = [f"{when} {line}" if line else "" for line in text.splitlines() or [""]]
        if self._file is not None:
            self._file.write("\n".join(lines) + "\n")
            if not always_terminal:
                return
        stream.write("\n".join(lines) + "\n")
        stream.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def crash_folder() -> Path:
    """Where crash logs go without `--log`: $PLANSYNC_LOG_DIR, else the user's state folder
    (~/.local/state/plansync), else the system's temporary folder."""
    if os.environ.get(CRASH_FOLDER_ENV):
        return Path(os.environ[CRASH_FOLDER_ENV])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "plansync"


def record_crash(error: BaseException, log_file: Path | None = None, argv: list[str] | None = None):
    """Write the traceback of an unexpected error into `log_file` (appended) or a new file in
    `crash_folder()`; return the path written, or None when no file could be written at all."""
    text = "".join(traceback.format_exception(error))
    header = f"{stamp()} plansync {' '.join(argv or sys.argv[1:])}\n"
    candidates = []
    if log_file is not None:
        candidates.append(log_file)
    name = f"plansync-crash-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    candidates += [crash_folder() / name, Path(tempfile.gettempdir()) / name]
    for path in candidates:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as file:
                file.write(header + text + "\n")
        except OSError:
            continue
        _unraisable_target[0] = path
        return path
    return None


# Where finalizer errors go once a crash log exists (None: a file of their own when one occurs).
_unraisable_target: list[Path | None] = [None]


def quiet_unraisable(log_file: Path | None = None) -> None:
    """Send Python's 'Exception ignored in ...' reports into a log file, not the terminal."""
    if log_file is not None:
        _unraisable_target[0] = log_file

    def hook(unraisable: Any) -> None:
        # It may run while the interpreter shuts down, when imports fail: whatever goes wrong
        # here is dropped rather than printed.
        try:
            path = _unraisable_target[0] or crash_folder() / "plansync-ignored.log"
            lines = traceback.format_exception(
                unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback
            )
            note = f"{stamp()} ignored in {unraisable.object!r}: {unraisable.err_msg or ''}\n"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as file:
                file.write(note + "".join(lines))
        except BaseException:
            pass

    stamp()  # what formatting a time imports is loaded now, not during shutdown
    sys.unraisablehook = hook
