"""Where Satori Desktop keeps its files, per platformdirs.

`SATORI_DESKTOP_HOME` moves everything under one folder: tests use it so they never touch the real
user's settings, models or history.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "SatoriDesktop"
HOME_ENV = "SATORI_DESKTOP_HOME"


def _override() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value) if value else None


def config_dir() -> Path:
    base = _override()
    return base / "config" if base else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    base = _override()
    return base / "data" if base else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def models_dir() -> Path:
    return data_dir() / "models"


def log_dir() -> Path:
    base = _override()
    return base / "logs" if base else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
