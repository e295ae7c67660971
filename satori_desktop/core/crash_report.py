"""The native crash report: `faulthandler` writes it to `crash.log`, and the next start reads it.

A crash inside llama.cpp or Qt kills the process before any Python code can tell the user, so the only
trace is what `faulthandler` writes ("Fatal Python error: Segmentation fault" and every thread's stack).
`enable_native_crash_log()` points faulthandler at `crash.log` in the log folder; a run that ends
normally leaves the file empty. At the next start `take_previous_crash()` finds a non-empty one, copies
it into the log file, and renames it `crash-<time of the crash>.log` beside it, so the report is kept,
the next start begins with an empty `crash.log`, and the same crash is never reported twice. The app
then tells the user in one sentence (`previous_crash_sentence`).

The common case costs one `stat`: an empty or missing file is all a clean previous run leaves. A report
is read from its end, at most `DETAILS_LIMIT` bytes (the first thread's stack is at the top, but a file
that kept growing has the latest crash at the bottom), and decoded leniently: faulthandler writes file
paths as the OS gives them, which need not be UTF-8.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from satori_desktop.core import paths
from satori_desktop.core.logging_setup import log_file_path

log = logging.getLogger(__name__)

CRASH_LOG_NAME = "crash.log"
DETAILS_LIMIT = 20_000  # bytes of the report shown and copied into the log; the kept file has all of it

_fault_file: IO[str] | None = None  # open for the life of the process: faulthandler writes to its fd

# faulthandler's first line: "Fatal Python error: Segmentation fault" (POSIX signals and Python's own fatal
# errors), "Windows fatal exception: access violation" (Windows).
_KIND = re.compile(r"^(?:Fatal Python error|Windows fatal exception): *(?P<kind>[^\r\n]+)", re.MULTILINE)


def crash_log_path() -> Path:
    return paths.log_dir() / CRASH_LOG_NAME


def enable_native_crash_log() -> Path | None:
    """Make faulthandler write native crashes to `crash.log` (stderr if the log folder is not writable).

    Call it after `take_previous_crash()`, which moves the previous report out of the way. Returns the
    file written to, or None for stderr.
    """
    global _fault_file
    path = crash_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fault_file = open(path, "a", encoding="utf-8")  # noqa: SIM115  (kept open: see _fault_file)
    except OSError as exc:
        log.warning("native crashes go to stderr: %s cannot be opened (%s)", path, exc)
        faulthandler.enable()
        return None
    faulthandler.enable(file=fault_file)
    if _fault_file is not None:
        _fault_file.close()  # enabled twice in one process (tests): faulthandler now holds the new file
    _fault_file = fault_file
    return path


@dataclass(frozen=True)
class CrashReport:
    """What the previous run's `crash.log` said, and where it is kept now."""

    details: str  # the report's text, its last DETAILS_LIMIT bytes at most
    size: int  # bytes in the whole report
    crashed_at: datetime  # when it was written (the file's modification time), local time
    kept_as: Path | None  # the renamed file with the whole report; None if it could not be moved
    read_error: str | None = None  # why the report could not be read, when it could not

    @property
    def truncated(self) -> bool:
        return self.read_error is None and self.size > DETAILS_LIMIT

    @property
    def kind(self) -> str | None:
        """faulthandler's name for what happened ("Segmentation fault", "Aborted", ...), if it said."""
        found = _KIND.search(self.details)
        return found.group("kind").strip() if found else None


def take_previous_crash(path: Path | None = None) -> CrashReport | None:
    """The previous run's native crash report, or None after a clean run; takes it out of `crash.log`.

    A report found is logged (at most its last DETAILS_LIMIT bytes) and its file renamed
    `crash-YYYYmmdd-HHMMSS.log` (the time of the crash); where renaming fails, the file is emptied instead,
    since it is in the log by then. Never raises for a missing, unreadable or odd file.
    """
    path = crash_log_path() if path is None else path
    try:
        info = path.stat()
    except OSError:
        return None  # no file: the app never ran here, or the folder cannot be read at all
    if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
        return None
    crashed_at = datetime.fromtimestamp(info.st_mtime)
    read_error: str | None = None
    try:
        details = _read_tail(path, info.st_size)
    except OSError as exc:
        details = ""
        read_error = exc.strerror or type(exc).__name__
    if read_error is None and not details.strip():
        _empty(path)  # only blank lines: nothing happened worth a word
        return None
    kept_as = _keep_aside(path, crashed_at)
    report = CrashReport(details, info.st_size, crashed_at, kept_as, read_error)
    _log_report(report, path)
    return report


def previous_crash_sentence(report: CrashReport) -> str:
    """What the user reads at the next start: what happened, and what to do about it."""
    at = report.crashed_at
    when = f"{at.day} {at:%b %Y} at {at:%H:%M}"
    what = f" ({report.kind})" if report.kind else ""
    if report.read_error is not None:
        return (
            f"Satori Desktop closed unexpectedly last time, on {when}, but its crash report could not be "
            f"read ({report.read_error}); it is kept in {report.kept_as or crash_log_path()}."
        )
    # Where renaming failed, the report was emptied out of crash.log: the log file has it.
    where = report.kept_as if report.kept_as is not None else f"the log file {log_file_path()}"
    return (
        f"Satori Desktop closed unexpectedly last time, on {when}{what}. If it happens again, please "
        f"report it with the details, which are kept in {where}."
    )


def _read_tail(path: Path, size: int) -> str:
    start = max(0, size - DETAILS_LIMIT)
    with open(path, "rb") as file:
        file.seek(start)
        data = file.read(DETAILS_LIMIT)
    prefix = ""
    if start:
        # The cut lands mid-line (maybe mid-character): begin at the next whole line, and say so.
        newline = data.find(b"\n")
        if newline >= 0:
            data = data[newline + 1 :]
            start += newline + 1
        prefix = f"[… the first {start:,} bytes are left out here; the kept file has them]\n"
    return prefix + data.decode("utf-8", errors="replace")


def _keep_aside(path: Path, crashed_at: datetime) -> Path | None:
    stem = f"crash-{crashed_at:%Y%m%d-%H%M%S}"
    for attempt in range(100):
        target = path.with_name(f"{stem}.log" if attempt == 0 else f"{stem}-{attempt}.log")
        if target.exists():
            continue  # two crashes in one second (or a clock that went back): never overwrite a report
        try:
            os.rename(path, target)
        except OSError as exc:
            log.warning("the crash report %s could not be renamed to %s: %s", path, target.name, exc)
            break
        return target
    _empty(path)
    return None


def _empty(path: Path) -> None:
    try:
        with open(path, "w", encoding="utf-8"):
            pass
    except OSError as exc:
        log.warning("the crash report %s could not be emptied, so it will be reported again: %s", path, exc)


def _log_report(report: CrashReport, path: Path) -> None:
    log.warning(
        "the previous run crashed%s on %s; its report (%d bytes) is kept in %s",
        f" ({report.kind})" if report.kind else "",
        report.crashed_at.isoformat(timespec="seconds"),
        report.size,
        report.kept_as if report.kept_as is not None else f"this log only ({path} was emptied)",
    )
    if report.read_error is not None:
        log.warning("the crash report could not be read: %s", report.read_error)
        return
    log.info("the previous run's crash report:\n%s", report.details.rstrip())
