"""A local stand-in for the Hugging Face hub: a real HTTP server on 127.0.0.1 that `bench download` and the
tests point HF_ENDPOINT at, so the real huggingface_hub client and the app's downloader talk to it
unchanged. It ships in the package because the download benchmark serves its file with it (a benchmark
must run from an installed app, not only from a source checkout).

It speaks the endpoints huggingface_hub 2.x calls for what the app does:

* `HEAD|GET /{repo}/resolve/{revision}/{file}`: ETag, X-Repo-Commit, X-Linked-Size and X-Linked-Etag (the
  LFS sha256), Accept-Ranges; GET honours `Range: bytes=a-` / `bytes=a-b` with 206 and Content-Range.
* `POST /api/models/{repo}/paths-info/{revision}` (form field `paths`, repeated): size, oid, lfs.
* `GET /api/models/{repo}/tree/{revision}[/{path}]`: the file listing, with lfs per file.
* `GET /api/models/{repo}[/revision/{revision}]`: repo info with siblings.
* `GET /api/models?search=...`: model search.

Faults are injected per file with `FileFaults`: drop the connection after N bytes, answer a status code
(404, 401, 500...) a number of times, send slowly, flip one byte of the content while still
advertising the true sha256, or send the body chunked. Counters (`bytes_sent`, `requests`) let tests
measure what went over the wire.
Run it alone with `python -m satori_desktop.bench.local_hub DIR` to serve every file in DIR as one repo.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

_SEND_PIECE = 256 * 1024


@dataclass
class FileFaults:
    # Close the connection after sending this many body bytes of a GET, `drop_times` times.
    drop_after_bytes: int | None = None
    drop_times: int = 1
    # Answer every request for the file (HEAD, GET, paths-info) with this status, `status_times` times
    # (None: forever).
    status: int | None = None
    status_times: int | None = None
    # Body bytes per second for GETs (None: as fast as the socket takes them).
    bytes_per_second: float | None = None
    # Flip the byte at this offset in what GET sends (the advertised sha256 stays the true one).
    corrupt_offset: int | None = None
    # Send GET bodies with `Transfer-Encoding: chunked` instead of a Content-Length, as some CDNs do.
    chunked: bool = False


@dataclass
class HostedFile:
    path: Path  # content on disk (served with sendfile when no fault is active)
    size: int
    sha256: str
    faults: FileFaults = field(default_factory=FileFaults)


@dataclass
class HostedRepo:
    repo_id: str
    commit: str
    files: dict[str, HostedFile] = field(default_factory=dict)
    private_token: str | None = None  # when set, requests need `Authorization: Bearer <token>`


@dataclass
class RequestRecord:
    method: str
    path: str
    range: str | None
    status: int
    body_bytes: int = 0


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class LocalHub:
    """Start with `with LocalHub() as hub:`; `hub.url` is the value for HF_ENDPOINT."""

    def __init__(self) -> None:
        self.repos: dict[str, HostedRepo] = {}
        self.requests: list[RequestRecord] = []
        self.bytes_sent = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- content -------------------------------------------------------------------------------------
    def add_file(
        self,
        repo_id: str,
        filename: str,
        source: Path,
        *,
        sha256: str | None = None,
        private_token: str | None = None,
    ) -> HostedFile:
        repo = self.repos.get(repo_id)
        if repo is None:
            commit = hashlib.sha1(repo_id.encode()).hexdigest()
            repo = self.repos[repo_id] = HostedRepo(repo_id=repo_id, commit=commit)
        if private_token is not None:
            repo.private_token = private_token
        hosted = HostedFile(path=source, size=source.stat().st_size, sha256=sha256 or _sha256_of(source))
        repo.files[filename] = hosted
        return hosted

    def file(self, repo_id: str, filename: str) -> HostedFile:
        return self.repos[repo_id].files[filename]

    def get_bytes_sent(self, path_part: str = "") -> int:
        with self._lock:
            return sum(r.body_bytes for r in self.requests if r.method == "GET" and path_part in r.path)

    # -- server --------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start the hub first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> LocalHub:
        hub = self

        class Handler(_HubHandler):
            local_hub = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-hub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)


_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_PATHS_INFO = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/paths-info/(?P<rev>[^/]+)$")
_TREE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?$")
_INFO = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>[^/]+))?$")


class _HubHandler(BaseHTTPRequestHandler):
    local_hub: LocalHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    # -- helpers -------------------------------------------------------------------------------------
    def _send_json(self, status: int, payload: Any, method: str, extra: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)
        self.local_hub._record(RequestRecord(method, self.path, self.headers.get("Range"), status))

    def _error(self, status: int, method: str, message: str, code: str | None = None) -> None:
        extra = {"X-Error-Message": message}
        if code:
            extra["X-Error-Code"] = code
        self._send_json(status, {"error": message}, method, extra)

    def _repo_or_error(self, repo_id: str, method: str) -> HostedRepo | None:
        repo = self.local_hub.repos.get(repo_id)
        if repo is None:
            self._error(404, method, "Repository not found", "RepoNotFound")
            return None
        if repo.private_token is not None:
            auth = self.headers.get("Authorization", "")
            if auth != f"Bearer {repo.private_token}":
                self._error(401, method, "Invalid username or password.")
                return None
        return repo

    def _injected_status(self, hosted: HostedFile, method: str) -> bool:
        faults = hosted.faults
        if faults.status is None:
            return False
        if faults.status_times is not None:
            if faults.status_times <= 0:
                return False
            faults.status_times -= 1
        if faults.status == 404:
            self._error(404, method, "Entry not found", "EntryNotFound")
        else:
            self._error(faults.status, method, f"injected status {faults.status}")
        return True

    @staticmethod
    def _file_entry(name: str, hosted: HostedFile) -> dict[str, Any]:
        return {
            "type": "file",
            "path": name,
            "size": hosted.size,
            "oid": hashlib.sha1(hosted.sha256.encode()).hexdigest(),
            "lfs": {"oid": hosted.sha256, "size": hosted.size, "pointerSize": 134},
        }

    # -- verbs ---------------------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self._route("HEAD")

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        parsed = urlparse(self.path)
        path = unquote(parsed.path)
        if method in ("HEAD", "GET") and (match := _RESOLVE.match(path)):
            self._resolve(method, match["repo"], match["rev"], match["file"])
        elif method == "POST" and (match := _PATHS_INFO.match(path)):
            self._paths_info(match["repo"])
        elif method == "GET" and (match := _TREE.match(path)):
            self._tree(match["repo"], match["path"] or "")
        elif method == "GET" and path == "/api/models":
            self._search(parse_qs(parsed.query))
        elif method == "GET" and (match := _INFO.match(path)):
            self._info(match["repo"])
        else:
            self._error(404, method, f"no route for {method} {path}")

    def _resolve(self, method: str, repo_id: str, revision: str, filename: str) -> None:
        repo = self._repo_or_error(repo_id, method)
        if repo is None:
            return
        hosted = repo.files.get(filename)
        if hosted is None:
            self._error(404, method, "Entry not found", "EntryNotFound")
            return
        if self._injected_status(hosted, method):
            return
        start, end = 0, hosted.size - 1
        range_header = self.headers.get("Range")
        status = 200
        if range_header and method == "GET":
            match = re.fullmatch(r"bytes=(\d+)-(\d*)", range_header.strip())
            if match is None or int(match[1]) >= hosted.size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{hosted.size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.local_hub._record(RequestRecord(method, self.path, range_header, 416))
                return
            start = int(match[1])
            end = min(int(match[2]), hosted.size - 1) if match[2] else hosted.size - 1
            status = 206
        self.send_response(status)
        self.send_header("ETag", f'"{hosted.sha256}"')
        self.send_header("X-Repo-Commit", repo.commit)
        self.send_header("X-Linked-Etag", f'"{hosted.sha256}"')
        self.send_header("X-Linked-Size", str(hosted.size))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        chunked = hosted.faults.chunked and method == "GET"
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(end - start + 1))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{hosted.size}")
        self.end_headers()
        record = RequestRecord(method, self.path, range_header, status)
        self.local_hub._record(record)
        if method == "GET":
            self._send_body(hosted, start, end + 1, record)

    def _send_body(self, hosted: HostedFile, start: int, stop: int, record: RequestRecord) -> None:
        faults = hosted.faults
        drop_at: int | None = None
        if faults.drop_after_bytes is not None and faults.drop_times > 0:
            faults.drop_times -= 1
            drop_at = start + faults.drop_after_bytes
        plain = (
            drop_at is None
            and faults.bytes_per_second is None
            and faults.corrupt_offset is None
            and not faults.chunked
        )
        try:
            with open(hosted.path, "rb") as handle:
                if plain:
                    sent = self.connection.sendfile(handle, offset=start, count=stop - start)
                    self._count(record, sent)
                    return
                handle.seek(start)
                position = start
                began = time.monotonic()
                while position < stop:
                    limit = stop if drop_at is None else min(stop, drop_at)
                    if position >= limit:  # the injected drop: end the connection mid-body
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    piece = handle.read(
                        min(_SEND_PIECE if faults.bytes_per_second is None else 16384, limit - position)
                    )
                    if (
                        faults.corrupt_offset is not None
                        and position <= faults.corrupt_offset < position + len(piece)
                    ):
                        index = faults.corrupt_offset - position
                        piece = piece[:index] + bytes([piece[index] ^ 0xFF]) + piece[index + 1 :]
                    if faults.chunked:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    else:
                        self.wfile.write(piece)
                    self._count(record, len(piece))
                    position += len(piece)
                    if faults.bytes_per_second:
                        due = began + (position - start) / faults.bytes_per_second
                        time.sleep(max(0.0, due - time.monotonic()))
                if faults.chunked:
                    self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _count(self, record: RequestRecord, count: int) -> None:
        with self.local_hub._lock:
            record.body_bytes += count
            self.local_hub.bytes_sent += count

    def _read_form(self) -> dict[str, list[str]]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.headers.get("Content-Type", "").startswith("application/json"):
            data = json.loads(body or "{}")
            return {k: v if isinstance(v, list) else [v] for k, v in data.items()}
        return parse_qs(body)

    def _paths_info(self, repo_id: str) -> None:
        form = self._read_form()
        repo = self._repo_or_error(repo_id, "POST")
        if repo is None:
            return
        entries = []
        for name in form.get("paths", []):
            hosted = repo.files.get(name)
            if hosted is None:
                continue
            if self._injected_status(hosted, "POST"):
                return
            entries.append(self._file_entry(name, hosted))
        self._send_json(200, entries, "POST")

    def _tree(self, repo_id: str, prefix: str) -> None:
        repo = self._repo_or_error(repo_id, "GET")
        if repo is None:
            return
        entries = [
            self._file_entry(name, hosted)
            for name, hosted in sorted(repo.files.items())
            if name.startswith(prefix)
        ]
        self._send_json(200, entries, "GET")

    def _info(self, repo_id: str) -> None:
        repo = self._repo_or_error(repo_id, "GET")
        if repo is None:
            return
        payload = {
            "id": repo.repo_id,
            "modelId": repo.repo_id,
            "sha": repo.commit,
            "private": repo.private_token is not None,
            "tags": ["gguf"],
            "siblings": [{"rfilename": name} for name in sorted(repo.files)],
        }
        self._send_json(200, payload, "GET")

    def _search(self, query: dict[str, list[str]]) -> None:
        needle = (query.get("search") or [""])[0].lower()
        limit = int((query.get("limit") or ["1000"])[0])
        found = [
            {"id": repo.repo_id, "modelId": repo.repo_id, "tags": ["gguf"], "downloads": 0, "likes": 0}
            for repo in self.local_hub.repos.values()
            if needle in repo.repo_id.lower() and repo.private_token is None
        ]
        self._send_json(200, found[:limit], "GET")


def _main() -> int:
    parser = argparse.ArgumentParser(description="Serve every file of DIR as one hub repo.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--repo", default="local/test-GGUF")
    args = parser.parse_args()
    hub = LocalHub()
    for path in sorted(args.directory.iterdir()):
        if path.is_file():
            hub.add_file(args.repo, path.name, path)
    hub.start()
    print(hub.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        hub.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
