"""Real servers on 127.0.0.1 for the remote-engine tests: llama-server, a fault-injecting proxy, a recorder.

* `llama_server_binary()`: llama.cpp's llama-server, built once per machine from the llama.cpp source in
  the pinned llama-cpp-python sdist by scripts/build-llama-server.sh (the README's test set-up runs it;
  a test run calls it too and gets the cached path at once).
* `LlamaServer`: starts it on a free port with a tiny GGUF, waits for GET /health as llama.cpp's own test
  harness does (tools/server/tests/utils.py), and stops it: terminate, then kill after 5 s. The process
  work is satori_desktop/engine/server_process.py's, as for `serve` and `bench remote`.
* `FaultProxy`: a TCP proxy between the app and a server that can drop the connection or stall after so
  many bytes of an answer, or answer 503 to the next requests, to show what the app does when a network
  or a server misbehaves. It speaks just enough HTTP to count the response body and to send a 503.
* `RecordingServer`: what stands in for vLLM, which cannot run here: an HTTP server that records each
  request's JSON and streams a given completion back in the OpenAI format. It checks the request options
  the app sends; it is not vLLM, and the tests that use it say so.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.server_process import ServerProcess, free_port, new_log_file

ROOT = Path(__file__).resolve().parents[2]
STOP_GRACE_S = 5.0
_binary: Path | None = None


def llama_server_binary() -> Path:
    """The cached llama-server (built here on first use: several minutes on 2 cores)."""
    global _binary
    if _binary is None:
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / "build-llama-server.sh")],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"scripts/build-llama-server.sh failed:\n{done.stderr[-3000:]}")
        _binary = Path(done.stdout.strip().splitlines()[-1])
    return _binary


class LlamaServer:
    """llama-server on 127.0.0.1 with `model`; a context manager (started on entry, stopped on exit)."""

    def __init__(
        self,
        model: Path,
        *,
        special: bool = True,
        api_key: str | None = None,
        parallel: int = 2,
        n_ctx: int = 4096,
        alias: str | None = "satori-tiny",
        extra: Sequence[str] = (),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = api_key
        self.args = [
            str(llama_server_binary()),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "-m", str(model),
            "-c", str(n_ctx * parallel),
            "-np", str(parallel),
            "-t", "1",
            "--no-webui",
        ]  # fmt: skip
        if special:
            self.args.append("--special")
        # The key goes by environment, as `serve` sends it: the command line is logged.
        self.env = {name: value for name, value in os.environ.items() if name != "LLAMA_API_KEY"}
        if api_key:
            self.env["LLAMA_API_KEY"] = api_key
        if alias:
            self.args += ["--alias", alias]
        self.args += list(extra)
        self.log_path: Path | None = None
        self._server: ServerProcess | None = None

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout_s: float = 60.0) -> None:
        self.log_path = new_log_file("llama-server-")
        self._server = ServerProcess.start(self.args, self.log_path, name="llama-server", env=self.env)
        try:
            self._server.wait_until_ready(f"{self.url}/health", timeout_s)
        except UserFacingError as exc:  # a test failure shows more of the log than a user's sentence
            raise RuntimeError(f"{exc}\n{self.log()}") from None

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop(STOP_GRACE_S)

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def busy_slots(self) -> int:
        """How many slots are generating now (GET /slots)."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        slots = httpx2.get(f"{self.url}/slots", headers=headers, timeout=5.0).json()
        return sum(1 for slot in slots if slot.get("is_processing"))


@dataclass
class _Faults:
    drop_after: int | None = None  # bytes of response body, then both sides are closed
    stall_after: int | None = None  # bytes of response body, then nothing more until released
    busy: int = 0  # the next requests answered 503 without reaching the server
    hang_up: int = 0  # the next requests met by a closed connection (a kept-alive one the server timed out)
    busy_status: int = 503
    released: threading.Event = field(default_factory=threading.Event)


