"""The previous run's native crash report: found, logged, kept aside, and reported only once.

The crash is real: a child Python process points faulthandler at `crash.log` the way the app does
(`enable_native_crash_log`) and then segfaults.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from satori_desktop.core.crash_report import (
    DETAILS_LIMIT,
    CrashReport,
    crash_log_path,
    previous_crash_sentence,
    take_previous_crash,
)
from satori_desktop.core.logging_setup import log_file_path

CRASH_IN_A_CHILD = (
    "from satori_desktop.core.crash_report import enable_native_crash_log\n"
    "enable_native_crash_log()\n"
    "import faulthandler\n"
    "faulthandler._sigsegv()\n"
)


def _kept_reports(folder: Path) -> list[Path]:
    return sorted(folder.glob("crash-*.log"))


def test_a_clean_previous_run_leaves_nothing_to_report(satori_home: Path) -> None:
    assert take_previous_crash() is None  # no log folder at all: the first start
    crash_log_path().parent.mkdir(parents=True)
    crash_log_path().touch()
    assert take_previous_crash() is None  # empty: what a run that ended normally leaves
    assert crash_log_path().exists() and _kept_reports(crash_log_path().parent) == []


def test_a_report_of_blank_lines_is_emptied_not_reported() -> None:
    crash_log_path().parent.mkdir(parents=True)
    crash_log_path().write_text("\n \n")
    assert take_previous_crash() is None
    assert crash_log_path().read_bytes() == b""


def test_a_real_segfault_is_reported_logged_kept_aside_and_reported_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_IN_A_CHILD], env=dict(os.environ), capture_output=True, timeout=60
    )
    assert crashed.returncode != 0
    whole = crash_log_path().read_bytes()
    assert whole.startswith(b"Fatal Python error: Segmentation fault")

    with caplog.at_level(logging.INFO, logger="satori_desktop.core.crash_report"):
        report = take_previous_crash()
    assert report is not None
    assert report.kind == "Segmentation fault"
    assert report.details == whole.decode() and not report.truncated and report.read_error is None
    assert "most recent call first" in report.details  # faulthandler's stack of the crashed thread
    assert abs((datetime.now() - report.crashed_at).total_seconds()) < 120

    # Kept under the time of the crash, whole; crash.log is gone, so the next run starts clean.
    assert report.kept_as is not None and report.kept_as.read_bytes() == whole
    assert report.kept_as.name == f"crash-{report.crashed_at:%Y%m%d-%H%M%S}.log"
    assert not crash_log_path().exists()
    # And the log has it, so it travels with the log file in a bug report.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "the previous run crashed (Segmentation fault)" in logged and str(report.kept_as) in logged
    assert "Fatal Python error: Segmentation fault" in logged

    assert take_previous_crash() is None


def test_the_sentence_says_what_happened_when_and_where_the_report_is(tmp_path: Path) -> None:
    report = CrashReport(
        "Fatal Python error: Aborted\n\nCurrent thread 0x1 (most recent call first):\n",
        size=60,
        crashed_at=datetime(2026, 12, 1, 14, 30, 5),
        kept_as=tmp_path / "crash-20261201-143005.log",
    )
    sentence = previous_crash_sentence(report)
    assert sentence.startswith(
        "Satori Desktop closed unexpectedly last time, on 1 Dec 2026 at 14:30 (Aborted)."
    )
    assert str(tmp_path / "crash-20261201-143005.log") in sentence
    assert "Traceback" not in sentence and "Fatal Python error" not in sentence
    windows = CrashReport("Windows fatal exception: access violation\n", 44, datetime(2026, 1, 2), None)
    assert windows.kind == "access violation"
    assert "(access violation)" in previous_crash_sentence(windows)
    assert CrashReport("garbage", 7, datetime(2026, 1, 2), None).kind is None


def test_a_huge_report_shows_its_last_20_kb_from_a_whole_line_and_keeps_all_of_it() -> None:
    crash_log_path().parent.mkdir(parents=True)
    lines = [
        "Fatal Python error: Segmentation fault",
        *(f'  File "frame{i}.py", line {i}' for i in range(50_000)),
    ]
    whole = ("\n".join(lines) + "\n").encode()
    crash_log_path().write_bytes(whole)
    report = take_previous_crash()
    assert report is not None and report.truncated and report.size == len(whole)
    first, _, rest = report.details.partition("\n")
    left_out = len(whole) - len(rest.encode())
    assert first == f"[… the first {left_out:,} bytes are left out here; the kept file has them]"
    assert rest.startswith('  File "frame') and rest.endswith('  File "frame49999.py", line 49999\n')
    assert len(rest.encode()) <= DETAILS_LIMIT
    assert report.kept_as is not None and report.kept_as.read_bytes() == whole


def test_a_report_that_is_not_utf8_is_read_with_replacement_characters() -> None:
    crash_log_path().parent.mkdir(parents=True)
    raw = b'Fatal Python error: Segmentation fault\n\n  File "/home/\xff\xfeuser/x.py", line 3 in f\n'
    crash_log_path().write_bytes(raw)
    report = take_previous_crash()
    assert report is not None and report.kind == "Segmentation fault"
    assert '"/home/\ufffd\ufffduser/x.py"' in report.details
    assert report.kept_as is not None and report.kept_as.read_bytes() == raw


def test_two_crashes_in_the_same_second_keep_both_reports() -> None:
    crash_log_path().parent.mkdir(parents=True)
    crash_log_path().write_text("Fatal Python error: Aborted\n")
    first = take_previous_crash()
    crash_log_path().write_text("Fatal Python error: Segmentation fault\n")
    assert first is not None and first.kept_as is not None
    stamp = first.crashed_at.timestamp()
    os.utime(crash_log_path(), (stamp, stamp))  # the same second as the first one
    second = take_previous_crash()
    assert second is not None and second.kept_as is not None
    assert second.kept_as.name == first.kept_as.name.replace(".log", "-1.log")
    assert first.kept_as.read_text() == "Fatal Python error: Aborted\n"
    assert second.kept_as.read_text() == "Fatal Python error: Segmentation fault\n"


def test_a_crash_log_that_cannot_be_read_is_still_reported_and_moved_aside(tmp_path: Path) -> None:
    crash_log_path().parent.mkdir(parents=True)
    if getattr(os, "geteuid", lambda: 1)() != 0:
        crash_log_path().write_text("Fatal Python error: Segmentation fault\n")
        crash_log_path().chmod(0)
    else:
        # Root reads any file it owns; a write-only sysfs attribute refuses even root (kernfs checks the
        # mode on open). A link to one stands for a crash.log nobody can read.
        write_only = next((p for p in Path("/sys/devices").glob("pci*/*/rescan") if p.is_file()), None)
        if write_only is None:
            pytest.skip("running as root and no write-only sysfs file to stand for an unreadable report")
        crash_log_path().symlink_to(write_only)
    report = take_previous_crash()
    assert report is not None and report.read_error is not None and report.details == ""
    assert report.kept_as is not None and not crash_log_path().exists()
    sentence = previous_crash_sentence(report)
    assert "closed unexpectedly last time" in sentence and "could not be read" in sentence


def test_a_crash_log_that_is_a_folder_is_left_alone() -> None:
    crash_log_path().mkdir(parents=True)
    assert take_previous_crash() is None


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=3 * DETAILS_LIMIT))
def test_whatever_bytes_were_left_the_report_is_kept_whole_and_the_next_start_is_clean(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "crash.log"
        path.write_bytes(raw)
        report = take_previous_crash(path)
        if not raw.decode("utf-8", errors="replace").strip():
            assert report is None and path.read_bytes() == b""
            return
        assert report is not None and report.kept_as is not None
        assert report.kept_as.read_bytes() == raw
        assert len(report.details.encode()) <= DETAILS_LIMIT + 200  # the tail, and a line saying so
        assert not path.exists() and take_previous_crash(path) is None


def test_a_report_that_cannot_be_kept_apart_is_emptied_and_the_sentence_points_at_the_log() -> None:
    crash_log_path().parent.mkdir(parents=True)
    crash_log_path().write_text("Fatal Python error: Bus error\n")
    stamp = f"{datetime.fromtimestamp(crash_log_path().stat().st_mtime):%Y%m%d-%H%M%S}"
    taken = [crash_log_path().with_name(f"crash-{stamp}.log")]
    taken += [crash_log_path().with_name(f"crash-{stamp}-{n}.log") for n in range(1, 100)]
    for path in taken:  # every name it may use already holds a report, which it must not overwrite
        path.write_text("an older report\n")
    report = take_previous_crash()
    assert report is not None and report.kept_as is None and report.kind == "Bus error"
    assert crash_log_path().read_bytes() == b""  # emptied (it is in the log), so it is not reported again
    assert all(path.read_text() == "an older report\n" for path in taken)
    assert f"kept in the log file {log_file_path()}." in previous_crash_sentence(report)
    assert take_previous_crash() is None
