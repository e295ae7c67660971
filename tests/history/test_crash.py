"""THE crash test: a process streaming a solution into the history is killed with SIGKILL mid-stream.

The child (`tests.history.child stream`) replays a scripted COAT solution through the scripted engine at
300 tokens/s into a `TurnRecorder` with the app's real checkpoint interval, printing after every piece
how many characters it has handed over and when (on the system-wide monotonic clock). After the kill the
store is opened again, as the next start of the app would: the unfinished turn is there, marked
interrupted, with every character handed over up to 2 seconds before the kill, and the file is sound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from satori_desktop.engine.scripted import synthetic_trace
from satori_desktop.history import INTERRUPTED, HistoryStore
from tests.history.child import STREAM_QUESTION
from tests.history.support import integrity

ROOT = Path(__file__).resolve().parents[2]
PROMISE_S = 2.0  # at most this much text may be lost
TOKENS = 4000


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_stream_loses_at_most_two_seconds_of_text(history_file: Path) -> None:
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.history.child",
            "stream",
            "--file",
            str(history_file),
            "--rate",
            "300",
            "--tokens",
            str(TOKENS),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    handed: list[tuple[float, int]] = []
    try:
        first = child.stdout.readline()
        assert first.startswith("conversation "), first + child.stderr.read() if child.stderr else ""
        # Kill it 3.5 s into the stream (a bit over three checkpoints), at no particular moment. Halfway,
        # open the store here as a second window would: a turn another live process streams is not
        # taken for an interrupted one.
        looked = False
        while True:
            line = child.stdout.readline()
            assert line.startswith("handed "), line
            _, at, count = line.split()
            handed.append((float(at), int(count)))
            if not looked and handed[-1][0] - handed[0][0] >= 1.5:
                looked = True
                with HistoryStore(history_file) as second_window:
                    assert second_window.recovered_turn_ids == ()
                    (live,) = second_window.list_conversations()
                    assert live.turn_count == 1 and live.last_finish_reason is None
            if handed[-1][0] - handed[0][0] >= 3.5:
                break
        os.kill(child.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        rest, _ = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    for line in rest.splitlines():  # lines written before the kill, still in the pipe
        if line.startswith("handed "):
            _, at, count = line.split()
            handed.append((float(at), int(count)))
    assert "done" not in rest, "the stream finished before the kill"

    promised = max((count for at, count in handed if at <= killed_at - PROMISE_S), default=0)
    handed_total = handed[-1][1]
    assert promised > 0

    with HistoryStore(history_file) as store:
        (summary,) = store.list_conversations()
        assert summary.last_finish_reason == INTERRUPTED
        conversation = store.get_conversation(summary.id)
        assert conversation is not None
        (turn,) = conversation.turns
        assert store.recovered_turn_ids == (turn.id,)
    assert turn.question == STREAM_QUESTION and turn.finish_reason == INTERRUPTED
    assert turn.model_file == "scripted.gguf"
    saved = len(turn.output)
    # Everything up to 2 s before the kill, never more than was handed over, and exactly that text.
    assert promised <= saved <= handed_total, (promised, saved, handed_total)
    assert synthetic_trace(TOKENS).startswith(turn.output)
    assert turn.steps and turn.steps[0]["action"] == "start"  # parsed for the window to render
    assert integrity(history_file) == "ok"
    # How much was lost, for whoever reads the log of the test run.
    lost_s = killed_at - max((at for at, count in handed if count <= saved), default=killed_at)
    print(f"saved {saved} of {handed_total} characters handed over; the last {lost_s:.2f} s were lost")
