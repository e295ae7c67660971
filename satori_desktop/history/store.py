"""The conversation history: one SQLite file in the data folder, read by the sidebar, the CLI and search.

`HistoryStore` is the whole interface. Reads (`list_conversations`, `get_conversation`, `search`) run on
the calling thread, each thread with its own read-only connection; in WAL mode they never wait for the
writer. Every write goes through the store's one writer thread (`history.writer`): short ones
(`create_conversation`, `rename`, `delete` ...) wait for their one transaction, and a streamed answer is
recorded through a `TurnRecorder` (`begin_turn`) that never makes its caller wait.

What happens in bad states, each told in one sentence:
- A damaged file (not a database, a garbage header, `PRAGMA quick_check` failing) is renamed with a
  timestamp next to where it was, never deleted; a new history starts, and `notice` says where the old
  one went. The quick check reads the whole file (about 0.1 s per 10,000 conversations, most of a cold
  start's history cost), so it is skipped when the file is exactly as this app left it at a clean
  close: same size and modification time as recorded then (`.clean` beside it), no WAL left. Anything
  that wrote the file since (a crash, another program, a test's damage) changes that and the check runs.
- A write that fails (a full disk) is reported through `on_error` / `last_error`; the answer stays in
  memory and the write is tried again at each checkpoint, so the stream goes on.
- Two app instances at once both work: WAL, a busy timeout and short transactions. A turn is only
  marked interrupted at start-up when the process that was streaming it is gone.
- Anything the caller must be told otherwise is a `UserFacingError`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import psutil

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.paths import data_dir
from satori_desktop.core.samples import SamplesRecord
from satori_desktop.core.tutor import TutorRecord
from satori_desktop.history.recorder import TurnRecorder, TurnStart
from satori_desktop.history.records import (
    INTERRUPTED,
    UNTITLED,
    Conversation,
    ConversationSummary,
    SearchHit,
    Turn,
    default_title,
    parsed_fields,
    stored_trace,
)
from satori_desktop.history.schema import (
    NewerSchemaError,
    check_integrity,
    connect,
    has_sqlite_header,
    is_corruption,
    migrate,
)
from satori_desktop.history.search import like_pattern, make_snippet, parse_query
from satori_desktop.history.writer import CHECKPOINT_INTERVAL_S, Writer

log = logging.getLogger(__name__)

FILE_NAME = "history.sqlite3"
# A deleted conversation can be restored until it is purged: when the store that deleted it closes, or
# at the next start once it was deleted this long ago (so another window's Undo still works meanwhile).
PURGE_AFTER_S = 60.0

ErrorCallback = Callable[[str | None], None]


def default_path() -> Path:
    return data_dir() / FILE_NAME


class _DamagedFile(Exception):
    pass


def _process_identity(pid: int | None = None) -> tuple[int, float] | None:
    """A process's id and start time, which together name it even after the id is reused."""
    try:
        process = psutil.Process(pid)
        return process.pid, process.create_time()
    except (psutil.Error, OSError):
        return None


