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
- written by this version: its values; a value of the wrong type or outside its limits
  (`NUMBER_LIMITS`, `THEMES`, `LANGUAGES`) falls back to its default and is logged, the others are kept.
  A field this version added since the file was written simply takes its default: adding a field needs
  no schema bump, only renaming one or changing its meaning does.
- written by an older version (`schema_version` lower than ours, or no `schema_version`): migrated step
  by step through `MIGRATIONS` (version N -> a function turning a version-N dict into a version-N+1
  dict, as napari does), then read as above. The file is rewritten in the new form on the next save.
- written by a newer version: the fields this version knows are read, the file is never written
  (`read_only`), and `notice` is `NEWER_FILE_NOTICE`.
- damaged (not JSON, not UTF-8, or JSON that is not an object): moved aside to
  `settings.json.corrupt-YYYYmmdd-HHMMSS` (kept, never deleted), the defaults are used, and `notice` says
  where the old file went. If it cannot be moved, nothing is written over it (`read_only`).
- unreadable (permissions, a folder in its place): the defaults, `read_only`, and a notice saying why.

`reload_needed(old, new)` says whether a change only takes effect once the model is loaded again (the
fields in `RELOAD_FIELDS`: context size, GPU layers, CPU threads, which `engine.types.LoadOptions` takes);
every other field applies at once.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

from satori_desktop.core import paths
from satori_desktop.core.arguments import (
    MAX_CONTEXT_TOKENS,
    MAX_GPU_LAYERS,
    MAX_SEED,
    MAX_THREADS,
    MIN_CONTEXT_TOKENS,
)
from satori_desktop.core.errors import UserFacingError

SCHEMA_VERSION = 1
SETTINGS_FILE_NAME = "settings.json"

NEWER_FILE_NOTICE = (
    "Your settings were saved by a newer version of Satori Desktop; this version will not change them."
)

log = logging.getLogger(__name__)


Theme = Literal["light", "dark", "system"]
THEMES: tuple[Theme, ...] = get_args(Theme)

