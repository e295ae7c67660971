"""Fit estimates and the recommendation, on faked 4/8/16 GB GPUs and on this machine's real probe."""

from __future__ import annotations

import pytest

from satori_desktop.bench.local_hub import LocalHub
from satori_desktop.engine.hardware import GpuInfo, HardwareInfo, probe_hardware
from satori_desktop.engine.memory import kv_cache_bytes, layers_that_fit, satori_7b_shape, vram_bytes_needed
from satori_desktop.models.catalog import (
    KNOWN_REPOS,
    CatalogEntry,
    discover_or_offline,
    estimated_file_size,
    offline_catalog,
    quantization_of,
)
from satori_desktop.models.recommend import recommend

GB = 1024**3
# Sizes as the hub lists them for Satori-7B-Round2 (test data standing in for the hub's answer).
ENTRIES = [
    CatalogEntry("Triangle104/Satori-7B-Round2-Q4_K_S-GGUF", "satori-7b-round2-q4_k_s.gguf", "Q4_K_S",
                 4_457_768_960, None, True),
    CatalogEntry("Triangle104/Satori-7B-Round2-Q4_K_M-GGUF", "satori-7b-round2-q4_k_m.gguf", "Q4_K_M",
                 4_683_073_504, None, True),
    CatalogEntry("Triangle104/Satori-7B-Round2-Q6_K-GGUF", "satori-7b-round2-q6_k.gguf", "Q6_K",
                 6_254_198_752, None, True),
]  # fmt: skip


def _machine(vram_gb: float | None, ram_gb: float = 16, offload: bool = True) -> HardwareInfo:
    gpus = () if vram_gb is None else (GpuInfo("Test GPU", "nvidia", int(vram_gb * GB), int(vram_gb * GB)),)
    return HardwareInfo(
        int(ram_gb * GB), int(ram_gb * GB * 0.8), offload, gpus, "nvml" if gpus else "unknown"
    )


def test_kv_cache_of_satori_at_4096_tokens() -> None:
    shape = satori_7b_shape(4_683_073_504)
    # 2 (K and V) x 28 layers x 4096 positions x 4 KV heads x 128 dims x 2 bytes (f16)
    assert kv_cache_bytes(shape, 4096) == 2 * 28 * 4096 * 4 * 128 * 2 == 234_881_024


def test_layers_that_fit_grow_with_vram_and_count_the_context() -> None:
    shape = satori_7b_shape(4_683_073_504)
    fits = [layers_that_fit(shape, 4096, gb * GB) for gb in (1, 2, 4, 6, 8)]
    assert fits == sorted(fits) and fits[0] < fits[-1] == shape.n_layers + 1
    # A longer context leaves room for fewer layers on the same card.
    assert layers_that_fit(shape, 32768, 4 * GB) < layers_that_fit(shape, 4096, 4 * GB)
    full = vram_bytes_needed(shape, 4096, shape.n_layers + 1)
    assert full > shape.file_size_bytes + kv_cache_bytes(shape, 4096) - shape.embedding_bytes


def test_16_gb_gpu_takes_the_best_quality_fully_offloaded() -> None:
    result = recommend(_machine(16), ENTRIES)
    assert result.mode == "gpu" and result.choice is not None
    assert result.choice.entry.quantization == "Q6_K" and result.choice.fit.full_offload


def test_8_gb_gpu_still_holds_q6_k_with_its_kv_cache() -> None:
    result = recommend(_machine(8), ENTRIES)
    assert result.mode == "gpu" and result.choice is not None
    assert result.choice.entry.quantization == "Q6_K"
    assert "fits entirely" in result.explanation


def test_4_gb_gpu_offloads_part_of_q4_k_m() -> None:
    result = recommend(_machine(4), ENTRIES)
    assert result.mode == "partial" and result.choice is not None
    assert result.choice.entry.quantization == "Q4_K_M"
    assert 10 <= result.choice.fit.gpu_layers < 28
    assert f"{result.choice.fit.gpu_layers} of its 28 layers" in result.explanation


def test_too_little_memory_says_none_fits_with_numbers() -> None:
    result = recommend(_machine(None, ram_gb=4), ENTRIES)
    assert result.choice is None and result.mode == "none"
    assert "needs about" in result.explanation and "4.3 GB in total" in result.explanation


def test_real_probe_on_this_machine_recommends_q4_k_m_on_the_cpu() -> None:
    hardware = probe_hardware()
    assert hardware.total_ram_bytes > 8 * GB and 0 < hardware.free_ram_bytes <= hardware.total_ram_bytes
    if hardware.gpu_offload_supported or hardware.gpus:
        pytest.skip("this machine has a GPU; the test is about the CPU-only case")
    result = recommend(hardware, ENTRIES)
    assert result.mode == "cpu" and result.choice is not None
    assert result.choice.entry.quantization == "Q4_K_M"
    assert "no GPU support" in result.explanation


@pytest.mark.parametrize(
    ("filename", "quant"),
    [
        ("satori-7b-round2-q4_k_m.gguf", "Q4_K_M"),
        ("Satori-7B-Round2.Q6_K.gguf", "Q6_K"),
        ("model-IQ4_XS.gguf", "IQ4_XS"),
        ("model-q8_0.gguf", "Q8_0"),
        ("model-f16.gguf", "F16"),
        ("model.gguf", None),
    ],
)
def test_quantization_from_file_name(filename: str, quant: str | None) -> None:
    assert quantization_of(filename) == quant


def test_offline_the_recommendation_works_from_estimated_sizes() -> None:
    offline = offline_catalog()
    assert all(entry.size is None for entry in offline)
    on_gpu = recommend(_machine(8), offline)
    assert on_gpu.estimated and on_gpu.mode == "gpu" and on_gpu.choice is not None
    assert on_gpu.choice.entry.quantization == "Q6_K" and "estimated" in on_gpu.explanation
    on_cpu = recommend(_machine(None, ram_gb=16, offload=False), offline)
    assert on_cpu.mode == "cpu" and on_cpu.choice is not None
    assert on_cpu.choice.entry.quantization == "Q4_K_M"
    # The same verdicts as with the hub's real sizes: the estimates are within 0.1 % of them.
    assert recommend(_machine(8), ENTRIES).choice.entry.quantization == "Q6_K"  # type: ignore[union-attr]
    assert not recommend(_machine(8), ENTRIES).estimated


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.quantization)
def test_estimated_sizes_match_satoris_real_files(entry: CatalogEntry) -> None:
    estimate = estimated_file_size(entry.quantization)
    assert entry.size is not None and estimate is not None
    assert abs(estimate - entry.size) / entry.size < 0.005


def test_an_unreachable_hub_falls_back_to_the_built_in_list(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    entries, why = discover_or_offline()
    assert [e.repo_id for e in entries] == [repo for repo, _ in KNOWN_REPOS]
    assert why is not None and why.endswith(".")


def test_a_reachable_hub_gives_the_real_sizes(fake_hub: LocalHub) -> None:
    entries, why = discover_or_offline()
    assert why is None and entries and all(entry.size is not None for entry in entries)
