"""Helpers the history tests share."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from satori_desktop.history import HistoryStore


def record(
    store: HistoryStore, conversation_id: int, question: str, output: str, finish_reason: str = "stop"
) -> int:
    """One finished turn, saved before returning; its id."""
    recorder = store.begin_turn(conversation_id, question)
    recorder.append(output)
    recorder.finish(finish_reason)
    assert recorder.wait_saved(10)
    turn_id = recorder.turn_id
    assert turn_id is not None
    return turn_id


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()
