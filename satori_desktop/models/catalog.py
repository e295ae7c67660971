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

# Bits per weight of a whole GGUF file by quantisation, for estimating a file's size when the hub cannot be
# asked. Q4_K_S, Q4_K_M and Q6_K are measured on Satori's own files (sizes on the hub in 2026-11:
# 4,457,768,960, 4,683,073,504 and 6,254,198,752 bytes over SATORI_PARAMETERS weights); the others are
# llama.cpp's nominal figures for 7B models, whose real files come out a few per cent larger.
ESTIMATED_BITS_PER_WEIGHT = {
    "F16": 16.0, "BF16": 16.0, "Q8_0": 8.5, "Q6_K": 6.57, "Q5_K_M": 5.69, "Q5_K_S": 5.54, "Q5_0": 5.54,
    "Q4_K_M": 4.92, "Q4_K_S": 4.68, "IQ4_XS": 4.46, "Q4_0": 4.55, "IQ4_NL": 4.68, "Q3_K_L": 4.27,
    "Q3_K_M": 3.91, "IQ3_M": 3.7, "Q3_K_S": 3.5, "IQ3_XS": 3.3, "Q2_K": 3.35, "IQ2_M": 2.7,
}  # fmt: skip
# Weights of Satori-7B-Round2 (Qwen2.5-Math-7B): untied input and output embeddings (152,064 x 3,584
# each) and 28 blocks of attention (q/o 3,584 x 3,584, k/v 3,584 x 512, with q/k/v biases), the SwiGLU MLP
# (3 x 3,584 x 18,944) and two norms.
SATORI_PARAMETERS = (
    2 * 152_064 * 3_584
    + 28 * (2 * 3_584 * 3_584 + 2 * 3_584 * 512 + 3_584 + 2 * 512 + 3 * 3_584 * 18_944 + 2 * 3_584)
    + 3_584
)


def estimated_file_size(quantization: str | None) -> int | None:
    """The size a Satori GGUF of this quantisation has, from its bits per weight (None: unknown type)."""
    bits = ESTIMATED_BITS_PER_WEIGHT.get((quantization or "").upper())
    return None if bits is None else int(SATORI_PARAMETERS * bits / 8)


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


def discover_or_offline() -> tuple[list[CatalogEntry], str | None]:
    """What `discover()` finds, or the built-in list (no sizes) with the sentence saying why, when the hub
    is off (HF_HUB_OFFLINE) or cannot be reached: a recommendation then works from estimates."""
    unreachable = hub.unreachable_reason()
    if unreachable is not None:
        return offline_catalog(), unreachable
    try:
        return discover(), None
    except UserFacingError as exc:
        log.info("the hub could not be asked, using the built-in list: %s", exc)
        return offline_catalog(), str(exc)


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
