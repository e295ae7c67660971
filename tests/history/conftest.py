"""Fixtures of the history tests: a real SQLite file in a temporary folder, opened by the real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from satori_desktop.history import HistoryStore

# Short checkpoints keep the tests quick; the crash test runs with the app's real interval.
FAST_INTERVAL_S = 0.05


@pytest.fixture
def history_file(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def store(history_file: Path) -> Iterator[HistoryStore]:
    opened = HistoryStore(history_file, checkpoint_interval_s=FAST_INTERVAL_S)
    yield opened
    opened.close()
