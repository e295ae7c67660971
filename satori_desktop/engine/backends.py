"""Which llama.cpp backends this build has, loading them where the bindings do not, and what was chosen.

Two kinds of llama.cpp builds reach this code:

* A source install's llama-cpp-python links its CPU backend (and CUDA or Metal, when built with them) into
  `libggml`, so the backends are registered as soon as the library loads.
* A release bundle's (packaging/build-llama-wheel.sh) is built with `GGML_BACKEND_DL` and
  `GGML_CPU_ALL_VARIANTS`: every backend is a separate module next to `libggml` (`libggml-cpu-haswell.so`,
  `ggml-cpu-skylakex.dll`, `libggml-cuda.so`, ...) and nothing is registered until someone loads them.
  llama-cpp-python never does (its issue #2069: "no backends are loaded"), and ggml's own default search
  looks beside the executable and in the current directory, which in a frozen app is neither. So
  `ensure_backends_loaded()` asks ggml to load every module from llama_cpp's own lib folder; ggml scores
  each CPU variant against this CPU's features and keeps the best one, and a GPU module whose driver is
  missing fails to load and is skipped, leaving the CPU.

`runtime_report()` says what came out of that (for the self-test, diagnostics and the log), and
`cpu_fallback_sentence()` the one sentence a user of a GPU build on a machine without a usable GPU sees.
Qt-free, like all of the engine.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# ggml_backend_dev_type: what each device is (ggml-backend.h).
_DEVICE_TYPES = {0: "CPU", 1: "GPU", 2: "IGPU", 3: "ACCEL"}
# GPU backend modules a build may carry, by the name ggml registers them under.
_GPU_MODULES = {"CUDA": "ggml-cuda", "Metal": "ggml-metal", "Vulkan": "ggml-vulkan", "HIP": "ggml-hip"}

_lock = threading.Lock()
_loaded_from: Path | None = None  # the lib folder the modules were loaded from; None: linked in (or not yet)
_checked = False


class _Feature(ctypes.Structure):
    # struct ggml_backend_feature { const char * name; const char * value; } (ggml-backend.h)
    _fields_ = (("name", ctypes.c_char_p), ("value", ctypes.c_char_p))


@dataclass(frozen=True)
class Device:
    name: str  # "CPU", "CUDA0", ...
    description: str  # the CPU's or GPU's model name
    kind: str  # CPU, GPU, IGPU or ACCEL


@dataclass(frozen=True)
class RuntimeReport:
    """What llama.cpp runs on here: registered backends, devices, the CPU variant and its features."""

    backends: list[str]
    devices: list[Device]
    # The CPU backend module chosen for this CPU ("haswell", "sapphirerapids", ...), or "built in" for a
    # build that links one CPU backend into libggml (a source install), or "unknown".
    cpu_variant: str
    cpu_features: list[str]
    # True when the backends are separate modules loaded at run time (a release build).
    dynamic_backends: bool
    lib_dir: str
    # GPU modules the build carries that did not register (no driver, no device): name -> module file.
    unusable_gpu_modules: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _lib_dir() -> Path:
    """llama_cpp's lib folder (or LLAMA_CPP_LIB_PATH, which the bindings honour too)."""
    import llama_cpp.llama_cpp as bindings

    return Path(bindings._base_path)


def _libggml() -> ctypes.CDLL:
    """ggml's functions from the very copy of libggml that libllama uses.

    Not `llama_cpp._ggml.libggml`: on Linux that opens `lib/libggml.so`, while libllama links the soname
    `libggml.so.0`, a separate file (wheels cannot hold symlinks) and so a second ggml with a registry of
    its own; a frozen app may hold a third copy beside its executable. Looking the symbols up through
    libllama's handle searches libllama and then the libraries it was linked against, which finds the
    right one. Windows has one `ggml.dll`, and GetProcAddress searches only the DLL itself, so there it
    is the ggml bindings' handle.
    """
    import llama_cpp.llama_cpp as bindings

    lib: ctypes.CDLL = bindings._lib
    if not hasattr(lib, "ggml_backend_reg_count"):
        import llama_cpp._ggml as ggml_bindings

        lib = ggml_bindings.libggml
    lib.ggml_backend_reg_count.restype = ctypes.c_size_t
    lib.ggml_backend_reg_count.argtypes = []
    lib.ggml_backend_reg_get.restype = ctypes.c_void_p
    lib.ggml_backend_reg_get.argtypes = [ctypes.c_size_t]
    lib.ggml_backend_reg_name.restype = ctypes.c_char_p
    lib.ggml_backend_reg_name.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_reg_get_proc_address.restype = ctypes.c_void_p
    lib.ggml_backend_reg_get_proc_address.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.ggml_backend_dev_count.restype = ctypes.c_size_t
    lib.ggml_backend_dev_count.argtypes = []
    lib.ggml_backend_dev_get.restype = ctypes.c_void_p
    lib.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
    lib.ggml_backend_dev_name.restype = ctypes.c_char_p
    lib.ggml_backend_dev_name.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_description.restype = ctypes.c_char_p
    lib.ggml_backend_dev_description.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_type.restype = ctypes.c_int
    lib.ggml_backend_dev_type.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_load_all_from_path.restype = None
    lib.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    return lib


