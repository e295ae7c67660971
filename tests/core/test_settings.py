"""The settings file in every state it can be found in: missing, ours, older, newer, damaged, unreadable."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from satori_desktop.core import arguments
from satori_desktop.core import settings as settings_module
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.settings import (
    LANGUAGES,
    NEWER_FILE_NOTICE,
    NUMBER_LIMITS,
    RELOAD_FIELDS,
    SCHEMA_VERSION,
    THEMES,
    Settings,
    SettingsLoad,
    SettingsReadOnlyError,
    load_settings,
    load_settings_report,
    reload_needed,
    save_settings,
    settings_path,
)


def write_json(data: Any) -> Path:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def corrupt_copies(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


def test_missing_file_gives_defaults_and_no_notice() -> None:
    assert load_settings_report() == SettingsLoad(Settings(), notice=None, read_only=False)
    assert not settings_path().exists()  # reading never creates the file


def test_round_trip(satori_home: Path) -> None:
    chosen = Settings(keep_sections_open=True, max_new_tokens=1024, models_dir="/data/models")
    save_settings(chosen)
    assert str(settings_path()).startswith(str(satori_home))
    data = json.loads(settings_path().read_text(encoding="utf-8"))
    assert data == {
        "engine": "local",
        "reasoning_formats": [],
        "server_model": "",
        "server_ca_file": "",
        "server_urls": "",
        "gpu_layers": None,
        "keep_sections_open": True,
        "language": "system",
        "max_new_tokens": 1024,
        "models_dir": "/data/models",
        "hub_endpoint": "",
        "n_ctx": None,
        "n_threads": None,
        "samples": 8,
        "schema_version": SCHEMA_VERSION,
        "seed": None,
        "temperature": 0.0,
        "theme": "system",
    }
    assert load_settings_report() == SettingsLoad(chosen)
    assert load_settings() == chosen


def test_explicit_path(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "s.json"
    save_settings(Settings(max_new_tokens=77), path)
    assert load_settings(path).max_new_tokens == 77
    assert not settings_path().exists()


# -- a newer version's file ---------------------------------------------------------------------------------


def newer_file() -> tuple[Path, bytes]:
    path = write_json(
        {
            "schema_version": SCHEMA_VERSION + 1,
            "keep_sections_open": True,
            "max_new_tokens": 2048,
            "theme": "dark",
            "sidebar_position": "right",  # a field only the newer version knows
        }
    )
    return path, path.read_bytes()


def test_newer_file_is_read_for_the_fields_we_know() -> None:
    newer_file()
    report = load_settings_report()
    assert report.settings == Settings(keep_sections_open=True, max_new_tokens=2048, theme="dark")
    assert report.read_only is True
    assert report.notice == NEWER_FILE_NOTICE
    assert report.notice == (
        "Your settings were saved by a newer version of Satori Desktop; this version will not change them."
    )


def test_newer_file_is_never_written_over() -> None:
    path, before = newer_file()
    report = load_settings_report()
    with pytest.raises(SettingsReadOnlyError) as refused:
        save_settings(report.settings.with_changes(keep_sections_open=False))
    assert isinstance(refused.value, UserFacingError)
    assert str(refused.value) == NEWER_FILE_NOTICE
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_a_newer_version_saving_while_we_run_is_not_overwritten() -> None:
    save_settings(Settings())
    assert load_settings_report().read_only is False
    path, before = newer_file()  # the newer version writes after we loaded
    with pytest.raises(SettingsReadOnlyError):
        save_settings(Settings(max_new_tokens=10))
    assert path.read_bytes() == before


# -- damaged files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b'{"keep_sections_open": tr',
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'"text"',
        b"null",
    ],
    ids=["not-json", "empty", "truncated", "not-utf8", "array", "string", "null"],
)
def test_damaged_file_is_moved_aside_intact_and_named(
    content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="satori_desktop.core.settings"):
        report = load_settings_report()
    assert report.settings == Settings()
    assert report.read_only is False
    [aside] = corrupt_copies(path)
    assert aside.read_bytes() == content
    assert not path.exists()
    assert report.notice == (
        f"Your settings file was damaged, so the defaults are used; the old file was kept as {aside}."
    )
    assert "damaged" in caplog.text
    # The aside name carries the time: settings.json.corrupt-YYYYmmdd-HHMMSS.
    stamp = aside.name.removeprefix("settings.json.corrupt-")
    assert len(stamp) == 15 and stamp[8] == "-" and stamp.replace("-", "").isdigit()
    # The next save writes a fresh file and leaves the kept copy alone.
    save_settings(Settings(keep_sections_open=True))
    assert load_settings().keep_sections_open is True
    assert aside.read_bytes() == content


def test_two_damaged_files_in_the_same_second_are_both_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module.time, "strftime", lambda _fmt: "20260101-120000")
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("first", encoding="utf-8")
    load_settings()
    path.write_text("second", encoding="utf-8")
    load_settings()
    kept = corrupt_copies(path)
    assert [p.name for p in kept] == [
        "settings.json.corrupt-20260101-120000",
        "settings.json.corrupt-20260101-120000-2",
    ]
    assert [p.read_text(encoding="utf-8") for p in kept] == ["first", "second"]


def test_saving_over_a_file_damaged_since_loading_keeps_it() -> None:
    save_settings(Settings())
    path = settings_path()
    path.write_text("{half a file", encoding="utf-8")
    save_settings(Settings(max_new_tokens=5))
    [aside] = corrupt_copies(path)
    assert aside.read_text(encoding="utf-8") == "{half a file"
    assert load_settings().max_new_tokens == 5


def test_damaged_file_that_cannot_be_moved_is_not_written_over(monkeypatch: pytest.MonkeyPatch) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{broken", encoding="utf-8")

    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(settings_module.os, "rename", refuse)
    report = load_settings_report()
    assert report.settings == Settings()
    assert report.read_only is True
    assert report.notice == (
        f"Your settings file {path} is damaged and could not be moved aside (Permission denied), so the "
        "defaults are used and changes will not be saved."
    )
    with pytest.raises(SettingsReadOnlyError):
        save_settings(Settings())
    assert path.read_text(encoding="utf-8") == "{broken"


def test_unreadable_file_gives_defaults_read_only() -> None:
    path = settings_path()
    path.mkdir(parents=True)  # a folder where the file should be: reading it fails with an OSError
    report = load_settings_report()
    assert report.settings == Settings()
    assert report.read_only is True
    assert report.notice is not None and report.notice.startswith(
        f"Your settings file {path} could not be read"
    )
    with pytest.raises(SettingsReadOnlyError):
        save_settings(Settings())
    assert path.is_dir()


# -- single values and older files --------------------------------------------------------------------------


def test_wrong_types_fall_back_one_by_one(caplog: pytest.LogCaptureFixture) -> None:
    write_json(
        {
            "schema_version": SCHEMA_VERSION,
            "keep_sections_open": "yes",
            "max_new_tokens": True,  # a bool is not a token count
            "models_dir": "/m",
            "unknown": 1,
        }
    )
    with caplog.at_level(logging.WARNING, logger="satori_desktop.core.settings"):
        report = load_settings_report()
    assert report == SettingsLoad(Settings(models_dir="/m"))
    assert "keep_sections_open" in caplog.text and "max_new_tokens" in caplog.text
    write_json({"schema_version": SCHEMA_VERSION, "max_new_tokens": 0, "keep_sections_open": True})
    assert load_settings() == Settings(keep_sections_open=True)
    write_json({"schema_version": SCHEMA_VERSION, "max_new_tokens": 12.0})
    assert load_settings() == Settings()


@pytest.mark.parametrize(
    "version", [None, 0, "1", -3, True], ids=["missing", "zero", "text", "negative", "bool"]
)
def test_older_or_unversioned_file_is_migrated_and_loads(version: Any) -> None:
    data: dict[str, Any] = {"keep_sections_open": True, "max_new_tokens": 512}
    if version is not None:
        data["schema_version"] = version
    write_json(data)
    report = load_settings_report()
    assert report == SettingsLoad(Settings(keep_sections_open=True, max_new_tokens=512))
    save_settings(report.settings)
    assert json.loads(settings_path().read_text(encoding="utf-8"))["schema_version"] == SCHEMA_VERSION


def test_migrations_run_in_order_from_the_file_version(monkeypatch: pytest.MonkeyPatch) -> None:
    # The hook's shape, as the next schema change will use it: version 1 -> 2 renames a field, 2 -> 3
    # converts a value; a version-1 file goes through both, a version-2 file only through the second.
    calls: list[int] = []

    def one_to_two(raw: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        raw["max_new_tokens"] = raw.pop("token_limit")
        return raw

    def two_to_three(raw: dict[str, Any]) -> dict[str, Any]:
        calls.append(2)
        raw["keep_sections_open"] = raw.pop("fold_sections") == "never"
        return raw

    monkeypatch.setattr(settings_module, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(settings_module.MIGRATIONS, 1, one_to_two)
    monkeypatch.setitem(settings_module.MIGRATIONS, 2, two_to_three)
    write_json({"schema_version": 1, "token_limit": 300, "fold_sections": "never"})
    assert load_settings() == Settings(keep_sections_open=True, max_new_tokens=300)
    assert calls == [1, 2]
    calls.clear()
    write_json({"schema_version": 2, "max_new_tokens": 64, "fold_sections": "always"})
    assert load_settings() == Settings(keep_sections_open=False, max_new_tokens=64)
    assert calls == [2]


def test_every_older_version_has_a_migration() -> None:
    assert sorted(settings_module.MIGRATIONS) == list(range(SCHEMA_VERSION))


# -- the write itself ---------------------------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_and_no_temporary(monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(Settings(max_new_tokens=100))
    path = settings_path()
    before = path.read_bytes()

    def crash(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(settings_module.os, "replace", crash)
    with pytest.raises(OSError, match="No space left"):
        save_settings(Settings(max_new_tokens=200))
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_the_new_content_is_on_disk_before_the_rename(monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    replaced: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        assert synced, "renamed before the data was flushed to disk"
        assert json.loads(Path(src).read_text(encoding="utf-8"))["max_new_tokens"] == 321
        replaced.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(settings_module.os, "fsync", fsync)
    monkeypatch.setattr(settings_module.os, "replace", replace)
    save_settings(Settings(max_new_tokens=321))
    [(src, dst)] = replaced
    assert Path(src).parent == settings_path().parent and dst == str(settings_path())
    assert load_settings().max_new_tokens == 321


# -- the fields the settings dialog edits -------------------------------------------------------------------


def test_defaults_are_the_model_cards_and_let_the_engine_decide() -> None:
    defaults = Settings()
    assert (defaults.temperature, defaults.max_new_tokens, defaults.seed) == (0.0, 4096, None)
    assert (defaults.n_ctx, defaults.gpu_layers, defaults.n_threads) == (None, None, None)
    assert (defaults.keep_sections_open, defaults.theme, defaults.language) == (False, "system", "system")
    assert defaults.models_dir == ""
    assert THEMES == ("light", "dark", "system") and LANGUAGES == ("system", "en", "zh_CN")


def test_the_limits_are_the_command_lines() -> None:
    assert NUMBER_LIMITS["max_new_tokens"] == (1, arguments.MAX_CONTEXT_TOKENS)
    assert NUMBER_LIMITS["seed"] == (0, arguments.MAX_SEED)
    assert NUMBER_LIMITS["n_ctx"] == (arguments.MIN_CONTEXT_TOKENS, arguments.MAX_CONTEXT_TOKENS)
    assert NUMBER_LIMITS["gpu_layers"] == (0, arguments.MAX_GPU_LAYERS)
    assert NUMBER_LIMITS["n_threads"] == (1, arguments.MAX_THREADS)
    assert NUMBER_LIMITS["temperature"] == (0.0, 2.0)
    # Every limit is one the command line accepts too (its checkers raise on anything else).
    for name, check in [
        ("max_new_tokens", arguments.max_tokens),
        ("seed", arguments.seed),
        ("n_ctx", arguments.context_tokens),
        ("gpu_layers", arguments.gpu_layers),
        ("n_threads", arguments.thread_count),
        ("temperature", arguments.temperature),
    ]:
        low, high = NUMBER_LIMITS[name]
        assert check(str(low)) == low and check(str(high)) == high


EVERY_FIELD_CHANGED = Settings(
    temperature=0.7,
    max_new_tokens=2048,
    seed=arguments.MAX_SEED,
    n_ctx=8192,
    gpu_layers=0,
    n_threads=6,
    keep_sections_open=True,
    theme="dark",
    language="zh_CN",
    models_dir="/data/模型",
)


def test_every_field_round_trips() -> None:
    save_settings(EVERY_FIELD_CHANGED)
    assert load_settings_report() == SettingsLoad(EVERY_FIELD_CHANGED)
    data = json.loads(settings_path().read_text(encoding="utf-8"))
    assert data["seed"] == 2**32 - 2 and data["gpu_layers"] == 0 and data["theme"] == "dark"
    # Back to "let the engine decide": None is written as null and read back as None.
    save_settings(EVERY_FIELD_CHANGED.with_changes(seed=None, n_ctx=None, gpu_layers=None, n_threads=None))
    data = json.loads(settings_path().read_text(encoding="utf-8"))
    assert [data[name] for name in ("seed", "n_ctx", "gpu_layers", "n_threads")] == [None] * 4
    assert load_settings().n_ctx is None


def test_a_file_from_before_the_new_fields_loads_with_their_defaults() -> None:
    # What this version's predecessor wrote (same schema_version): no bump is needed to add fields.
    write_json({"schema_version": 1, "keep_sections_open": True, "max_new_tokens": 1000, "models_dir": "/m"})
    assert load_settings_report() == SettingsLoad(
        Settings(keep_sections_open=True, max_new_tokens=1000, models_dir="/m")
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_new_tokens", 1),
        ("max_new_tokens", 2**24),
        ("seed", 0),
        ("seed", 2**32 - 2),
        ("n_ctx", 256),
        ("n_ctx", 2**24),
        ("gpu_layers", 0),
        ("gpu_layers", 1024),
        ("n_threads", 1),
        ("n_threads", 512),
        ("temperature", 2.0),
        ("theme", "light"),
        ("language", "en"),
    ],
)
def test_values_at_the_limits_are_kept(name: str, value: Any) -> None:
    write_json({"schema_version": SCHEMA_VERSION, name: value})
    assert getattr(load_settings(), name) == value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("temperature", -0.1),
        ("temperature", 2.5),
        ("temperature", "0.5"),
        ("temperature", True),
        ("temperature", None),
        ("max_new_tokens", 2**24 + 1),
        ("max_new_tokens", None),
        ("seed", -1),
        ("seed", 2**32 - 1),  # llama.cpp's "random seed" marker: None says that
        ("seed", 1.5),
        ("seed", False),
        ("n_ctx", 255),
        ("n_ctx", 2**24 + 1),
        ("n_ctx", "auto"),
        ("gpu_layers", -1),
        ("gpu_layers", 1025),
        ("gpu_layers", "all"),
        ("gpu_layers", True),
        ("n_threads", 0),
        ("n_threads", 513),
        ("theme", "Dark"),
        ("theme", 1),
        ("language", "fr"),
        ("language", None),
        ("models_dir", None),
        ("keep_sections_open", None),
    ],
)
def test_a_value_outside_its_field_falls_back_to_the_default_and_is_logged(
    name: str, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    other, kept = ("theme", "dark") if name != "theme" else ("n_ctx", 4096)
    write_json({"schema_version": SCHEMA_VERSION, name: value, other: kept})
    with caplog.at_level(logging.WARNING, logger="satori_desktop.core.settings"):
        loaded = load_settings()
    assert getattr(loaded, name) == getattr(Settings(), name)
    assert getattr(loaded, other) == kept  # the other fields are kept
    assert f"setting {name}={value!r}" in caplog.text


def test_temperature_takes_a_whole_number_and_refuses_nan(caplog: pytest.LogCaptureFixture) -> None:
    write_json({"schema_version": SCHEMA_VERSION, "temperature": 1})
    loaded = load_settings().temperature
    assert loaded == 1.0 and type(loaded) is float
    path = settings_path()
    for text in ("NaN", "Infinity"):  # json.loads reads both; neither is a temperature
        path.write_text('{"schema_version": 1, "temperature": ' + text + "}", encoding="utf-8")
        with caplog.at_level(logging.WARNING, logger="satori_desktop.core.settings"):
            assert load_settings().temperature == 0.0
    assert "temperature=nan" in caplog.text and "temperature=inf" in caplog.text


@pytest.mark.parametrize(
    ("change", "needs_reload"),
    [
        ({"n_ctx": 8192}, True),
        ({"gpu_layers": 0}, True),
        ({"gpu_layers": 20}, True),
        ({"n_threads": 4}, True),
        ({"temperature": 0.6}, False),
        ({"max_new_tokens": 1024}, False),
        ({"seed": 7}, False),
        ({"keep_sections_open": True}, False),
        ({"theme": "dark"}, False),
        ({"language": "en"}, False),
        ({"models_dir": "/elsewhere"}, False),
        ({}, False),
    ],
)
def test_reload_is_needed_only_for_what_the_model_is_loaded_with(
    change: dict[str, Any], needs_reload: bool
) -> None:
    old = Settings(n_ctx=4096)
    assert reload_needed(old, old.with_changes(**change)) is needs_reload
    assert reload_needed(old.with_changes(**change), old) is needs_reload


def test_auto_and_a_number_are_different_loads() -> None:
    assert reload_needed(Settings(), Settings(n_ctx=4096))  # auto may pick another size
    assert reload_needed(Settings(gpu_layers=0), Settings())  # CPU only -> auto
    assert set(RELOAD_FIELDS) == {"n_ctx", "gpu_layers", "n_threads"}


def test_server_settings_are_checked_and_the_addresses_split() -> None:
    from satori_desktop.core.settings import server_url_list

    write_json({"engine": "cloud", "server_urls": 8080, "server_model": "satori-7b", "schema_version": 1})
    settings = load_settings()
    assert (settings.engine, settings.server_urls, settings.server_model) == ("local", "", "satori-7b")
    write_json({"engine": "server", "server_urls": "http://a:8080, b:8081  c", "schema_version": 1})
    settings = load_settings()
    assert settings.engine == "server"
    assert server_url_list(settings.server_urls) == ["http://a:8080", "b:8081", "c"]


def test_each_model_keeps_its_own_reasoning_format() -> None:
    from satori_desktop.core.settings import reasoning_choice, with_reasoning_choice

    settings = with_reasoning_choice(Settings(), "qwq-32b.gguf", "think")
    settings = with_reasoning_choice(settings, "marco-o1.gguf", "marco")
    settings = with_reasoning_choice(settings, "qwq-32b.gguf", "plain")
    save_settings(settings)
    loaded = load_settings()
    assert reasoning_choice(loaded, "qwq-32b.gguf") == "plain"
    assert reasoning_choice(loaded, "marco-o1.gguf") == "marco"
    assert reasoning_choice(loaded, "satori-7b.gguf") == "auto"
    assert reasoning_choice(with_reasoning_choice(loaded, "marco-o1.gguf", "auto"), "marco-o1.gguf") == "auto"
    write_json({"reasoning_formats": [["a.gguf", "cloud"]], "schema_version": 1})
    assert load_settings().reasoning_formats == ()  # a value it does not know: the default
