"""A local server program (llama.cpp's llama-server, vLLM) as a child process: started, awaited, stopped.

`satori-desktop serve`, `bench remote` and the remote-engine tests all start such a server, wait until it
answers, and stop it; this module is the one way they do it, so a fix to any step reaches all three:

* `find_program`: the given path, else the program on PATH; a missing or non-executable one is a sentence
  saying how to get it (the caller words the sentences: each names its own flag).
* `ServerProcess.start`: the program with its output (stdout and stderr) in a log file whose first line is
  the command, optionally in its own process group, so that Ctrl+C reaches the caller only and the caller
  stops the server in order.
* `ServerProcess.wait_until_ready`: GET a health URL until it answers 200, as llama.cpp's own test harness
  does (tools/server/tests/utils.py). A server that exits first, or is not ready in time, is one sentence
  ending with the log's last lines; one that is not ready in time is stopped first.
* `ServerProcess.stop`: terminate, give it some seconds to finish its answers and free the GPU, then kill.
* `free_port`: a port on 127.0.0.1 that nothing listens on now; `running`: several servers started one
  after another and all stopped on the way out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from satori_desktop.core.errors import UserFacingError

LOG_TAIL_LINES = 6
DEFAULT_STOP_GRACE_S = 10.0
POLL_S = 0.1  # between health checks
HEALTH_REQUEST_TIMEOUT_S = 2.0
log = logging.getLogger(__name__)

if sys.platform == "win32":
    _NEW_PROCESS_GROUP = subprocess.CREATE_NEW_PROCESS_GROUP
else:
    _NEW_PROCESS_GROUP = 0


def find_program(
    name: str,
    given: Path | None,
    *,
    not_on_path: str,
    no_program: str = "There is no {name} at {path}.",
    not_executable: str = "{path} is not executable; `chmod +x` it or pick another.",
) -> Path:
    """`given` (a user's path), else `name` on PATH. `no_program` and `not_executable` may name `{path}`
    and `{name}`; each of the three sentences is the UserFacingError for its case."""
    if given is not None:
        path = given.expanduser()
        if not path.is_file():
            raise UserFacingError(no_program.format(path=path, name=name))
        if not os.access(path, os.X_OK):
            raise UserFacingError(not_executable.format(path=path, name=name))
        return path
    found = shutil.which(name)
    if found is None:
        raise UserFacingError(not_on_path)
    return Path(found)


def free_port() -> int:
    """A port on 127.0.0.1 free now (the system's pick; another process could take it before the server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_log_file(prefix: str) -> Path:
    """An empty file in the temporary folder for a server's output, named `prefix...log`."""
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=".log")
    os.close(handle)
    return Path(name)


# Options whose value is a secret: never written out (a key belongs in the server's environment anyway).
SECRET_OPTIONS = ("--api-key", "--api-key-file", "--ssl-key-file")


def format_command(argv: Sequence[str]) -> str:
    """The command line as a shell would show it (for the log), the values of SECRET_OPTIONS hidden."""
    shown: list[str] = []
    hide_next = False
    for part in argv:
        name, equals, _value = part.partition("=")
        if hide_next:
            shown.append("***")
        elif equals and name in SECRET_OPTIONS:
            shown.append(f"{name}=***")
        else:
            shown.append(shlex.quote(part))
        hide_next = part in SECRET_OPTIONS
    return " ".join(shown)


def how_it_ended(returncode: int) -> str:
    return f"killed by signal {-returncode}" if returncode < 0 else f"exit code {returncode}"


def log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The server's last non-empty lines, joined into the end of one sentence."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(its log could not be read)."
    kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return (" | ".join(kept) + f" (full log: {log_path}).") if kept else f"(nothing; log: {log_path})."


class ServerProcess:
    """A server program started by `start`, its output in `log_path`; `name` is what sentences call it."""

    def __init__(self, process: subprocess.Popen[bytes], log_path: Path, name: str) -> None:
        self.process = process
        self.log_path = log_path
        self.name = name

    @classmethod
    def start(
        cls,
        argv: Sequence[str],
        log_path: Path,
        *,
        name: str,
        env: Mapping[str, str] | None = None,
        own_process_group: bool = False,
        advice: str = "",
    ) -> ServerProcess:
        """Start `argv` with its output in `log_path` (replaced). A program that cannot be started at all
        is a sentence naming it, then `advice` ("check --server-binary") when given. The command line is
        logged and heads the log, so a secret goes in `env` (LLAMA_API_KEY), never in `argv`."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        command = format_command(argv)
        log.info("starting %s", command)
        try:
            with log_path.open("wb") as output:
                output.write(f"# {command}\n".encode())
                output.flush()
                process = subprocess.Popen(
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    env=None if env is None else dict(env),
                    start_new_session=own_process_group and sys.platform != "win32",
                    creationflags=_NEW_PROCESS_GROUP if own_process_group else 0,
                )
        except OSError as exc:
            reason = exc.strerror or exc
            end = f"; {advice}." if advice else "."
            raise UserFacingError(f"{argv[0]} could not be started ({reason}){end}") from None
        return cls(process, log_path, name)

    @property
    def pid(self) -> int:
        return self.process.pid

    def poll(self) -> int | None:
        """The exit code once it has ended, else None."""
        return self.process.poll()

    def wait_until_ready(
        self,
        health_url: str,
        timeout_s: float,
        *,
        headers: Mapping[str, str] | None = None,
        stop: threading.Event | None = None,
        timeout_advice: str | None = None,
    ) -> bool:
        """True once GET `health_url` answers 200; False when `stop` was set first. An exit before that
        is a sentence with the log's last lines; so is `timeout_s` passing, after the server is stopped
        (`timeout_advice` then replaces the last lines, e.g. to name a flag that gives it longer)."""
        import httpx2

        deadline = time.monotonic() + timeout_s
        with httpx2.Client(timeout=HEALTH_REQUEST_TIMEOUT_S, trust_env=False) as client:
            while stop is None or not stop.is_set():
                returncode = self.poll()
                if returncode is not None:
                    raise UserFacingError(
                        f"{self.name} exited before it was ready ({how_it_ended(returncode)}); its last "
                        f"lines: {self.log_tail()}"
                    )
                with contextlib.suppress(httpx2.HTTPError):
                    if client.get(health_url, headers=dict(headers or {})).status_code == 200:
                        return True
                if time.monotonic() > deadline:
                    self.stop()
                    advice = timeout_advice or f"its last lines: {self.log_tail()}"
                    raise UserFacingError(
                        f"{self.name} was not ready after {timeout_s:g} s (still loading?); it was stopped: "
                        f"{advice}"
                    )
                if stop is None:
                    time.sleep(POLL_S)
                else:
                    stop.wait(POLL_S)
        return False

    def stop(self, grace_s: float = DEFAULT_STOP_GRACE_S) -> None:
        """Terminate, give it `grace_s` to finish its answers and free the GPU, then kill. Idempotent."""
        process = self.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(grace_s)
            except subprocess.TimeoutExpired:
                process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace_s)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.log_path, lines)


class Startable(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


S = TypeVar("S", bound=Startable)


@contextlib.contextmanager
def running(servers: Sequence[S]) -> Iterator[list[S]]:
    """Start `servers` in turn (each waits until ready) and stop those started on exit, or when one fails."""
    started: list[S] = []
    try:
        for server in servers:
            server.start()
            started.append(server)
        yield started
    finally:
        for server in started:
            server.stop()
