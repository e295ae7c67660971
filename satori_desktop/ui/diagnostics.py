"""The diagnostics report: what a bug report needs to say about this installation, and nothing private.

"Copy diagnostics" (the About box and the Help menu) puts its text on the clipboard, and
`satori-desktop diagnostics [--json]` prints it. It says which app, Python, OS, CPU, RAM and GPU this is,
what the llama.cpp build can do (version, its GPU backend, the CPU features in `llama_print_system_info()`),
the Qt and PySide6 versions, the loaded model (a `LoadReport` handed in by the window; the CLI has none),
the installed models, the folders, the settings, the history file, recent native crash reports and the
end of the log file.

It lives under `ui/` because it gathers from every layer below (core, engine, models, history), but it
imports no Qt at module level and starts no Qt: the Qt versions come from `PySide6.QtCore`, which can be
imported without a QApplication, so the CLI calls it as it is.

Two promises, whatever the machine:
- One part that cannot be read (no NVIDIA driver, a llama.cpp library that will not load, a damaged
  model registry) reads "unavailable (reason)" and the rest of the report goes on: each part is gathered
  on its own, and a failure is caught there.
- Nothing secret or personal leaves: the environment is never listed, the values of secret-looking
  variables (HF_TOKEN and any *TOKEN*, *KEY*, *SECRET*, *PASSWORD*), the hub token saved by a login,
  anything shaped like a Hugging Face token and passwords in URLs are blanked wherever they appear (the log
  tail included), and the user's home folder is written `~`. The scrubbing runs over the finished
  report, so the text and the JSON are the same data.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import sqlite3
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from satori_desktop import __version__
from satori_desktop.core import paths
from satori_desktop.core.crash_report import CRASH_LOG_NAME, CrashReport
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import log_file_path
from satori_desktop.core.settings import load_settings_report, settings_path
from satori_desktop.engine.backends import runtime_report
from satori_desktop.engine.hardware import HardwareInfo, format_bytes, probe_hardware
from satori_desktop.engine.llama_engine import backend_name, default_n_threads
from satori_desktop.engine.types import LoadReport
from satori_desktop.history.store import default_path as history_path
from satori_desktop.models.store import ModelStore, models_root
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)

APP_NAME = "Satori Desktop"
# The report is English (it goes into bug reports); the About box shows these two translated.
APP_SUMMARY = QT_TRANSLATE_NOOP(
    "AboutDialog",
    "An offline math assistant: the Satori-7B-Round2 reasoning model runs on this computer through "
    "llama.cpp and shows each step of its reasoning.",
)
APP_LICENCE = "Apache-2.0"  # pyproject.toml's [project] license (a test keeps the two the same)
MODEL_LICENCE_NOTE = QT_TRANSLATE_NOOP(
    "AboutDialog",
    "Satori-7B-Round2 is a fine-tune of Qwen2.5-Math-7B; for its licence, see the model's page on the "
    "Hugging Face hub.",
)

LOG_LINES = 200  # of the log file's end
CRASH_REPORTS_LISTED = 3  # the newest crash-*.log files named
CRASH_LINES = 60  # of the newest crash report's end
_CRASH_HEAD_BYTES = 4096  # where faulthandler's first line ("Fatal Python error: ...") is
_TAIL_BYTES = 256_000  # read from a file's end to find its last lines (log lines are short)
REDACTED = "[redacted]"


# -- the parts a short summary also needs (the About box) -----------------------------------------------


@dataclass(frozen=True)
class LlamaCppBuild:
    """What the installed llama.cpp (through llama-cpp-python) was built with."""

    version: str  # llama-cpp-python's version
    # The build's GPU backend ("CUDA", "Metal", "Vulkan"), or "CPU" for a build without one.
    backend: str
    gpu_offload_supported: bool
    system_info: str  # llama_print_system_info() as it is
    # Per backend named in the system info, its features: "AVX2" for a flag that is on, "ARCHS=890" else.
    features: dict[str, list[str]] = field(default_factory=dict)
    # What ggml registered and chose here (engine/backends.py RuntimeReport.to_dict()).
    runtime: dict[str, Any] = field(default_factory=dict)


def parse_system_info(text: str) -> dict[str, list[str]]:
    """`'CPU : SSE3 = 1 | AVX = 0 | CUDA : ARCHS = 890 | '` -> `{'CPU': ['SSE3'], 'CUDA': ['ARCHS=890']}`.

    llama.cpp writes each backend's name before its first feature ("NAME : KEY = VALUE | ..."); a flag
    that is off ("= 0") is left out.
    """
    backends: dict[str, list[str]] = {}
    current: list[str] | None = None
    for item in text.split("|"):
        item = item.strip()
        if not item:
            continue
        name, colon, rest = item.partition(" : ")
        if colon:
            current = backends.setdefault(name.strip(), [])
            item = rest.strip()
        key, equals, value = (part.strip() for part in item.partition("="))
        if current is None or not key:
            continue
        if not equals or value == "1":
            current.append(key)
        elif value != "0":
            current.append(f"{key}={value}")
    return backends


def llama_cpp_build() -> LlamaCppBuild:
    """Ask the installed llama.cpp; raises (ImportError, OSError) when its library will not load."""
    # backend_name loads llama.cpp the engine's way (its log lines routed into our log, the backend
    # initialised), so the import below is only the module already loaded.
    backend = backend_name(gpu_layers=1)  # the backend an offloaded layer would run on: the build's own
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace").strip()
    return LlamaCppBuild(
        version=str(getattr(llama_cpp, "__version__", "unknown")),
        backend=backend,
        gpu_offload_supported=bool(llama_cpp.llama_supports_gpu_offload()),
        system_info=info,
        features=parse_system_info(info),
        runtime=runtime_report().to_dict(),
    )


def qt_versions() -> dict[str, str]:
    """PySide6's and Qt's versions (and QtWebEngine's, with its Chromium); starts no Qt."""
    import PySide6
    from PySide6 import QtCore

    versions = {"pyside6": PySide6.__version__, "qt": QtCore.qVersion()}
    try:
        from PySide6 import QtWebEngineCore

        versions["qtwebengine"] = _as_text(QtWebEngineCore.qWebEngineVersion())
        versions["chromium"] = _as_text(QtWebEngineCore.qWebEngineChromiumVersion())
    except (ImportError, AttributeError) as exc:  # an install without the Addons wheel
        versions["qtwebengine"] = f"unavailable ({type(exc).__name__}: {exc})"
    app = QtCore.QCoreApplication.instance()
    platform_name = getattr(app, "platformName", None)
    if callable(platform_name):  # a running QGuiApplication: which windowing system it drives
        versions["platform"] = str(platform_name())
    return versions


def _as_text(value: object) -> str:
    # PySide6's stubs type these versions as bytes; the calls return str.
    return bytes(value).decode() if isinstance(value, (bytes, bytearray, memoryview)) else str(value)


def python_version() -> str:
    return f"{platform.python_version()} ({platform.python_implementation()})"


# -- the report ------------------------------------------------------------------------------------------


def gather_diagnostics(load_report: LoadReport | None = None) -> dict[str, Any]:
    """The whole report as plain data (what `--json` prints), secrets blanked and the home folder `~`.

    Takes a moment (llama.cpp's library, NVML, the model registry): call it off the GUI thread.
    `load_report` is the model the caller has loaded, if any. Never raises for what it finds.
    """
    report: dict[str, Any] = {
        "app": {"name": APP_NAME, "version": __version__, "licence": APP_LICENCE},
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    parts: list[tuple[str, Callable[[], Any]]] = [
        ("python", _python_part),
        ("os", _os_part),
        ("cpu", _cpu_part),
        ("hardware", lambda: _hardware_part(probe_hardware())),
        ("llama_cpp", lambda: asdict(llama_cpp_build())),
        ("qt", qt_versions),
        ("model", lambda: _model_part(load_report)),
        ("installed_models", _installed_models_part),
        ("folders", _folders_part),
        ("history", _history_part),
        ("settings", _settings_part),
        ("crash_reports", _crash_reports_part),
        ("log", _log_part),
    ]
    # The log first: what the other parts log while they are gathered (NVML's absence, say) must not push
    # the lines from before the report out of its tail.
    gathered = {key: _gathered(key, gather) for key, gather in sorted(parts, key=lambda p: p[0] != "log")}
    report.update((key, gathered[key]) for key, _ in parts)
    return Scrubber.for_this_process().scrub(report)


def unavailable(part: Any) -> str | None:
    """The reason a part of the report could not be gathered, or None when it was."""
    if isinstance(part, dict) and set(part) == {"unavailable"}:
        return str(part["unavailable"])
    return None


def _gathered(key: str, gather: Callable[[], Any]) -> Any:
    try:
        return gather()
    except UserFacingError as exc:
        return {"unavailable": str(exc).rstrip(".")}
    except Exception as exc:  # a diagnostics report must come out whatever one part does
        log.info("diagnostics: the %s part is unavailable", key, exc_info=True)
        return {"unavailable": failure_reason(exc)}


def failure_reason(exc: BaseException) -> str:
    """The reason shown in "unavailable (reason)": an OS error's own words, else the exception's."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _python_part() -> dict[str, Any]:
    return {
        "version": python_version(),
        "executable": sys.executable,
        "frozen": bool(getattr(sys, "frozen", False)),  # a PyInstaller build
    }


def _os_part() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
    }


def _cpu_part() -> dict[str, Any]:
    usable: int | None = None
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        usable = len(affinity(0))
    return {
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,  # this process may be pinned to fewer (containers, taskset); None: unknown
        "decode_threads": default_n_threads(),
        "processor": platform.processor() or None,
    }


def _hardware_part(hardware: HardwareInfo) -> dict[str, Any]:
    data = hardware.to_dict()
    if not hardware.gpus:
        data["gpu_unavailable"] = _why_no_gpu()
    return data


def _why_no_gpu() -> str:
    """Why the probe found no GPU, in words: what NVIDIA's management library said."""
    if sys.platform == "darwin":
        return "this Mac is not Apple silicon, and NVIDIA's management library found no GPU"
    try:
        import pynvml
    except ImportError:
        return "NVIDIA's management library (nvidia-ml-py) is not installed"
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound, _DriverNotLoaded ...: no NVIDIA driver here
        return f"NVML: {exc}"
    try:
        count = pynvml.nvmlDeviceGetCount()
    except Exception as exc:
        return f"NVML: {exc}"
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            log.debug("nvmlShutdown failed", exc_info=True)
    return f"NVML answers but lists {count} GPUs"


def _model_part(report: LoadReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    data = report.to_dict()
    data["name"] = report.name
    return data


def _installed_models_part() -> dict[str, Any]:
    store = ModelStore()
    default = store.default_model()
    models = []
    for model in store.models():
        models.append(
            {
                "name": model.name,
                "path": str(model.path),
                "present": model.path.is_file(),
                "size": model.size,
                "quantization": model.quantization,
                "source": model.source,
                "repo_id": model.repo_id,
                "sha256_recorded": model.sha256 is not None,
                "is_satori": model.is_satori,
                "default": default is not None and model.name == default.name,
            }
        )
    return {"registry": str(store.registry_path), "models": models}


def _folders_part() -> dict[str, Any]:
    models = models_root()
    folders = {
        "config": str(paths.config_dir()),
        "data": str(paths.data_dir()),
        "models": str(models),
        "logs": str(paths.log_dir()),
    }
    if models != paths.models_dir():
        folders["models_default"] = str(paths.models_dir())
    return folders


def _history_part() -> dict[str, Any]:
    path = history_path()
    try:
        size: int | None = path.stat().st_size
    except FileNotFoundError:
        size = None
    return {"file": str(path), "size": size, "sqlite": sqlite3.sqlite_version}


def _settings_part() -> dict[str, Any]:
    loaded = load_settings_report()
    return {
        "file": str(settings_path()),
        "values": asdict(loaded.settings),
        "notice": loaded.notice,
        "read_only": loaded.read_only,
    }


def _crash_reports_part() -> dict[str, Any]:
    """The newest native crash reports: crash-*.log (kept by the start after a crash) and a crash.log
    that no start has read yet (the app crashed, and this is the CLI)."""
    folder = paths.log_dir()
    found: list[tuple[float, Path, int]] = []
    for path in folder.glob("crash*.log"):
        if path.name != CRASH_LOG_NAME and not path.name.startswith("crash-"):
            continue
        try:
            info = path.stat()
        except OSError:
            continue
        if info.st_size > 0:
            found.append((info.st_mtime, path, info.st_size))
    found.sort(reverse=True)
    reports = []
    for index, (mtime, path, size) in enumerate(found[:CRASH_REPORTS_LISTED]):
        written_at = datetime.fromtimestamp(mtime)
        entry: dict[str, Any] = {
            "file": str(path),
            "written_at": written_at.isoformat(timespec="seconds"),
            "size": size,
            "not_yet_reported": path.name == CRASH_LOG_NAME,
        }
        try:
            lines = tail_lines(path, CRASH_LINES)
            with open(path, "rb") as file:
                head = file.read(_CRASH_HEAD_BYTES).decode("utf-8", errors="replace")
        except OSError as exc:
            entry["kind"] = None
            entry["tail"] = f"unavailable ({failure_reason(exc)})"
        else:
            # faulthandler names the crash in its first line; a file that kept growing has the latest one
            # at its end, so the end is searched first.
            entry["kind"] = CrashReport("\n".join([*lines, head]), size, written_at, path).kind
            if index == 0:
                entry["tail"] = lines
        reports.append(entry)
    return {"folder": str(folder), "count": len(found), "reports": reports}


def _log_part() -> dict[str, Any]:
    path = log_file_path()
    try:
        lines: list[str] | None = tail_lines(path, LOG_LINES)
    except FileNotFoundError:
        lines = None
    return {"file": str(path), "lines": lines}


def tail_lines(path: Path, count: int, max_bytes: int = _TAIL_BYTES) -> list[str]:
    """The last `count` lines of a text file, decoded leniently, reading at most its last `max_bytes`."""
    with open(path, "rb") as file:
        size = file.seek(0, os.SEEK_END)
        start = max(0, size - max_bytes)
        file.seek(start)
        data = file.read()
    lines = data.decode("utf-8", errors="replace").splitlines()
    if start and lines:
        lines = lines[1:]  # the read began inside a line
    return lines[-count:] if count else []


# -- secrets and the home folder -------------------------------------------------------------------------

# Names of variables whose values are blanked: HF_TOKEN, OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY, GPG_KEY ...
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|(?:^|_)KEY(?:$|_)", re.I)
_HF_TOKEN = re.compile(r"\bhf_[A-Za-z0-9]{20,}")
_URL_PASSWORD = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@")
_SHORTEST_SECRET = 6  # a shorter value ("1", "yes") would blank ordinary words; no real secret is that short


class Scrubber:
    """Blanks secret values and writes the home folder as `~` in every string of a report."""

    def __init__(self, secrets: Iterable[str], homes: Iterable[str], *, ignore_case: bool = False) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= _SHORTEST_SECRET}, key=len, reverse=True)
        flags = re.IGNORECASE if ignore_case else 0
        # A home folder is replaced only as a whole path element: /home/al in /home/al/x, not /home/alice.
        self._homes = [
            re.compile(re.escape(home) + r"(?![\w-]|\.\w)", flags)
            for home in sorted({h for h in homes if len(h.strip("/\\")) > 0}, key=len, reverse=True)
        ]

    @classmethod
    def for_this_process(cls) -> Scrubber:
        secrets = [value for name, value in os.environ.items() if _SECRET_NAME.search(name)]
        saved = _saved_hub_token()
        if saved:
            secrets.append(saved)
        homes: list[str] = []
        home = Path.home()
        for candidate in {home, home.resolve()}:
            homes.append(str(candidate))
            if sys.platform == "win32":
                homes.append(candidate.as_posix())  # C:/Users/name, as some libraries write it
        return cls(secrets, homes, ignore_case=sys.platform == "win32")

    def scrub_text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _HF_TOKEN.sub(REDACTED, text)
        text = _URL_PASSWORD.sub(lambda match: f"{match['scheme']}{REDACTED}@", text)
        for home in self._homes:
            text = home.sub("~", text)
        return text

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, dict):
            return {key: self.scrub(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub(item) for item in value]
        return value


def _saved_hub_token() -> str | None:
    """The token `hf auth login` saved, only to blank it should it appear anywhere in the report."""
    try:
        from huggingface_hub import get_token

        return get_token()
    except Exception:  # an old huggingface_hub, an unreadable token file: nothing to blank then
        log.debug("the saved hub token could not be read", exc_info=True)
        return None


# -- the text for a bug report ---------------------------------------------------------------------------


def diagnostics_text(load_report: LoadReport | None = None) -> str:
    """`gather_diagnostics` as the plain text to paste into a bug report."""
    return format_diagnostics(gather_diagnostics(load_report))


def format_diagnostics(report: dict[str, Any]) -> str:
    """The report (from `gather_diagnostics`) as plain text, one part under each heading."""
    app = report.get("app", {})
    title = f"{app.get('name', APP_NAME)} {app.get('version', __version__)} diagnostics"
    lines = [
        title,
        "=" * len(title),
        f"Licence: {app.get('licence', APP_LICENCE)}",
        f"Generated: {report.get('generated_at', '')}",
    ]
    for heading, keys in _SECTIONS:
        lines += ["", f"## {heading}"]
        for key, describe in keys:
            lines += _described(key, describe, report.get(key))
    return "\n".join(lines) + "\n"


def _described(key: str, describe: Callable[[Any], list[str]], part: Any) -> list[str]:
    reason = unavailable(part)
    if reason is not None:
        return [f"{_LABELS.get(key, key)}: unavailable ({reason})"]
    try:
        return describe(part)
    except Exception as exc:  # a report from another version of the app: say so rather than fail
        log.info("diagnostics: the %s part could not be written as text", key, exc_info=True)
        return [f"{_LABELS.get(key, key)}: unavailable ({failure_reason(exc)})"]


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _describe_python(part: dict[str, Any]) -> list[str]:
    frozen = " (frozen build)" if part["frozen"] else ""
    return [f"Python: {part['version']}, {part['executable']}{frozen}"]


def _describe_os(part: dict[str, Any]) -> list[str]:
    return [f"OS: {part['platform']} ({part['machine']})"]


def _describe_cpu(part: dict[str, Any]) -> list[str]:
    usable = part.get("usable_cpus")
    usable_text = f", {usable} usable by this process" if usable not in (None, part["logical_cpus"]) else ""
    processor = f" ({part['processor']})" if part.get("processor") else ""
    return [
        f"CPUs: {part['logical_cpus']} logical{usable_text}{processor}; "
        f"the engine's default is {part['decode_threads']} decode threads"
    ]


def _describe_hardware(part: dict[str, Any]) -> list[str]:
    total = part["total_ram_bytes"]
    ram = (
        f"RAM: {format_bytes(total)} total, {format_bytes(part['free_ram_bytes'])} available"
        if total
        else "RAM: unavailable (the OS did not say)"
    )
    lines = [ram, f"GPU offload supported by llama.cpp: {_yes_no(part['gpu_offload_supported'])}"]
    for gpu in part["gpus"]:
        memory = f"{format_bytes(gpu['total_vram_bytes'])} total, {format_bytes(gpu['free_vram_bytes'])} free"
        shared = ", shared with the CPU" if gpu["unified_memory"] else ""
        lines.append(f"GPU: {gpu['name']} ({gpu['vendor']}), {memory}{shared} [from {part['gpu_source']}]")
    if not part["gpus"]:
        lines.append(f"GPU: unavailable ({part.get('gpu_unavailable', 'none found')})")
    lines += [f"Note: {note}" for note in part["notes"]]
    return lines


def _describe_llama_cpp(part: dict[str, Any]) -> list[str]:
    lines = [
        f"llama-cpp-python: {part['version']}",
        f"Build backend: {part['backend']}; GPU offload: {_yes_no(part['gpu_offload_supported'])}",
    ]
    for name, features in part["features"].items():
        lines.append(f"{name}: {', '.join(features) or '(no features listed)'}")
    runtime = part.get("runtime") or {}
    if runtime:
        loading = "loaded at run time" if runtime["dynamic_backends"] else "linked in"
        lines.append(
            f"Backends ({loading}): {', '.join(runtime['backends']) or 'none'}; "
            f"CPU variant: {runtime['cpu_variant']}"
        )
        lines += [f"Unusable: {name} ({module})" for name, module in runtime["unusable_gpu_modules"].items()]
    lines.append(f"System info: {part['system_info']}")
    return lines


def _describe_qt(part: dict[str, Any]) -> list[str]:
    lines = [f"PySide6: {part['pyside6']}", f"Qt: {part['qt']}"]
    if "qtwebengine" in part:
        chromium = f" (Chromium {part['chromium']})" if part.get("chromium") else ""
        lines.append(f"QtWebEngine: {part['qtwebengine']}{chromium}")
    if "platform" in part:
        lines.append(f"Qt platform: {part['platform']}")
    return lines


def _describe_model(part: dict[str, Any] | None) -> list[str]:
    if part is None:
        return ["no model loaded"]
    lines = [
        f"Name: {part['name']}",
        f"File: {part['model_path']}",
        f"Backend: {part['backend']}, {part['gpu_layers']} of {part['total_layers']} layers offloaded",
        f"Context: {part['n_ctx']} tokens (trained {part['n_ctx_train']})",
        f"Architecture: {part['architecture']}; Satori: {_yes_no(part['is_satori'])}",
    ]
    lines += [f"Warning: {warning}" for warning in part["warnings"]]
    return lines


def _describe_installed_models(part: dict[str, Any]) -> list[str]:
    lines = [f"Registry: {part['registry']}"]
    if not part["models"]:
        lines.append("none installed")
    for model in part["models"]:
        facts = [
            model["quantization"] or "quantisation unknown",
            format_bytes(model["size"]),
            model["repo_id"] or model["source"],
            "sha256 recorded" if model["sha256_recorded"] else "no sha256 recorded",
        ]
        if model["default"]:
            facts.append("default")
        if not model["present"]:
            facts.append("FILE MISSING")
        lines.append(f"- {model['name']}: {', '.join(facts)}; {model['path']}")
    return lines


def _describe_folders(part: dict[str, Any]) -> list[str]:
    labels = {"models_default": "models (default)"}
    return [f"{labels.get(key, key).capitalize()}: {value}" for key, value in part.items()]


def _describe_history(part: dict[str, Any]) -> list[str]:
    size = format_bytes(part["size"]) if part["size"] is not None else "not created yet"
    return [f"File: {part['file']} ({size})", f"SQLite: {part['sqlite']}"]


def _describe_settings(part: dict[str, Any]) -> list[str]:
    lines = [f"File: {part['file']}" + (" (read-only)" if part["read_only"] else "")]
    if part["notice"]:
        lines.append(f"Notice: {part['notice']}")
    lines.append(json.dumps(part["values"], indent=2, sort_keys=True))
    return lines


def _describe_crash_reports(part: dict[str, Any]) -> list[str]:
    if not part["count"]:
        return [f"none in {part['folder']}"]
    lines = [f"{part['count']} in {part['folder']}; the newest:"]
    for report in part["reports"]:
        kind = f" ({report['kind']})" if report["kind"] else ""
        pending = ", not reported by a start yet" if report["not_yet_reported"] else ""
        lines.append(
            f"- {Path(report['file']).name}: {report['written_at']}{kind}, {report['size']} bytes{pending}"
        )
    tail = part["reports"][0].get("tail") if part["reports"] else None
    if isinstance(tail, list):
        lines += [f"Last {len(tail)} lines of {Path(part['reports'][0]['file']).name}:", *tail]
    elif isinstance(tail, str):
        lines.append(tail)
    return lines


def _describe_log(part: dict[str, Any]) -> list[str]:
    if part["lines"] is None:
        return [f"{part['file']}: no log file yet"]
    if not part["lines"]:
        return [f"{part['file']}: empty"]
    return [f"Last {len(part['lines'])} lines of {part['file']}:", *part["lines"]]


# Headings of the text, each with the parts under it; _LABELS name a part that is unavailable.
_SECTIONS: list[tuple[str, list[tuple[str, Callable[[Any], list[str]]]]]] = [
    ("System", [("python", _describe_python), ("os", _describe_os), ("cpu", _describe_cpu)]),
    ("Memory and GPU", [("hardware", _describe_hardware)]),
    ("llama.cpp", [("llama_cpp", _describe_llama_cpp)]),
    ("Qt", [("qt", _describe_qt)]),
    ("Loaded model", [("model", _describe_model)]),
    ("Installed models", [("installed_models", _describe_installed_models)]),
    ("Folders", [("folders", _describe_folders)]),
    ("History", [("history", _describe_history)]),
    ("Settings", [("settings", _describe_settings)]),
    ("Crash reports", [("crash_reports", _describe_crash_reports)]),
    ("Log", [("log", _describe_log)]),
]
_LABELS = {
    "python": "Python",
    "os": "OS",
    "cpu": "CPUs",
    "hardware": "RAM and GPU",
    "llama_cpp": "llama.cpp",
    "qt": "Qt",
    "model": "Loaded model",
    "installed_models": "Installed models",
    "folders": "Folders",
    "history": "History",
    "settings": "Settings",
    "crash_reports": "Crash reports",
    "log": "Log",
}
