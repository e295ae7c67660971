"""Fixtures of the model-manager tests: a fake hub on 127.0.0.1 and a private Hugging Face cache.

HF_ENDPOINT points the real huggingface_hub client (and the app's downloader) at the fake hub; HF_HOME
points its cache at a temporary folder, so nothing here touches the network or the user's cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from satori_desktop.bench.local_hub import LocalHub
from tests.support.tiny_gguf import write_tiny_gguf

SATORI_REPO = "Triangle104/Satori-7B-Round2-Q4_K_M-GGUF"
SATORI_FILE = "satori-7b-round2-q4_k_m.gguf"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hf_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    hf_home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    for name in (
        "HF_TOKEN",
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_HUB_CACHE",
        "HUGGING_FACE_HUB_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    return hf_home


@pytest.fixture(scope="session")
def tiny_satori(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / SATORI_FILE)


@pytest.fixture(scope="session")
def larger_satori(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 8 MB: big enough for several 1 MiB chunks, a kill half-way, and a slow server."""
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf-large") / SATORI_FILE, n_vocab=8192, n_embd=128)


@pytest.fixture
def fake_hub(hf_env: Path, tiny_satori: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    with LocalHub() as hub:
        hub.add_file(SATORI_REPO, SATORI_FILE, tiny_satori)
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        yield hub


def run_cli(
    *args: str, env_extra: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python -m satori_desktop ...` the way a user would, with the test's environment."""
    env = dict(os.environ)
    env.update(env_extra or {})
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "satori_desktop", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=REPO_ROOT,
    )
