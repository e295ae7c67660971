"""The integrity check at open is skipped only for a file exactly as a clean close left it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from satori_desktop.history import HistoryStore


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".clean")


def _one_answer(store: HistoryStore) -> None:
    recorder = store.begin_turn(store.create_conversation(), "1+1?")
    recorder.append("It is $\\boxed{2}$.")
    recorder.finish("stop")
    assert recorder.wait_saved(10)


def test_a_clean_close_records_the_file_as_it_was_left(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        _one_answer(store)
    stat = path.stat()
    assert json.loads(_marker(path).read_text()) == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    with HistoryStore(path) as store:  # opened without the full check, and everything is there
        assert store.notice is None and len(store.list_conversations()) == 1


def test_a_file_written_after_the_clean_close_is_checked_again(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        for _ in range(30):
            _one_answer(store)
    data = bytearray(path.read_bytes())
    page = 4096
    data[4 * page : 5 * page] = os.urandom(page)  # damage only the full check finds
    path.write_bytes(bytes(data))
    with HistoryStore(path) as store:
        assert store.notice is not None and "damaged" in store.notice
        assert store.list_conversations() == []


def test_no_record_while_another_instance_still_has_the_file_open(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    first = HistoryStore(path)
    second = HistoryStore(path)
    _one_answer(second)
    first.close()
    assert not _marker(path).exists()  # the other one is still writing
    second.close()
    assert _marker(path).exists()
