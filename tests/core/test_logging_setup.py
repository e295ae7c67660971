"""The console handler follows sys.stderr: a stream swapped out (and closed) since set-up breaks nothing."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from satori_desktop.core.logging_setup import _StderrHandler


def test_the_console_handler_writes_to_the_stderr_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    handler = _StderrHandler()
    first.close()  # what a finished test's captured stream is
    now = io.StringIO()
    monkeypatch.setattr(sys, "stderr", now)
    handler.emit(logging.LogRecord("satori", logging.WARNING, __file__, 1, "a sentence", None, None))
    assert now.getvalue() == "a sentence\n"