class FaultProxy:
    """A proxy from 127.0.0.1:port to `upstream` that misbehaves on request (see the module docstring)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.faults = _Faults()
        self.requests = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopped = False
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stopped = True
        self.faults.released.set()
        with contextlib.suppress(OSError):
            self._server.close()

    def _serve(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._handle, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _handle(self, client: socket.socket) -> None:
        # Either side may go away at any moment (that is what the tests make happen): not an error here.
        with contextlib.closing(client), contextlib.suppress(OSError):
            while True:  # one request after another on a kept-alive connection
                request = _read_request(client)
                if request is None:
                    return
                self.requests += 1
                faults = self.faults
                if faults.hang_up > 0:
                    faults.hang_up -= 1
                    return
                if faults.busy > 0:
                    faults.busy -= 1
                    error = {"error": {"code": faults.busy_status, "message": "Loading model"}}
                    body = json.dumps(error).encode()
                    head = (
                        f"HTTP/1.1 {faults.busy_status} Service Unavailable\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                    )
                    client.sendall(head.encode() + body)
                    continue
                if not self._relay(client, request):
                    return

    def _relay(self, client: socket.socket, request: bytes) -> bool:
        """Forward one request and its response; False when the connection is to be dropped."""
        faults = self.faults
        with socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
            upstream.sendall(request)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = upstream.recv(65536)
                if not chunk:
                    return False
                head += chunk
            header, _, body = head.partition(b"\r\n\r\n")
            client.sendall(header + b"\r\n\r\n")
            sent = 0
            chunked = b"transfer-encoding: chunked" in header.lower()
            length = _content_length(header)
            data = body
            while True:
                if data:
                    limit = faults.drop_after if faults.drop_after is not None else faults.stall_after
                    if limit is not None and sent + len(data) > limit:
                        cut = max(0, limit - sent)
                        client.sendall(data[:cut])
                        if faults.drop_after is not None:
                            with contextlib.suppress(OSError):
                                client.shutdown(socket.SHUT_RDWR)
                            return False
                        faults.released.wait()
                        return False
                    client.sendall(data)
                    sent += len(data)
                if length is not None and sent >= length:
                    return True
                if chunked and data.endswith(b"0\r\n\r\n"):
                    return True
                data = upstream.recv(65536)
                if not data:
                    return False


def _read_request(sock: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    header, _, body = data.partition(b"\r\n\r\n")
    length = _content_length(header) or 0
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return header + b"\r\n\r\n" + body


def _content_length(header: bytes) -> int | None:
    for line in header.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


class RecordingServer:
    """An HTTP server on 127.0.0.1 that records requests and streams `pieces` back as a completion.

    `strip_markers` answers like a server that drops special tokens (llama-cpp-python's own server);
    `vllm` says it is vLLM in GET /v1/models (`owned_by`) and streams `n` choices (choice i: `pieces` with
    ` #i` after each), as vLLM does for one request with n > 1. `satori=False` serves another model: its
    /tokenize makes a token of every character, so no step marker is one token; `props` is what GET /props
    answers (llama-server's model facts), 404 without it (as vLLM).
    """

    def __init__(
        self,
        pieces: Sequence[str] = ("Hello",),
        *,
        strip_markers: bool = False,
        vllm: bool = False,
        satori: bool = True,
        props: dict[str, Any] | None = None,
    ) -> None:
        self.pieces = list(pieces)
        self.strip_markers = strip_markers
        self.vllm = vllm
        self.satori = satori
        self.props = props
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                owner.requests.append(("GET " + self.path, {}, dict(self.headers)))
                if self.path == "/v1/models":
                    owned_by = "vllm" if owner.vllm else "recorder"
                    model = {"id": "recorded-model", "object": "model", "owned_by": owned_by}
                    self._json({"object": "list", "data": [model]})
                elif self.path == "/props" and owner.props is not None:
                    self._json(owner.props)
                else:
                    self._json({"error": {"message": "not found"}}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                owner.requests.append(("POST " + self.path, body, dict(self.headers)))
                if self.path == "/tokenize":
                    text = str(body.get("content", ""))
                    self._json({"tokens": [151665] if owner.satori else [ord(c) for c in text]})
                elif self.path == "/v1/completions" and not body.get("stream"):
                    text = "" if owner.strip_markers else "<|continue|>"
                    self._json({"choices": [{"text": text, "index": 0, "finish_reason": "length"}]})
                elif self.path == "/v1/completions":
                    self._stream(body)
                else:
                    self._json({"error": {"message": "not found"}}, 404)

            def _json(self, data: Any, status: int = 200) -> None:
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, body: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                pieces = list(owner.pieces)
                choices = int(body.get("n", 1))
                for number, piece in enumerate(pieces):
                    if owner.strip_markers:
                        for marker in ("<|continue|>", "<|reflect|>", "<|explore|>"):
                            piece = piece.replace(marker, "")
                    last = number == len(pieces) - 1
                    for index in range(choices):
                        text = piece if choices == 1 else f"{piece} #{index}"
                        choice = {"text": text, "index": index, "finish_reason": "stop" if last else None}
                        self._chunk(f"data: {json.dumps({'choices': [choice]})}\n\n")
                n = len(pieces) * choices
                usage = {"prompt_tokens": 7, "completion_tokens": n, "total_tokens": 7 + n}
                self._chunk(f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n")
                self._chunk("data: [DONE]\n\n")
                self._chunk("")

            def _chunk(self, text: str) -> None:
                data = text.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def wrap_socket(self, context: ssl.SSLContext) -> None:
        """Speak https from now on (the tests of TLS failures)."""
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def completions(self) -> list[dict[str, Any]]:
        return [body for path, body, _ in self.requests if path == "POST /v1/completions"]


def self_made_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no authority signed (made here with openssl), as a classroom
    server's own would be: its key and its certificate."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


def tls_recorder(key: Path, cert: Path, pieces: Sequence[str] = ("Hello",)) -> RecordingServer:
    """A RecordingServer speaking https with that key and certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    recorder = RecordingServer(pieces)
    recorder.wrap_socket(context)  # before it starts serving
    return recorder


def https_url(recorder: RecordingServer) -> str:
    return f"https://127.0.0.1:{recorder.port}"
