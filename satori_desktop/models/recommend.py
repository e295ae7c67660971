"""Which quantisation to download on this machine, and why, in a sentence a student understands.

The rule, from the best answer to the worst: the best-quality file whose every layer, KV cache for the
chosen context and compute buffers fit in free VRAM (all of it runs on the GPU); else the balanced
Q4_K_M (or the largest file that fits) in RAM with as many layers offloaded as VRAM holds; else nothing,
with the numbers that show why. On a CPU-only machine speed is bound by memory bandwidth, so a smaller
file answers faster: Q4_K_M is preferred over Q6_K there even when both fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from satori_desktop.engine.hardware import HardwareInfo, format_bytes
from satori_desktop.engine.memory import FitEstimate, ModelShape, estimate_fit, satori_7b_shape
from satori_desktop.models.catalog import CatalogEntry, estimated_file_size, quality_rank

DEFAULT_CONTEXT = 4096  # Satori's trained context: a full reasoning trace needs it
BALANCED_QUANT = "Q4_K_M"


@dataclass(frozen=True)
class Candidate:
    entry: CatalogEntry
    fit: FitEstimate

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.entry.to_dict(),
            "gpu_layers": self.fit.gpu_layers,
            "total_layers": self.fit.total_layers,
            "full_offload": self.fit.full_offload,
            "vram_bytes": self.fit.vram_bytes,
            "ram_bytes": self.fit.ram_bytes,
            "fits": self.fit.runs,
        }


@dataclass(frozen=True)
class Recommendation:
    choice: Candidate | None
    mode: str  # "gpu" (all layers on the GPU), "partial" (some), "cpu", or "none"
    explanation: str
    n_ctx: int
    candidates: list[Candidate] = field(default_factory=list)
    # True when the file sizes are estimates (the hub could not be asked): the figures may be a few % off.
    estimated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "choice": self.choice.to_dict() if self.choice else None,
            "mode": self.mode,
            "explanation": self.explanation,
            "n_ctx": self.n_ctx,
            "estimated": self.estimated,
            "candidates": [c.to_dict() for c in self.candidates],
        }


@dataclass(frozen=True)
class MachineRecommendation:
    """What the first-run page and `models recommend` show: the machine, the verdict, and whether the hub
    answered (`hub_unreachable` is the sentence saying why not; the sizes are then estimates)."""

    hardware: HardwareInfo
    recommendation: Recommendation
    hub_unreachable: str | None


def recommend_for_this_machine(n_ctx: int = DEFAULT_CONTEXT) -> MachineRecommendation:
    """Probe this machine, ask the hub (or fall back to estimates at once when it cannot be reached)."""
    from satori_desktop.engine.hardware import probe_hardware
    from satori_desktop.models.catalog import discover_or_offline

    hardware = probe_hardware()
    entries, unreachable = discover_or_offline()
    return MachineRecommendation(hardware, recommend(hardware, entries, n_ctx=n_ctx), unreachable)


def machine_sentence(hardware: HardwareInfo) -> str:
    """'This computer: 24.0 GB RAM (18.2 GB free), no GPU found; GPU offload not available.'"""
    gpu = hardware.best_gpu
    gpu_text = f"{gpu.name}, {format_bytes(gpu.free_vram_bytes)} free" if gpu else "no GPU found"
    offload = "available" if hardware.gpu_offload_supported else "not available"
    ram, free = format_bytes(hardware.total_ram_bytes), format_bytes(hardware.free_ram_bytes)
    return f"This computer: {ram} RAM ({free} free), {gpu_text}; GPU offload {offload}."


def recommend(
    hardware: HardwareInfo,
    entries: list[CatalogEntry],
    *,
    n_ctx: int = DEFAULT_CONTEXT,
    shape_for: Any = satori_7b_shape,
) -> Recommendation:
    """Pick one of `entries` for `hardware`; `shape_for(size)` gives its shape.

    Entries with the hub's size are judged by it. When no entry has one (offline), the sizes are
    estimated from each quantisation's bits per weight and Satori's known shape, and the recommendation
    says so (`estimated`, and "estimated" in the explanation)."""
    sized = [e for e in entries if e.size is not None and e.filename is not None]
    if sized:
        return _recommend_sized(hardware, sized, n_ctx, shape_for)
    guessed = [
        replace(e, size=estimated_file_size(e.quantization))
        for e in entries
        if estimated_file_size(e.quantization) is not None
    ]
    if not guessed:
        return Recommendation(
            None,
            "none",
            "No file sizes are known (the hub could not be asked): connect to the internet and run "
            "`satori-desktop models recommend` again.",
            n_ctx,
            estimated=True,
        )
    result = _recommend_sized(hardware, guessed, n_ctx, shape_for)
    return replace(
        result,
        estimated=True,
        explanation=f"{result.explanation} (Sizes estimated: the hub could not be asked.)",
    )


def _recommend_sized(
    hardware: HardwareInfo, sized: list[CatalogEntry], n_ctx: int, shape_for: Any
) -> Recommendation:
    vram = hardware.usable_vram_bytes
    # Judge RAM by the total less the OS's share (the user can close a browser), not this instant's free.
    ram = hardware.total_ram_bytes
    candidates = []
    for entry in sorted(sized, key=lambda e: (quality_rank(e.quantization), e.size or 0)):
        shape: ModelShape = shape_for(entry.size)
        candidates.append(
            Candidate(entry, estimate_fit(shape, n_ctx, free_vram_bytes=vram, available_ram_bytes=ram))
        )

    gpu_name = hardware.best_gpu.name if hardware.best_gpu else "GPU"
    full = [c for c in candidates if c.fit.full_offload and c.fit.runs]
    if full:
        choice = full[0]  # best quality first
        return Recommendation(
            choice,
            "gpu",
            f"{_label(choice)} fits entirely in the {gpu_name}'s {format_bytes(vram)} of free memory "
            f"(needs about {format_bytes(choice.fit.vram_bytes)} with a {n_ctx}-token context), so every "
            "layer runs on the GPU.",
            n_ctx,
            candidates,
        )
    runnable = [c for c in candidates if c.fit.runs]
    if not runnable:
        smallest = min(candidates, key=lambda c: c.fit.ram_bytes)
        return Recommendation(
            None,
            "none",
            f"None of the files fits this machine: even {_label(smallest)} needs about "
            f"{format_bytes(smallest.fit.ram_bytes)} of RAM and there is {format_bytes(ram)} in total; "
            "use a computer with more memory.",
            n_ctx,
            candidates,
        )
    balanced = [c for c in runnable if (c.entry.quantization or "").upper() == BALANCED_QUANT]
    # Among what fits, the balanced file; otherwise the smallest one that runs faster on a CPU.
    choice = balanced[0] if balanced else min(runnable, key=lambda c: c.entry.size or 0)
    if choice.fit.gpu_layers > 0:
        return Recommendation(
            choice,
            "partial",
            f"{_label(choice)} runs with {choice.fit.gpu_layers} of its {choice.fit.total_layers} layers on "
            "the "
            f"{gpu_name} ({format_bytes(vram)} free) and the rest in RAM; no file fits the GPU entirely.",
            n_ctx,
            candidates,
        )
    if not hardware.gpu_offload_supported:
        reason = "this llama.cpp build has no GPU support, so it runs on the CPU"
    elif vram is None:
        reason = "the GPU's free memory is unknown, so it runs on the CPU"
    else:
        reason = (
            f"the {gpu_name}'s {format_bytes(vram)} free is too little for even one layer, "
            "so it runs on the CPU"
        )
    return Recommendation(
        choice,
        "cpu",
        f"{_label(choice)} needs about {format_bytes(choice.fit.ram_bytes)} of RAM of the "
        f"{format_bytes(ram)} here; {reason} (expect a few tokens per second).",
        n_ctx,
        candidates,
    )


def _label(candidate: Candidate) -> str:
    entry = candidate.entry
    return f"{entry.quantization or entry.filename} ({format_bytes(entry.size)})"
