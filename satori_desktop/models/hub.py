"""The app's only door to the Hugging Face hub, built on huggingface_hub.

Everything that decides *where* and *how* to talk to the hub comes from huggingface_hub: the endpoint
(`HF_ENDPOINT`), the token (`HF_TOKEN` or `hf auth login`), offline mode (`HF_HUB_OFFLINE`), URLs
(`hf_hub_url`) and its shared HTTP client (`get_session()`, which honours proxy settings). So the hub
behaves here as every other tool of the ecosystem users know. What huggingface_hub's own download lacks
(resume across restarts, sha256 verification) lives in `download.py`; this module gives it the facts and
turns the library's exceptions into sentences a person can act on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from satori_desktop.core.errors import UserFacingError

log = logging.getLogger(__name__)

_TRUE = {"1", "on", "yes", "true"}


@dataclass(frozen=True)
class RemoteFile:
    """One file on the hub, as the hub describes it (size and LFS sha256 are the hub's, never guessed)."""

    repo_id: str
    filename: str
    revision: str  # the commit the facts belong to (or the branch when the hub did not say)
    size: int
    sha256: str | None  # None for a file not stored with LFS (then only the size can be checked)

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id,
            "filename": self.filename,
            "revision": self.revision,
            "size": self.size,
            "sha256": self.sha256,
        }


# The settings' mirror of the hub (Settings.hub_endpoint), for this process: "" for the hub itself.
_chosen_endpoint = ""


def use_endpoint(url: str) -> None:
    """Download from `url` (a mirror of the hub, as `normalize_endpoint` writes it) from now on, unless
    HF_ENDPOINT says otherwise; "" goes back to the hub. The window calls it with the settings' value."""
    global _chosen_endpoint
    _chosen_endpoint = url.rstrip("/")


def endpoint() -> str:
    """The hub's address now: HF_ENDPOINT, else the mirror chosen in the settings, else huggingface_hub's
    default; read at call time so a change takes effect without a restart."""
    from huggingface_hub import constants

    return mirror() or constants.ENDPOINT.rstrip("/")


def mirror() -> str:
    """Where downloads come from when it is not the hub itself (the settings' mirror, or HF_ENDPOINT);
    "" for the hub."""
    return (os.environ.get("HF_ENDPOINT") or _chosen_endpoint).rstrip("/")


def normalize_endpoint(text: str) -> str:
    """`hf-mirror.com`, `https://hf-mirror.com/` -> `https://hf-mirror.com`; "" stays "" (the hub itself).

    Raises ValueError with a sentence for what cannot be a hub's address.
    """
    raw = text.strip()
    if not raw:
        return ""
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"{text.strip()!r} is not the address of a hub mirror: write it as https://HOST, such as "
            "https://hf-mirror.com."
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def cache_dir() -> str:
    """The Hugging Face cache folder now (HF_HUB_CACHE, else HF_HOME/hub, else the library's default)."""
    from huggingface_hub import constants

    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return os.path.join(os.environ["HF_HOME"], "hub")
    return str(constants.HF_HUB_CACHE)


def is_offline() -> bool:
    from huggingface_hub import constants

    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().lower() in _TRUE or constants.is_offline_mode()


OFFLINE_MESSAGE = (
    "Offline mode is on (HF_HUB_OFFLINE is set), so nothing can be fetched from the hub: unset it and "
    "try again, or import a GGUF file you already have with `satori-desktop models import PATH`."
)


def require_online() -> None:
    if is_offline():
        raise UserFacingError(OFFLINE_MESSAGE)


def file_url(repo_id: str, filename: str, revision: str) -> str:
    from huggingface_hub import hf_hub_url

    return hf_hub_url(repo_id, filename, revision=revision, endpoint=endpoint())


def auth_headers() -> dict[str, str]:
    """Headers huggingface_hub would send: user agent and the user's token, if any."""
    from huggingface_hub.utils import build_hf_headers

    return dict(build_hf_headers())


def http_client() -> Any:
    """huggingface_hub's shared HTTP client (proxies, request ids, offline guard)."""
    from huggingface_hub import get_session

    return get_session()


def unreachable_reason(timeout_s: float = 5.0) -> str | None:
    """None when the hub answers at all, else the sentence saying why not; one request, no retries.

    huggingface_hub retries a refused connection with backoff for about 23 s; a first-run page or an
    offline `models recommend` asks this first and falls back to estimates at once instead.
    """
    if is_offline():
        return OFFLINE_MESSAGE
    try:
        with hub_errors("the hub"):
            http_client().get(f"{endpoint()}/api/models", params={"limit": 1}, timeout=timeout_s)
    except UserFacingError as exc:
        return str(exc)
    return None


def _api() -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=endpoint())


