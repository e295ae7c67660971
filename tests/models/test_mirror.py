"""A mirror of the hub, chosen in the settings, where huggingface.co cannot be reached: the local hub on
127.0.0.1 plays the mirror, and huggingface_hub's default address is a closed port (the blocked hub)."""

from __future__ import annotations

from pathlib import Path

import pytest

from satori_desktop.bench.local_hub import LocalHub
from satori_desktop.core.settings import Settings, save_settings
from satori_desktop.models import catalog, hub
from satori_desktop.models.download import download_file
from satori_desktop.models.hub import normalize_endpoint
from tests.models.conftest import SATORI_FILE, SATORI_REPO, run_cli
from tests.support.hub import block_the_hub


@pytest.fixture
def blocked_hub(hf_env: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """huggingface.co blocked (tests/support/hub.py), in a private Hugging Face cache."""
    return block_the_hub(monkeypatch)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("hf-mirror.com", "https://hf-mirror.com"),
        ("  https://hf-mirror.com/ ", "https://hf-mirror.com"),
        ("http://10.0.0.5:8000/hub/", "http://10.0.0.5:8000/hub"),
        ("", ""),
    ],
)
def test_a_mirror_address_is_written_one_way(text: str, address: str) -> None:
    assert normalize_endpoint(text) == address


@pytest.mark.parametrize("text", ["ftp://mirror", "https://", "https://mirror/?token=1", "http://#x"])
def test_what_cannot_be_a_mirror_is_one_sentence(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not the address of a hub mirror: write it as https://HOST"):
        normalize_endpoint(text)


def test_the_chosen_mirror_serves_search_and_a_verified_download(
    blocked_hub: str, tiny_satori: Path, tmp_path: Path
) -> None:
    with LocalHub() as mirror:
        mirror.add_file(SATORI_REPO, SATORI_FILE, tiny_satori)
        blocked_reason = hub.unreachable_reason()  # the hub itself: one request, no retries
        assert blocked_reason is not None and f"Cannot reach the hub at {blocked_hub}" in blocked_reason
        assert "choose a mirror of it (Settings > Files)" in blocked_reason

        hub.use_endpoint(mirror.url)
        assert hub.endpoint() == hub.mirror() == mirror.url
        entries = catalog.discover(catalog.SEARCH_QUERY)
        [entry] = [e for e in entries if e.filename == SATORI_FILE]
        remote = entry.remote()
        assert remote is not None
        result = download_file(remote, tmp_path / SATORI_FILE)
        assert result.sha256 == mirror.file(SATORI_REPO, SATORI_FILE).sha256
        assert (tmp_path / SATORI_FILE).read_bytes() == tiny_satori.read_bytes()
        assert all(
            record.path.startswith("/api/") or SATORI_FILE in record.path for record in mirror.requests
        )

        hub.use_endpoint("")  # back to the hub: blocked again
        assert hub.mirror() == "" and hub.endpoint() == blocked_hub
        assert hub.unreachable_reason() is not None


def test_hf_endpoint_wins_over_the_chosen_mirror(blocked_hub: str, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.use_endpoint("https://mirror.example")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9/")
    assert hub.endpoint() == hub.mirror() == "http://127.0.0.1:9"


def test_models_download_uses_the_mirror_saved_in_the_settings(blocked_hub: str, tiny_satori: Path) -> None:
    with LocalHub() as mirror:
        mirror.add_file(SATORI_REPO, SATORI_FILE, tiny_satori)
        save_settings(Settings(hub_endpoint=mirror.url))
        # A process of its own, with no HF_ENDPOINT: only the saved mirror can send it to 127.0.0.1.
        result = run_cli(
            "models", "download", f"{SATORI_REPO}:{SATORI_FILE}", "--json", env_extra={"HF_ENDPOINT": ""}
        )
    assert result.returncode == 0, result.stderr
    assert mirror.get_bytes_sent(SATORI_FILE) == tiny_satori.stat().st_size
