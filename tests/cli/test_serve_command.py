"""`satori-desktop serve` as its owner runs it: a real `python -m satori_desktop serve` process starting a
real llama-server (built from the pinned llama.cpp) with a tiny GGUF, used through the app's remote engine,
then stopped with Ctrl+C (SIGINT) or SIGTERM; and the sentences for what cannot start.

vLLM cannot run here; one test stands a small script in for its `vllm` command, to show the command line
and environment serve gives it. It is not vLLM.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from satori_desktop.cli import serve
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.prompt import problem_prompt
from satori_desktop.engine.remote import RemoteEngine, ServerConfig
from satori_desktop.engine.types import GenerationRequest, LoadOptions
from tests.support.servers import free_port, llama_server_binary
from tests.support.tiny_gguf import (
    CONTINUE,
    EXAMPLE_TRACE,
    EXPLORE,
    IM_END,
    REFLECT,
    script_grammar,
    write_tiny_gguf,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

NO_MODEL = LoadOptions(Path("unused.gguf"))
READY_TIMEOUT_S = 90.0


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny-satori.gguf")


class Serving:
    """A running `python -m satori_desktop serve ...`, its stdout read line by line on a thread."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "satori_desktop", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next_line(self, timeout_s: float = READY_TIMEOUT_S) -> str:
        line = self.lines.get(timeout=timeout_s)
        if line is None:
            self.process.wait(10)
            raise AssertionError(f"serve ended (code {self.process.returncode}): {self.stderr()}")
        return line

    def lines_until(self, text: str) -> list[str]:
        seen = [self.next_line()]
        while text not in seen[-1]:
            seen.append(self.next_line())
        return seen

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        return self.process.wait(30)

    def stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def serving() -> Iterator[list[Serving]]:
    started: list[Serving] = []
    yield started
    for each in started:
        each.kill()


def run_serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satori_desktop", "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_gives_a_url_and_key_that_work_and_stops_cleanly_on_ctrl_c(
    model: Path, serving: list[Serving]
) -> None:
    port = free_port()
    running = Serving(
        "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
        "--server-binary", str(llama_server_binary()), "--parallel", "2", "--json", "--", "-t", "1",
    )  # fmt: skip
    serving.append(running)
    info = json.loads(running.next_line())

    assert info["url"] == f"http://127.0.0.1:{port}"
    assert info["urls"] == [info["url"]]
    assert info["engine"] == "llama-server"
    assert info["model"] == str(model)
    assert info["api_key"].startswith("sk-satori-") and len(info["api_key"]) > 30
    pid = info["pid"]
    assert is_running(pid)
    assert httpx2.get(f"{info['url']}/health", timeout=5).status_code == 200

    # The flags Satori needs; the key travels in the environment, not where `ps` shows it.
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    assert "--special" in cmdline
    assert cmdline[cmdline.index("-np") + 1] == "2"
    assert cmdline[cmdline.index("-c") + 1] == str(2 * 4096)  # per-slot context x slots
    assert cmdline[cmdline.index("--alias") + 1] == "tiny-satori"
    assert info["api_key"] not in " ".join(cmdline)

    engine = RemoteEngine(ServerConfig(urls=(info["url"],), api_key=info["api_key"]))
    report = engine.load(NO_MODEL)
    request = GenerationRequest(problem_prompt("What is 1 + 1?"), grammar=script_grammar(EXAMPLE_TRACE))
    result = engine.generate(request)
    engine.unload()
    assert report.name == f"tiny-satori on 127.0.0.1:{port}"
    assert result.finish_reason == "stop", result.error
    assert result.text == EXAMPLE_TRACE.removesuffix(IM_END)
    assert all(marker in result.text for marker in (CONTINUE, REFLECT, EXPLORE))

    intruder = RemoteEngine(ServerConfig(urls=(info["url"],), api_key="sk-satori-guess"))
    with pytest.raises(UserFacingError, match="401"):
        intruder.load(NO_MODEL)

    assert running.stop(signal.SIGINT) == 0
    assert not is_running(pid)
    assert running.lines.get(timeout=5) is None  # nothing more was printed after the JSON
    stderr = running.stderr()
    assert "Traceback" not in stderr and info["api_key"] not in stderr


def test_serve_prints_the_key_once_for_people_and_stops_on_sigterm(
    model: Path, serving: list[Serving]
) -> None:
    port = free_port()
    running = Serving(
        "--model", str(model), "--host", "127.0.0.1", "--port", str(port), "--api-key", "sk-class-7b",
        "--server-binary", str(llama_server_binary()), "--parallel", "1", "--ctx-size", "1024",
        "--", "-t", "1",
    )  # fmt: skip
    serving.append(running)
    shown = "".join(running.lines_until("Press Ctrl+C"))

    assert f"address: http://127.0.0.1:{port}" in shown
    assert shown.count("sk-class-7b") == 1
    assert "1 at once, 1,024 tokens of context each" in shown
    response = httpx2.get(
        f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Bearer sk-class-7b"}, timeout=5
    )
    assert response.status_code == 200
    assert httpx2.get(f"http://127.0.0.1:{port}/v1/models", timeout=5).status_code == 401

    assert running.stop(signal.SIGTERM) == 0
    assert running.next_line().strip() == "Stopped the server."
    with pytest.raises(httpx2.HTTPError):
        httpx2.get(f"http://127.0.0.1:{port}/health", timeout=2)


