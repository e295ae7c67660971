"""Logging for the CLI and the GUI: everything to a rotating file, warnings (or all, with -v) to stderr.

The log file is where tracebacks go; the screen only ever gets sentences.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path
from typing import TextIO

from satori_desktop.core import paths

_configured = False


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record comes, not the one there when logging was set up
    (a redirect, or a test's captured stream that is closed by now, would otherwise swallow or break it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class _SentenceFormatter(logging.Formatter):
    """The console's format: the record's message without its traceback (that is for the log file).

    The record is given back as it came: the file handler formats the same record, and logging caches the
    formatted traceback on it (`exc_text`), so it is set aside here rather than cleared.
    """

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def log_file_path() -> Path:
    return paths.log_dir() / "satori-desktop.log"


def configure_logging(*, verbose: bool = False) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    root = logging.getLogger()
    # Our own modules log in detail; libraries (markdown-it, httpx, ...) only from INFO up, or their debug
    # chatter would flood the log file and cost time on every token.
    root.setLevel(logging.INFO)
    logging.getLogger("satori_desktop").setLevel(logging.DEBUG)
    console = _StderrHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    # With -v a developer asked for details, tracebacks included; otherwise the screen gets sentences.
    console_format = logging.Formatter if verbose else _SentenceFormatter
    console.setFormatter(console_format("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)
    try:
        log_file_path().parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_file_path(), maxBytes=2_000_000, backupCount=2, encoding="utf-8"
        )
    except OSError:
        return  # a read-only home must not stop the app; stderr still gets warnings
    file_handler.setLevel(logging.DEBUG)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
