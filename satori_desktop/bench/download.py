"""`satori-desktop bench download`: the downloader's throughput and resume cost, as ratios.

Throughput: the same file (1 GB by default) is fetched from the local fake hub by `curl -o` and by the
app's downloader with its sha256 verification on, alternately, several rounds in one run; the figure is
curl's median time divided by ours (1.0 = as fast as curl; the target is >= 0.9). Resume: a download
subprocess is killed with SIGKILL part-way and run again; the figure is how many bytes the server had to
send twice (the target is at most one chunk). The file is served by `bench.local_hub` on 127.0.0.1;
curl is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from satori_desktop.bench.report import checkout_commit
from satori_desktop.core import arguments
from satori_desktop.core.errors import UserFacingError

_REPO = "bench/bench-GGUF"
_FILE = "bench.gguf"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--size-mb", type=arguments.positive_int, default=1024, help="size of the served file (default 1024)"
    )
    parser.add_argument(
        "--rounds", type=arguments.positive_int, default=5, help="alternating rounds of curl and ours"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.set_defaults(handler=run)


def _write_file(path: Path, size: int) -> None:
    # Random blocks so nothing on the way can compress or deduplicate them.
    block = os.urandom(16 * 1024 * 1024)
    with open(path, "wb") as handle:
        left = size
        while left > 0:
            handle.write(block[: min(left, len(block))])
            left -= len(block)
        # On disk before any timing: otherwise its write-back competes with the rounds, and only with
        # ours (which fsyncs before the final rename), not with curl's.
        handle.flush()
        os.fsync(handle.fileno())


def run(args: argparse.Namespace) -> int:
    if shutil.which("curl") is None:
        raise UserFacingError("The download benchmark compares with curl: install curl and run it again.")
    from satori_desktop.bench.local_hub import LocalHub
    from satori_desktop.models.download import CHUNK_SIZE, download_file
    from satori_desktop.models.hub import remote_file

    with tempfile.TemporaryDirectory(prefix="satori-bench-download-") as tmp:
        work = Path(tmp)
        source = work / "served" / _FILE
        source.parent.mkdir()
        size = args.size_mb * 1024 * 1024
        _write_file(source, size)
        os.environ["HF_HOME"] = str(work / "hf-home")  # never reuse a real cache copy
        # The served side runs in a process of its own, as a real server would: it must not share our GIL.
        server = subprocess.Popen(
            [sys.executable, "-m", "satori_desktop.bench.local_hub", str(source.parent), "--repo", _REPO],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            endpoint = server.stdout.readline().strip()
            os.environ["HF_ENDPOINT"] = endpoint
            remote = remote_file(_REPO, _FILE)
            url = f"{endpoint}/{_REPO}/resolve/{remote.revision}/{_FILE}"
            curl_times: list[float] = []
            ours_times: list[float] = []
            # CPU seconds too: on a busy machine the wall-clock ratio mostly says how much CPU was free.
            curl_cpu: list[float] = []
            ours_cpu: list[float] = []
            load_before = os.getloadavg()[0]
            for round_index in range(args.rounds):
                target = work / f"curl-{round_index}"
                cpu_before = _children_cpu_s()
                began = time.perf_counter()
                subprocess.run(["curl", "-s", "-f", "-o", str(target), url], check=True)
                curl_times.append(time.perf_counter() - began)
                curl_cpu.append(_children_cpu_s() - cpu_before)
                target.unlink()
                destination = work / "ours" / f"{round_index}-{_FILE}"
                cpu_before = time.process_time()
                began = time.perf_counter()
                download_file(remote, destination)
                ours_times.append(time.perf_counter() - began)
                ours_cpu.append(time.process_time() - cpu_before)
                destination.unlink()
        finally:
            server.terminate()
            server.wait()
        hub = LocalHub()
        hub.add_file(_REPO, _FILE, source)
        with hub:
            os.environ["HF_ENDPOINT"] = hub.url
            resume = _resume_overhead(hub, work, CHUNK_SIZE)
    curl_median, ours_median = statistics.median(curl_times), statistics.median(ours_times)
    gib = size / 2**30
    figures = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "commit": checkout_commit(),
        "file_bytes": size,
        "rounds": args.rounds,
        "curl_s": curl_times,
        "ours_s": ours_times,
        "curl_mb_per_s": size / curl_median / 1e6,
        "ours_mb_per_s": size / ours_median / 1e6,
        "throughput_ratio_vs_curl": curl_median / ours_median,
        "curl_cpu_s": curl_cpu,
        "ours_cpu_s": ours_cpu,
        "curl_cpu_s_per_gib": statistics.median(curl_cpu) / gib,
        "ours_cpu_s_per_gib": statistics.median(ours_cpu) / gib,
        # Other work on the machine shows here; above ~0.5 per core the wall-clock ratio is unreliable.
        "load_average_1min_before": load_before,
        "load_average_1min": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        **resume,
        "chunk_bytes": CHUNK_SIZE,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        curl_rate, ours_rate = figures["curl_mb_per_s"], figures["ours_mb_per_s"]
        print(
            f"{size / 1e9:.2f} GB from 127.0.0.1, median of {args.rounds}: curl {curl_rate:.0f} MB/s, "
            f"satori-desktop (sha256 on) {ours_rate:.0f} MB/s -> ratio "
            f"{figures['throughput_ratio_vs_curl']:.3f} (target >= 0.9)"
        )
        print(
            f"CPU per GiB: curl {figures['curl_cpu_s_per_gib']:.2f} s, "
            f"ours {figures['ours_cpu_s_per_gib']:.2f} s; "
            f"load average {load_before:.2f} before, {figures['load_average_1min']:.2f} after"
        )
        verdict = "ok" if resume["resume_verified"] else "WRONG"
        twice, killed_at = resume["redownloaded_bytes"], resume["killed_at_bytes"]
        print(f"Resume after SIGKILL at {killed_at} bytes: {twice} bytes sent twice (chunk {CHUNK_SIZE});")
        print(f"final sha256 {verdict}")
    return 0


def _children_cpu_s() -> float:
    import resource  # Unix only; imported here so the CLI still starts on Windows

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _resume_overhead(hub: Any, work: Path, chunk: int) -> dict[str, Any]:
    """Kill a CLI download part-way with SIGKILL, run it again, count bytes the server sent twice."""
    root = Path(__file__).resolve().parents[2]
    hosted = hub.file(_REPO, _FILE)
    hosted.faults.bytes_per_second = 100_000_000  # 100 MB/s: time to kill it near the middle
    home = work / "resume-home"
    env = dict(os.environ, SATORI_DESKTOP_HOME=str(home), PYTHONPATH=str(root))
    command = [sys.executable, "-m", "satori_desktop", "models", "download", f"{_REPO}:{_FILE}", "--json"]
    sent_before = hub.get_bytes_sent("/resolve/")
    part = home / "data" / "models" / (_FILE + ".part")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (part.exists() and part.stat().st_size >= hosted.size // 2):
        if process.poll() is not None:
            raise RuntimeError("the download finished before it could be killed")
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = part.stat().st_size
    hosted.faults.bytes_per_second = None
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    report = json.loads(finished.stdout)
    sent = hub.get_bytes_sent("/resolve/") - sent_before
    return {
        "killed_at_bytes": killed_at,
        "resumed_from": report["resumed_from"],
        "redownloaded_bytes": sent - hosted.size,
        "resume_within_one_chunk": sent - hosted.size <= chunk,
        "resume_verified": report["model"]["sha256"] == hosted.sha256,
    }
