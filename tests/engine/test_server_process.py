"""engine/server_process.py with real processes: a real llama-server on a tiny GGUF, and small Python
programs that exit at once, never answer, or ignore SIGTERM."""

from __future__ import annotations

import os
import socket
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx2
import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.server_process import (
    ServerProcess,
    find_program,
    free_port,
    log_tail,
    new_log_file,
    running,
)
from tests.support.servers import llama_server_binary
from tests.support.tiny_gguf import write_tiny_gguf

NOT_ON_PATH = "frobnicate was not found on PATH: install it."


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def wait_for_line(log_path: Path, line: str, timeout_s: float = 20.0) -> None:
    """Until the program has printed `line` (a whole line: the command on top of the log has it in quotes)."""
    deadline = time.monotonic() + timeout_s
    while line not in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        assert time.monotonic() < deadline, f"{line!r} never reached {log_path}"
        time.sleep(0.05)


# -- finding the program -----------------------------------------------------------------------------------


def test_a_program_is_found_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    program = tmp_path / "frobnicate"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_program("frobnicate", None, not_on_path=NOT_ON_PATH) == program


def test_a_program_missing_from_path_is_the_callers_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UserFacingError) as caught:
        find_program("frobnicate", None, not_on_path=NOT_ON_PATH)
    assert str(caught.value) == NOT_ON_PATH


def test_a_given_path_must_be_an_executable_file(tmp_path: Path) -> None:
    missing = tmp_path / "frobnicate"
    with pytest.raises(UserFacingError) as caught:
        find_program("frobnicate", missing, not_on_path=NOT_ON_PATH)
    assert str(caught.value) == f"There is no frobnicate at {missing}."

    missing.write_text("#!/bin/sh\n")
    missing.chmod(0o644)
    with pytest.raises(UserFacingError) as caught:
        find_program(
            "frobnicate", missing, not_on_path=NOT_ON_PATH, not_executable="{path} cannot run ({name})."
        )
    assert str(caught.value) == f"{missing} cannot run (frobnicate)."

    missing.chmod(0o755)
    assert find_program("frobnicate", missing, not_on_path=NOT_ON_PATH) == missing


# -- small helpers -----------------------------------------------------------------------------------------


def test_a_free_port_can_be_listened_on() -> None:
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        pass


