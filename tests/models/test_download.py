"""The downloader against the fake hub: resume, verification, and each fault's own message."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from satori_desktop.bench.local_hub import LocalHub
from satori_desktop.core.errors import UserFacingError
from satori_desktop.models import catalog, install
from satori_desktop.models.download import (
    DownloadCancelled,
    DownloadControl,
    DownloadPaused,
    DownloadProgress,
    RetryPolicy,
    download_file,
    part_paths,
    pending_downloads,
)
from satori_desktop.models.hub import remote_file
from satori_desktop.models.store import ModelStore
from tests.models.conftest import SATORI_FILE, SATORI_REPO

FAST_RETRY = RetryPolicy(attempts=3, first_delay_s=0.01, max_delay_s=0.05)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _file_gets(hub: LocalHub) -> list[tuple[str | None, int, int]]:
    return [
        (r.range, r.status, r.body_bytes) for r in hub.requests if r.method == "GET" and "/resolve/" in r.path
    ]


def test_remote_file_reads_size_and_sha256_from_the_hub(fake_hub: LocalHub, tiny_satori: Path) -> None:
    remote = remote_file(SATORI_REPO, SATORI_FILE)
    assert remote.size == tiny_satori.stat().st_size
    assert remote.sha256 == _sha256(tiny_satori)
    assert remote.revision == fake_hub.repos[SATORI_REPO].commit  # pinned to the commit, not "main"


def test_connection_dropped_mid_file_resumes_with_range(
    fake_hub: LocalHub, tiny_satori: Path, tmp_path: Path
) -> None:
    fake_hub.file(SATORI_REPO, SATORI_FILE).faults.drop_after_bytes = 200_000
    remote = remote_file(SATORI_REPO, SATORI_FILE)
    result = download_file(remote, tmp_path / SATORI_FILE, retry=FAST_RETRY)

    assert _sha256(result.path) == _sha256(tiny_satori)
    gets = _file_gets(fake_hub)
    assert gets[0] == (None, 200, 200_000)
    assert gets[1][0] == "bytes=200000-" and gets[1][1] == 206
    # Nothing received before the drop was fetched twice.
    assert sum(body for _, _, body in gets) == remote.size
    assert not any(p.exists() for p in part_paths(result.path))


def test_a_chunked_body_goes_through_httpx_and_resumes_after_a_drop(
    fake_hub: LocalHub, tiny_satori: Path, tmp_path: Path
) -> None:
    # No Content-Length: the body cannot be read straight from the connection, httpx decodes the chunks.
    faults = fake_hub.file(SATORI_REPO, SATORI_FILE).faults
    faults.chunked, faults.drop_after_bytes = True, 200_000
    remote = remote_file(SATORI_REPO, SATORI_FILE)
    result = download_file(remote, tmp_path / SATORI_FILE, retry=FAST_RETRY, chunk_size=64 * 1024)

    assert _sha256(result.path) == _sha256(tiny_satori)
    gets = _file_gets(fake_hub)
    assert gets[0] == (None, 200, 200_000)
    assert gets[1][0] == "bytes=200000-" and gets[1][1] == 206
    assert result.downloaded_bytes == remote.size


def test_downloads_one_after_another_on_the_same_session(
    fake_hub: LocalHub, tiny_satori: Path, tmp_path: Path
) -> None:
    # A body read straight from the connection leaves it unusable for another request; the next requests
    # of the shared session (metadata, the second download) must still get clean answers.
    first = download_file(remote_file(SATORI_REPO, SATORI_FILE), tmp_path / "a" / SATORI_FILE)
    second = download_file(remote_file(SATORI_REPO, SATORI_FILE), tmp_path / "b" / SATORI_FILE)

    assert _sha256(first.path) == _sha256(second.path) == _sha256(tiny_satori)
    assert [status for _, status, _ in _file_gets(fake_hub)] == [200, 200]


def test_pause_keeps_the_part_and_the_next_run_resumes(
    fake_hub: LocalHub, larger_satori: Path, tmp_path: Path
) -> None:
    fake_hub.add_file(SATORI_REPO, SATORI_FILE, larger_satori)
    remote = remote_file(SATORI_REPO, SATORI_FILE)
    destination = tmp_path / SATORI_FILE
    control = DownloadControl()
    seen: list[DownloadProgress] = []

    def pause_after_two_chunks(progress: DownloadProgress) -> None:
        seen.append(progress)
        if progress.phase == "downloading" and progress.done_bytes >= 2 * 1024 * 1024:
            control.pause()

    with pytest.raises(DownloadPaused):
        download_file(remote, destination, progress=pause_after_two_chunks, control=control)
    part, sidecar = part_paths(destination)
    kept = part.stat().st_size
    assert kept >= 2 * 1024 * 1024 and sidecar.exists() and not destination.exists()

    result = download_file(remote, destination)
    assert result.resumed_from == kept
    assert result.downloaded_bytes == remote.size - kept
    assert _sha256(destination) == _sha256(larger_satori)
    assert any(p.phase == "downloading" and p.total_bytes == remote.size for p in seen)


def test_corrupted_byte_is_detected_and_nothing_loadable_is_left(fake_hub: LocalHub, tmp_path: Path) -> None:
    fake_hub.file(SATORI_REPO, SATORI_FILE).faults.corrupt_offset = 1234
    store = ModelStore(tmp_path / "models")
    remote = remote_file(SATORI_REPO, SATORI_FILE)
    with pytest.raises(UserFacingError, match="does not match the hub's checksum") as caught:
        install.install_remote(store, remote)
    assert "run the download again" in str(caught.value)
    assert list((tmp_path / "models").glob("*.gguf*")) == []
    assert store.models() == []


def test_missing_file_says_404(fake_hub: LocalHub) -> None:
    with pytest.raises(UserFacingError, match="404"):
        remote_file(SATORI_REPO, "no-such-file.gguf")
    with pytest.raises(UserFacingError, match="404"):
        catalog.resolve_spec("someone/not-a-repo:file.gguf")


def test_404_while_downloading_is_reported_not_retried(fake_hub: LocalHub, tmp_path: Path) -> None:
    remote = remote_file(SATORI_REPO, SATORI_FILE)
    fake_hub.file(SATORI_REPO, SATORI_FILE).faults.status = 404
    with pytest.raises(UserFacingError, match=r"has no .*404"):
        download_file(remote, tmp_path / SATORI_FILE, retry=FAST_RETRY)
    assert len(_file_gets(fake_hub)) == 1


def test_private_repo_401_needs_a_token(
    fake_hub: LocalHub, tiny_satori: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub.add_file("someone/private-GGUF", "model.gguf", tiny_satori, private_token="hf_secret")
    with pytest.raises(UserFacingError, match=r"refused access .*HTTP 401.*HF_TOKEN"):
        remote_file("someone/private-GGUF", "model.gguf")
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    remote = remote_file("someone/private-GGUF", "model.gguf")
    result = download_file(remote, tmp_path / "model.gguf")
    assert _sha256(result.path) == _sha256(tiny_satori)


def test_transient_server_errors_are_retried(fake_hub: LocalHub, tiny_satori: Path, tmp_path: Path) -> None:
    remote = remote_file(SATORI_REPO, SATORI_FILE)
    faults = fake_hub.file(SATORI_REPO, SATORI_FILE).faults
    faults.status, faults.status_times = 503, 2
    result = download_file(remote, tmp_path / SATORI_FILE, retry=FAST_RETRY)
    assert _sha256(result.path) == _sha256(tiny_satori)
    assert [status for _, status, _ in _file_gets(fake_hub)] == [503, 503, 200]


def test_a_server_that_stays_down_gives_up_with_the_part_kept(fake_hub: LocalHub, tmp_path: Path) -> None:
    remote = remote_file(SATORI_REPO, SATORI_FILE)
    faults = fake_hub.file(SATORI_REPO, SATORI_FILE).faults
    faults.drop_after_bytes, faults.drop_times = 100_000, 1
    faults.status, faults.status_times = None, None
    # First request drops after 100 kB; then every request fails with 500.
    original = fake_hub.file(SATORI_REPO, SATORI_FILE)

    def fail_after_first(progress: DownloadProgress) -> None:
        if progress.phase == "downloading":  # the request under way goes on until its drop at 100 kB
            original.faults.status = 500

    with pytest.raises(UserFacingError, match="keeps failing") as caught:
        download_file(
            remote, tmp_path / SATORI_FILE, progress=fail_after_first, retry=FAST_RETRY, chunk_size=50_000
        )
    assert "run it again to resume" in str(caught.value)
    part, _ = part_paths(tmp_path / SATORI_FILE)
    assert part.stat().st_size == 100_000


def test_slow_server_finishes_and_reports_speed_and_eta(
    fake_hub: LocalHub, tiny_satori: Path, tmp_path: Path
) -> None:
    fake_hub.file(SATORI_REPO, SATORI_FILE).faults.bytes_per_second = 400_000
    remote = remote_file(SATORI_REPO, SATORI_FILE)
    seen: list[DownloadProgress] = []
    result = download_file(remote, tmp_path / SATORI_FILE, progress=seen.append, chunk_size=64 * 1024)
    assert _sha256(result.path) == _sha256(tiny_satori)
    rated = [p for p in seen if p.phase == "downloading" and p.bytes_per_second]
    assert rated, "no speed was ever reported"
    assert all(p.eta_seconds is not None and p.eta_seconds >= 0 for p in rated)
    assert seen[-1].phase == "done"


def test_file_in_the_hugging_face_cache_is_used_instead_of_downloading(
    fake_hub: LocalHub, tiny_satori: Path, hf_env: Path, tmp_path: Path
) -> None:
    from huggingface_hub import hf_hub_download

    # The library reads HF_ENDPOINT once at import; name this test's hub explicitly.
    cached = hf_hub_download(SATORI_REPO, SATORI_FILE, cache_dir=str(hf_env / "hub"), endpoint=fake_hub.url)
    gets_before = len(_file_gets(fake_hub))
    store = ModelStore(tmp_path / "models")
    model, result = install.install_remote(store, remote_file(SATORI_REPO, SATORI_FILE))
    assert result is None and model.source == "hf-cache"
    assert len(_file_gets(fake_hub)) == gets_before  # no second download
    assert model.sha256 == _sha256(Path(cached)) == _sha256(tiny_satori)
    assert model.path.is_file()


def test_pause_keeps_the_part_for_a_resume_and_cancel_deletes_it(fake_hub: LocalHub, tmp_path: Path) -> None:
    fake_hub.file(SATORI_REPO, SATORI_FILE).faults.bytes_per_second = 2_000_000
    remote = remote_file(SATORI_REPO, SATORI_FILE)
    destination = tmp_path / SATORI_FILE

    def stop_after(kind: str, at: int) -> None:
        control = DownloadControl()

        def progress(p: DownloadProgress) -> None:
            if p.phase == "downloading" and p.done_bytes >= at:
                getattr(control, kind)()

        with pytest.raises(DownloadPaused if kind == "pause" else DownloadCancelled):
            download_file(remote, destination, progress=progress, control=control, chunk_size=64 * 1024)

    stop_after("pause", 300_000)
    [pending] = pending_downloads(tmp_path)
    assert pending.remote == remote and pending.destination == destination
    assert 300_000 <= pending.have_bytes < remote.size and 0 < pending.fraction < 1
    stop_after("cancel", pending.have_bytes + 100_000)
    assert not any(p.exists() for p in part_paths(destination)) and not destination.exists()
    assert pending_downloads(tmp_path) == []


def test_pending_downloads_skips_what_cannot_resume(tmp_path: Path) -> None:
    (tmp_path / "a.gguf.part.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "a.gguf.part").write_bytes(b"x")
    (tmp_path / "b.gguf.part.json").write_text('{"repo_id": "r/b"}', encoding="utf-8")  # fields missing
    (tmp_path / "b.gguf.part").write_bytes(b"x")
    sidecar = '{"repo_id": "r/c", "filename": "c.gguf", "revision": "main", "size": 10, "sha256": null}'
    (tmp_path / "c.gguf.part.json").write_text(sidecar, encoding="utf-8")  # no .part beside it
    assert pending_downloads(tmp_path) == []
    assert pending_downloads(tmp_path / "missing") == []