class HistoryStore:
    """Conversations and their turns in `path` (default: `history.sqlite3` in the data folder).

    `on_error(sentence)` is called on the writer thread when saving a streamed answer fails, and
    `on_error(None)` once saving works again (a GUI forwards both through a queued signal);
    `last_error` holds the current sentence. `notice` is the sentence to show once after opening, when
    a damaged file had to be moved aside. `recovered_turn_ids` are the turns this start marked
    interrupted (their app was killed while they streamed).
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        on_error: ErrorCallback | None = None,
        checkpoint_interval_s: float = CHECKPOINT_INTERVAL_S,
    ) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.notice: str | None = None
        self.last_error: str | None = None
        self._on_error = on_error
        identity = _process_identity()
        self._owner = identity if identity is not None else (0, 0.0)
        self._deleted_here: set[int] = set()
        self._readers = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserFacingError(
                f"The history folder {self.path.parent} could not be created ({exc.strerror})."
            ) from None
        conn = self._open_write_connection()
        self.recovered_turn_ids: tuple[int, ...] = ()
        try:
            self.recovered_turn_ids = self._recover_interrupted(conn)
            self._purge(conn, time.time() - PURGE_AFTER_S)
        except sqlite3.Error as exc:
            # A full disk or a long lock: the history still opens; the next start tries again.
            log.warning("history: interrupted turns not marked, deleted ones not purged: %s", exc)
        self._writer = Writer(
            conn, self.path, owner=self._owner, interval_s=checkpoint_interval_s, report=self._on_write_report
        )
        self._writer.start()

    # Opening.

    def _open_write_connection(self) -> sqlite3.Connection:
        try:
            return self._open_checked()
        except _DamagedFile as damaged:
            log.warning("history file %s is damaged (%s): moving it aside", self.path, damaged)
            moved = self._move_aside()
            self.notice = (
                f"The history file could not be read (it is damaged), so it was moved to {moved} and a "
                "new, empty history was started."
            )
            log.warning("%s", self.notice)
            return self._open_checked()

    def _open_checked(self) -> sqlite3.Connection:
        self._check_file()
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.path)
            migrate(conn)
            return conn
        except NewerSchemaError as exc:
            self._close_quietly(conn)
            raise UserFacingError(
                f"The history file {self.path} was written by a newer version of Satori Desktop "
                f"(schema {exc.version}); update the app to open it."
            ) from None
        except sqlite3.Error as exc:
            self._close_quietly(conn)
            if is_corruption(exc):
                raise _DamagedFile(str(exc)) from exc
            raise self._cannot_open(exc) from None

    def _check_file(self) -> None:
        """Raise _DamagedFile when the file is not a sound history. Read-only, so a damaged file (and
        its WAL) is moved aside exactly as it was found: a writable connection would checkpoint or
        reset the WAL when it closes."""
        if not has_sqlite_header(self.path):
            raise _DamagedFile("the file does not start as a SQLite database does")
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        verify = not self._unchanged_since_clean_close()
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.path, read_only=True)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
            if version == 0 and tables:
                raise _DamagedFile("a SQLite file, but not a history (no schema version)")
            problems = check_integrity(conn) if verify else []
            if problems:
                raise _DamagedFile("; ".join(problems))
        except sqlite3.Error as exc:
            if is_corruption(exc):
                raise _DamagedFile(str(exc)) from exc
            raise self._cannot_open(exc) from None
        finally:
            self._close_quietly(conn)

    def _clean_marker(self) -> Path:
        return self.path.with_name(self.path.name + ".clean")

    def _unchanged_since_clean_close(self) -> bool:
        try:
            recorded = json.loads(self._clean_marker().read_text(encoding="utf-8"))
            stat = self.path.stat()
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                return False
        except (OSError, ValueError):
            return False
        return isinstance(recorded, dict) and recorded == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}

    def _remember_clean_close(self) -> None:
        """After a clean close (every connection closed, the WAL folded in) the file is as we left it."""
        wal = self.path.with_name(self.path.name + "-wal")
        try:
            if wal.exists() and wal.stat().st_size > 0:
                return  # another instance still has it open: its writes will follow
            stat = self.path.stat()
            self._clean_marker().write_text(
                json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}), encoding="utf-8"
            )
        except OSError as exc:
            log.info("could not note the history's clean close: %s", exc)

    @staticmethod
    def _close_quietly(conn: sqlite3.Connection | None) -> None:
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _cannot_open(self, exc: sqlite3.Error) -> UserFacingError:
        return UserFacingError(
            f"The history file {self.path} could not be opened ({exc}); check that its folder is writable."
        )

    def _move_aside(self) -> Path:
        """Rename the damaged file (and its WAL and shared-memory files) with a timestamp; never delete."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(1, 1000):
            suffix = f".damaged-{stamp}" + (f"-{n}" if n > 1 else "")
            target = self.path.with_name(self.path.stem + suffix + self.path.suffix)
            if not target.exists():
                break
        try:
            for extra in ("-wal", "-shm", ""):  # the database last: a crash midway leaves it in place
                source = self.path.with_name(self.path.name + extra)
                if source.exists():
                    source.rename(target.with_name(target.name + extra))
        except OSError as exc:
            raise UserFacingError(
                f"The history file {self.path} is damaged and could not be moved aside ({exc.strerror}); "
                "move it elsewhere yourself and start the app again."
            ) from None
        return target

    def _recover_interrupted(self, conn: sqlite3.Connection) -> tuple[int, ...]:
        """Mark interrupted the turns whose streaming process is gone (killed, or a power cut)."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = conn.execute(
                "SELECT id, output, owner_pid, owner_started FROM turns WHERE finish_reason IS NULL"
            ).fetchall()
            recovered = []
            for turn_id, output, pid, started in rows:
                if self._owner_alive(pid, started):
                    continue  # another window of the app is streaming it right now
                steps_json, answer, solution = parsed_fields(output)
                conn.execute(
                    "UPDATE turns SET finish_reason = ?, steps_json = ?, answer = ?, owner_pid = NULL, "
                    "owner_started = NULL WHERE id = ?",
                    (INTERRUPTED, steps_json, answer, turn_id),
                )
                conn.execute(
                    "UPDATE turn_search SET answer = ?, solution = ? WHERE rowid = ?",
                    (answer or "", solution, turn_id),
                )
                recovered.append(int(turn_id))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if recovered:
            log.info("marked %d unfinished turn(s) interrupted: %s", len(recovered), recovered)
        return tuple(recovered)

    def _owner_alive(self, pid: int | None, started: float | None) -> bool:
        if pid is None or started is None:
            return False
        if (pid, started) == self._owner:
            return True
        identity = _process_identity(pid)
        return identity is not None and abs(identity[1] - started) < 1.0

    @staticmethod
    def _purge(conn: sqlite3.Connection, deleted_before: float) -> int:
        cursor = conn.execute(
            "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?", (deleted_before,)
        )
        return cursor.rowcount

    # Writing.

    def create_conversation(self, title: str | None = None, *, tutor_mode: bool = False) -> int:
        """A new, empty conversation; without a title it takes its first question's."""
        name = (title or "").strip()

        def create(conn: sqlite3.Connection) -> int:
            now = time.time()
            cursor = conn.execute(
                "INSERT INTO conversations (title, created_at, updated_at, tutor_mode) VALUES (?, ?, ?, ?)",
                (name, now, now, int(tutor_mode)),
            )
            return int(cursor.lastrowid or 0)

        return int(self._write(create, "create the conversation"))

    def rename(self, conversation_id: int, title: str) -> bool:
        """Rename; an empty title goes back to the first question. False if there is no such one."""
        name = title.strip()

        def rename(conn: sqlite3.Connection) -> bool:
            new = name
            if not new:
                row = conn.execute(
                    "SELECT question FROM turns WHERE conversation_id = ? ORDER BY position LIMIT 1",
                    (conversation_id,),
                ).fetchone()
                new = default_title(row[0]) if row else ""
            cursor = conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ? AND deleted_at IS NULL",
                (new, conversation_id),
            )
            return cursor.rowcount > 0

        return bool(self._write(rename, "rename the conversation"))

    def set_tutor_mode(self, conversation_id: int, enabled: bool) -> bool:
        def update(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE conversations SET tutor_mode = ? WHERE id = ?", (int(enabled), conversation_id)
            )
            return cursor.rowcount > 0

        return bool(self._write(update, "change the conversation"))

    def save_tutoring(self, turn: int | TurnRecorder, record: TutorRecord) -> bool:
        """Keep what was revealed of a turn and its answer checks. `turn` is a stored turn's id, or the
        recorder of one this window is recording: its row exists by the time this runs, because the
        writer inserts a new turn in the same pass that takes it in, before it runs any later job.
        False when there is no such turn (deleted, or a recording that could not be saved)."""
        return self._save_turn_json(turn, "tutor_json", record.to_json(), "save what was revealed")

    def save_samples(self, turn: int | TurnRecorder, record: SamplesRecord) -> bool:
        """Keep every solution of a "solve several times" turn (a turn id, or the recorder recording it:
        see save_tutoring). False when there is no such turn."""
        return self._save_turn_json(turn, "samples_json", record.to_json(), "save the solutions")

    def _save_turn_json(
        self, turn: int | TurnRecorder, column: Literal["tutor_json", "samples_json"], payload: str, what: str
    ) -> bool:
        def update(conn: sqlite3.Connection) -> bool:
            turn_id = turn if isinstance(turn, int) else turn.turn_id
            if turn_id is None:
                return False
            cursor = conn.execute(f"UPDATE turns SET {column} = ? WHERE id = ?", (payload, turn_id))
            return cursor.rowcount > 0

        return bool(self._write(update, what))

    def delete(self, conversation_id: int, *, permanent: bool = False) -> bool:
        """Delete a conversation. It can be `restore`d (Undo) until purged (see PURGE_AFTER_S), unless
        `permanent` (the CLI, which has no Undo). False if there was no such conversation."""

        def delete(conn: sqlite3.Connection) -> bool:
            if permanent:
                cursor = conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            else:
                cursor = conn.execute(
                    "UPDATE conversations SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                    (time.time(), conversation_id),
                )
            return cursor.rowcount > 0

        deleted = bool(self._write(delete, "delete the conversation"))
        if deleted and not permanent:
            self._deleted_here.add(conversation_id)
        return deleted

    def restore(self, conversation_id: int) -> bool:
        """Undo a `delete`; False when it is no longer there to restore."""

        def restore(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE conversations SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL",
                (conversation_id,),
            )
            return cursor.rowcount > 0

        restored = bool(self._write(restore, "restore the conversation"))
        self._deleted_here.discard(conversation_id)
        return restored

    def purge_deleted(self, older_than_s: float = 0.0) -> int:
        """Remove for good the conversations deleted at least `older_than_s` ago; returns how many."""
        cutoff = time.time() - older_than_s
        return int(self._write(lambda conn: self._purge(conn, cutoff), "remove deleted conversations"))

    def begin_turn(
        self,
        conversation_id: int,
        question: str,
        *,
        model_file: str | Path | None = None,
        model_sha256: str | None = None,
        settings: Mapping[str, Any] | None = None,
        replacing_turn_id: int | None = None,
    ) -> TurnRecorder:
        """Start recording an answer to `question`; returns at once (the writer inserts the turn).

        `model_file` is stored by name; `settings` (temperature, max tokens, n_ctx ...) as JSON.
        `replacing_turn_id` is for Retry: the new turn takes that turn's place in the conversation.
        """
        if self._closed:
            raise RuntimeError("the history store is closed")
        start = TurnStart(
            conversation_id=conversation_id,
            question=question,
            model_file=Path(model_file).name if model_file is not None else None,
            model_sha256=model_sha256,
            settings_json=json.dumps(dict(settings or {}), sort_keys=True, ensure_ascii=False, default=str),
            replacing_turn_id=replacing_turn_id,
            created_at=time.time(),
        )
        recorder = TurnRecorder(self._writer, start)
        self._writer.add(recorder)
        return recorder

    def writer_cpu_s(self) -> float | None:
        """CPU seconds the writer thread has used (diagnostics and `bench history`), None if unknown."""
        return self._writer.cpu_time_s()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything handed to the writer is saved; False if some of it could not be."""
        return self._writer.flush(timeout)

    def close(self) -> None:
        """Save what is left (turns still streaming end as interrupted) and close the file."""
        if self._closed:
            return
        if self._deleted_here:
            ids = tuple(self._deleted_here)
            try:
                self._writer.call(
                    lambda conn: conn.execute(
                        f"DELETE FROM conversations WHERE deleted_at IS NOT NULL AND id IN "
                        f"({', '.join('?' * len(ids))})",
                        ids,
                    )
                )
            except sqlite3.Error as exc:
                log.warning("deleted conversations not purged at close: %s", exc)
        self._closed = True
        self._writer.stop()
        with self._readers_lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()
        self._remember_clean_close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, fn: Callable[[sqlite3.Connection], Any], what: str) -> Any:
        try:
            return self._writer.call(fn)
        except sqlite3.Error as exc:
            log.warning("history: could not %s: %s", what, exc)
            raise UserFacingError(_sync_write_sentence(exc, what, self.path)) from None

    def _on_write_report(self, sentence: str | None) -> None:
        changed = sentence != self.last_error
        self.last_error = sentence
        if sentence is not None and changed:
            log.warning("%s", sentence)
        if changed and self._on_error is not None:
            try:
                self._on_error(sentence)
            except Exception:
                log.exception("history on_error callback failed")

    # Reading.

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise RuntimeError("the history store is closed")
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        try:
            if conn is None:
                conn = connect(self.path, read_only=True)
                self._readers.conn = conn
                with self._readers_lock:
                    self._reader_conns.append(conn)
            yield conn
        except sqlite3.Error as exc:
            log.warning("history read failed: %s", exc)
            raise UserFacingError(f"The history could not be read ({exc}).") from None

    def count_conversations(self) -> int:
        with self._reading() as conn:
            return int(
                conn.execute("SELECT COUNT(*) FROM conversations WHERE deleted_at IS NULL").fetchone()[0]
            )

    def list_conversations(self, limit: int = 100, offset: int = 0) -> list[ConversationSummary]:
        """Conversations, most recently active first."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT c.id, c.title, c.created_at, c.updated_at, c.tutor_mode, "
                "(SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id), "
                "(SELECT t.finish_reason FROM turns t WHERE t.conversation_id = c.id "
                " ORDER BY t.position DESC LIMIT 1) "
                "FROM conversations c WHERE c.deleted_at IS NULL "
                "ORDER BY c.updated_at DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [
            ConversationSummary(
                id=row[0],
                title=row[1] or UNTITLED,
                created_at=row[2],
                updated_at=row[3],
                tutor_mode=bool(row[4]),
                turn_count=row[5],
                last_finish_reason=row[6],
            )
            for row in rows
        ]

    def get_conversation(self, conversation_id: int) -> Conversation | None:
        """A conversation with all its turns in order; None if there is none (or it was deleted)."""
        with self._reading() as conn:
            # One read transaction, so the turns belong to the conversation as it was at one moment.
            conn.execute("BEGIN")
            try:
                head = conn.execute(
                    "SELECT id, title, created_at, updated_at, tutor_mode FROM conversations "
                    "WHERE id = ? AND deleted_at IS NULL",
                    (conversation_id,),
                ).fetchone()
                rows = (
                    conn.execute(
                        "SELECT id, conversation_id, position, question, output, steps_json, answer, "
                        "finish_reason, error, model_file, model_sha256, settings_json, prompt_tokens, "
                        "reused_prompt_tokens, generated_tokens, ttft_s, decode_tok_s, elapsed_s, "
                        "created_at, updated_at, tutor_json, samples_json FROM turns "
                        "WHERE conversation_id = ? ORDER BY position",
                        (conversation_id,),
                    ).fetchall()
                    if head is not None
                    else []
                )
            finally:
                conn.execute("COMMIT")
        if head is None:
            return None
        return Conversation(
            id=head[0],
            title=head[1] or UNTITLED,
            created_at=head[2],
            updated_at=head[3],
            tutor_mode=bool(head[4]),
            turns=tuple(_turn_from_row(row) for row in rows),
        )

    def get_turn(self, turn_id: int) -> Turn | None:
        with self._reading() as conn:
            row = conn.execute(
                "SELECT t.id, t.conversation_id, t.position, t.question, t.output, t.steps_json, t.answer, "
                "t.finish_reason, t.error, t.model_file, t.model_sha256, t.settings_json, t.prompt_tokens, "
                "t.reused_prompt_tokens, t.generated_tokens, t.ttft_s, t.decode_tok_s, t.elapsed_s, "
                "t.created_at, t.updated_at, t.tutor_json, t.samples_json FROM turns t "
                "JOIN conversations c ON c.id = t.conversation_id "
                "WHERE t.id = ? AND c.deleted_at IS NULL",
                (turn_id,),
            ).fetchone()
        return None if row is None else _turn_from_row(row)

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Conversations whose title, questions or answers contain every term of `query`, one hit per
        conversation (its newest matching turn), newest first. Any text is a valid query."""
        parsed = parse_query(query)
        if parsed.empty or limit <= 0:
            return []
        with self._reading() as conn:
            turn_hits = self._matching_turns(conn, parsed.match, parsed.short_terms, limit)
            title_hits = self._matching_titles(conn, parsed.terms, limit)
            texts = self._search_texts(conn, [turn_id for turn_id, *_ in turn_hits])
        # A conversation found by a turn shows that turn; one found only by its title shows the title.
        # Newest first: by the matching turn's time, or the conversation's for a title.
        found: dict[int, tuple[float, int | None, str]] = {
            conv: (created, turn_id, title) for turn_id, conv, created, title in turn_hits
        }
        for conv, updated, title in title_hits:
            found.setdefault(conv, (updated, None, title))
        hits: list[SearchHit] = []
        for conv, (when, turn_id, title) in sorted(found.items(), key=lambda item: item[1][0], reverse=True):
            shown = title or UNTITLED
            sources = texts.get(turn_id, ()) if turn_id is not None else (shown,)
            snippet, spans = make_snippet(sources, parsed.terms)
            hits.append(SearchHit(conv, turn_id, shown, snippet, spans, when))
        return hits[:limit]

    @staticmethod
    def _matching_turns(
        conn: sqlite3.Connection, match: str | None, short_terms: tuple[str, ...], limit: int
    ) -> list[tuple[int, int, float, str]]:
        """(turn id, conversation id, turn created_at, title), newest turn first, up to `limit`
        conversations. Read lazily: a term found everywhere costs no more than a rare one."""
        like_params: list[str] = []
        if match is not None:
            # The trigram index answers the long terms; short ones filter what it found, in every column.
            sql = (
                "SELECT s.rowid, t.conversation_id, t.created_at, c.title FROM turn_search s "
                "JOIN turns t ON t.id = s.rowid JOIN conversations c ON c.id = t.conversation_id "
                "WHERE turn_search MATCH ? AND c.deleted_at IS NULL"
            )
            for term in short_terms:
                sql += (
                    " AND (s.question LIKE ? ESCAPE '\\' OR s.answer LIKE ? ESCAPE '\\' "
                    "OR s.solution LIKE ? ESCAPE '\\')"
                )
                like_params += [like_pattern(term)] * 3
            sql += " ORDER BY s.rowid DESC"
            params: list[Any] = [match, *like_params]
        else:
            # Only one- and two-character terms: no trigram index for them, so scan the questions and
            # answers (short) rather than the whole solutions.
            sql = (
                "SELECT t.id, t.conversation_id, t.created_at, c.title FROM turns t "
                "JOIN conversations c ON c.id = t.conversation_id WHERE c.deleted_at IS NULL"
            )
            for term in short_terms:
                sql += " AND (t.question LIKE ? ESCAPE '\\' OR t.answer LIKE ? ESCAPE '\\')"
                like_params += [like_pattern(term)] * 2
            sql += " ORDER BY t.id DESC"
            params = like_params
        found: list[tuple[int, int, float, str]] = []
        conversations: set[int] = set()
        cursor = conn.execute(sql, params)
        try:
            for turn_id, conv, created, title in cursor:
                if conv in conversations:
                    continue
                conversations.add(conv)
                found.append((turn_id, conv, created, title))
                if len(found) >= limit:
                    break
        finally:
            cursor.close()
        return found

    @staticmethod
    def _matching_titles(
        conn: sqlite3.Connection, terms: tuple[str, ...], limit: int
    ) -> list[tuple[int, float, str]]:
        sql = "SELECT id, updated_at, title FROM conversations WHERE deleted_at IS NULL"
        for _ in terms:
            sql += " AND title LIKE ? ESCAPE '\\'"
        sql += " ORDER BY updated_at DESC LIMIT ?"
        rows = conn.execute(sql, [*(like_pattern(term) for term in terms), limit]).fetchall()
        return [(int(a), float(b), str(c)) for a, b, c in rows]

    @staticmethod
    def _search_texts(conn: sqlite3.Connection, turn_ids: list[int]) -> dict[int | None, tuple[str, ...]]:
        if not turn_ids:
            return {}
        rows = conn.execute(
            "SELECT rowid, question, answer, solution FROM turn_search "
            f"WHERE rowid IN ({', '.join('?' * len(turn_ids))})",
            turn_ids,
        ).fetchall()
        return {int(row[0]): (row[1], row[2], row[3]) for row in rows}


def _turn_from_row(row: tuple[Any, ...]) -> Turn:
    steps, answer = stored_trace(row[5], row[6], row[4])
    try:
        settings = json.loads(row[11]) if row[11] else {}
    except ValueError:
        settings = {}
    return Turn(
        id=row[0],
        conversation_id=row[1],
        position=row[2],
        question=row[3],
        output=row[4],
        steps=steps,
        answer=answer,
        finish_reason=row[7],
        error=row[8],
        model_file=row[9],
        model_sha256=row[10],
        settings=settings if isinstance(settings, dict) else {},
        prompt_tokens=row[12],
        reused_prompt_tokens=row[13],
        generated_tokens=row[14],
        ttft_s=row[15],
        decode_tok_s=row[16],
        elapsed_s=row[17],
        created_at=row[18],
        updated_at=row[19],
        tutoring=TutorRecord.from_json(row[20]),
        samples=SamplesRecord.from_json(row[21]),
    )


def _sync_write_sentence(exc: sqlite3.Error, what: str, path: Path) -> str:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL" or "database or disk is full" in str(exc):
        return f"Could not {what}: the disk is full (free some space on the disk that holds {path.parent})."
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(exc):
        return f"Could not {what}: the history file is locked by another program; try again."
    return f"Could not {what} in the history ({exc})."
