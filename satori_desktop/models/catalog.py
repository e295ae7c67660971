"""Which Satori-7B-Round2 GGUF files exist, and what the user means by `Q4_K_M` or `repo:file`.

The built-in list only names repositories known to carry Satori quantisations; file names, sizes and
sha256 always come from the hub at run time (a repo can be re-uploaded). Live discovery adds whatever
else the hub's search finds for Satori-7B-Round2, and any GGUF repo can be named directly.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from satori_desktop.core.errors import UserFacingError
from satori_desktop.models import hub
from satori_desktop.models.hub import RemoteFile

log = logging.getLogger(__name__)

SEARCH_QUERY = "Satori-7B-Round2"

# (repo, quantisation it carries): seen on the hub in 2026-11 (see shared/DESIGN.md).
KNOWN_REPOS: tuple[tuple[str, str], ...] = (
    ("Triangle104/Satori-7B-Round2-Q4_K_S-GGUF", "Q4_K_S"),
    ("Triangle104/Satori-7B-Round2-Q4_K_M-GGUF", "Q4_K_M"),
    ("Triangle104/Satori-7B-Round2-Q6_K-GGUF", "Q6_K"),
)

# Better quality first; the recommender walks this order.
QUALITY_ORDER = (
    "F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q5_0", "Q4_K_M", "Q4_K_S", "IQ4_XS", "Q4_0",
    "IQ4_NL", "Q3_K_L", "Q3_K_M", "IQ3_M", "Q3_K_S", "IQ3_XS", "Q2_K", "IQ2_M",
)  # fmt: skip

_QUANT_PATTERN = re.compile(r"(?i)(?<![A-Z0-9])(I?Q\d(?:_K)?(?:_[A-Z]{1,2}|_\d)?|BF16|F16|F32)(?![A-Z0-9])")


def quantization_of(filename: str) -> str | None:
    """'satori-7b-round2-q4_k_m.gguf' -> 'Q4_K_M'."""
    stem = filename.rsplit("/", 1)[-1]
    stem = stem[:-5] if stem.lower().endswith(".gguf") else stem
    matches = _QUANT_PATTERN.findall(stem.replace("-", "_").replace(".", "_"))
    return matches[-1].upper() if matches else None


def quality_rank(quantization: str | None) -> int:
    try:
        return QUALITY_ORDER.index((quantization or "").upper())
    except ValueError:
        return len(QUALITY_ORDER)


@dataclass(frozen=True)
class CatalogEntry:
    repo_id: str
    filename: str | None  # None when offline and the hub could not be asked
    quantization: str | None
    size: int | None  # from the hub; None when unknown
    sha256: str | None
    known: bool  # in the built-in list

    def remote(self) -> RemoteFile | None:
        if self.filename is None or self.size is None:
            return None
        return RemoteFile(self.repo_id, self.filename, "main", self.size, self.sha256)

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id,
            "filename": self.filename,
            "quantization": self.quantization,
            "size": self.size,
            "sha256": self.sha256,
            "known": self.known,
        }


def _entries_of(repo_id: str, known: bool) -> list[CatalogEntry]:
    return [
        CatalogEntry(
            repo_id=f.repo_id,
            filename=f.filename,
            quantization=quantization_of(f.filename),
            size=f.size,
            sha256=f.sha256,
            known=known,
        )
        for f in hub.list_repo_gguf_files(repo_id)
    ]


def offline_catalog() -> list[CatalogEntry]:
    return [CatalogEntry(repo, None, quant, None, None, True) for repo, quant in KNOWN_REPOS]


def discover(query: str = SEARCH_QUERY, *, include_search: bool = True) -> list[CatalogEntry]:
    """Known repos plus search results, each file with the hub's size and sha256, best quality first."""
    hub.require_online()
    entries: list[CatalogEntry] = []
    repos = [repo for repo, _ in KNOWN_REPOS]
    if include_search:
        for repo in hub.search_model_repos(query):
            if repo not in repos and "gguf" in repo.lower():
                repos.append(repo)
    known = {repo for repo, _ in KNOWN_REPOS}
    for repo in repos:
        try:
            entries.extend(_entries_of(repo, repo in known))
        except UserFacingError as exc:
            # One vanished or private repo must not hide the others.
            log.info("skipping %s: %s", repo, exc)
    entries.sort(key=lambda e: (quality_rank(e.quantization), e.repo_id, e.filename or ""))
    return entries


def resolve_spec(spec: str) -> RemoteFile:
    """`Q4_K_M`, `owner/repo` or `owner/repo:file.gguf` -> the hub file, with its size and sha256."""
    spec = spec.strip()
    if ":" in spec:
        repo_id, _, filename = spec.partition(":")
        return hub.remote_file(repo_id, filename)
    if "/" in spec:
        files = hub.list_repo_gguf_files(spec)
        if not files:
            raise UserFacingError(f"{spec} has no .gguf file: name another repository.")
        if len(files) > 1:
            names = ", ".join(f.filename for f in files)
            raise UserFacingError(f"{spec} has several GGUF files ({names}): add one as {spec}:FILE.")
        return hub.remote_file(spec, files[0].filename)
    wanted = spec.upper()
    # Known repos first: they are the ones this app is tested with.
    for repo, quant in KNOWN_REPOS:
        if quant == wanted:
            for entry in _entries_of(repo, True):
                if entry.quantization == wanted and entry.filename:
                    return hub.remote_file(repo, entry.filename)
    for entry in discover():
        if entry.quantization == wanted and entry.filename:
            return hub.remote_file(entry.repo_id, entry.filename)
    raise UserFacingError(
        f"No Satori-7B-Round2 GGUF with quantisation {spec} was found on the hub: "
        "`satori-desktop models search` lists the ones that exist."
    )
