"""`satori-desktop diagnostics [--json]`: the report the Help menu's "Copy diagnostics" copies.

For a bug report written from a terminal, or when the window will not start: app, Python, OS, CPU, RAM,
GPU, the llama.cpp build, Qt, installed models, folders, settings, recent crash reports and the end of the
log. It holds no secrets and writes the home folder as `~` (`ui.diagnostics` says how). No model is loaded
here, so the report says "no model loaded". Qt is not started: only its version is read.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diagnostics",
        help="print a report for a bug report (no secrets; the home folder is written ~)",
        description="Print what a bug report needs: versions, hardware, the llama.cpp build, models, "
        "folders, settings, recent crash reports and the end of the log. Tokens and keys are left out "
        "and the home folder is written ~.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run_diagnostics)


def run_diagnostics(args: argparse.Namespace) -> int:
    from satori_desktop.ui.diagnostics import format_diagnostics, gather_diagnostics

    report = gather_diagnostics()
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_diagnostics(report), end="")
    return 0
