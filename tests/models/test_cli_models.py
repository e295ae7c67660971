"""`satori-desktop models ...` end to end, in a subprocess, against the fake hub."""

from __future__ import annotations

import json
from pathlib import Path

from satori_desktop.bench.local_hub import LocalHub
from tests.models.conftest import SATORI_FILE, SATORI_REPO, run_cli


def test_search_lists_files_with_hub_sizes(fake_hub: LocalHub, tiny_satori: Path) -> None:
    result = run_cli("models", "search", "--json")
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert [(e["repo_id"], e["filename"], e["quantization"]) for e in entries] == [
        (SATORI_REPO, SATORI_FILE, "Q4_K_M")
    ]
    assert entries[0]["size"] == tiny_satori.stat().st_size
    assert entries[0]["sha256"] == fake_hub.file(SATORI_REPO, SATORI_FILE).sha256


def test_recommend_on_this_machine(fake_hub: LocalHub) -> None:
    result = run_cli("models", "recommend", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["choice"]["filename"] == SATORI_FILE
    assert report["hardware"]["total_ram_bytes"] > 0
    text = run_cli("models", "recommend")
    assert "This computer:" in text.stdout and "satori-desktop models download" in text.stdout


def test_download_list_verify_remove(fake_hub: LocalHub) -> None:
    assert json.loads(run_cli("models", "list", "--json").stdout)["models"] == []
    empty = run_cli("models", "list")
    assert "No model is installed" in empty.stdout

    downloaded = run_cli("models", "download", f"{SATORI_REPO}:{SATORI_FILE}")
    assert downloaded.returncode == 0, downloaded.stderr
    assert "sha256 verified" in downloaded.stdout
    assert "Downloaded and verified" in downloaded.stderr  # the progress lines (not a terminal here)

    listed = json.loads(run_cli("models", "list", "--json").stdout)
    assert listed["default"] == "satori-7b-round2-q4_k_m" and listed["models"][0]["present"]
    again = run_cli("models", "download", "Q4_K_M", "--json")  # already there: nothing fetched
    assert json.loads(again.stdout)["downloaded_bytes"] == 0

    verified = json.loads(run_cli("models", "verify", "--json").stdout)
    assert verified == [{"name": "satori-7b-round2-q4_k_m", "ok": True, "message": "sha256 matches"}]
    removed = run_cli("models", "remove", "satori-7b-round2-q4_k_m")
    assert removed.returncode == 0 and "Removed" in removed.stdout
    assert json.loads(run_cli("models", "list", "--json").stdout)["models"] == []


def test_import_warns_for_a_non_satori_model(tmp_path: Path) -> None:
    from tests.support.tiny_gguf import write_tiny_gguf

    llama = write_tiny_gguf(tmp_path / "other.gguf", architecture="llama")
    result = run_cli("models", "import", str(llama))
    assert result.returncode == 0
    assert "Warning:" in result.stderr and "not Satori" in result.stderr
    bad = run_cli("models", "import", str(tmp_path / "missing.gguf"))
    assert bad.returncode == 2 and "There is no file" in bad.stderr and "Traceback" not in bad.stderr


def test_unknown_repo_and_unreachable_hub_have_their_own_messages(fake_hub: LocalHub) -> None:
    missing = run_cli("models", "download", "nobody/nothing-GGUF:x.gguf")
    assert missing.returncode == 2 and "HTTP 404" in missing.stderr
    # repo:file asks for the file's metadata, which huggingface_hub does not retry (listings back off ~20 s).
    nowhere = {"HF_ENDPOINT": "http://127.0.0.1:9"}
    unreachable = run_cli("models", "download", f"{SATORI_REPO}:{SATORI_FILE}", env_extra=nowhere)
    assert unreachable.returncode == 2 and "Cannot reach the hub" in unreachable.stderr


def test_models_dir_shows_and_moves_the_folder(tmp_path: Path) -> None:
    shown = json.loads(run_cli("models", "dir", "--json").stdout)["models_dir"]
    assert shown.endswith("models")
    target = tmp_path / "big-disk" / "models"
    moved = run_cli("models", "dir", str(target))
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.strip() == str(target.resolve())
    assert json.loads(run_cli("models", "list", "--json").stdout)["models_dir"] == str(target.resolve())
    # The choice lives in the one settings file, beside the app's other preferences.
    from satori_desktop.core.settings import load_settings

    assert load_settings().models_dir == str(target.resolve())


def test_models_dir_that_cannot_be_created_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli("models", "dir", str(blocker / "models"))
    assert result.returncode == 2
    assert "cannot be created" in result.stderr and "Traceback" not in result.stderr


def test_recommend_succeeds_offline_from_estimates(hf_env: Path) -> None:
    result = run_cli("models", "recommend", "--json", env_extra={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["estimated"] is True and report["hub_unreachable"]
    assert report["choice"]["quantization"] == "Q4_K_M"  # this machine: no GPU, plenty of RAM
    text = run_cli("models", "recommend", env_extra={"HF_HUB_OFFLINE": "1"})
    assert text.returncode == 0 and "estimates" in text.stdout
    assert "satori-desktop models download Q4_K_M" in text.stdout