def backend_modules(lib_dir: Path) -> list[Path]:
    """The loadable backend modules in a lib folder: `libggml-cpu-x64.so`, `ggml-cuda.dll`, ...

    `libggml-base` and `libggml` itself are not backends; neither are the versioned symlinks
    (`libggml-cpu.so.0`) a source build installs beside the real file.
    """
    modules = []
    for path in sorted(lib_dir.glob("*ggml-*")):
        stem = path.name.removeprefix("lib")
        if stem.startswith("ggml-base") or path.suffix not in (".so", ".dll", ".dylib"):
            continue
        modules.append(path)
    return modules


# void (*ggml_log_callback)(enum ggml_log_level level, const char * text, void * user_data)
_LOG_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
_early_log_callback: Any = None  # kept alive: ggml holds a raw pointer to it


def _lib_dir_before_import() -> Path | None:
    """llama_cpp's lib folder, found without importing llama_cpp (which would import numpy)."""
    override = os.environ.get("LLAMA_CPP_LIB_PATH")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def _ggml_file(lib_dir: Path) -> Path | None:
    """The libggml file libllama links: on Linux its soname (`libggml.so.0`), so that libllama, loaded
    later, finds this very copy already loaded instead of opening a second one."""
    if sys.platform == "win32":
        candidates = [lib_dir / "ggml.dll"]
    elif sys.platform == "darwin":
        candidates = [
            *sorted(lib_dir.glob("libggml.*.dylib"), key=lambda p: len(p.name)),
            lib_dir / "libggml.dylib",
        ]
    else:
        candidates = [
            *sorted(lib_dir.glob("libggml.so.*"), key=lambda p: len(p.name)),
            lib_dir / "libggml.so",
        ]
    return next((path for path in candidates if path.is_file()), None)


def load_backend_modules(forward_log: Callable[[int, bytes, Any], None] | None = None) -> None:
    """In a release build, load llama.cpp's backend modules before llama_cpp is imported.

    The engine calls this first: it loads libggml from llama_cpp's lib folder by hand, globally, and has
    it load every backend module there, with ggml's log going to `forward_log`. Both the order and the
    global binding come from the GPU machine (benchmarks/cuda_release_check.sh): a CUDA module loaded
    after llama_cpp's import (which imports numpy, seen to break CUDA loads before) through a libggml
    bound locally made every model load crash; this way a model runs on CUDA, and on the CPU variants
    when no GPU is usable. A build without loadable CPU variants (a source install) is left to
    `ensure_backends_loaded`, which has nothing to do for it.
    """
    global _checked, _loaded_from, _early_log_callback
    with _lock:
        if _checked:
            return
        lib_dir = _lib_dir_before_import()
        if lib_dir is None or not any(
            path.name.removeprefix("lib").startswith("ggml-cpu-") for path in backend_modules(lib_dir)
        ):
            return
        ggml_file = _ggml_file(lib_dir)
        if ggml_file is None:
            return
        try:
            # RTLD_GLOBAL: measured on the GPU machine, the CUDA module loaded through a locally bound
            # libggml made the next model load crash, CPU or GPU alike; loaded globally, it works.
            lib = ctypes.CDLL(str(ggml_file), mode=getattr(ctypes, "RTLD_GLOBAL", 0))
        except OSError:
            log.warning("could not load %s before llama_cpp", ggml_file, exc_info=True)
            return
        if forward_log is not None:
            _early_log_callback = _LOG_CALLBACK(forward_log)
            lib.ggml_log_set.restype = None
            lib.ggml_log_set.argtypes = [_LOG_CALLBACK, ctypes.c_void_p]
            lib.ggml_log_set(_early_log_callback, None)
        lib.ggml_backend_load_all_from_path.restype = None
        lib.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
        lib.ggml_backend_load_all_from_path(str(lib_dir).encode("utf-8"))
        _checked = True
        _loaded_from = lib_dir
        log.info("loaded llama.cpp's backend modules from %s before llama_cpp", lib_dir)


def ensure_backends_loaded() -> None:
    """Load llama.cpp's backend modules from llama_cpp's lib folder if none is registered yet.

    Idempotent and thread-safe; call it after importing llama_cpp and before asking what the build can do
    (`llama_supports_gpu_offload` says False until a GPU backend is loaded). A build that links its
    backends in is left alone.
    """
    global _checked, _loaded_from
    with _lock:
        if _checked:
            return
        _checked = True
        lib = _libggml()
        if lib.ggml_backend_reg_count() > 0:
            return  # linked in: a source install
        lib_dir = _lib_dir()
        # ggml needs the folder as UTF-8 bytes; on Windows it converts them to a wide path itself.
        lib.ggml_backend_load_all_from_path(str(lib_dir).encode("utf-8"))
        _loaded_from = lib_dir
        names = [_reg_name(lib, i) for i in range(lib.ggml_backend_reg_count())]
        log.info("loaded llama.cpp backends from %s: %s", lib_dir, ", ".join(names) or "none")


