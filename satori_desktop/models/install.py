"""Getting one hub file installed: reuse the Hugging Face cache, else download, then register.

The step between "the user picked Q4_K_M" and "the store lists a verified model" is the same for the CLI
and the GUI, so it lives here, Qt-free: a file already in the user's Hugging Face cache is checked and
used instead of being downloaded twice (offline too: the cache's blob name is the LFS sha256); otherwise
`download.download_file` fetches it into the models folder.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from satori_desktop.core.errors import UserFacingError
from satori_desktop.models import hub
from satori_desktop.models.download import (
    DownloadControl,
    DownloadResult,
    ProgressCallback,
    RetryPolicy,
    download_file,
    sha256_of_file,
)
from satori_desktop.models.hub import RemoteFile
from satori_desktop.models.store import InstalledModel, ModelStore, now_iso

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def cached_file(repo_id: str, filename: str, revision: str = "main") -> Path | None:
    """The file's path in the Hugging Face cache, if it is there."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, filename, cache_dir=hub.cache_dir(), revision=revision)
    return Path(found) if isinstance(found, str) else None


def _link_or_reference(cached: Path, destination: Path) -> Path:
    """Hard-link the cached blob into the models folder (no second copy, survives a cache cleanup)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists():
        return destination
    try:
        os.link(cached.resolve(), destination)
        return destination
    except OSError:  # another file system, or links not allowed: use the cache's copy where it is
        return cached


def install_from_cache(
    store: ModelStore, repo_id: str, filename: str, remote: RemoteFile | None
) -> InstalledModel | None:
    """Use a copy from the HF cache when its sha256 is the hub's (or, offline, its blob name)."""
    cached = cached_file(repo_id, filename, remote.revision if remote else "main")
    if cached is None and remote is not None and remote.revision != "main":
        cached = cached_file(repo_id, filename, "main")
    if cached is None:
        return None
    expected = remote.sha256 if remote is not None else None
    if expected is None:
        blob = cached.resolve().name
        expected = blob if _SHA256.match(blob) else None
    actual = sha256_of_file(cached)
    if expected is not None and actual != expected:
        log.warning("cached %s does not match its sha256; ignoring it", cached)
        return None
    path = _link_or_reference(cached, store.root / Path(filename).name)
    return _register(store, path, repo_id, filename, remote.revision if remote else None, actual, "hf-cache")


def _register(
    store: ModelStore,
    path: Path,
    repo_id: str,
    filename: str,
    revision: str | None,
    sha256: str | None,
    source: str,
) -> InstalledModel:
    from satori_desktop.models.catalog import quantization_of
    from satori_desktop.models.gguf_info import check_loadable_model, read_gguf_info

    architecture: str | None = None
    is_satori: bool | None = None
    warnings: list[str] = []
    try:
        info = read_gguf_info(path)
        architecture, is_satori, warnings = info.architecture, info.is_satori, check_loadable_model(info)
    except UserFacingError as exc:
        # Verified against the hub yet not a readable GGUF: keep it registered but say so.
        warnings.append(str(exc))
    existing = store.find(Path(filename).name)
    name = existing.name if existing is not None and existing.path == path else store.unique_name(filename)
    model = InstalledModel(
        name=name,
        path=path,
        size=path.stat().st_size,
        sha256=sha256,
        source=source,  # type: ignore[arg-type]
        added_at=now_iso(),
        repo_id=repo_id,
        filename=filename,
        revision=revision,
        quantization=quantization_of(filename),
        architecture=architecture,
        is_satori=is_satori,
        warnings=warnings,
    )
    return store.add(model)


def install_remote(
    store: ModelStore,
    remote: RemoteFile,
    *,
    progress: ProgressCallback | None = None,
    control: DownloadControl | None = None,
    retry: RetryPolicy | None = None,
) -> tuple[InstalledModel, DownloadResult | None]:
    """Cache first, else a resumable verified download into the store's folder; returns the model."""
    for existing in store.models():
        if (
            existing.repo_id == remote.repo_id
            and existing.filename == remote.filename
            and existing.sha256 == remote.sha256
            and existing.path.is_file()
            and existing.path.stat().st_size == remote.size
        ):
            return existing, None
    from_cache = install_from_cache(store, remote.repo_id, remote.filename, remote)
    if from_cache is not None:
        return from_cache, None
    destination = store.root / Path(remote.filename).name
    result = download_file(remote, destination, progress=progress, control=control, retry=retry)
    model = _register(
        store, result.path, remote.repo_id, remote.filename, remote.revision, result.sha256, "hub"
    )
    return model, result


def install_offline(store: ModelStore, repo_id: str, filename: str) -> InstalledModel:
    """HF_HUB_OFFLINE: only the Hugging Face cache can provide the file."""
    model = install_from_cache(store, repo_id, filename, None)
    if model is None:
        raise UserFacingError(hub.OFFLINE_MESSAGE)
    return model


def cached_gguf_files(repo_id: str) -> list[str]:
    """GGUF file names of a repo found in the Hugging Face cache at the commit `main` points to."""
    from huggingface_hub.file_download import repo_folder_name

    repo_dir = Path(hub.cache_dir()) / repo_folder_name(repo_id=repo_id, repo_type="model")
    try:
        commit = (repo_dir / "refs" / "main").read_text(encoding="utf-8").strip()
    except OSError:
        return []
    snapshot = repo_dir / "snapshots" / commit
    return sorted(str(p.relative_to(snapshot)) for p in snapshot.rglob("*.gguf")) if snapshot.is_dir() else []
