"""The user's preferences, as a typed object saved to JSON under `core.paths.config_dir()`.

Qt-free so the CLI and tests can read and write them too (napari keeps its settings out of Qt the same
way). Window geometry is not here: that is Qt's business (QSettings). The file carries a
`schema_version`; a file that cannot be read, or holds values of the wrong type, falls back to the
defaults for those values rather than stopping the app.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from satori_desktop.core import paths

SCHEMA_VERSION = 1
SETTINGS_FILE_NAME = "settings.json"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    # Reflect/explore sections fold when the next step starts; True keeps every one open.
    keep_sections_open: bool = False
    # The model card's recommended limit (engine.types.DEFAULT_MAX_NEW_TOKENS; core does not import engine).
    max_new_tokens: int = 4096
    # Where downloaded models go; "" means the platform's data folder (core.paths.models_dir()).
    models_dir: str = ""
    schema_version: int = SCHEMA_VERSION

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def settings_path() -> Path:
    return paths.config_dir() / SETTINGS_FILE_NAME


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file; missing or damaged parts come back as defaults (and are logged)."""
    path = path or settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        log.warning("settings file %s could not be read (%s); using defaults", path, exc)
        return Settings()
    if not isinstance(raw, dict):
        log.warning("settings file %s does not hold an object; using defaults", path)
        return Settings()
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "schema_version" or f.name not in raw:
            continue
        value = raw[f.name]
        default = getattr(defaults, f.name)
        # bool is a subclass of int: check it explicitly so `true` never becomes a token count.
        if type(value) is not type(default):
            log.warning("setting %s=%r has the wrong type; using the default %r", f.name, value, default)
            continue
        values[f.name] = value
    if values.get("max_new_tokens", 1) < 1:
        values.pop("max_new_tokens")
    return replace(defaults, **values)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a settings file."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(settings)
    data["schema_version"] = SCHEMA_VERSION
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
