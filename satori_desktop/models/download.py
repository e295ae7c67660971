"""Resumable, verified download of one model file from the hub.

`hf_hub_download` neither resumes across restarts nor checks more than the size, and a 4.7 GB file on a
school network will be interrupted. So the bytes go into `<name>.part` next to the final file, with a
small `<name>.part.json` saying which hub file (repo, commit, sha256, size) they belong to. A restart,
even after SIGKILL, hashes what the part already holds and asks the server for the rest with an HTTP
Range. The sha256 is computed while streaming and compared with the hub's LFS sha256; only a match gets
the final name, by an atomic rename, so a file under its final name is always a verified one. A mismatch
deletes the part: nothing loadable is left behind.

Qt-free and thread-agnostic: progress goes to a callback, and a `DownloadControl` (pause / cancel,
callable from any thread) is checked between chunks, so the CLI and a GUI worker drive it the same way.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.hardware import format_bytes
from satori_desktop.models import hub
from satori_desktop.models.hub import RemoteFile

log = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
_READ_TIMEOUT_S = 30.0
# Ask the disk to take what was written every this many bytes, on a thread of its own, so the fsync
# before the final rename finds little left to do (0 turns it off).
FLUSH_EVERY = 64 * 1024 * 1024
# Kept free beyond the file itself, so finishing a download never leaves the disk completely full.
DISK_MARGIN_BYTES = 64 * 1024 * 1024
_HASH_READ = 8 * 1024 * 1024
_RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}

Phase = Literal["checking", "hashing-part", "downloading", "verifying", "done"]


@dataclass(frozen=True)
class DownloadProgress:
    phase: Phase
    done_bytes: int
    total_bytes: int
    bytes_per_second: float | None  # over the last few seconds of this session; None before it is known
    eta_seconds: float | None
    resumed_from: int  # bytes already on disk when this session started

    @property
    def fraction(self) -> float:
        return self.done_bytes / self.total_bytes if self.total_bytes else 1.0


ProgressCallback = Callable[[DownloadProgress], None]


class DownloadPaused(Exception):
    """The download stopped on request; the .part stays and the next run resumes it."""


class DownloadCancelled(Exception):
    """The download stopped on request and its .part was deleted."""


class DownloadControl:
    """Pause or cancel a running download from any thread; takes effect within one chunk."""

    def __init__(self) -> None:
        self._pause = threading.Event()
        self._cancel = threading.Event()

    def pause(self) -> None:
        self._pause.set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise DownloadCancelled()
        if self._pause.is_set():
            raise DownloadPaused()


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8  # consecutive failures without progress before giving up
    first_delay_s: float = 1.0
    max_delay_s: float = 30.0

    def delay(self, failures: int) -> float:
        return min(self.max_delay_s, self.first_delay_s * (2 ** max(0, failures - 1)))


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    sha256: str | None
    size: int
    resumed_from: int
    downloaded_bytes: int  # bytes received in this session (resume overhead = this - (size - resumed_from))
    reused_from_cache: bool = False


class _Speed:
    """Bytes per second over a sliding window, so the ETA follows the connection as it changes."""

    def __init__(self, window_s: float = 5.0) -> None:
        self.window_s = window_s
        self.samples: list[tuple[float, int]] = []

    def add(self, now: float, total: int) -> float | None:
        self.samples.append((now, total))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.window_s:
            self.samples.pop(0)
        first_time, first_total = self.samples[0]
        elapsed = now - first_time
        return (total - first_total) / elapsed if elapsed > 0.2 else None


def part_paths(destination: Path) -> tuple[Path, Path]:
    return destination.with_name(destination.name + ".part"), destination.with_name(
        destination.name + ".part.json"
    )


def check_free_space(directory: Path, needed_bytes: int, margin_bytes: int = DISK_MARGIN_BYTES) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(directory).free
    if free < needed_bytes + margin_bytes:
        raise UserFacingError(
            f"Not enough free disk space in {directory}: the download needs {format_bytes(needed_bytes)} "
            f"(plus {format_bytes(margin_bytes)} spare) and {format_bytes(free)} is free; "
            "free some space or choose another models folder, then try again."
        )


def _disk_full_error(directory: Path, remaining: int) -> UserFacingError:
    free = shutil.disk_usage(directory).free if directory.exists() else 0
    return UserFacingError(
        f"The download stopped: the disk is full ({format_bytes(remaining)} still needed, "
        f"{format_bytes(free)} free in {directory}); free some space and run the download again to resume."
    )


def _hash_file(
    path: Path, on_bytes: Callable[[int], None] | None = None, control: DownloadControl | None = None
) -> tuple[Any, int]:
    """sha256 state and length of a file, telling `on_bytes` how far it got (a 4 GB file takes seconds)."""
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_READ):
            digest.update(chunk)
            done += len(chunk)
            if on_bytes is not None:
                on_bytes(done)
            if control is not None:
                control.check()
    return digest, done


def sha256_of_file(
    path: Path, *, on_bytes: Callable[[int], None] | None = None, control: DownloadControl | None = None
) -> str:
    return str(_hash_file(path, on_bytes, control)[0].hexdigest())


def _read_sidecar(sidecar: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_sidecar(sidecar: Path, remote: RemoteFile) -> None:
    tmp = sidecar.with_name(sidecar.name + ".tmp")
    tmp.write_text(json.dumps(remote.to_dict(), indent=2), encoding="utf-8")
    os.replace(tmp, sidecar)


def discard_partial(destination: Path) -> None:
    for path in part_paths(destination):
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class PendingDownload:
    """A download that stopped part-way (paused, the app closed, a crash) and can resume."""

    remote: RemoteFile
    destination: Path
    have_bytes: int  # bytes in the .part

    @property
    def fraction(self) -> float:
        return self.have_bytes / self.remote.size if self.remote.size else 0.0


def pending_downloads(directory: Path) -> list[PendingDownload]:
    """The resumable downloads in `directory`: each `.part` with the sidecar that names its hub file."""
    found: list[PendingDownload] = []
    try:
        sidecars = sorted(directory.glob("*.part.json"))
    except OSError:
        return found
    for sidecar in sidecars:
        destination = sidecar.with_name(sidecar.name.removesuffix(".part.json"))
        part = part_paths(destination)[0]
        data = _read_sidecar(sidecar)
        if data is None or not part.is_file():
            continue
        try:
            remote = RemoteFile(
                repo_id=str(data["repo_id"]),
                filename=str(data["filename"]),
                revision=str(data["revision"]),
                size=int(data["size"]),
                sha256=None if data.get("sha256") is None else str(data["sha256"]),
            )
        except (KeyError, TypeError, ValueError):
            continue
        have = part.stat().st_size
        if 0 < have <= remote.size:
            found.append(PendingDownload(remote, destination, have))
    return found


def download_file(
    remote: RemoteFile,
    destination: Path,
    *,
    progress: ProgressCallback | None = None,
    control: DownloadControl | None = None,
    retry: RetryPolicy | None = None,
    chunk_size: int = CHUNK_SIZE,
    disk_margin_bytes: int = DISK_MARGIN_BYTES,
) -> DownloadResult:
    """Bring `remote` to `destination`, resuming a `.part` left by an earlier run; verify; rename.

    Raises UserFacingError for everything a user can act on (offline, 401/403, 404, disk full, checksum
    mismatch, a network that stays down), DownloadPaused / DownloadCancelled when `control` asks (a
    cancel deletes the .part; a pause keeps it for the next run).
    """
    try:
        return _download(
            remote,
            destination,
            progress,
            control,
            retry,
            chunk_size=chunk_size,
            disk_margin=disk_margin_bytes,
        )
    except DownloadCancelled:
        discard_partial(destination)
        raise


def _download(
    remote: RemoteFile,
    destination: Path,
    progress: ProgressCallback | None,
    control: DownloadControl | None,
    retry: RetryPolicy | None,
    *,
    chunk_size: int,
    disk_margin: int,
) -> DownloadResult:
    retry = retry or RetryPolicy()
    control = control or DownloadControl()
    report = progress or (lambda _p: None)
    destination.parent.mkdir(parents=True, exist_ok=True)
    part, sidecar = part_paths(destination)

    # A part belongs to exactly one hub file: if the hub now has another file there, start over.
    recorded = _read_sidecar(sidecar)
    if part.exists() and (
        recorded is None
        or recorded.get("sha256") != remote.sha256
        or recorded.get("size") != remote.size
        or part.stat().st_size > remote.size
    ):
        log.info("discarding %s: it belongs to another version of the file", part)
        discard_partial(destination)
    _write_sidecar(sidecar, remote)

    have = part.stat().st_size if part.exists() else 0
    check_free_space(destination.parent, remote.size - have, disk_margin)

    state = _Transfer(have=have, resumed_from=have, digest=hashlib.sha256())
    if have:
        # Hash what is already on disk, so the final check covers every byte of the file.
        state.digest, state.have = _hash_part(part, report, control)
        state.resumed_from = state.have
    failures = 0
    url = hub.file_url(remote.repo_id, remote.filename, remote.revision)
    client = hub.http_client()
    while state.have < remote.size:
        control.check()
        hub.require_online()
        progressed_before = state.received
        try:
            _receive_once(client, url, remote, part, state, chunk_size, report, control)
            if state.have < remote.size:
                raise _Transient("connection closed before the end of the file")
        except (DownloadPaused, DownloadCancelled, UserFacingError, KeyboardInterrupt):
            raise
        except Exception as exc:
            if not _is_transient(exc):
                raise
            on_disk = part.stat().st_size if part.exists() else 0
            if on_disk != state.have:  # a write that did not complete: trust only what the disk holds
                state.digest, state.have = (
                    _hash_part(part, report, control) if on_disk else (hashlib.sha256(), 0)
                )
            # An attempt that brought new bytes was a success as far as retrying goes.
            failures = 1 if state.received > progressed_before else failures + 1
            if failures > retry.attempts:
                raise UserFacingError(
                    f"The download of {remote.filename} keeps failing ({exc}); {format_bytes(state.have)} of "
                    f"{format_bytes(remote.size)} are kept: check the connection and run it again to resume."
                ) from exc
            wait = retry.delay(failures)
            log.info("transient error (%s); retry %d in %.1fs from byte %d", exc, failures, wait, state.have)
            _sleep_checking(wait, control)

    have, resumed_from, digest, received = state.have, state.resumed_from, state.digest, state.received
    report(DownloadProgress("verifying", have, remote.size, None, None, resumed_from))
    actual = digest.hexdigest()
    if have != remote.size or (remote.sha256 is not None and actual != remote.sha256):
        discard_partial(destination)
        raise UserFacingError(
            f"The downloaded {remote.filename} does not match the hub's checksum (sha256 {actual[:12]}... "
            f"instead of {(remote.sha256 or '?')[:12]}...), so it was deleted and nothing was installed; "
            "run the download again."
        )
    _commit(part, destination)
    sidecar.unlink(missing_ok=True)
    report(DownloadProgress("done", have, remote.size, None, 0.0, resumed_from))
    return DownloadResult(
        path=destination, sha256=actual, size=have, resumed_from=resumed_from, downloaded_bytes=received
    )


def _hash_part(part: Path, report: ProgressCallback, control: DownloadControl) -> tuple[Any, int]:
    """sha256 state and length of what a .part holds, reported as the "hashing-part" phase."""
    size = part.stat().st_size
    report(DownloadProgress("hashing-part", 0, size, None, None, size))
    return _hash_file(
        part, lambda done: report(DownloadProgress("hashing-part", done, size, None, None, size)), control
    )


@dataclass
class _Transfer:
    """Where one download stands across its HTTP attempts: bytes on disk (`have`) and their sha256."""

    have: int
    resumed_from: int
    digest: Any
    received: int = 0  # body bytes received over all attempts (what the network carried)
    speed: _Speed = field(default_factory=_Speed)


def _receive_once(
    client: Any,
    url: str,
    remote: RemoteFile,
    part: Path,
    state: _Transfer,
    chunk_size: int,
    report: ProgressCallback,
    control: DownloadControl,
) -> None:
    """One GET of the rest of the file, appended to `part`; `state` follows every byte written, also when
    the connection drops, the user pauses or a status is refused (raised: `_Transient` for a retry)."""
    headers = hub.auth_headers()
    headers["Accept-Encoding"] = "identity"  # the bytes on disk must be the bytes the hub hashed
    if state.have:
        headers["Range"] = f"bytes={state.have}-"
    with client.stream(
        "GET", url, headers=headers, follow_redirects=True, timeout=_READ_TIMEOUT_S
    ) as response:
        status = response.status_code
        if status in _RETRYABLE_STATUS:
            raise _Transient(f"HTTP {status}")
        if status >= 400:
            from huggingface_hub.utils import hf_raise_for_status

            response.read()
            with hub.hub_errors(f"{remote.repo_id}/{remote.filename}"):
                hf_raise_for_status(response)
            raise UserFacingError(f"The hub answered HTTP {status} for {remote.filename}: try again later.")
        if state.have and status == 200:
            # The server ignored the Range: start the file again rather than append a second copy.
            log.warning("server ignored Range; restarting %s from zero", remote.filename)
            state.have, state.digest = 0, hashlib.sha256()
            part.unlink(missing_ok=True)
        writer = _PartWriter(
            part,
            append=bool(state.have),
            digest=state.digest,
            have=state.have,
            total=remote.size,
            chunk_size=chunk_size,
        )
        try:
            for piece in _body_pieces(response, chunk_size):
                if writer.add(piece):
                    queued = writer.queued
                    rate = state.speed.add(time.monotonic(), queued)
                    eta = (remote.size - queued) / rate if rate else None
                    report(
                        DownloadProgress("downloading", queued, remote.size, rate, eta, state.resumed_from)
                    )
                control.check()
        finally:
            # Whatever arrived is good data: keep it on disk even when the connection dropped, the user
            # paused or pressed Ctrl+C, so a resume re-downloads nothing that was received.
            writer.close()
            state.have, state.digest = writer.have, writer.digest
            state.received += writer.received_total


def _body_pieces(response: Any, read_size: int) -> Iterator[bytes]:
    """The response body as it arrives, read straight from the connection when that is safe.

    httpx reads an HTTP/1.1 body 64 KiB at a time through h11, which copies each piece twice and costs
    ~16,000 trips through Python per GiB: measured, that alone made the client slower than curl on a
    fast link. The request still goes through huggingface_hub's session (endpoint, token, proxies,
    redirects, TLS); only the bytes of a plain identity-encoded body with a Content-Length are then
    taken from the same connection's stream (httpcore's documented `network_stream` extension) in reads
    of up to `read_size`. h11 hands over everything it has buffered as one piece, so after the first
    piece the stream holds exactly the rest of the body. The connection is then closed, not reused (h11
    never saw the end of the body). Anything else (HTTP/2, chunked, compressed) goes through `iter_raw`.
    """
    pieces = response.iter_raw()
    stream = response.extensions.get("network_stream")
    length = response.headers.get("Content-Length")
    direct = (
        stream is not None
        and response.http_version == "HTTP/1.1"
        and length is not None
        and length.isdigit()
        and response.headers.get("Content-Encoding", "identity").lower() == "identity"
        and "Transfer-Encoding" not in response.headers
    )
    if not direct:
        yield from pieces
        return
    remaining = int(length)
    if remaining == 0:
        return
    first = next(pieces, b"")
    if not first:
        return
    remaining -= len(first)
    yield first
    while remaining > 0:
        try:
            piece = stream.read(min(read_size, remaining), timeout=_READ_TIMEOUT_S)
        except Exception as exc:
            # httpcore's ReadError / ReadTimeout: the same kind of failure httpx would have raised.
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
        if not piece:
            return  # the connection closed early; the caller sees the file is short and retries
        remaining -= len(piece)
        yield piece


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """Write every byte of `pieces`, in one system call where the platform has writev."""
    views = [memoryview(piece) for piece in pieces if piece]
    while views:
        written = _write_some(fd, views)
        if written <= 0:
            raise OSError(errno.EIO, "the file system accepted no bytes")
        while written and views:
            if written >= len(views[0]):
                written -= len(views[0])
                views.pop(0)
            else:
                views[0] = views[0][written:]
                written = 0


def _write_some(fd: int, views: list[memoryview]) -> int:
    if hasattr(os, "writev"):  # not on Windows
        return os.writev(fd, views[:1024])  # IOV_MAX is 1024 on Linux and the BSDs
    return os.write(fd, views[0])


class _PartWriter:
    """Appends to a .part and hashes exactly the bytes that reach it, each on a thread of its own.

    The network loop only collects pieces until a chunk's worth (no copying) and queues the list; a
    writer thread appends it with one writev and passes it on to a hashing thread. Reading the socket,
    writing the page cache and sha256 all release the GIL, so the three run side by side on separate
    cores instead of one after the other: that is what keeps verification from costing throughput.
    Hashing after the write means the digest never covers a byte the file lacks. The writer's queue is
    kept short, so a kill loses at most a couple of chunks of received bytes. `close()` drains both
    queues, so afterwards `have` and `digest` describe the file exactly.
    """

    def __init__(
        self, part: Path, *, append: bool, digest: Any, have: int, total: int, chunk_size: int
    ) -> None:
        self.file = open(part, "ab" if append else "wb", buffering=0)  # noqa: SIM115 (closed in close())
        self.digest = digest
        self.have = have  # bytes on disk (owned by the writer thread until close())
        self.queued = have  # bytes handed to the writer: what progress shows
        self.received_total = 0
        self.chunk_size = chunk_size
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.directory = part.parent
        self.total = total
        self.error: BaseException | None = None
        self.write_queue: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=2)
        self.hash_queue: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=16)
        self.flushed_at = have  # where the writer last asked the flusher for a flush
        self.flush_wanted = threading.Event()
        self.closing = False
        self.writer = threading.Thread(target=self._write_loop, name="download-writer", daemon=True)
        self.hasher = threading.Thread(target=self._hash_loop, name="download-hasher", daemon=True)
        self.flusher = threading.Thread(target=self._flush_loop, name="download-flusher", daemon=True)
        self.writer.start()
        self.hasher.start()
        if FLUSH_EVERY:
            self.flusher.start()

    def add(self, piece: bytes) -> bool:
        """Take `piece`; returns True when a chunk was handed to the writer (time to report progress)."""
        if self.error is not None:
            raise self._raise_error()
        self.pending.append(piece)
        self.pending_bytes += len(piece)
        self.received_total += len(piece)
        if self.pending_bytes < self.chunk_size:
            return False
        self._hand_over()
        return True

    def _hand_over(self) -> None:
        if self.pending:
            self.queued += self.pending_bytes
            self.write_queue.put(self.pending)
            self.pending, self.pending_bytes = [], 0

    def _write_loop(self) -> None:
        fd = self.file.fileno()
        try:
            while (pieces := self.write_queue.get()) is not None:
                if self.error is not None:
                    continue  # drain: after a failed write nothing more may reach the file
                try:
                    _write_all(fd, pieces)
                except BaseException as exc:
                    self.error = exc
                    try:
                        self.file.truncate(self.have)  # keep the part equal to what the digest covers
                    except OSError:
                        log.warning("could not cut %s back to %d bytes", self.file.name, self.have)
                    continue
                self.have += sum(len(piece) for piece in pieces)
                self.hash_queue.put(pieces)
                if FLUSH_EVERY and self.have - self.flushed_at >= FLUSH_EVERY:
                    self.flushed_at = self.have
                    self.flush_wanted.set()
        finally:
            self.hash_queue.put(None)

    def _hash_loop(self) -> None:
        while (pieces := self.hash_queue.get()) is not None:
            for piece in pieces:
                self.digest.update(piece)

    def _flush_loop(self) -> None:
        # fdatasync blocks on the disk, not the CPU, and releases the GIL: the writer goes on meanwhile.
        sync = getattr(os, "fdatasync", os.fsync)  # no fdatasync on macOS / Windows
        fd = self.file.fileno()
        while True:
            self.flush_wanted.wait()
            self.flush_wanted.clear()
            if self.closing:
                return
            try:
                sync(fd)
            except OSError as exc:
                # The kernel reports a failed write-back once: it must fail the download here, since the
                # final fsync (on another descriptor) might never hear of it.
                if self.error is None:
                    self.error = exc
                return

    def _raise_error(self) -> BaseException:
        exc = self.error
        assert exc is not None
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return _disk_full_error(self.directory, self.total - self.have)
        return exc

    def close(self) -> None:
        try:
            if self.error is None:
                self._hand_over()
        finally:
            self.write_queue.put(None)
            self.writer.join()
            self.hasher.join()
            if self.flusher.is_alive():
                self.closing = True
                self.flush_wanted.set()
                self.flusher.join()
            self.file.close()
        if self.error is not None:
            error = self._raise_error()
            raise error from self.error if error is not self.error else None


class _Transient(Exception):
    """A failure worth retrying from where the part ends."""


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, _Transient):
        return True
    return isinstance(exc, (hub.httpx_module().TransportError, ConnectionError, TimeoutError))


def _sleep_checking(seconds: float, control: DownloadControl) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        control.check()
        time.sleep(min(0.1, left))


def _commit(part: Path, destination: Path) -> None:
    """Make the verified bytes durable, then give them the final name in one atomic step."""
    with open(part, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(part, destination)
    if hasattr(os, "O_DIRECTORY"):
        directory = os.open(destination.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
