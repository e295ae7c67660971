"""Schema versions: a file of every earlier version opens with the current code and keeps its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.history import INTERRUPTED, HistoryStore
from satori_desktop.history.schema import MIGRATIONS, SCHEMA_VERSION

# Version 1 exactly as it was released; never edit it (a change to the schema is a new migration).
V1_SCHEMA = [
    """CREATE TABLE conversations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        deleted_at REAL
    )""",
    "CREATE INDEX conversations_recent ON conversations (updated_at DESC) WHERE deleted_at IS NULL",
    """CREATE TABLE turns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        question TEXT NOT NULL,
        output TEXT NOT NULL DEFAULT '',
        steps_json TEXT,
        answer TEXT,
        finish_reason TEXT,
        error TEXT,
        model_file TEXT,
        model_sha256 TEXT,
        settings_json TEXT NOT NULL DEFAULT '{}',
        prompt_tokens INTEGER,
        reused_prompt_tokens INTEGER,
        generated_tokens INTEGER,
        ttft_s REAL,
        decode_tok_s REAL,
        elapsed_s REAL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        owner_pid INTEGER,
        owner_started REAL,
        UNIQUE (conversation_id, position)
    )""",
    "CREATE INDEX turns_unfinished ON turns (id) WHERE finish_reason IS NULL",
]


def _write_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    for statement in V1_SCHEMA:
        conn.execute(statement)
    conn.execute("INSERT INTO conversations VALUES (1, '二次方程 homework', 100.0, 200.0, NULL)")
    conn.execute(
        "INSERT INTO turns (conversation_id, position, question, output, steps_json, answer, finish_reason, "
        "settings_json, created_at, updated_at) VALUES (1, 0, '解二次方程 x^2 = 4', "
        "'So $x = \\pm 2$.<|continue|>\nTherefore: $\\boxed{\\pm 2}$.', "
        '\'[{"action": "start", "text": "So $x = \\\\pm 2$."}]\', \'\\pm 2\', \'stop\', '
        "'{\"temperature\": 0}', 110.0, 120.0)"
    )
    # A turn whose app died while it streamed (its process is long gone).
    conn.execute(
        "INSERT INTO turns (conversation_id, position, question, output, created_at, updated_at, "
        "owner_pid, owner_started) "
        "VALUES (1, 1, 'And the cube root of 27?', 'The cube root is', 130.0, 131.0, 999999, 1.0)"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_a_version_1_file_opens_with_its_data_searchable(history_file: Path) -> None:
    _write_v1(history_file)
    with HistoryStore(history_file) as store:
        conn = sqlite3.connect(history_file)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.close()
        (summary,) = store.list_conversations()
        assert summary.title == "二次方程 homework" and summary.turn_count == 2 and not summary.tutor_mode
        conversation = store.get_conversation(1)
        assert conversation is not None
        done, unfinished = conversation.turns
        assert done.answer == "\\pm 2" and done.settings == {"temperature": 0}
        assert unfinished.finish_reason == INTERRUPTED and unfinished.output == "The cube root is"
        assert store.recovered_turn_ids == (unfinished.id,)
        # Version 2 indexed what version 1 had.
        assert [h.turn_id for h in store.search("二次方程 x^2")] == [done.id]
        assert [h.turn_id for h in store.search("cube root")] == [unfinished.id]
        assert [h.turn_id for h in store.search("continue")] == []  # step text, not the meta tokens
        assert [h.turn_id for h in store.search("pm 2")] == [done.id]
        # And it takes new turns like any file.
        recorder = store.begin_turn(1, "Next?")
        recorder.finish("stop", text="$\\boxed{3}$")
        assert recorder.wait_saved(10)
        assert store.set_tutor_mode(1, True)


def _schema_of(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name").fetchall()
    conn.close()
    return rows


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_every_older_version_migrates_to_the_same_schema_as_a_new_file(tmp_path: Path, version: int) -> None:
    old = tmp_path / f"v{version}.sqlite3"
    conn = sqlite3.connect(old, isolation_level=None)
    for step in MIGRATIONS[:version]:
        step(conn)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    HistoryStore(old).close()
    fresh = tmp_path / "fresh.sqlite3"
    HistoryStore(fresh).close()
    assert _schema_of(old) == _schema_of(fresh)


def test_a_file_from_a_newer_app_is_left_alone(history_file: Path) -> None:
    conn = sqlite3.connect(history_file)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    before = history_file.read_bytes()
    with pytest.raises(UserFacingError, match="newer version of Satori Desktop"):
        HistoryStore(history_file)
    assert history_file.read_bytes() == before
    assert list(history_file.parent.iterdir()) == [history_file]
