"""The user's preferences, as a typed object saved to JSON under `core.paths.config_dir()`.

Qt-free so the CLI and tests can read and write them too (napari keeps its settings out of Qt the same
way). Window geometry is not here: that is Qt's business (QSettings).

What callers use:

- `load_settings_report(path=None) -> SettingsLoad(settings, notice, read_only)`: the settings, plus
  `notice`, one sentence for the window when the file needed attention (None when all was well), and
  `read_only`, True when `save_settings` would refuse to write (so a window can say changes are not kept
  instead of trying on every toggle). `load_settings(path=None) -> Settings` is the same without the
  report, for callers that only need the values (the notice is still in the log).
- `save_settings(settings, path=None) -> None`: writes atomically (a temporary file, flushed to disk,
  then renamed over the old one). Rather than write over a file it must keep, it raises
  `SettingsReadOnlyError` (a `UserFacingError`; its message is the sentence to show): for a newer
  version's file the message is `NEWER_FILE_NOTICE`. It checks the file on disk at every save, so a newer
  version that saved while this one was running is not overwritten either. `OSError` means the disk
  refused the write.

What a settings file can be, and what happens:

- missing: the defaults, no notice.
- written by this version: its values; a value of the wrong type (or an impossible one) falls back to
  its default and is logged, the others are kept.
- written by an older version (`schema_version` lower than ours, or no `schema_version`): migrated step
  by step through `MIGRATIONS` (version N -> a function turning a version-N dict into a version-N+1
  dict, as napari does), then read as above. The file is rewritten in the new form on the next save.
- written by a newer version: the fields this version knows are read, the file is never written
  (`read_only`), and `notice` is `NEWER_FILE_NOTICE`.
- damaged (not JSON, not UTF-8, or JSON that is not an object): moved aside to
  `settings.json.corrupt-YYYYmmdd-HHMMSS` (kept, never deleted), the defaults are used, and `notice` says
  where the old file went. If it cannot be moved, nothing is written over it (`read_only`).
- unreadable (permissions, a folder in its place): the defaults, `read_only`, and a notice saying why.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from satori_desktop.core import paths
from satori_desktop.core.errors import UserFacingError

SCHEMA_VERSION = 1
SETTINGS_FILE_NAME = "settings.json"

NEWER_FILE_NOTICE = (
    "Your settings were saved by a newer version of Satori Desktop; this version will not change them."
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    # Reflect/explore sections fold when the next step starts; True keeps every one open.
    keep_sections_open: bool = False
    # The model card's recommended limit (engine.types.DEFAULT_MAX_NEW_TOKENS; core does not import engine).
    max_new_tokens: int = 4096
    # Where downloaded models go; "" means the platform's data folder (core.paths.models_dir()).
    models_dir: str = ""
    # Always this version's SCHEMA_VERSION: the shape of this object, not of the file it came from.
    schema_version: int = SCHEMA_VERSION

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


@dataclass(frozen=True)
class SettingsLoad:
    """What `load_settings_report` found: the settings and, when the file needed attention, why."""

    settings: Settings
    # One sentence for the user (shown once, e.g. in the window's notice bar), or None when all was well.
    notice: str | None = None
    # True: save_settings would refuse (a newer version's file, or one that could not be read or kept).
    read_only: bool = False


class SettingsReadOnlyError(UserFacingError):
    """`save_settings` refused: the file on disk belongs to a newer version of the app."""


Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _from_unversioned(raw: dict[str, Any]) -> dict[str, Any]:
    # Every file the app has written carries schema_version 1; one without it was written by hand (or by a
    # build from before the field) and has the same fields.
    return raw


# Version N -> the function that turns a version-N dict into a version-N+1 dict. When a field is renamed
# or changes meaning, bump SCHEMA_VERSION and add one entry here; never edit an old one.
MIGRATIONS: dict[int, Migration] = {0: _from_unversioned}


def settings_path() -> Path:
    return paths.config_dir() / SETTINGS_FILE_NAME


def load_settings(path: Path | None = None) -> Settings:
    """The settings from the file (see the module docstring); the notice, if any, is only logged."""
    return load_settings_report(path).settings


def load_settings_report(path: Path | None = None) -> SettingsLoad:
    """Read the settings file and say what, if anything, the user should be told about it."""
    path = path or settings_path()
    try:
        text = path.read_bytes().decode("utf-8")
        raw = json.loads(text)
    except FileNotFoundError:
        return SettingsLoad(Settings())
    except OSError as exc:
        log.warning("settings file %s could not be read (%s); using defaults", path, exc)
        reason = exc.strerror or type(exc).__name__
        return SettingsLoad(
            Settings(),
            notice=f"Your settings file {path} could not be read ({reason}), so the defaults are used and "
            "changes will not be saved.",
            read_only=True,
        )
    except ValueError as exc:  # not UTF-8 (UnicodeDecodeError) or not JSON (JSONDecodeError)
        return _set_aside_damaged(path, f"it is not valid JSON ({exc})")
    if not isinstance(raw, dict):
        return _set_aside_damaged(path, f"it holds a JSON {type(raw).__name__}, not an object")

    version = _schema_version(raw, path)
    if version > SCHEMA_VERSION:
        log.warning(
            "settings file %s has schema_version %d (this version writes %d); reading it, never writing it",
            path,
            version,
            SCHEMA_VERSION,
        )
        return SettingsLoad(_settings_from(raw, path), notice=NEWER_FILE_NOTICE, read_only=True)
    while version < SCHEMA_VERSION:
        log.info("migrating settings file %s from schema_version %d", path, version)
        raw = MIGRATIONS[version](dict(raw))
        version += 1
    return SettingsLoad(_settings_from(raw, path))


def _schema_version(raw: dict[str, Any], path: Path) -> int:
    """The file's schema_version; 0 when it has none, or none that makes sense."""
    value = raw.get("schema_version", 0)
    if type(value) is not int or value < 0:
        log.warning("settings file %s has schema_version %r; reading it as unversioned", path, value)
        return 0
    return value


