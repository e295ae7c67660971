"""The window's own wording of sentences the Qt-free layers also write, so the window can speak Chinese.

`models.recommend` and `core.crash_report` write English sentences for the command line and the log; the
first-run page, the models window and the crash dialog show the same facts, composed here from the data
(`HardwareInfo`, `Recommendation`, `CrashReport`) through the translation catalogue (context
"Sentences"). Each is one whole sentence per case with placeholders, never one glued from parts, and their
English is word for word the Qt-free layers' own (tests/ui_window/test_chinese_ui.py compares them case by
case), so the two never tell a user different things.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QDateTime

from satori_desktop.core.crash_report import CrashReport, crash_log_path
from satori_desktop.core.logging_setup import log_file_path
from satori_desktop.engine.hardware import HardwareInfo, format_bytes
from satori_desktop.models.recommend import Candidate, MachineRecommendation
from satori_desktop.ui.i18n.languages import ui_locale
from satori_desktop.ui.i18n.text import arg


def machine_sentence(hardware: HardwareInfo) -> str:
    """'This computer: 24.0 GB RAM (18.2 GB free), no GPU found; GPU offload not available.'"""
    ram, free = format_bytes(hardware.total_ram_bytes), format_bytes(hardware.free_ram_bytes)
    gpu = hardware.best_gpu
    if gpu is None:
        if hardware.gpu_offload_supported:
            template = QCoreApplication.translate(
                "Sentences", "This computer: %1 RAM (%2 free), no GPU found; GPU offload available."
            )
        else:
            template = QCoreApplication.translate(
                "Sentences", "This computer: %1 RAM (%2 free), no GPU found; GPU offload not available."
            )
        return arg(template, ram, free)
    if hardware.gpu_offload_supported:
        template = QCoreApplication.translate(
            "Sentences", "This computer: %1 RAM (%2 free), %3, %4 free; GPU offload available."
        )
    else:
        template = QCoreApplication.translate(
            "Sentences", "This computer: %1 RAM (%2 free), %3, %4 free; GPU offload not available."
        )
    return arg(template, ram, free, gpu.name, format_bytes(gpu.free_vram_bytes))


def _label(candidate: Candidate) -> str:
    entry = candidate.entry
    return f"{entry.quantization or entry.filename} ({format_bytes(entry.size)})"


def recommendation_sentence(found: MachineRecommendation) -> str:
    """Which file fits this machine and why (`Recommendation.explanation`, in the window's language)."""
    hardware, recommendation = found.hardware, found.recommendation
    if recommendation.estimated and not recommendation.candidates:
        return QCoreApplication.translate(
            "Sentences",
            "No file sizes are known (the hub could not be asked): connect to the internet and run "
            "`satori-desktop models recommend` again.",
        )
    sentence = _sized_sentence(hardware, found)
    if recommendation.estimated:
        sentence = arg(
            QCoreApplication.translate("Sentences", "%1 (Sizes estimated: the hub could not be asked.)"),
            sentence,
        )
    return sentence


def _sized_sentence(hardware: HardwareInfo, found: MachineRecommendation) -> str:
    recommendation = found.recommendation
    choice = recommendation.choice
    vram = hardware.usable_vram_bytes
    ram = hardware.total_ram_bytes
    gpu_name = hardware.best_gpu.name if hardware.best_gpu else "GPU"
    if choice is None or recommendation.mode == "none":
        smallest = min(recommendation.candidates, key=lambda c: c.fit.ram_bytes)
        return arg(
            QCoreApplication.translate(
                "Sentences",
                "None of the files fits this machine: even %1 needs about %2 of RAM and there is %3 in "
                "total; use a computer with more memory.",
            ),
            _label(smallest),
            format_bytes(smallest.fit.ram_bytes),
            format_bytes(ram),
        )
    if recommendation.mode == "gpu":
        return arg(
            QCoreApplication.translate(
                "Sentences",
                "%1 fits entirely in the %2's %3 of free memory (needs about %4 with a %5-token context), so "
                "every layer runs on the GPU.",
            ),
            _label(choice),
            gpu_name,
            format_bytes(vram),
            format_bytes(choice.fit.vram_bytes),
            recommendation.n_ctx,
        )
    if recommendation.mode == "partial":
        return arg(
            QCoreApplication.translate(
                "Sentences",
                "%1 runs with %2 of its %3 layers on the %4 (%5 free) and the rest in RAM; no file fits the "
                "GPU entirely.",
            ),
            _label(choice),
            choice.fit.gpu_layers,
            choice.fit.total_layers,
            gpu_name,
            format_bytes(vram),
        )
    needs, here = format_bytes(choice.fit.ram_bytes), format_bytes(ram)
    if not hardware.gpu_offload_supported:
        template = QCoreApplication.translate(
            "Sentences",
            "%1 needs about %2 of RAM of the %3 here; this llama.cpp build has no GPU support, so it runs on "
            "the CPU (expect a few tokens per second).",
        )
        return arg(template, _label(choice), needs, here)
    if vram is None:
        template = QCoreApplication.translate(
            "Sentences",
            "%1 needs about %2 of RAM of the %3 here; the GPU's free memory is unknown, so it runs on the "
            "CPU (expect a few tokens per second).",
        )
        return arg(template, _label(choice), needs, here)
    template = QCoreApplication.translate(
        "Sentences",
        "%1 needs about %2 of RAM of the %3 here; the %4's %5 free is too little for even one layer, so it "
        "runs on the CPU (expect a few tokens per second).",
    )
    return arg(template, _label(choice), needs, here, gpu_name, format_bytes(vram))


def previous_crash_sentence(report: CrashReport) -> str:
    """What the user reads at the start after a native crash (`core.crash_report.previous_crash_sentence`)."""
    at = report.crashed_at
    moment = QDateTime(at.year, at.month, at.day, at.hour, at.minute, at.second)
    when = ui_locale().toString(
        moment,
        QCoreApplication.translate(
            "Sentences", "d MMM yyyy 'at' HH:mm", "a date and time, as Qt writes them"
        ),
    )
    if report.read_error is not None:
        return arg(
            QCoreApplication.translate(
                "Sentences",
                "Satori Desktop closed unexpectedly last time, on %1, but its crash report could not be read "
                "(%2); it is kept in %3.",
            ),
            when,
            report.read_error,
            report.kept_as or crash_log_path(),
        )
    # Where renaming failed, the report was emptied out of crash.log: the log file has it.
    if report.kept_as is not None:
        where = str(report.kept_as)
    else:
        where = arg(QCoreApplication.translate("Sentences", "the log file %1"), log_file_path())
    if report.kind:
        template = QCoreApplication.translate(
            "Sentences",
            "Satori Desktop closed unexpectedly last time, on %1 (%2). If it happens again, please report it "
            "with the details, which are kept in %3.",
        )
        return arg(template, when, report.kind, where)
    template = QCoreApplication.translate(
        "Sentences",
        "Satori Desktop closed unexpectedly last time, on %1. If it happens again, please report it with the "
        "details, which are kept in %2.",
    )
    return arg(template, when, where)