def test_a_missing_llama_server_says_how_to_get_one(tmp_path: Path, model: Path) -> None:
    result = run_serve("--model", str(model), env={"PATH": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr == f"satori-desktop: {serve.NO_LLAMA_SERVER_SENTENCE}\n"
    assert "bash scripts/build-llama-server.sh" in result.stderr


def test_a_missing_vllm_says_how_to_get_it(tmp_path: Path) -> None:
    result = run_serve("--engine", "vllm", env={"PATH": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr == f"satori-desktop: {serve.NO_VLLM_SENTENCE}\n"


def test_a_server_binary_that_is_not_there_is_named(tmp_path: Path, model: Path) -> None:
    result = run_serve("--model", str(model), "--server-binary", str(tmp_path / "llama-server"))
    assert result.returncode == 2
    assert f"There is no program at {tmp_path / 'llama-server'}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_model_file_is_one_sentence(tmp_path: Path) -> None:
    missing = tmp_path / "satori.gguf"
    result = run_serve("--model", str(missing), "--server-binary", str(llama_server_binary()))
    assert result.returncode == 2
    assert result.stderr.startswith(f"satori-desktop: The model file {missing} does not exist;")
    assert result.stderr.count("\n") == 1


def test_a_file_that_is_not_a_model_is_refused_before_starting(tmp_path: Path) -> None:
    notes = tmp_path / "notes.gguf"
    notes.write_text("not a model", encoding="utf-8")
    result = run_serve("--model", str(notes), "--server-binary", str(llama_server_binary()))
    assert result.returncode == 2
    assert "is not a GGUF model file" in result.stderr


def test_a_port_in_use_is_refused_before_starting(model: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_serve(
            "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
            "--server-binary", str(llama_server_binary()),
        )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"satori-desktop: Port {port} is already in use on 127.0.0.1")


def test_a_server_that_exits_early_is_one_sentence_with_its_last_lines(tmp_path: Path, model: Path) -> None:
    broken = tmp_path / "llama-server"
    broken.write_text("#!/bin/sh\necho 'loading model'\necho 'error: CUDA out of memory' >&2\nexit 3\n")
    broken.chmod(0o755)
    result = run_serve(
        "--model", str(model), "--host", "127.0.0.1", "--port", str(free_port()),
        "--server-binary", str(broken),
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("satori-desktop: llama-server exited before it was ready (exit code 3)")
    assert "loading model | error: CUDA out of memory" in lines[0]


def test_a_server_that_dies_while_serving_ends_serve_with_a_sentence(
    model: Path, serving: list[Serving]
) -> None:
    running = Serving(
        "--model", str(model), "--host", "127.0.0.1", "--port", str(free_port()), "--no-api-key",
        "--server-binary", str(llama_server_binary()), "--json", "--", "-t", "1",
    )  # fmt: skip
    serving.append(running)
    info = json.loads(running.next_line())
    assert info["api_key"] == ""
    os.kill(info["pid"], signal.SIGKILL)

    assert running.process.wait(30) == 1
    assert running.stderr().startswith(
        "satori-desktop: llama-server stopped on its own (killed by signal 9); its last"
    )


# A stand-in for vLLM's `vllm` command (not vLLM): records its command line and key, then answers
# GET /v1/models like vLLM's OpenAI server, refusing requests without the key.
STAND_IN_VLLM = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer
    args = sys.argv[1:]
    with open({record!r}, "w") as out:
        json.dump({{"argv": args, "key": os.environ.get("VLLM_API_KEY")}}, out)
    key = os.environ.get("VLLM_API_KEY")
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            ok = not key or self.headers.get("Authorization") == "Bearer " + key
            self.send_response(200 if ok else 401)
            self.end_headers()
            self.wfile.write(b'{{"object": "list", "data": [{{"id": "stand-in"}}]}}')
    HTTPServer((args[args.index("--host") + 1], int(args[args.index("--port") + 1])), Handler).serve_forever()
    """
)


def test_vllm_is_started_with_its_flags_and_the_key_in_its_environment(
    tmp_path: Path, serving: list[Serving]
) -> None:
    record = tmp_path / "vllm-args.json"
    stand_in = tmp_path / "vllm"
    stand_in.write_text(STAND_IN_VLLM.format(python=sys.executable, record=str(record)), encoding="utf-8")
    stand_in.chmod(0o755)
    port = free_port()
    running = Serving(
        "--engine", "vllm", "--host", "127.0.0.1", "--port", str(port), "--parallel", "32", "--json",
        "--", "--tensor-parallel-size", "2",
        env={"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}", "VLLM_API_KEY": "inherited"},
    )  # fmt: skip
    serving.append(running)
    info = json.loads(running.next_line())
    recorded = json.loads(record.read_text(encoding="utf-8"))

    assert info["engine"] == "vllm" and info["model"] == serve.DEFAULT_VLLM_MODEL
    assert recorded["argv"] == [
        "serve", serve.DEFAULT_VLLM_MODEL, "--host", "127.0.0.1", "--port", str(port),
        "--max-num-seqs", "32", "--tensor-parallel-size", "2",
    ]  # fmt: skip
    assert recorded["key"] == info["api_key"] != "inherited"
    assert running.stop(signal.SIGINT) == 0
    assert not is_running(info["pid"])


def test_vllm_refuses_gpu_layers(tmp_path: Path) -> None:
    result = run_serve("--engine", "vllm", "--gpu-layers", "10", "--server-binary", sys.executable)
    assert result.returncode == 2
    assert (
        result.stderr
        == "satori-desktop: --gpu-layers is for llama-server; vLLM keeps the whole model on the GPU.\n"
    )


def test_a_server_on_every_network_lists_this_machines_addresses() -> None:
    urls = serve.student_urls("0.0.0.0", 8080)
    assert urls
    for url in urls:
        assert url.startswith("http://") and url.endswith(":8080")
        assert "0.0.0.0" not in url
    assert serve.student_urls("10.1.2.3", 9000) == ["http://10.1.2.3:9000"]
    assert serve.student_urls("::1", 9000) == ["http://[::1]:9000"]
