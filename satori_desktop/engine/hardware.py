"""What this machine offers a 7B model: RAM, whether llama.cpp can offload, and the GPUs' memory.

The engine uses it to choose how many layers go to the GPU and the model manager to recommend a
quantisation. Everything the probe touches is optional: a llama.cpp build that will not load, a machine
without NVIDIA's management library, an OS we cannot ask; each only makes the answer less precise
("unknown"), never raises. Tests build `HardwareInfo` directly to play a 4, 8 or 16 GB GPU.
"""

from __future__ import annotations

import logging
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

log = logging.getLogger(__name__)

GpuVendor = Literal["nvidia", "apple", "unknown"]

# Metal lets one process keep about this share of unified memory resident on the GPU
# (`recommendedMaxWorkingSetSize` is ~2/3 to 3/4 of RAM); the smaller figure keeps the estimate safe.
APPLE_GPU_SHARE_OF_RAM = 2 / 3


@dataclass(frozen=True)
class GpuInfo:
    name: str
    vendor: GpuVendor
    # None where the platform does not say (then fit estimates cannot promise a full offload).
    total_vram_bytes: int | None
    free_vram_bytes: int | None
    # Apple silicon: "VRAM" is a share of the same RAM the CPU uses.
    unified_memory: bool = False


@dataclass(frozen=True)
class HardwareInfo:
    total_ram_bytes: int
    # What the OS could give us now without swapping ("available", not just "free" pages).
    free_ram_bytes: int
    # True when the installed llama.cpp build has a GPU backend (CUDA, Metal, Vulkan...).
    gpu_offload_supported: bool
    gpus: tuple[GpuInfo, ...] = ()
    # Where the GPU figures came from: "nvml", "apple-unified", or "unknown".
    gpu_source: str = "unknown"
    notes: tuple[str, ...] = field(default=())

    @property
    def best_gpu(self) -> GpuInfo | None:
        """The GPU with the most free memory known, else the first one listed."""
        known = [gpu for gpu in self.gpus if gpu.free_vram_bytes is not None]
        if known:
            return max(known, key=lambda gpu: gpu.free_vram_bytes or 0)
        return self.gpus[0] if self.gpus else None

    @property
    def usable_vram_bytes(self) -> int | None:
        """Free memory of the best GPU that llama.cpp can use, or None when no such figure exists."""
        if not self.gpu_offload_supported:
            return None
        gpu = self.best_gpu
        return gpu.free_vram_bytes if gpu is not None else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["gpus"] = [asdict(gpu) for gpu in self.gpus]
        data["notes"] = list(self.notes)
        return data


def probe_hardware() -> HardwareInfo:
    """Look at this machine now; never raises."""
    notes: list[str] = []
    total_ram, free_ram = _ram_bytes(notes)
    offload = _llama_supports_gpu_offload(notes)
    gpus, source = _nvidia_gpus(notes)
    if not gpus and sys.platform == "darwin" and platform.machine() == "arm64":
        gpus, source = _apple_unified_gpu(total_ram, free_ram), "apple-unified"
    return HardwareInfo(
        total_ram_bytes=total_ram,
        free_ram_bytes=free_ram,
        gpu_offload_supported=offload,
        gpus=tuple(gpus),
        gpu_source=source,
        notes=tuple(notes),
    )


def _ram_bytes(notes: list[str]) -> tuple[int, int]:
    try:
        import psutil

        memory = psutil.virtual_memory()
        return int(memory.total), int(memory.available)
    except ImportError:
        pass
    # Without psutil: Linux says it in /proc/meminfo; elsewhere sysconf gives at least the total.
    try:
        fields: dict[str, int] = {}
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                key, _, rest = line.partition(":")
                fields[key] = int(rest.split()[0]) * 1024
        return fields["MemTotal"], fields.get("MemAvailable", fields.get("MemFree", 0))
    except (OSError, KeyError, ValueError, IndexError):
        pass
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 0
    notes.append("free RAM unknown on this platform; assumed equal to total RAM")
    return total, total


def _llama_supports_gpu_offload(notes: list[str]) -> bool:
    try:
        from satori_desktop.engine.llama_engine import llama_cpp_module

        # Loaded the engine's way: a release build says False until its GPU backend module is loaded.
        return bool(llama_cpp_module().llama_supports_gpu_offload())
    except Exception as exc:  # ImportError, or OSError when the shared library will not load
        notes.append(f"llama.cpp not usable ({type(exc).__name__}); GPU offload unknown, assumed off")
        log.debug("llama_cpp import failed", exc_info=True)
        return False


def _nvidia_gpus(notes: list[str]) -> tuple[list[GpuInfo], str]:
    try:
        import pynvml  # from the nvidia-ml-py package
    except ImportError:
        return [], "unknown"
    try:
        pynvml.nvmlInit()
    except Exception:  # NVMLError_LibraryNotFound / DriverNotLoaded: simply no NVIDIA GPU here
        log.debug("NVML not available", exc_info=True)
        return [], "unknown"
    gpus: list[GpuInfo] = []
    try:
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            raw_name = pynvml.nvmlDeviceGetName(handle)
            name = raw_name.decode("utf-8", "replace") if isinstance(raw_name, bytes) else str(raw_name)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            gpus.append(
                GpuInfo(
                    name=name,
                    vendor="nvidia",
                    total_vram_bytes=int(memory.total),
                    free_vram_bytes=int(memory.free),
                )
            )
    except Exception as exc:
        notes.append(f"NVML stopped answering ({type(exc).__name__}); GPU list may be incomplete")
        log.debug("NVML query failed", exc_info=True)
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            log.debug("nvmlShutdown failed", exc_info=True)
    return gpus, "nvml" if gpus else "unknown"


def _apple_unified_gpu(total_ram: int, free_ram: int) -> list[GpuInfo]:
    try:
        name = subprocess.run(
            ["sysctl", "-n", "machdep.cpu.brand_string"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    budget = int(total_ram * APPLE_GPU_SHARE_OF_RAM)
    return [
        GpuInfo(
            name=name or "Apple GPU",
            vendor="apple",
            total_vram_bytes=budget,
            free_vram_bytes=min(budget, free_ram),
            unified_memory=True,
        )
    ]


def format_bytes(count: int | None) -> str:
    """Bytes as a person reads them: '4.7 GB' (decimal units, as disks and the hub count)."""
    if count is None:
        return "unknown"
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "kB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # unreachable; keeps mypy sure of a return
