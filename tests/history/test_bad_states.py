"""Bad states on real files: a damaged file is moved aside (bytes kept), a full disk does not stop the
stream, and two app instances write to the same file at once."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.scripted import synthetic_trace
from satori_desktop.history import HistoryStore
from tests.history.conftest import FAST_INTERVAL_S
from tests.history.support import integrity, record

ROOT = Path(__file__).resolve().parents[2]
PAGE = 4096


def _filled_file(path: Path) -> None:
    with HistoryStore(path) as store:
        for i in range(20):
            record(store, store.create_conversation(), f"question {i}", synthetic_trace(300, seed=i))


def _assert_moved_aside(store: HistoryStore, path: Path, original: bytes) -> None:
    assert store.notice is not None
    moved = [p for p in path.parent.iterdir() if ".damaged-" in p.name and p.suffix == ".sqlite3"]
    assert len(moved) == 1, list(path.parent.iterdir())
    assert moved[0].read_bytes() == original  # never deleted, not a byte changed
    assert str(moved[0]) in store.notice and store.notice.count(".") <= 3  # one sentence naming it
    assert store.notice.startswith("The history file could not be read (it is damaged)")
    # A new, empty history works.
    assert store.list_conversations() == []
    record(store, store.create_conversation(), "fresh start", "$\\boxed{1}$")
    assert integrity(path) == "ok"


@pytest.mark.parametrize(
    "damage",
    ["not a database", "garbage header", "garbage schema page", "garbage table page"],
)
def test_a_damaged_file_is_moved_aside_and_a_new_one_starts(
    history_file: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    if damage == "not a database":
        history_file.write_bytes(os.urandom(3 * PAGE))
    else:
        _filled_file(history_file)
        data = bytearray(history_file.read_bytes())
        if damage == "garbage header":
            data[:16] = b"Not SQLite at al"
        elif damage == "garbage schema page":
            data[100:PAGE] = os.urandom(PAGE - 100)
        else:  # the header and schema read fine; PRAGMA quick_check finds it
            data[4 * PAGE : 5 * PAGE] = os.urandom(PAGE)
        history_file.write_bytes(bytes(data))
    original = history_file.read_bytes()
    with caplog.at_level(logging.WARNING), HistoryStore(history_file) as store:
        _assert_moved_aside(store, history_file, original)
    assert any("damaged" in r.getMessage() for r in caplog.records)


def test_the_wal_of_a_damaged_file_moves_with_it(history_file: Path) -> None:
    _filled_file(history_file)
    data = bytearray(history_file.read_bytes())
    data[4 * PAGE : 5 * PAGE] = os.urandom(PAGE)
    history_file.write_bytes(bytes(data))
    wal = history_file.with_name(history_file.name + "-wal")
    wal.write_bytes(b"left by a crash")
    with HistoryStore(history_file) as store:
        assert store.notice is not None
        moved = Path(store.notice.split(" moved to ")[1].split(" and a new")[0])
        assert moved.with_name(moved.name + "-wal").read_bytes() == b"left by a crash"


def test_a_sqlite_file_that_is_not_a_history_is_moved_aside(history_file: Path) -> None:
    conn = sqlite3.connect(history_file)
    conn.execute("CREATE TABLE someone_elses (data)")
    conn.commit()
    conn.close()
    original = history_file.read_bytes()
    with HistoryStore(history_file) as store:
        _assert_moved_aside(store, history_file, original)


def test_an_empty_file_is_simply_a_new_history(history_file: Path) -> None:
    history_file.write_bytes(b"")
    with HistoryStore(history_file) as store:
        assert store.notice is None
        store.create_conversation()


def test_a_history_folder_that_cannot_be_made_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(UserFacingError, match="could not be created"):
        HistoryStore(blocker / "history.sqlite3")


def test_full_disk_while_streaming_is_one_sentence_and_the_stream_goes_on(
    store: HistoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    sentences: list[str | None] = []
    conversation_id = store.create_conversation()

    def on_error(sentence: str | None) -> None:  # called on the writer thread, may use the store
        sentences.append(sentence)
        store.set_tutor_mode(conversation_id, sentence is not None)

    store._on_error = on_error
    recorder = store.begin_turn(conversation_id, "A long answer on a full disk")
    recorder.append("saved before the disk fills. ")
    assert recorder.wait_saved(10)
    # SQLite's page limit makes the file hit SQLITE_FULL for real, as a full disk does.
    pages = store._writer.call(lambda conn: conn.execute("PRAGMA page_count").fetchone()[0])
    store._writer.call(lambda conn: conn.execute(f"PRAGMA max_page_count = {pages + 1}"))
    text = synthetic_trace(3000)
    with caplog.at_level(logging.WARNING):
        for piece in text.split(" "):
            recorder.append(piece + " ")  # never raises, never waits
        assert not store.flush(10)
        assert not store.flush(10)  # retried at each checkpoint, still full
    assert store.last_error is not None and store.last_error.startswith("The disk is full")
    assert sentences == [store.last_error]  # told once, not at every retry
    assert any("disk is full" in r.getMessage() for r in caplog.records)
    assert store.list_conversations()[0].tutor_mode  # the callback's own write went through
    turn = store.get_turn(recorder.turn_id or 0)
    assert turn is not None and turn.output == "saved before the disk fills. "

    # Space comes back: the text kept in memory is saved at the next checkpoint.
    store._writer.call(lambda conn: conn.execute("PRAGMA max_page_count = 1073741823"))
    assert store.flush(10)
    assert store.last_error is None and sentences[-1] is None
    recorder.finish("stop")
    assert recorder.wait_saved(10)
    turn = store.get_turn(recorder.turn_id or 0)
    expected = "saved before the disk fills. " + "".join(piece + " " for piece in text.split(" "))
    assert turn is not None and turn.output == expected and turn.finish_reason == "stop"


def test_full_disk_for_a_short_write_is_a_user_facing_error(store: HistoryStore) -> None:
    pages = store._writer.call(lambda conn: conn.execute("PRAGMA page_count").fetchone()[0])
    store._writer.call(lambda conn: conn.execute(f"PRAGMA max_page_count = {pages}"))
    conversation_id = store.create_conversation("x" * 10)  # fits in the page that is there
    with pytest.raises(UserFacingError, match="the disk is full"):
        store.rename(conversation_id, "y" * 20_000)


def test_a_really_full_disk_then_space_freed(small_tmpfs: Path) -> None:
    path = small_tmpfs / "history.sqlite3"
    store = HistoryStore(path, checkpoint_interval_s=FAST_INTERVAL_S)
    try:
        conversation_id = store.create_conversation()
        recorder = store.begin_turn(conversation_id, "On a small disk")
        recorder.append("before. ")
        assert recorder.wait_saved(10)
        filler = small_tmpfs / "someone-elses-file"
        with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
            for _ in range(1024):
                handle.write(b"\0" * 1024)
        text = synthetic_trace(4000)  # ~16 kB: more than the space left
        recorder.append(text)
        assert not store.flush(10)
        assert store.last_error is not None and "disk is full" in store.last_error
        assert str(small_tmpfs) in store.last_error
        filler.unlink()
        assert store.flush(10)
        assert store.last_error is None
        recorder.finish("stop")
        assert recorder.wait_saved(10)
        turn = store.get_turn(recorder.turn_id or 0)
        assert turn is not None and turn.output == "before. " + text
    finally:
        store.close()
    assert integrity(path) == "ok"


def test_two_processes_write_at_the_same_time(history_file: Path) -> None:
    HistoryStore(history_file).close()  # both find the schema made (they would also race to make it)
    command = [sys.executable, "-m", "tests.history.child", "busy", "--file", str(history_file)]
    children = [
        subprocess.Popen(
            [*command, "--name", name, "--conversations", "15", "--interval", "0.01"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("alpha", "beta")
    ]
    # This process reads while they write, as a third window would.
    with HistoryStore(history_file) as reader:
        while any(child.poll() is None for child in children):
            reader.list_conversations()
            reader.search("piece")
    reports = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        reports.append(json.loads(out))
    assert all(r["flushed"] and r["error"] is None for r in reports)
    alpha, beta = reports
    assert alpha["began"] < beta["ended"] and beta["began"] < alpha["ended"], "they did not overlap"
    with HistoryStore(history_file) as store:
        titles = {s.id: s.title for s in store.list_conversations(limit=100)}
        for name, report in zip(("alpha", "beta"), reports, strict=True):
            assert [titles[i] for i in report["ids"]] == [f"{name} {n}" for n in range(15)]
            conversation = store.get_conversation(report["ids"][-1])
            assert conversation is not None
            (turn,) = conversation.turns
            assert turn.finish_reason == "stop" and turn.output.count(f"{name} piece") == 40
        assert len(titles) == 30
        assert len(store.search("alpha piece", limit=100)) == 15
    assert integrity(history_file) == "ok"