# "system" follows the operating system's language; the others are the UI translations the app knows
# (the Chinese one arrives in a later version: the choice is kept until then).
Language = Literal["system", "en", "zh_CN"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

# Where answers come from: the model on this computer, or Satori on a shared server (engine/remote.py).
EngineMode = Literal["local", "server"]
ENGINE_MODES: tuple[EngineMode, ...] = get_args(EngineMode)

# How a model's output is read: "auto" takes what the model is (core/model_format.py); the others force
# Satori's COAT steps, a <think> thought, Marco-o1's <Thought>/<Output>, or a plain answer.
ReasoningChoice = Literal["auto", "coat", "think", "marco", "plain"]
REASONING_CHOICES: tuple[ReasoningChoice, ...] = get_args(ReasoningChoice)

# The command line takes any temperature >= 0 for one run (core.arguments); a saved preference stays in
# the range where sampling still follows the model (above 2 it is close to uniform), which is also what
# the settings dialog offers.
MAX_TEMPERATURE = 2.0

# The number fields' limits, inclusive, shared by the loader (a value outside falls back to its default)
# and the settings dialog (its spin boxes cannot go outside). For the optional ones, None is also valid.
NUMBER_LIMITS: dict[str, tuple[float, float]] = {
    "temperature": (0.0, MAX_TEMPERATURE),
    "max_new_tokens": (1, MAX_CONTEXT_TOKENS),
    "seed": (0, MAX_SEED),
    "n_ctx": (MIN_CONTEXT_TOKENS, MAX_CONTEXT_TOKENS),
    "gpu_layers": (0, MAX_GPU_LAYERS),
    "n_threads": (1, MAX_THREADS),
    "samples": (2, 16),
}

# What `engine.types.LoadOptions` takes: a change applies when the model is loaded again.
RELOAD_FIELDS = ("n_ctx", "gpu_layers", "n_threads")


@dataclass(frozen=True)
class Settings:
    # -- answers: what each GenerationRequest carries --
    # 0 is greedy decoding, the model card's recommendation.
    temperature: float = 0.0
    # The model card's recommended limit (engine.types.DEFAULT_MAX_NEW_TOKENS; core does not import engine).
    max_new_tokens: int = 4096
    # None: a random seed for each answer; a number (0 to MAX_SEED) makes sampling repeatable.
    seed: int | None = None

    # -- model and hardware: what LoadOptions carries (RELOAD_FIELDS); None lets the engine decide --
    # Tokens of context; None: enough for the prompt plus max_new_tokens, capped at the trained context.
    n_ctx: int | None = None
    # Layers offloaded to the GPU; None: as many as fit, 0: CPU only.
    gpu_layers: int | None = None
    # Decode threads; None: one per physical core.
    n_threads: int | None = None

    # -- solve several times: how many solutions are sampled together (self-consistency) --
    samples: int = 8

    # -- a shared server instead of the local model (the API key is in the OS keychain, never here) --
    engine: EngineMode = "local"
    # The server's address, or several separated by commas or spaces (their work is shared in turn).
    server_urls: str = ""
    # The server's name for the model; "" takes the one it offers.
    server_model: str = ""
    # A certificate file to trust for https servers (engine/remote.py's tls_context); "": the system's.
    server_ca_file: str = ""

    # -- how each model's reasoning is read: (model file name, choice) pairs; a model not here: "auto".
    # Pairs, not a dict, so the settings stay hashable (a frozen dataclass) --
    reasoning_formats: tuple[tuple[str, ReasoningChoice], ...] = ()

    # -- appearance --
    # Reflect/explore sections fold when the next step starts; True keeps every one open.
    keep_sections_open: bool = False
    # The window and the transcript page: light, dark, or whatever the system uses.
    theme: Theme = "system"
    language: Language = "system"

    # -- files --
    # Where downloaded models go; "" means the platform's data folder (core.paths.models_dir()).
    models_dir: str = ""
    # Where models are downloaded from: a mirror of the Hugging Face hub (where huggingface.co cannot be
    # reached), as its base URL; "" for the hub itself (or HF_ENDPOINT, which wins where it is set).
    hub_endpoint: str = ""

    # Always this version's SCHEMA_VERSION: the shape of this object, not of the file it came from.
    schema_version: int = SCHEMA_VERSION

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def reload_needed(old: Settings, new: Settings) -> bool:
    """True when going from `old` to `new` changes how the model is loaded (context size, GPU layers,
    CPU threads): those take effect only once the model is loaded again."""
    return any(getattr(old, name) != getattr(new, name) for name in RELOAD_FIELDS)


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


class _Invalid(Exception):
    """A value from the file that this field cannot take; the message says why (for the log)."""


def _check_bool(value: Any) -> bool:
    if type(value) is not bool:
        raise _Invalid("has the wrong type")
    return value


def _check_text(value: Any) -> str:
    if type(value) is not str:
        raise _Invalid("has the wrong type")
    return value


def _check_choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if _check_text(value) not in choices:
            raise _Invalid(f"is not one of {', '.join(choices)}")
        return value

    return check


def _check_whole(name: str, *, optional: bool = False) -> Callable[[Any], int | None]:
    low, high = NUMBER_LIMITS[name]

    def check(value: Any) -> int | None:
        if value is None and optional:
            return None
        # bool is a subclass of int: check the exact type so `true` never becomes a token count; a float
        # such as 12.0 is refused too (the app never writes one).
        if type(value) is not int:
            raise _Invalid("has the wrong type")
        if not low <= value <= high:
            raise _Invalid(f"is not from {low:,} to {high:,}")
        return value

    return check


def _check_temperature(value: Any) -> float:
    if type(value) not in (int, float):
        raise _Invalid("has the wrong type")
    low, high = NUMBER_LIMITS["temperature"]
    # json.loads reads NaN and Infinity, and NaN compares false with everything: check it by name.
    if not math.isfinite(value) or not low <= value <= high:
        raise _Invalid(f"is not from {low:g} to {high:g}")
    return float(value)


def _check_formats(value: Any) -> tuple[tuple[str, str], ...]:
    # JSON has no tuples: the pairs come back as lists of two.
    if type(value) is not list or not all(type(pair) is list and len(pair) == 2 for pair in value):
        raise _Invalid("is not a list of [model file name, format] pairs")
    if not all(type(name) is str and choice in REASONING_CHOICES for name, choice in value):
        raise _Invalid(f"holds a reasoning format that is not one of {', '.join(REASONING_CHOICES)}")
    return tuple((name, choice) for name, choice in value if choice != "auto")


def reasoning_choice(settings: Settings, model_name: str) -> str:
    """How the model of this file name is read: its saved choice, else "auto"."""
    return next((choice for name, choice in settings.reasoning_formats if name == model_name), "auto")


def with_reasoning_choice(settings: Settings, model_name: str, choice: str) -> Settings:
    """`settings` with `choice` for the model of this file name ("auto" forgets the model's choice)."""
    kept = tuple(pair for pair in settings.reasoning_formats if pair[0] != model_name)
    if choice != "auto" and choice in REASONING_CHOICES:
        kept += ((model_name, choice),)  # type: ignore[assignment]
    return settings.with_changes(reasoning_formats=kept)


# One checker per field: the value to use, or _Invalid.
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "temperature": _check_temperature,
    "max_new_tokens": _check_whole("max_new_tokens"),
    "seed": _check_whole("seed", optional=True),
    "n_ctx": _check_whole("n_ctx", optional=True),
    "gpu_layers": _check_whole("gpu_layers", optional=True),
    "n_threads": _check_whole("n_threads", optional=True),
    "samples": _check_whole("samples"),
    "keep_sections_open": _check_bool,
    "theme": _check_choice(THEMES),
    "language": _check_choice(LANGUAGES),
    "models_dir": _check_text,
    "hub_endpoint": _check_text,
    "engine": _check_choice(ENGINE_MODES),
    "server_urls": _check_text,
    "server_model": _check_text,
    "server_ca_file": _check_text,
    "reasoning_formats": _check_formats,
}


def server_url_list(text: str) -> list[str]:
    """The addresses of `Settings.server_urls`, as written (commas or spaces between them)."""
    return [part for part in text.replace(",", " ").split() if part]


def _settings_from(raw: dict[str, Any], path: Path) -> Settings:
    """The fields this version knows, each checked on its own: a bad value falls back to its default."""
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "schema_version" or f.name not in raw:
            continue
        value = raw[f.name]
        try:
            values[f.name] = _CHECKS[f.name](value)
        except _Invalid as why:
            log.warning(
                "%s: setting %s=%r %s; using the default %r",
                path,
                f.name,
                value,
                why,
                getattr(defaults, f.name),
            )
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