def remote_file(repo_id: str, filename: str, revision: str = "main") -> RemoteFile:
    """Size and sha256 of one file, pinned to the commit the branch points at now."""
    require_online()
    from huggingface_hub import get_hf_file_metadata

    with hub_errors(f"{repo_id}/{filename}"):
        metadata = get_hf_file_metadata(file_url(repo_id, filename, revision), endpoint=endpoint())
        commit = metadata.commit_hash or revision
        infos = _api().get_paths_info(repo_id, [filename], revision=commit)
    files = [info for info in infos if getattr(info, "path", None) == filename]
    if not files:
        raise UserFacingError(
            f"The hub has no file {filename} in {repo_id}: "
            "check the name with `satori-desktop models search`."
        )
    info = files[0]
    sha256 = info.lfs.sha256 if info.lfs is not None else None
    size = info.lfs.size if info.lfs is not None else info.size
    return RemoteFile(repo_id=repo_id, filename=filename, revision=commit, size=int(size), sha256=sha256)


def list_repo_gguf_files(repo_id: str, revision: str = "main") -> list[RemoteFile]:
    """Every .gguf file of a repo with its size and sha256, from one tree listing."""
    require_online()
    with hub_errors(repo_id):
        entries = list(_api().list_repo_tree(repo_id, revision=revision, recursive=True))
    files = []
    for entry in entries:
        path = getattr(entry, "path", "")
        if not path.lower().endswith(".gguf") or not hasattr(entry, "size"):
            continue
        lfs = getattr(entry, "lfs", None)
        files.append(
            RemoteFile(
                repo_id=repo_id,
                filename=path,
                revision=revision,
                size=int(lfs.size if lfs is not None else entry.size),
                sha256=lfs.sha256 if lfs is not None else None,
            )
        )
    return files


def search_model_repos(query: str, limit: int = 50) -> list[str]:
    """Repo ids the hub finds for `query` (GGUF repos first, as the hub's search ranks them)."""
    require_online()
    with hub_errors(f"search {query!r}"):
        return [model.id for model in _api().list_models(search=query, limit=limit)]


def httpx_module() -> Any:
    """The HTTP library huggingface_hub uses: httpx2 in current releases, httpx in older ones."""
    try:
        import httpx2

        return httpx2
    except ImportError:
        import httpx

        return httpx


def status_code_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return int(code) if isinstance(code, int) else None


def user_error_from_hub_error(exc: BaseException, what: str) -> UserFacingError | None:
    """The sentence for a failure talking to the hub, or None when `exc` is not a hub/network problem."""
    from huggingface_hub import errors as hf_errors

    httpx = httpx_module()
    if isinstance(exc, hf_errors.OfflineModeIsEnabled):
        return UserFacingError(OFFLINE_MESSAGE)
    code = status_code_of(exc)
    if code in (401, 403) or isinstance(exc, hf_errors.GatedRepoError):
        return UserFacingError(
            f"The hub refused access to {what} (HTTP {code}): the repository may be private or gated; "
            "accept its terms on the hub and set HF_TOKEN (or run `hf auth login`), then try again."
        )
    if code == 404 or isinstance(exc, (hf_errors.RepositoryNotFoundError, hf_errors.EntryNotFoundError)):
        return UserFacingError(
            f"The hub has no {what} (HTTP 404): check the repository and file name "
            "(`satori-desktop models search` lists what exists)."
        )
    if code is not None and code >= 500:
        return UserFacingError(
            f"The hub had a server error for {what} (HTTP {code}): wait a minute and try again."
        )
    if code == 429:
        return UserFacingError(
            f"The hub is rate-limiting requests for {what}: wait a few minutes and try again."
        )
    if isinstance(exc, httpx.ProxyError):
        return UserFacingError(
            f"The proxy refused the connection to the hub ({exc}): "
            "check the HTTPS_PROXY setting and try again."
        )
    if isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError)):
        return UserFacingError(
            f"Cannot reach the hub at {endpoint()} ({type(exc).__name__}): check the internet connection "
            "and try again, or where the hub is blocked choose a mirror of it (Settings > Files); a started "
            "download resumes where it stopped."
        )
    if isinstance(exc, hf_errors.HfHubHTTPError):
        return UserFacingError(f"The hub answered with an error for {what} ({exc}): try again later.")
    return None


@contextmanager
def hub_errors(what: str) -> Iterator[None]:
    """Turn huggingface_hub and network exceptions raised inside into UserFacingError."""
    try:
        yield
    except UserFacingError:
        raise
    except Exception as exc:
        error = user_error_from_hub_error(exc, what)
        if error is None:
            raise
        log.info("hub request failed for %s", what, exc_info=True)
        raise error from exc
