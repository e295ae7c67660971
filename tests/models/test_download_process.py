"""`satori-desktop models download` as a user runs it: killed and restarted, on a full disk, offline."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from satori_desktop.bench.local_hub import LocalHub
from satori_desktop.models.download import CHUNK_SIZE
from satori_desktop.models.store import ModelStore
from tests.models.conftest import REPO_ROOT, SATORI_FILE, SATORI_REPO, run_cli


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_killed_with_sigkill_resumes_and_verifies(
    fake_hub: LocalHub, larger_satori: Path, satori_home: Path
) -> None:
    fake_hub.add_file(SATORI_REPO, SATORI_FILE, larger_satori)
    hosted = fake_hub.file(SATORI_REPO, SATORI_FILE)
    hosted.faults.bytes_per_second = 2_000_000  # slow enough to kill it half-way
    models = satori_home / "data" / "models"
    part = models / (SATORI_FILE + ".part")
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "satori_desktop", "models", "download", "Q4_K_M", "--json"],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not (part.exists() and part.stat().st_size >= 3 * CHUNK_SIZE):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the download never got going"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    kept = part.stat().st_size
    sent_before_kill = fake_hub.get_bytes_sent("/resolve/")
    assert 0 < kept < hosted.size
    assert not (models / SATORI_FILE).exists()

    hosted.faults.bytes_per_second = None
    finished = run_cli("models", "download", "Q4_K_M", "--json")
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert report["resumed_from"] == kept
    assert report["downloaded_bytes"] == hosted.size - kept
    final = models / SATORI_FILE
    assert _sha256(final) == hosted.sha256 == report["model"]["sha256"]
    assert not part.exists()
    gets = [r for r in fake_hub.requests if r.method == "GET" and "/resolve/" in r.path]
    assert gets[-1].range == f"bytes={kept}-"
    # Bytes the server sent that had to be sent again: at most one chunk.
    redownloaded = sent_before_kill + gets[-1].body_bytes - hosted.size
    assert 0 <= redownloaded <= CHUNK_SIZE
    assert ModelStore().default_model() is not None


def test_not_enough_disk_names_both_numbers(fake_hub: LocalHub, small_tmpfs: Path) -> None:
    result = run_cli("models", "--models-dir", str(small_tmpfs), "download", "Q4_K_M")
    assert result.returncode == 2
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("satori-desktop: ") and "Traceback" not in result.stderr
    assert "Not enough free disk space" in message
    assert "needs 543 kB" in message and "1.0 MB is free" in message
    assert list(small_tmpfs.iterdir()) == [] or all(p.suffix != ".gguf" for p in small_tmpfs.iterdir())


def test_disk_filling_up_during_the_download_stops_cleanly(
    fake_hub: LocalHub, tiny_satori: Path, small_tmpfs: Path
) -> None:
    from satori_desktop.core.errors import UserFacingError
    from satori_desktop.models.download import DownloadProgress, download_file, part_paths
    from satori_desktop.models.hub import remote_file

    remote = remote_file(SATORI_REPO, SATORI_FILE)
    filler = small_tmpfs / "someone-elses-file"
    destination = small_tmpfs / SATORI_FILE
    part, _ = part_paths(destination)

    def fill_the_disk(progress: DownloadProgress) -> None:
        if progress.phase == "downloading" and not filler.exists():
            # The first chunk is written on the writer thread: let it land first, so there is a part
            # to resume from (without this wait the test raced that thread and sometimes found none).
            deadline = time.monotonic() + 10
            while not (part.exists() and part.stat().st_size > 0) and time.monotonic() < deadline:
                time.sleep(0.005)
            # Another program takes the rest of the space (its write fails once the disk is full).
            with open(filler, "wb") as handle, contextlib.suppress(OSError):
                handle.write(b"\0" * (1024 * 1024))

    with pytest.raises(UserFacingError, match="the disk is full") as caught:
        download_file(remote, destination, progress=fill_the_disk, chunk_size=64 * 1024, disk_margin_bytes=0)
    assert "run the download again to resume" in str(caught.value)
    assert not destination.exists()
    # What stayed is a clean prefix of the file, ready to resume once space is freed.
    assert tiny_satori.read_bytes().startswith(part.read_bytes())
    filler.unlink()
    result = download_file(remote, destination, disk_margin_bytes=0)
    assert result.resumed_from == part.stat().st_size if part.exists() else result.resumed_from > 0
    assert _sha256(destination) == remote.sha256


def test_offline_without_cached_file_says_offline(fake_hub: LocalHub) -> None:
    result = run_cli("models", "download", "Q4_K_M", env_extra={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 2
    assert "Offline mode is on (HF_HUB_OFFLINE is set)" in result.stderr
    assert [r for r in fake_hub.requests if "/resolve/" in r.path] == []


def test_offline_with_cached_file_installs_it(fake_hub: LocalHub, hf_env: Path) -> None:
    from huggingface_hub import hf_hub_download

    hf_hub_download(SATORI_REPO, SATORI_FILE, cache_dir=str(hf_env / "hub"), endpoint=fake_hub.url)
    requests_before = len(fake_hub.requests)
    result = run_cli("models", "download", "Q4_K_M", "--json", env_extra={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["from_cache"] is True and report["model"]["source"] == "hf-cache"
    assert report["model"]["sha256"] == fake_hub.file(SATORI_REPO, SATORI_FILE).sha256
    assert len(fake_hub.requests) == requests_before  # offline means not one request
