"""What the self-test found, as the JSON report and as the few lines a person reads. Qt-free.

The report is meant to be attached to a bug report or read by CI, so it says which build ran (app version,
frozen bundle or source install, Python, Qt and Chromium, llama.cpp's backends and CPU variant) as well as
what each step did: `{"name", "ok", "seconds", "detail"}`, plus `"skipped": true` for a step that did not
run because one before it failed. `ok` and `failed_step` at the top say how it ended; `error` is then the
one sentence the summary ends with.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from satori_desktop import __version__

# Version 1: the shape described in the module docstring (and docs/architecture.md).
REPORT_VERSION = 1


@dataclass
class StepResult:
    name: str  # short and stable ("load-model"): what the failure sentence and the report name
    ok: bool
    seconds: float
    detail: str  # what it did, or the sentence saying why it failed
    skipped: bool = False


@dataclass
class SelfTestReport:
    steps: list[StepResult] = field(default_factory=list)
    runtime: dict[str, Any] = field(default_factory=dict)  # llama.cpp: backends, CPU variant, ...
    engine: dict[str, Any] = field(default_factory=dict)  # the load report and the generation's figures
    qt: dict[str, Any] = field(default_factory=dict)  # versions and the platform plugin that ran
    page: dict[str, Any] = field(default_factory=dict)  # what the transcript page showed
    checker: dict[str, Any] = field(default_factory=dict)  # the answer checker's verdicts on known pairs
    seconds: float = 0.0

    @property
    def failed(self) -> StepResult | None:
        return next((step for step in self.steps if not step.ok and not step.skipped), None)

    def to_dict(self) -> dict[str, Any]:
        failed = self.failed
        return {
            "report_version": REPORT_VERSION,
            "ok": failed is None,
            "failed_step": failed.name if failed else None,
            "error": failure_sentence(failed) if failed else None,
            "seconds": round(self.seconds, 3),
            "app": app_facts(),
            "runtime": self.runtime,
            "engine": self.engine,
            "qt": self.qt,
            "page": self.page,
            "checker": self.checker,
            "steps": [_step_dict(step) for step in self.steps],
        }


def _step_dict(step: StepResult) -> dict[str, Any]:
    data = asdict(step)
    data["seconds"] = round(step.seconds, 3)
    if not step.skipped:
        del data["skipped"]
    return data


def app_facts() -> dict[str, Any]:
    return {
        "version": __version__,
        "frozen": bool(getattr(sys, "frozen", False)),
        "executable": sys.executable,
        "python": platform.python_version(),
        "os": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def failure_sentence(step: StepResult) -> str:
    detail = step.detail.rstrip(".")
    return f'The self-test failed at step "{step.name}": {detail}.'


def summary_lines(report: SelfTestReport, report_path: Path | None) -> list[str]:
    """What stdout shows: a header, one line per step, the llama.cpp runtime, and how it ended.

    Plain ASCII, since a Windows console may not print anything else.
    """
    facts = app_facts()
    build = "frozen bundle" if facts["frozen"] else "source install"
    qt = report.qt
    versions = [f"Python {facts['python']}"]
    if qt.get("qt"):
        versions.append(f"Qt {qt['qt']}")
    if qt.get("chromium"):
        versions.append(f"Chromium {qt['chromium']}")
    if qt.get("platform"):
        versions.append(f"Qt platform {qt['platform']}")
    lines = [f"Satori Desktop {facts['version']} self-test ({build}; {', '.join(versions)})"]
    width = max((len(step.name) for step in report.steps), default=0)
    for step in report.steps:
        mark = "skip" if step.skipped else ("ok" if step.ok else "FAIL")
        timing = "" if step.skipped else f" ({step.seconds:.2f} s)"
        lines.append(_ascii(f"  {mark:<4} {step.name:<{width}}  {step.detail}{timing}"))
    runtime = report.runtime
    if "backends" in runtime or "cpu_variant" in runtime:
        backends = ", ".join(str(name) for name in runtime.get("backends") or []) or "none"
        lines.append(f"llama.cpp backends: {backends}; CPU variant: {runtime.get('cpu_variant', 'unknown')}")
    elif runtime:
        lines.append(_ascii(f"llama.cpp runtime: {next(iter(runtime.values()))}"))
    failed = report.failed
    written = f"; report written to {report_path}" if report_path is not None else ""
    if failed is None:
        lines.append(f"Self-test passed in {report.seconds:.1f} s{written}.")
    else:
        lines.append(_ascii(failure_sentence(failed)))
        if written:
            lines.append(f"The report is in {report_path}.")
    return lines


def _ascii(text: str) -> str:
    return text.encode("ascii", errors="replace").decode("ascii")


def write_report(report: SelfTestReport, path: Path) -> None:
    """Write the JSON report; raises OSError when the file cannot be written."""
    data = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data, encoding="utf-8")
