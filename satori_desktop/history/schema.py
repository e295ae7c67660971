"""The history file's schema, its migrations, and how a connection to it is opened.

The schema version is SQLite's `PRAGMA user_version`. `MIGRATIONS[i]` takes a file from version `i` to
`i + 1`; a new file runs them all. Each step runs in one transaction with the version bump, so a file is
never left half-migrated. A step never changes once released: a change to the schema is a new step at
the end of the list (and a test that opens a file of the previous version).

Why the settings on each connection:
- WAL lets readers (the sidebar, search, a second window) run while the writer thread writes.
- `synchronous=FULL` makes each checkpoint durable on commit, so a power cut (not only a killed process)
  loses at most one checkpoint interval of a streamed solution. It costs one fsync per checkpoint.
- The busy timeout lets two app instances take turns at the write lock (all transactions are short).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from satori_desktop.history.records import parsed_fields

BUSY_TIMEOUT_S = 5.0
SQLITE_HEADER = b"SQLite format 3\x00"


def _v1_conversations_and_turns(conn: sqlite3.Connection) -> None:
    # One statement per execute(): executescript() would commit the migration's transaction.
    conn.execute(
        """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids outlive deletes (Undo, the CLI)
            title TEXT NOT NULL DEFAULT '',      -- '' until the first question gives it one
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            deleted_at REAL                      -- set by delete(), cleared by restore(); purged later
        )
        """
    )
    conn.execute(
        "CREATE INDEX conversations_recent ON conversations (updated_at DESC) WHERE deleted_at IS NULL"
    )
    conn.execute(
        """
        CREATE TABLE turns (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids outlive deletes (Undo, the CLI)
            conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            question TEXT NOT NULL,
            output TEXT NOT NULL DEFAULT '',     -- raw model output, meta tokens as text
            steps_json TEXT,                     -- parsed steps, stored when the turn ends
            answer TEXT,
            finish_reason TEXT,                  -- NULL while streaming
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
            owner_pid INTEGER,                   -- the process streaming it, and that process's start
            owner_started REAL,                  -- time (so a reused pid is not taken for it)
            UNIQUE (conversation_id, position)
        )
        """
    )
    conn.execute("CREATE INDEX turns_unfinished ON turns (id) WHERE finish_reason IS NULL")


def _v2_full_text_search(conn: sqlite3.Connection) -> None:
    # Trigram: substring search that works for Chinese (no word boundaries) as well as English.
    conn.execute(
        "CREATE VIRTUAL TABLE turn_search USING fts5(question, answer, solution, tokenize = 'trigram')"
    )
    conn.execute(
        "CREATE TRIGGER turn_search_delete AFTER DELETE ON turns "
        "BEGIN DELETE FROM turn_search WHERE rowid = old.id; END"
    )
    rows = conn.execute("SELECT id, question, output, finish_reason FROM turns").fetchall()
    for turn_id, question, output, finish_reason in rows:
        _, answer, solution = parsed_fields(output) if finish_reason is not None else ("", None, "")
        conn.execute(
            "INSERT INTO turn_search (rowid, question, answer, solution) VALUES (?, ?, ?, ?)",
            (turn_id, question, answer or "", solution),
        )


def _v3_tutor_mode(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE conversations ADD COLUMN tutor_mode INTEGER NOT NULL DEFAULT 0")


def _v4_turn_tutoring(conn: sqlite3.Connection) -> None:
    # What the student revealed of a tutored answer and their answer checks (core.tutor.TutorRecord as
    # JSON): one value per turn, read and written whole, never queried inside.
    conn.execute("ALTER TABLE turns ADD COLUMN tutor_json TEXT")


def _v5_turn_samples(conn: sqlite3.Connection) -> None:
    # Every solution of a "solve several times" turn (core.samples.SamplesRecord as JSON); the turn's
    # output is the chosen one.
    conn.execute("ALTER TABLE turns ADD COLUMN samples_json TEXT")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1_conversations_and_turns,
    _v2_full_text_search,
    _v3_tutor_mode,
    _v4_turn_tutoring,
    _v5_turn_samples,
)
SCHEMA_VERSION = len(MIGRATIONS)


class NewerSchemaError(Exception):
    """The file was written by a newer version of the app than this one."""

    def __init__(self, version: int) -> None:
        super().__init__(f"schema version {version} is newer than {SCHEMA_VERSION}")
        self.version = version


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit: `BEGIN IMMEDIATE` for writes).

    A read-only one (`mode=ro`) never writes to the file, not even the WAL checkpoint that the last
    writable connection to close does."""
    if read_only:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(
            uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file to SCHEMA_VERSION; returns the version it had. Safe with two processes at once."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(version)  # before anything is written to it
    # WAL is a property of the file, kept once set (this is a no-op then); not allowed in a transaction.
    conn.execute("PRAGMA journal_mode = WAL")
    if version == SCHEMA_VERSION:
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another instance may have migrated while this one waited for the lock.
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            raise NewerSchemaError(found)
        for step in MIGRATIONS[found:]:
            step(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def has_sqlite_header(path: Path) -> bool:
    """False for a file that is not empty and does not start as a SQLite database does."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return True
    return head == b"" or head == SQLITE_HEADER


def is_corruption(exc: sqlite3.Error) -> bool:
    """Whether an error means the file is damaged (not busy, not a full disk, not a missing folder)."""
    name = getattr(exc, "sqlite_errorname", None)  # Python >= 3.11
    if name is not None:
        return str(name).startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    # Python 3.10: damaged files raise the base DatabaseError; busy, full and I/O errors are Operational.
    return type(exc) is sqlite3.DatabaseError


def check_integrity(conn: sqlite3.Connection) -> list[str]:
    """The problems `PRAGMA quick_check` finds (empty when the file is sound)."""
    rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check(10)")]
    return [] if rows == ["ok"] else rows
