"""The history store's round trips on a real SQLite file: conversations, turns, recorders, rename, delete."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from satori_desktop.core.coat import parse_trace
from satori_desktop.core.paths import data_dir
from satori_desktop.core.samples import SampleRecord, SamplesRecord
from satori_desktop.core.tutor import CheckEntry, Reveal, TutorRecord
from satori_desktop.engine.scripted import DEMO_TRACE, ScriptedEngine
from satori_desktop.engine.types import GenerationRequest, LoadOptions
from satori_desktop.history import INTERRUPTED, HistoryStore, default_path
from satori_desktop.history.records import TITLE_MAX_CHARS, UNTITLED, default_title
from tests.history.conftest import FAST_INTERVAL_S
from tests.history.support import integrity, record


def test_a_streamed_turn_round_trips_with_everything_it_was_given(store: HistoryStore) -> None:
    conversation_id = store.create_conversation()
    engine = ScriptedEngine(tokens_per_second=None)
    engine.load(LoadOptions(Path("/models/satori-7b-round2-q4_k_m.gguf")))
    settings = {"temperature": 0.0, "max_tokens": 4096, "n_ctx": 4096}
    recorder = store.begin_turn(
        conversation_id,
        "What is the sum of the roots of $x^2 - 5x + 6 = 0$?",
        model_file=Path("/models/satori-7b-round2-q4_k_m.gguf"),
        model_sha256="ab" * 32,
        settings=settings,
    )
    result = engine.generate(GenerationRequest("prompt"), on_text=recorder.append)
    recorder.finish_from(result)
    assert recorder.wait_saved(10)

    conversation = store.get_conversation(conversation_id)
    assert conversation is not None
    assert conversation.title == "What is the sum of the roots of $x^2 - 5x + 6 = 0$?"
    (turn,) = conversation.turns
    assert turn.id == recorder.turn_id and turn.position == 0
    assert turn.output == DEMO_TRACE == result.text
    expected = parse_trace(DEMO_TRACE)
    assert list(turn.steps) == expected.to_dict()["steps"]
    assert turn.answer == expected.answer == "5"
    assert turn.trace().to_dict() == expected.to_dict()
    assert turn.finish_reason == "stop" and turn.error is None
    assert turn.model_file == "satori-7b-round2-q4_k_m.gguf" and turn.model_sha256 == "ab" * 32
    assert turn.settings == settings
    assert turn.generated_tokens == result.generated_tokens and turn.prompt_tokens == result.prompt_tokens
    assert turn.ttft_s == result.ttft_s and turn.decode_tok_s == result.decode_tok_s
    assert turn.elapsed_s is not None and turn.elapsed_s >= 0
    assert turn.created_at <= turn.updated_at
    assert conversation.updated_at >= turn.created_at
    assert json.loads(json.dumps(conversation.to_dict()))["turns"][0]["answer"] == "5"


def test_the_default_file_lives_in_the_data_folder() -> None:
    with HistoryStore() as store:
        assert store.path == default_path() == data_dir() / "history.sqlite3"
        store.create_conversation("kept")
    assert (data_dir() / "history.sqlite3").is_file()
    with HistoryStore() as again:
        assert [c.title for c in again.list_conversations()] == ["kept"]


def test_the_file_is_in_wal_mode_with_the_current_schema(store: HistoryStore, history_file: Path) -> None:
    store.create_conversation()
    conn = sqlite3.connect(history_file)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
    conn.close()


def test_turns_of_a_conversation_keep_their_order_and_list_shows_the_latest_first(
    store: HistoryStore,
) -> None:
    first = store.create_conversation()
    second = store.create_conversation("Homework")
    record(store, first, "First question", "One.<|continue|>\nSo $\\boxed{1}$.")
    record(store, second, "Other question", "$\\boxed{2}$")
    record(store, first, "Follow-up question", "$\\boxed{3}$", finish_reason="length")
    empty = store.create_conversation()

    conversation = store.get_conversation(first)
    assert conversation is not None
    assert [t.question for t in conversation.turns] == ["First question", "Follow-up question"]
    assert [t.position for t in conversation.turns] == [0, 1]
    assert [t.answer for t in conversation.turns] == ["1", "3"]

    summaries = store.list_conversations()
    assert [s.id for s in summaries] == [empty, first, second]
    by_id = {s.id: s for s in summaries}
    assert by_id[first].title == "First question"  # the first question, not the follow-up
    assert by_id[first].turn_count == 2 and by_id[first].last_finish_reason == "length"
    assert by_id[second].title == "Homework"  # a given title is kept
    assert by_id[empty].title == UNTITLED and by_id[empty].turn_count == 0
    assert store.count_conversations() == 3
    assert [s.id for s in store.list_conversations(limit=1, offset=1)] == [first]


def test_default_titles_are_one_shortened_line() -> None:
    assert default_title("  Solve\n\n $x^2 = 4$  ") == "Solve $x^2 = 4$"
    long = "Find all real numbers x such that the sum of the squares of the roots equals twelve exactly"
    title = default_title(long)
    assert len(title) <= TITLE_MAX_CHARS and title.endswith("…") and long.startswith(title[:-1])
    assert not title[:-1].endswith(" ")
    chinese = "求" * 100
    assert default_title(chinese) == "求" * (TITLE_MAX_CHARS - 1) + "…"


def test_rename_and_back_to_the_default_title(store: HistoryStore) -> None:
    conversation_id = store.create_conversation()
    record(store, conversation_id, "What is 2+2?", "$\\boxed{4}$")
    assert store.rename(conversation_id, "  Arithmetic  ")
    assert store.list_conversations()[0].title == "Arithmetic"
    assert store.rename(conversation_id, "")
    assert store.list_conversations()[0].title == "What is 2+2?"
    assert not store.rename(12345, "nothing")


def test_tutor_mode_is_a_per_conversation_flag(store: HistoryStore) -> None:
    plain = store.create_conversation()
    tutored = store.create_conversation(tutor_mode=True)
    assert store.set_tutor_mode(plain, True) and store.set_tutor_mode(tutored, False)
    flags = {s.id: s.tutor_mode for s in store.list_conversations()}
    assert flags == {plain: True, tutored: False}
    conversation = store.get_conversation(plain)
    assert conversation is not None and conversation.tutor_mode


def test_what_was_revealed_is_kept_per_turn_from_the_moment_it_begins(store: HistoryStore) -> None:
    conversation_id = store.create_conversation(tutor_mode=True)
    recorder = store.begin_turn(conversation_id, "Solve $x^2 = 4$.")
    # Straight after begin_turn, before the writer has said the turn's id: the job runs after the insert.
    first = TutorRecord(tutored=True, revealed=(Reveal.SHOWN, Reveal.HINT))
    assert store.save_tutoring(recorder, first)
    recorder.finish("stop", text="So $x = \\pm 2$.<|continue|>\nThus $\\boxed{\\pm 2}$.")
    assert recorder.wait_saved(10)
    assert recorder.turn_id is not None
    checked = first.with_check(CheckEntry("2 or -2", True, 1700000000.0))
    assert store.save_tutoring(recorder.turn_id, replace(checked, answer_shown=True))
    turn = store.get_turn(recorder.turn_id)
    assert turn is not None and turn.tutoring is not None
    assert turn.tutoring.revealed == (2, 1) and turn.tutoring.answer_shown
    assert turn.tutoring.checks == (CheckEntry("2 or -2", True, 1700000000.0),)
    conversation = store.get_conversation(conversation_id)
    assert conversation is not None and conversation.turns[0].tutoring == turn.tutoring
    assert conversation.to_dict()["turns"][0]["tutoring"]["checks"][0]["match"] is True
    assert not store.save_tutoring(987654, first)  # no such turn


def test_every_solution_of_a_solve_several_times_turn_is_kept(store: HistoryStore) -> None:
    conversation_id = store.create_conversation()
    recorder = store.begin_turn(conversation_id, "What is 2+3?")
    record = SamplesRecord(
        samples=(
            SampleRecord("So $\\boxed{5}$.", "5", "stop", 7),
            SampleRecord("Hence $\\boxed{6}$.", "6", "stop", 8),
            SampleRecord("Thus $\\boxed{5}$.", "5", "length", 9),
        ),
        chosen=0,
        groups=((0, 2), (1,)),
    )
    assert store.save_samples(recorder, record)
    recorder.finish("stop", text="So $\\boxed{5}$.")
    assert recorder.wait_saved(10) and recorder.turn_id is not None
    turn = store.get_turn(recorder.turn_id)
    assert turn is not None and turn.samples == record
    assert turn.samples.agreeing == 2 and turn.samples.consensus == "5"
    assert SamplesRecord.from_json('{"samples": [], "chosen": 0}') is None
    assert SamplesRecord.from_json('{"samples": [{"text": "x"}], "chosen": 3}') is None


def test_a_turn_without_tutoring_reads_as_none_and_a_damaged_value_as_none(
    store: HistoryStore, history_file: Path
) -> None:
    turn_id = record(store, store.create_conversation(), "What is 2+2?", "$\\boxed{4}$")
    stored = store.get_turn(turn_id)
    assert stored is not None and stored.tutoring is None
    conn = sqlite3.connect(history_file)
    conn.execute("UPDATE turns SET tutor_json = '{not json' WHERE id = ?", (turn_id,))
    conn.commit()
    conn.close()
    stored = store.get_turn(turn_id)
    assert stored is not None and stored.tutoring is None and stored.answer == "4"


def test_delete_then_undo_then_delete_for_good(store: HistoryStore, history_file: Path) -> None:
    kept = store.create_conversation()
    gone = store.create_conversation()
    record(store, gone, "Quadratic question to delete", "$\\boxed{7}$")
    assert store.delete(gone)
    assert [s.id for s in store.list_conversations()] == [kept]
    assert store.get_conversation(gone) is None
    assert store.search("Quadratic") == []
    assert not store.delete(gone)  # already deleted

    assert store.restore(gone)
    assert {s.id for s in store.list_conversations()} == {kept, gone}
    assert [h.conversation_id for h in store.search("Quadratic")] == [gone]
    assert not store.restore(gone)  # nothing to undo

    assert store.delete(gone, permanent=True)
    conn = sqlite3.connect(history_file)
    assert conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM turn_search").fetchone()[0] == 0
    conn.close()
    assert not store.restore(gone)


def test_a_deleted_conversation_is_purged_when_its_store_closes(history_file: Path) -> None:
    with HistoryStore(history_file) as store:
        conversation_id = store.create_conversation()
        record(store, conversation_id, "Private question", "secret")
        assert store.delete(conversation_id)
    conn = sqlite3.connect(history_file)
    assert conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM turn_search").fetchone()[0] == 0
    conn.close()


def test_purge_deleted_respects_the_age(store: HistoryStore) -> None:
    conversation_id = store.create_conversation()
    store.delete(conversation_id)
    assert store.purge_deleted(older_than_s=3600) == 0
    assert store.restore(conversation_id)
    store.delete(conversation_id)
    assert store.purge_deleted() == 1
    assert not store.restore(conversation_id)


def test_retry_takes_the_place_of_the_interrupted_turn(store: HistoryStore) -> None:
    conversation_id = store.create_conversation()
    record(store, conversation_id, "First", "$\\boxed{1}$")
    broken = record(store, conversation_id, "Second", "half of it", finish_reason=INTERRUPTED)
    retry = store.begin_turn(conversation_id, "Second", replacing_turn_id=broken)
    retry.append("whole: $\\boxed{2}$")
    retry.finish("stop")
    assert retry.wait_saved(10)
    conversation = store.get_conversation(conversation_id)
    assert conversation is not None
    assert [(t.position, t.question, t.finish_reason) for t in conversation.turns] == [
        (0, "First", "stop"),
        (1, "Second", "stop"),
    ]
    assert store.get_turn(broken) is None
    assert [h.turn_id for h in store.search("half")] == []


def test_checkpoints_reach_the_file_while_streaming_and_readers_see_them(
    store: HistoryStore, history_file: Path
) -> None:
    conversation_id = store.create_conversation()
    recorder = store.begin_turn(conversation_id, "Long one")
    recorder.append("First part. ")
    deadline = time.monotonic() + 5
    seen = ""
    while time.monotonic() < deadline:
        turn_id = recorder.turn_id
        turn = store.get_turn(turn_id) if turn_id is not None else None
        seen = turn.output if turn is not None else ""
        if seen == "First part. ":
            break
        time.sleep(FAST_INTERVAL_S / 2)
    assert seen == "First part. "
    assert turn is not None and turn.streaming and turn.finish_reason is None
    # While streaming, the steps are parsed from the text so far.
    assert [s["text"] for s in turn.steps] == ["First part."]
    # Another connection (another process would do the same) reads it from the file.
    conn = sqlite3.connect(history_file)
    assert conn.execute("SELECT output FROM turns").fetchone()[0] == "First part. "
    conn.close()
    recorder.finish("cancelled")
    assert recorder.wait_saved(10)
    saved = store.get_turn(recorder.turn_id or 0)
    assert saved is not None and saved.finish_reason == "cancelled"


def test_append_is_cheap_and_never_waits_for_the_writer(store: HistoryStore) -> None:
    conversation_id = store.create_conversation()
    recorder = store.begin_turn(conversation_id, "Fast stream")
    # Hold the writer inside a job: appends must go on regardless.
    release = threading.Event()
    holder = threading.Thread(target=lambda: store._writer.call(lambda conn: release.wait(5)))
    holder.start()
    began = time.perf_counter()
    for i in range(20_000):
        recorder.append(f"t{i} ")
    spent = time.perf_counter() - began
    release.set()
    holder.join()
    assert spent < 1.0
    recorder.finish("stop")
    assert recorder.wait_saved(10)
    turn = store.get_turn(recorder.turn_id or 0)
    assert turn is not None and turn.output == "".join(f"t{i} " for i in range(20_000))


def test_the_engine_text_wins_when_it_differs_from_what_was_streamed(store: HistoryStore) -> None:
    conversation_id = store.create_conversation()
    recorder = store.begin_turn(conversation_id, "q")
    recorder.append("partial")
    recorder.finish("stop", text="partial and complete $\\boxed{9}$")
    assert recorder.wait_saved(10)
    turn = store.get_turn(recorder.turn_id or 0)
    assert turn is not None and turn.output.endswith("complete $\\boxed{9}$") and turn.answer == "9"


def test_recorder_misuse_is_a_bug_not_silence(store: HistoryStore) -> None:
    recorder = store.begin_turn(store.create_conversation(), "q")
    recorder.finish("stop")
    with pytest.raises(RuntimeError):
        recorder.append("late")
    with pytest.raises(RuntimeError):
        recorder.finish("stop")
    with pytest.raises(ValueError):
        store.begin_turn(store.create_conversation(), "q").finish("exploded")


def test_a_with_block_ends_an_unfinished_turn(store: HistoryStore) -> None:
    conversation_id = store.create_conversation()
    with store.begin_turn(conversation_id, "left open") as left:
        left.append("some text")
    with pytest.raises(ZeroDivisionError), store.begin_turn(conversation_id, "failing") as failing:
        failing.append("before the error")
        raise ZeroDivisionError("division by zero")
    assert left.wait_saved(10) and failing.wait_saved(10)
    conversation = store.get_conversation(conversation_id)
    assert conversation is not None
    assert [(t.finish_reason, t.output) for t in conversation.turns] == [
        (INTERRUPTED, "some text"),
        ("error", "before the error"),
    ]
    assert conversation.turns[1].error is not None and "division by zero" in conversation.turns[1].error


def test_closing_while_streaming_keeps_the_text_as_interrupted(history_file: Path) -> None:
    store = HistoryStore(history_file, checkpoint_interval_s=60)  # no checkpoint would come in time
    conversation_id = store.create_conversation()
    recorder = store.begin_turn(conversation_id, "q")
    recorder.append("everything so far")
    store.close()
    with HistoryStore(history_file) as reopened:
        conversation = reopened.get_conversation(conversation_id)
        assert conversation is not None
        (turn,) = conversation.turns
        assert turn.finish_reason == INTERRUPTED and turn.output == "everything so far"
        assert reopened.recovered_turn_ids == ()  # ended at close, not found unfinished
    assert integrity(history_file) == "ok"


def test_the_engine_thread_may_go_on_after_the_store_closed(history_file: Path) -> None:
    store = HistoryStore(history_file)
    recorder = store.begin_turn(store.create_conversation(), "q")
    recorder.append("before the close")
    store.close()
    recorder.append("after the close")  # ignored, not an error in the engine thread
    recorder.finish("stop")
    assert recorder.wait_saved(1)
    with HistoryStore(history_file) as reopened:
        turn = reopened.get_turn(recorder.turn_id or 0)
        assert turn is not None and (turn.output, turn.finish_reason) == ("before the close", INTERRUPTED)


def test_a_turn_whose_conversation_was_deleted_for_good_is_not_saved(store: HistoryStore) -> None:
    conversation_id = store.create_conversation()
    store.delete(conversation_id, permanent=True)
    recorder = store.begin_turn(conversation_id, "orphan")
    recorder.append("text")  # the stream goes on regardless
    recorder.finish("stop")
    assert not recorder.wait_saved(5)
    assert recorder.lost is not None and recorder.text == "text"


def test_reads_from_several_threads_at_once(store: HistoryStore) -> None:
    conversation_id = store.create_conversation()
    record(store, conversation_id, "Shared question", "$\\boxed{1}$")
    failures: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(50):
                assert store.get_conversation(conversation_id) is not None
                assert store.search("Shared")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_another_models_turn_is_stored_as_a_thought_and_its_answer(store: HistoryStore) -> None:
    conversation_id = store.create_conversation()
    output = "Okay, $2 + 2 = 4$.\n</think>\n\nSo it is $\\boxed{4}$."  # the prompt opened <think>
    record(store, conversation_id, "What is 2 + 2?", output)
    conversation = store.get_conversation(conversation_id)
    assert conversation is not None
    [turn] = conversation.turns
    assert turn.steps == (
        {"action": "think", "text": "Okay, $2 + 2 = 4$."},
        {"action": "continue", "text": "So it is $\\boxed{4}$."},
    )
    assert turn.answer == "4"
    assert [step.action.value for step in turn.trace().steps] == ["think", "continue"]