def test_the_log_tail_is_the_last_non_empty_lines_in_one_sentence(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("\n".join(f"line {n}" for n in range(10)) + "\n\n  \n", encoding="utf-8")
    assert log_tail(log, 3) == f"line 7 | line 8 | line 9 (full log: {log})."
    log.write_text("\n \n", encoding="utf-8")
    assert log_tail(log) == f"(nothing; log: {log})."
    assert log_tail(tmp_path / "gone.log") == "(its log could not be read)."


# -- starting, waiting, stopping ---------------------------------------------------------------------------


def test_a_real_llama_server_becomes_ready_and_stops(tmp_path: Path) -> None:
    binary = find_program("llama-server", llama_server_binary(), not_on_path=NOT_ON_PATH)
    model = write_tiny_gguf(tmp_path / "tiny-satori.gguf")
    port = free_port()
    argv = [str(binary), "--host", "127.0.0.1", "--port", str(port), "-m", str(model), "-c", "512", "-t", "1"]
    log = tmp_path / "logs" / "llama-server.log"  # the folder is made
    server = ServerProcess.start(argv, log, name="llama-server", own_process_group=True)
    try:
        assert server.wait_until_ready(f"http://127.0.0.1:{port}/health", 60.0)
        assert httpx2.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
        assert os.getpgid(server.pid) == server.pid  # its own group: Ctrl+C reaches the caller only
        assert log.read_text(encoding="utf-8").startswith(f"# {binary} --host 127.0.0.1")
    finally:
        server.stop(5.0)
    assert server.poll() is not None
    server.stop(5.0)  # again: nothing to do
    with pytest.raises(httpx2.HTTPError):
        httpx2.get(f"http://127.0.0.1:{port}/health", timeout=2)


def test_an_early_exit_is_one_sentence_with_the_last_lines() -> None:
    log = new_log_file("satori-test-")
    try:
        code = "import sys; print('loading'); print('error: out of memory', file=sys.stderr); sys.exit(3)"
        server = ServerProcess.start(python(code), log, name="frobnicate")
        with pytest.raises(UserFacingError) as caught:
            server.wait_until_ready(f"http://127.0.0.1:{free_port()}/health", 30.0)
        message = str(caught.value)
        assert message.startswith("frobnicate exited before it was ready (exit code 3); its last lines: # ")
        assert message.endswith(f"loading | error: out of memory (full log: {log}).")
        assert "\n" not in message
    finally:
        log.unlink()


def test_not_ready_in_time_stops_the_server_and_says_so(tmp_path: Path) -> None:
    log = tmp_path / "slow.log"
    code = "import time; print('still loading', flush=True); time.sleep(60)"
    server = ServerProcess.start(python(code), log, name="slow")
    wait_for_line(log, "still loading")
    with pytest.raises(UserFacingError) as caught:
        server.wait_until_ready(f"http://127.0.0.1:{free_port()}/health", 0.3)
    assert str(caught.value).startswith(
        "slow was not ready after 0.3 s (still loading?); it was stopped: its "
    )
    assert str(caught.value).endswith(f"still loading (full log: {log}).")
    assert server.poll() is not None

    server = ServerProcess.start(python("import time; time.sleep(60)"), log, name="slow")
    with pytest.raises(UserFacingError) as caught:
        server.wait_until_ready(f"http://127.0.0.1:{free_port()}/health", 0.3, timeout_advice="wait longer.")
    assert (
        str(caught.value) == "slow was not ready after 0.3 s (still loading?); it was stopped: wait longer."
    )
    assert server.poll() is not None


def test_a_stop_request_ends_the_wait_without_a_sentence(tmp_path: Path) -> None:
    server = ServerProcess.start(python("import time; time.sleep(60)"), tmp_path / "s.log", name="slow")
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    try:
        assert not server.wait_until_ready(f"http://127.0.0.1:{free_port()}/health", 30.0, stop=stop)
        assert server.poll() is None  # the caller stops it
    finally:
        server.stop(5.0)


def test_a_server_that_ignores_terminate_is_killed_after_the_grace(tmp_path: Path) -> None:
    log = tmp_path / "stubborn.log"
    code = """\
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ignoring SIGTERM", flush=True)
        time.sleep(60)
        """
    server = ServerProcess.start(python(code), log, name="stubborn")
    wait_for_line(log, "ignoring SIGTERM")
    started = time.monotonic()
    server.stop(0.5)
    assert server.poll() == -9
    assert time.monotonic() - started < 10


def test_the_environment_is_the_one_given(tmp_path: Path) -> None:
    log = tmp_path / "env.log"
    env = {**os.environ, "SATORI_TEST_KEY": "sk-in-the-environment"}
    code = "import os; print(os.environ['SATORI_TEST_KEY'])"
    server = ServerProcess.start(python(code), log, name="env", env=env)
    server.process.wait(20)
    assert "sk-in-the-environment" in log.read_text(encoding="utf-8")
    assert "sk-in-the-environment" not in log.read_text(encoding="utf-8").splitlines()[0]  # not in argv


def test_a_program_that_cannot_be_started_is_one_sentence(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-server"
    with pytest.raises(UserFacingError) as caught:
        ServerProcess.start([str(missing)], tmp_path / "x.log", name="x", advice="check --server-binary")
    assert (
        str(caught.value)
        == f"{missing} could not be started (No such file or directory); check --server-binary."
    )
    with pytest.raises(UserFacingError) as caught:
        ServerProcess.start([str(missing)], tmp_path / "x.log", name="x")
    assert str(caught.value).endswith("(No such file or directory).")


class _Recorded:
    def __init__(self, name: str, events: list[str], *, fails: bool = False) -> None:
        self.name, self.events, self.fails = name, events, fails

    def start(self) -> None:
        self.events.append(f"start {self.name}")
        if self.fails:
            raise UserFacingError(f"{self.name} did not start.")

    def stop(self) -> None:
        self.events.append(f"stop {self.name}")


def test_running_stops_every_server_it_started() -> None:
    events: list[str] = []
    with running([_Recorded("a", events), _Recorded("b", events)]) as started:
        assert [server.name for server in started] == ["a", "b"]
    assert events == ["start a", "start b", "stop a", "stop b"]

    events.clear()
    with (
        pytest.raises(UserFacingError),
        running([_Recorded("a", events), _Recorded("b", events, fails=True), _Recorded("c", events)]),
    ):
        pass
    assert events == ["start a", "start b", "stop a"]


def test_secret_options_never_reach_the_log_line() -> None:
    from satori_desktop.engine.server_process import format_command

    line = format_command(["llama-server", "--api-key", "sk-1", "--api-key=sk-2", "-m", "a model.gguf"])
    assert line == "llama-server --api-key *** --api-key=*** -m 'a model.gguf'"
