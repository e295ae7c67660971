"""Suite-wide fixtures: every test runs with its own Satori Desktop home, never the real user's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def satori_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("satori-home")
    monkeypatch.setenv("SATORI_DESKTOP_HOME", str(home))
    yield home
