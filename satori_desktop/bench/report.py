"""What every benchmark report says about where it ran: the machine and the commit of the checkout."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


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
