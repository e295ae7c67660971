"""`satori-desktop diagnostics [--json]` run as a user runs it: every part there, no secret, `~` for home.

The child gets a home folder of its own with the app's files under it, a hub token in HF_TOKEN and another
saved by a login, an API key, and a log file and crash report that mention all of them (as a careless log
line might): none of those values may come out, and no path may show the home folder.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from satori_desktop import __version__
from satori_desktop.ui.diagnostics import APP_LICENCE, Scrubber, parse_system_info

HF_TOKEN = "hf_TestTokenFromTheEnvironment0123456789"
SAVED_TOKEN = "hf_TestTokenSavedByALogin9876543210abcd"
API_KEY = "sk-test-api-key-0123456789"
PARTS = {
    "app",
    "generated_at",
    "python",
    "os",
    "cpu",
    "hardware",
    "llama_cpp",
    "qt",
    "model",
    "installed_models",
    "folders",
    "history",
    "settings",
    "crash_reports",
    "log",
}
SECRETS = (HF_TOKEN, SAVED_TOKEN, API_KEY)


def _home_with_the_apps_files(home: Path) -> Path:
    """A home folder holding the app's files, a saved hub token, a log and a crash report."""
    app_home = home / "satori"
    logs = app_home / "logs"
    logs.mkdir(parents=True)
    leaky = f"GET https://user:{API_KEY}@mirror.example/x token={HF_TOKEN} saved={SAVED_TOKEN}"
    lines = [f"2026-01-01 10:00:{n:02d},000 INFO satori_desktop.test: line {n}" for n in range(250)]
    lines[-3] = f"2026-01-01 10:04:07,000 WARNING satori_desktop.test: {leaky}"
    lines[-2] = f"2026-01-01 10:04:08,000 INFO satori_desktop.test: opened {home}/maths/problem.txt"
    (logs / "satori-desktop.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    crash = logs / "crash-20260101-093000.log"
    frames = "".join(f'  File "{home}/venv/site.py", line {n} in f{n}\n' for n in range(100))
    crash.write_text(
        "Fatal Python error: Segmentation fault\n\n"
        f'Thread 0x1 (most recent call first):\n  File "{home}/venv/llama_cpp/llama.py", line 1 in eval\n'
        f"{frames}  token {HF_TOKEN}\n",
        encoding="utf-8",
    )
    crashed_at = datetime(2026, 1, 1, 9, 30).timestamp()
    os.utime(crash, (crashed_at, crashed_at))
    config = app_home / "config"
    config.mkdir()
    (config / "settings.json").write_text(
        json.dumps({"schema_version": 1, "models_dir": str(app_home / "my models")}), encoding="utf-8"
    )
    token_file = home / ".cache" / "huggingface" / "token"
    token_file.parent.mkdir(parents=True)
    token_file.write_text(SAVED_TOKEN, encoding="utf-8")
    return app_home


def _environment(home: Path, app_home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HF_")}
    env.update(
        HOME=str(home),
        USERPROFILE=str(home),
        SATORI_DESKTOP_HOME=str(app_home),
        HF_TOKEN=HF_TOKEN,
        OPENAI_API_KEY=API_KEY,
        HF_HUB_OFFLINE="1",
    )
    return env


def _diagnostics(home: Path, app_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satori_desktop", "diagnostics", *args],
        env=_environment(home, app_home),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("user") / "alice"


@pytest.fixture(scope="module")
def app_home(home: Path) -> Path:
    return _home_with_the_apps_files(home)


@pytest.fixture(scope="module")
def json_run(home: Path, app_home: Path) -> subprocess.CompletedProcess[str]:
    return _diagnostics(home, app_home, "--json")


@pytest.fixture(scope="module")
def text_run(home: Path, app_home: Path) -> subprocess.CompletedProcess[str]:
    return _diagnostics(home, app_home)


def test_json_is_one_object_with_every_part(json_run: subprocess.CompletedProcess[str]) -> None:
    assert json_run.returncode == 0, json_run.stderr
    report = json.loads(json_run.stdout)
    assert set(report) == PARTS
    assert report["app"] == {"name": "Satori Desktop", "version": __version__, "licence": "Apache-2.0"}
    assert report["model"] is None  # the CLI loads none
    assert report["python"]["version"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
    assert report["cpu"]["logical_cpus"] == os.cpu_count()
    assert report["hardware"]["total_ram_bytes"] > 0
    # With no GPU here the reason is given; with one, it is listed.
    assert report["hardware"]["gpus"] or report["hardware"]["gpu_unavailable"]

    import llama_cpp
    import PySide6
    from PySide6 import QtCore

    build = report["llama_cpp"]
    assert build["version"] == llama_cpp.__version__
    assert build["gpu_offload_supported"] == bool(llama_cpp.llama_supports_gpu_offload())
    assert build["backend"] in {"CPU", "CUDA", "Metal", "Vulkan"}
    assert build["system_info"] == llama_cpp.llama_print_system_info().decode().strip()
    assert "CPU" in build["features"]
    assert report["qt"]["pyside6"] == PySide6.__version__
    assert report["qt"]["qt"] == QtCore.qVersion()
    assert "platform" not in report["qt"]  # no QApplication was started

    assert report["installed_models"]["models"] == []
    assert report["settings"]["values"]["models_dir"] == "~/satori/my models"
    assert report["settings"]["values"]["max_new_tokens"] == 4096

    log_lines = report["log"]["lines"]
    assert len(log_lines) == 200 and log_lines[-1].endswith("line 249")
    crashes = report["crash_reports"]
    assert crashes["count"] == 1
    assert crashes["reports"][0]["kind"] == "Segmentation fault"  # from its first line, not in the tail
    tail = crashes["reports"][0]["tail"]
    assert len(tail) == 60 and tail[-2] == '  File "~/venv/site.py", line 99 in f99'
    assert tail[-1] == "  token [redacted]"


def test_no_secret_leaves_and_home_is_written_as_tilde(
    json_run: subprocess.CompletedProcess[str], text_run: subprocess.CompletedProcess[str], home: Path
) -> None:
    assert json_run.returncode == 0 and text_run.returncode == 0, json_run.stderr + text_run.stderr
    for output in (json_run.stdout, json_run.stderr, text_run.stdout, text_run.stderr):
        for secret in SECRETS:
            assert secret not in output
        assert str(home) not in output
    report = json.loads(json_run.stdout)
    assert report["folders"] == {
        "config": "~/satori/config",
        "data": "~/satori/data",
        "models": "~/satori/my models",
        "logs": "~/satori/logs",
        "models_default": "~/satori/data/models",
    }
    assert report["log"]["file"] == "~/satori/logs/satori-desktop.log"
    leaky, opened = report["log"]["lines"][-3:-1]
    assert "https://[redacted]@mirror.example/x token=[redacted] saved=[redacted]" in leaky
    assert opened.endswith("opened ~/maths/problem.txt")
    assert "HF_TOKEN" not in json_run.stdout and "OPENAI_API_KEY" not in json_run.stdout  # no env dump


def test_text_has_a_heading_for_each_part(text_run: subprocess.CompletedProcess[str]) -> None:
    assert text_run.returncode == 0, text_run.stderr
    text = text_run.stdout
    assert text.startswith(f"Satori Desktop {__version__} diagnostics\n")
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "System",
        "Memory and GPU",
        "llama.cpp",
        "Qt",
        "Loaded model",
        "Installed models",
        "Folders",
        "History",
        "Settings",
        "Crash reports",
        "Log",
    ]
    assert "no model loaded" in text
    assert "Models: ~/satori/my models" in text
    assert "- crash-20260101-093000.log: 2026-01-01T09:30:00 (Segmentation fault), " in text
    assert "Last 200 lines of ~/satori/logs/satori-desktop.log:" in text


def test_a_part_that_cannot_be_read_is_unavailable_and_the_rest_still_comes(tmp_path: Path) -> None:
    home = tmp_path / "bob"
    app_home = home / "satori"
    models = app_home / "data" / "models"
    models.mkdir(parents=True)
    (models / "registry.json").write_text("{ not json", encoding="utf-8")
    (app_home / "logs").mkdir()
    (app_home / "logs" / "crash.log").write_text("Fatal Python error: Aborted\n", encoding="utf-8")

    # First as text: the log file is still empty (the command itself creates it).
    text = _diagnostics(home, app_home).stdout
    assert "Installed models: unavailable (The model registry ~/satori/data/models/registry.json" in text
    assert "## Log\n~/satori/logs/satori-desktop.log: empty" in text

    run = _diagnostics(home, app_home, "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert set(report) == PARTS
    reason = report["installed_models"]["unavailable"]
    assert reason.startswith("The model registry ~/satori/data/models/registry.json cannot be read")
    assert report["llama_cpp"]["version"] and report["folders"]["models"] == "~/satori/data/models"
    # A crash no start has reported yet (the window never came back) is listed too, and left in place.
    pending = report["crash_reports"]["reports"][0]
    assert pending["not_yet_reported"] and pending["kind"] == "Aborted"
    assert (app_home / "logs" / "crash.log").read_text(encoding="utf-8") == "Fatal Python error: Aborted\n"


def test_the_licence_is_the_one_in_pyproject() -> None:
    # pyproject's `license` is an SPDX expression, which the metadata holds as License-Expression.
    assert importlib.metadata.metadata("satori-desktop")["License-Expression"] == APP_LICENCE


def test_system_info_of_a_cuda_build_names_each_backend_and_its_features() -> None:
    info = (
        "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 0 | LLAMAFILE = 1 | "
        "CUDA : ARCHS = 500,610,700,750,800,860,890 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | "
    )
    assert parse_system_info(info) == {
        "CPU": ["SSE3", "AVX", "AVX2", "LLAMAFILE"],
        "CUDA": ["ARCHS=500,610,700,750,800,860,890", "USE_GRAPHS", "PEER_MAX_BATCH_SIZE=128"],
    }
    assert parse_system_info("") == {}


def test_the_home_folder_is_replaced_only_as_a_whole_folder() -> None:
    scrubber = Scrubber(secrets=["12345", "longer-secret"], homes=["/home/al"])
    assert scrubber.scrub_text("/home/al/models and /home/al.") == "~/models and ~."
    assert (
        scrubber.scrub_text("/home/alice/x /home/al-2/y /home/al.bak")
        == "/home/alice/x /home/al-2/y /home/al.bak"
    )
    assert (
        scrubber.scrub_text("key=longer-secret, n=12345") == "key=[redacted], n=12345"
    )  # too short to blank
    windows = Scrubber(secrets=[], homes=[r"C:\Users\Al", "C:/Users/Al"], ignore_case=True)
    assert windows.scrub_text(r"c:\users\al\AppData and C:/Users/Al/x") == r"~\AppData and ~/x"


def test_the_values_of_secret_looking_variables_are_blanked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPG_KEY", "gpg-key-value-1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-value-2")
    monkeypatch.setenv("MIRROR_PASSWORD", "mirror-password-3")
    monkeypatch.setenv("KEYBOARD_LAYOUT", "dvorak-intl")  # a KEY in a name is not a key
    scrubber = Scrubber.for_this_process()
    text = "gpg-key-value-1 aws-secret-value-2 mirror-password-3 dvorak-intl"
    assert scrubber.scrub_text(text) == "[redacted] [redacted] [redacted] dvorak-intl"