def _reg_name(lib: ctypes.CDLL, index: int) -> str:
    name = lib.ggml_backend_reg_name(lib.ggml_backend_reg_get(index))
    return (name or b"?").decode("utf-8", errors="replace")


def _cpu_features(lib: ctypes.CDLL) -> list[str]:
    """The CPU backend's compiled-in features that are on ("AVX2", "AMX_INT8", ...)."""
    for index in range(lib.ggml_backend_reg_count()):
        reg = lib.ggml_backend_reg_get(index)
        if _reg_name(lib, index) != "CPU":
            continue
        address = lib.ggml_backend_reg_get_proc_address(reg, b"ggml_backend_get_features")
        if not address:
            return []
        get_features = ctypes.CFUNCTYPE(ctypes.POINTER(_Feature), ctypes.c_void_p)(address)
        features = get_features(reg)
        found: list[str] = []
        i = 0
        while features and features[i].name:
            name = features[i].name.decode("utf-8", errors="replace")
            value = (features[i].value or b"").decode("utf-8", errors="replace")
            found.append(name if value in ("1", "") else f"{name}={value}")
            i += 1
        return found
    return []


def _mapped_files() -> Iterable[str]:
    """Paths of the shared libraries this process has mapped (Linux and Windows; elsewhere none)."""
    maps = Path("/proc/self/maps")
    if maps.is_file():
        try:
            for line in maps.read_text(errors="replace").splitlines():
                parts = line.split(maxsplit=5)
                if len(parts) == 6:
                    yield parts[5]
        except OSError:
            return
        return
    try:
        import psutil

        for region in psutil.Process().memory_maps(grouped=True):
            yield region.path
    except Exception:  # AccessDenied, or not supported on this OS (macOS)
        log.debug("cannot list the mapped libraries", exc_info=True)


def _loaded_cpu_variant(dynamic: bool) -> str:
    if not dynamic:
        return "built in"
    for path in _mapped_files():
        name = Path(path).name.removeprefix("lib")
        if name.startswith("ggml-cpu-"):
            return name.removeprefix("ggml-cpu-").split(".")[0]
    return "unknown"


def runtime_report() -> RuntimeReport:
    """Load the backends if needed and say what llama.cpp runs on; raises when llama_cpp will not load."""
    from satori_desktop.engine.llama_engine import llama_cpp_module  # imports this module: not at the top

    llama_cpp_module()  # llama.cpp's log routed into ours before the backends say what they load
    lib = _libggml()
    backends = [_reg_name(lib, i) for i in range(lib.ggml_backend_reg_count())]
    devices = []
    for index in range(lib.ggml_backend_dev_count()):
        dev = lib.ggml_backend_dev_get(index)
        devices.append(
            Device(
                name=(lib.ggml_backend_dev_name(dev) or b"?").decode("utf-8", errors="replace"),
                description=(lib.ggml_backend_dev_description(dev) or b"").decode("utf-8", errors="replace"),
                kind=_DEVICE_TYPES.get(lib.ggml_backend_dev_type(dev), "?"),
            )
        )
    dynamic = _loaded_from is not None
    lib_dir = _loaded_from or _lib_dir()
    unusable = {}
    if dynamic:
        present = {path.name.removeprefix("lib").split(".")[0]: path for path in backend_modules(lib_dir)}
        for backend, module in _GPU_MODULES.items():
            if module in present and backend not in backends:
                unusable[backend] = present[module].name
    return RuntimeReport(
        backends=backends,
        devices=devices,
        cpu_variant=_loaded_cpu_variant(dynamic),
        cpu_features=_cpu_features(lib),
        dynamic_backends=dynamic,
        lib_dir=str(lib_dir),
        unusable_gpu_modules=unusable,
    )


def cpu_fallback_sentence(report: RuntimeReport) -> str | None:
    """For a GPU build that found no usable GPU: one sentence saying so and why; else None."""
    if report.unusable_gpu_modules:
        backend = next(iter(report.unusable_gpu_modules))
        driver = "an NVIDIA GPU with its driver" if backend == "CUDA" else f"a GPU that supports {backend}"
        return (
            f"This is the {backend} build, but llama.cpp found no usable GPU here (its {backend} backend "
            f"needs {driver}), so Satori runs on the CPU; install or update the GPU driver, or use the CPU "
            "build."
        )
    gpus = [d for d in report.devices if d.kind in ("GPU", "IGPU")]
    gpu_backends = [b for b in report.backends if b in _GPU_MODULES]
    if gpu_backends and not gpus:
        return (
            f"This build has the {gpu_backends[0]} backend, but it found no GPU device here, so Satori runs "
            "on the CPU."
        )
    return None


def describe(report: RuntimeReport) -> str:
    """One line for a status bar or a log: `CPU (sapphirerapids: AVX2, AVX512, AMX_INT8)` or `CUDA + CPU`."""
    gpu = [b for b in report.backends if b != "CPU"]
    cpu = f"CPU ({report.cpu_variant})" if report.cpu_variant not in ("built in", "unknown") else "CPU"
    return " + ".join([*gpu, cpu]) if "CPU" in report.backends or not gpu else " + ".join(gpu)
