"""The console handler follows sys.stderr: a stream swapped out (and closed) since set-up breaks nothing;
it shows sentences, and the traceback of a record goes to the log file only."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from satori_desktop.core.logging_setup import _SentenceFormatter, _StderrHandler


def test_the_console_handler_writes_to_the_stderr_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    handler = _StderrHandler()
    first.close()  # what a finished test's captured stream is
    now = io.StringIO()
    monkeypatch.setattr(sys, "stderr", now)
    handler.emit(logging.LogRecord("satori", logging.WARNING, __file__, 1, "a sentence", None, None))
    assert now.getvalue() == "a sentence\n"


def test_the_console_shows_the_sentence_and_the_log_file_keeps_the_traceback() -> None:
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        record = logging.LogRecord(
            "satori", logging.ERROR, __file__, 1, "unexpected error", None, sys.exc_info()
        )
    to_file = logging.Formatter("%(message)s")
    assert "Traceback" in to_file.format(record)  # the file handler first: the traceback is cached
    assert _SentenceFormatter("%(levelname)s %(message)s").format(record) == "ERROR unexpected error"
    assert "ZeroDivisionError" in to_file.format(record)  # and still there for every other handler
