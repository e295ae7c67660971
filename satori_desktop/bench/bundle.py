"""`satori-desktop bench bundle --executable PATH`: the frozen app against this source install, side by side.

* cold start: the bundle's `satori-desktop --scripted-engine --exit-when-ready` and this install's
  `python -m satori_desktop` with the same flags (ready means shown, page loaded, history listed),
  alternating, each with an empty home of its own; median over median (goal: at most 1.1x).
* decode speed (with `--model`): both programs' `bench engine` on the same GGUF, alternating; the
  bundle's llama.cpp picks its CPU variant at run time and has no OpenMP, the source install's is built
  for this very CPU. Engine tok/s bundle over source (goal: at least 0.95).

The executable is what packaging/freeze.py builds (build/bundle/cpu/satori-desktop/satori-desktop) or what
a .deb installs (/opt/satori-desktop/satori-desktop).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from satori_desktop.core import arguments

TARGETS = {"cold_start_ratio": "<= 1.1", "decode_ratio": ">= 0.95"}


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--executable", type=Path, required=True, help="the bundle's satori-desktop program")
    parser.add_argument(
        "--runs", type=arguments.positive_int, default=7, help="cold starts of each program (default 7)"
    )
    parser.add_argument("--model", type=Path, default=None, help="a GGUF for the decode-speed figure")
    parser.add_argument(
        "--tokens", type=arguments.positive_int, default=256, help="tokens per decode run (default 256)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def measure_cold_start(executable: Path, runs: int, work: Path) -> dict[str, Any]:
    from satori_desktop.bench.ui import prepare_environment, time_to_ready

    flags = ["--scripted-engine", "--exit-when-ready"]
    commands = {
        "source": [sys.executable, "-m", "satori_desktop", *flags],
        "bundle": [str(executable), *flags],
    }
    env = {}
    for name in commands:
        home = work / f"{name}-home"
        home.mkdir()
        env[name] = prepare_environment(dict(os.environ, SATORI_DESKTOP_HOME=str(home)))
    for name, command in commands.items():  # unmeasured: fills the OS file cache for both
        time_to_ready(command, env[name])
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_index in range(runs):
        order = ("source", "bundle") if round_index % 2 == 0 else ("bundle", "source")
        for name in order:
            times[name].append(time_to_ready(commands[name], env[name]))
    source_s, bundle_s = statistics.median(times["source"]), statistics.median(times["bundle"])
    return {
        "source_s": round(source_s, 3),
        "bundle_s": round(bundle_s, 3),
        "cold_start_ratio": round(bundle_s / source_s, 3),
        "source_runs_s": [round(t, 3) for t in times["source"]],
        "bundle_runs_s": [round(t, 3) for t in times["bundle"]],
    }


def _engine_rate(command: list[str], model: Path, tokens: int) -> dict[str, Any]:
    bench = ["bench", "engine", "--model", str(model), "--tokens", str(tokens), "--rounds", "1"]
    result = subprocess.run(
        [*command, *bench, "--no-llama-bench", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} bench engine failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout)


def measure_decode(executable: Path, model: Path, tokens: int, rounds: int = 3) -> dict[str, Any]:
    commands = {"source": [sys.executable, "-m", "satori_desktop"], "bundle": [str(executable)]}
    rates: dict[str, list[float]] = {name: [] for name in commands}
    for round_index in range(rounds):
        order = ("source", "bundle") if round_index % 2 == 0 else ("bundle", "source")
        for name in order:
            report = _engine_rate(commands[name], model, tokens)
            rates[name].append(float(report["engine_tok_s"]))
    best = {name: max(values) for name, values in rates.items()}
    return {
        "model": str(model),
        "tokens": tokens,
        "source_tok_s": round(best["source"], 1),
        "bundle_tok_s": round(best["bundle"], 1),
        "decode_ratio": round(best["bundle"] / best["source"], 3),
        "runs_tok_s": {name: [round(v, 1) for v in values] for name, values in rates.items()},
    }


def run(args: argparse.Namespace) -> int:
    from satori_desktop.bench.report import report_header

    executable = Path(args.executable).expanduser().resolve()
    if not os.access(executable, os.X_OK):
        print(f"bench bundle: {executable} is not an executable program; build one first.", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="satori-bench-bundle-") as tmp:
            cold = measure_cold_start(executable, args.runs, Path(tmp))
        decode = measure_decode(executable, Path(args.model), args.tokens) if args.model else None
    except RuntimeError as exc:  # a program that never got ready, or whose bench engine failed
        print(f"bench bundle: {exc}; check that {executable} is a Satori Desktop bundle.", file=sys.stderr)
        return 1
    report = {
        **report_header("bundle"),
        "executable": str(executable),
        "cold_start": cold,
        "decode": decode,
        "targets": TARGETS,
    }
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def format_report(report: dict[str, Any]) -> str:
    cold, decode = report["cold_start"], report["decode"]
    lines = [
        f"bench bundle, {report['date']}, {report['machine']}, commit {report['commit']}",
        f"cold start to a ready window, bundle / source: {cold['cold_start_ratio']:.3f} "
        f"({cold['bundle_s']:.2f} s / {cold['source_s']:.2f} s; goal {TARGETS['cold_start_ratio']})",
    ]
    if decode:
        lines.append(
            f"decode, bundle / source: {decode['decode_ratio']:.3f} ({decode['bundle_tok_s']:.1f} / "
            f"{decode['source_tok_s']:.1f} tok/s; goal {TARGETS['decode_ratio']})"
        )
    return "\n".join(lines)
