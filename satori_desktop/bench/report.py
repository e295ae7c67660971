"""What every benchmark report says about where it ran (the machine and the commit of the checkout), and
how the benchmarks that also run on their own (`python -m satori_desktop.bench.X` on the GPU machine) print
and save their report."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from satori_desktop.core.errors import UserFacingError


def machine_description() -> str:
    """'Linux x86_64, 2 logical CPUs, Python 3.11.7'."""
    cpus = os.cpu_count() or 0
    return (
        f"{platform.system()} {platform.machine()}, {cpus} logical CPUs, Python {platform.python_version()}"
    )


def checkout_commit() -> str | None:
    """The commit of the source checkout the benchmark ran from ('3ef3b3f', '3ef3b3f-dirty' with local
    changes); None outside a git checkout (an installed app)."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def report_header(benchmark: str) -> dict[str, Any]:
    """The fields every report starts with: which benchmark, when (UTC), where, at which commit, and how
    busy the machine was (the 1-minute load average; None where the OS has none)."""
    return {
        "benchmark": benchmark,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_description(),
        "commit": checkout_commit(),
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def emit_report(args: argparse.Namespace, report: dict[str, Any], table: str) -> int:
    """Save `report` as JSON where `--save` says, and print it as JSON (`--json`) or as `table`."""
    if args.save is not None:
        args.save.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2) if args.json else table)
    return 0


def standalone_main(
    register: Callable[[argparse.ArgumentParser], None],
    prog: str,
    description: str | None,
    argv: list[str] | None,
) -> int:
    """A benchmark run without the CLI around it (the GPU machine has llama_cpp and numpy, not the app's
    other dependencies): its own parser, and a UserFacingError as its sentence and exit code."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    register(parser)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except UserFacingError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
