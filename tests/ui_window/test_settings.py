"""The typed settings file: defaults, round trip, and damage that falls back to defaults."""

from __future__ import annotations

import json
from pathlib import Path

from satori_desktop.core import paths
from satori_desktop.core.settings import SCHEMA_VERSION, Settings, load_settings, save_settings, settings_path


def test_missing_file_gives_defaults() -> None:
    assert load_settings() == Settings()


def test_round_trip_under_the_config_dir(satori_home: Path) -> None:
    save_settings(Settings(keep_sections_open=True, max_new_tokens=1024))
    assert settings_path().parent == paths.config_dir()
    assert str(settings_path()).startswith(str(satori_home))
    data = json.loads(settings_path().read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert load_settings() == Settings(keep_sections_open=True, max_new_tokens=1024)


def test_damaged_file_and_wrong_types_fall_back_to_defaults() -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text("{not json", encoding="utf-8")
    assert load_settings() == Settings()
    settings_path().write_text(
        json.dumps({"keep_sections_open": "yes", "max_new_tokens": True, "unknown": 1}), encoding="utf-8"
    )
    assert load_settings() == Settings()
    settings_path().write_text(
        json.dumps({"keep_sections_open": True, "max_new_tokens": -5}), encoding="utf-8"
    )
    assert load_settings() == Settings(keep_sections_open=True)