def _settings_from(raw: dict[str, Any], path: Path) -> Settings:
    """The fields this version knows, each checked on its own: a bad value falls back to its default."""
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "schema_version" or f.name not in raw:
            continue
        value = raw[f.name]
        default = getattr(defaults, f.name)
        # bool is a subclass of int: check it explicitly so `true` never becomes a token count.
        if type(value) is not type(default):
            log.warning(
                "%s: setting %s=%r has the wrong type; using the default %r", path, f.name, value, default
            )
            continue
        values[f.name] = value
    if values.get("max_new_tokens", 1) < 1:
        log.warning(
            "%s: max_new_tokens=%r is not positive; using the default", path, values["max_new_tokens"]
        )
        values.pop("max_new_tokens")
    return replace(defaults, **values)


def _set_aside_damaged(path: Path, why: str) -> SettingsLoad:
    log.warning("settings file %s is damaged (%s); moving it aside and using defaults", path, why)
    try:
        aside = _move_aside(path)
    except OSError as exc:
        log.warning("settings file %s could not be moved aside: %s", path, exc)
        reason = exc.strerror or type(exc).__name__
        return SettingsLoad(
            Settings(),
            notice=f"Your settings file {path} is damaged and could not be moved aside ({reason}), so the "
            "defaults are used and changes will not be saved.",
            read_only=True,
        )
    log.warning("damaged settings file kept as %s", aside)
    return SettingsLoad(
        Settings(),
        notice=f"Your settings file was damaged, so the defaults are used; the old file was kept as {aside}.",
    )


def _move_aside(path: Path) -> Path:
    """Rename `path` to `<name>.corrupt-<local time>` (with -2, -3... if taken) and return the new path."""
    stem = f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}"
    aside = path.with_name(stem)
    number = 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{stem}-{number}")
    # os.rename, not os.replace: on Windows it refuses to overwrite, so an earlier copy can never be lost.
    os.rename(path, aside)
    return aside


def _refuse_to_overwrite(path: Path) -> None:
    """Raise instead of writing over what is at `path` now; move a damaged file aside first.

    Checked at every save, not remembered from the load, so a newer version that saved while this one was
    running is not overwritten either.
    """
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SettingsReadOnlyError(
            f"Your settings file {path} could not be read ({reason}), so it is not written over; "
            "fix its permissions or move it away, and try again."
        ) from None
    except ValueError:
        raw = None
    if not isinstance(raw, dict):
        report = _set_aside_damaged(path, "it is not a JSON object")
        if report.read_only:
            raise SettingsReadOnlyError(str(report.notice))
        return
    version = raw.get("schema_version")
    if type(version) is int and version > SCHEMA_VERSION:
        raise SettingsReadOnlyError(NEWER_FILE_NOTICE)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically (temp file, fsync, rename) so a crash never leaves half a settings file.

    Raises `SettingsReadOnlyError` (a `UserFacingError`) rather than write over a newer version's file or
    one it could not read or keep; a damaged file is moved aside first, never deleted.
    """
    path = path or settings_path()
    _refuse_to_overwrite(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(settings)
    data["schema_version"] = SCHEMA_VERSION
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as tmp_file:
            tmp_file.write(text)
            tmp_file.flush()
            os.fsync(tmp_file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
