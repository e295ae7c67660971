"""From COAT events to page ops (ui/transcript/feed.py, Qt-free): what the page is asked to do."""

from __future__ import annotations

from satori_desktop.core.coat import CoatParser, StepAction, StepStarted, TextAppended, TranscriptEvent
from satori_desktop.engine.streaming import TurnSummary
from satori_desktop.ui.transcript.feed import TranscriptFeed, page_summary


def events_of(raw: str) -> list[TranscriptEvent]:
    parser = CoatParser()
    return parser.feed(raw) + parser.finish()


def test_finished_blocks_are_sent_once_and_the_open_block_each_frame() -> None:
    feed = TranscriptFeed()
    feed.begin_turn("What is $1+1$?")
    feed.add_events([StepStarted(0, StepAction.CONTINUE)])
    feed.add_events([TextAppended(0, "First $a$.\n\nSecond")])
    ops = feed.take_ops()
    assert [op["op"] for op in ops] == ["turn", "step", "blocks", "open"]
    assert 'data-tex="1+1"' in ops[0]["question_html"]
    assert len(ops[2]["html"]) == 1 and 'data-tex="a"' in ops[2]["html"][0]
    assert "Second" in ops[3]["html"]
    # Nothing new: nothing to send.
    assert feed.take_ops() == []
    feed.add_events([TextAppended(0, " part")])
    ops = feed.take_ops()
    assert [op["op"] for op in ops] == ["open"] and "Second part" in ops[0]["html"]


def test_a_whole_trace_in_one_frame() -> None:
    feed = TranscriptFeed()
    feed.add_events(events_of("Start.<|reflect|>Check $x$.<|explore|>Other.<|continue|>So \\boxed{3}."))
    feed.end_turn(TurnSummary(1, "stop", generated_tokens=12, decode_tok_s=30.0, elapsed_s=0.5))
    ops = feed.take_ops()
    steps = [(op["index"], op["action"]) for op in ops if op["op"] == "step"]
    assert steps == [(0, "start"), (1, "reflect"), (2, "explore"), (3, "continue")]
    assert [op["index"] for op in ops if op["op"] == "step_end"] == [0, 1, 2, 3]
    assert [op["latex"] for op in ops if op["op"] == "answer"] == ["3"]
    assert ops[-1] == {
        "op": "end",
        "summary": {
            "finish_reason": "stop",
            "error": None,
            "generated_tokens": 12,
            "decode_tok_s": 30.0,
            "elapsed_s": 0.5,
        },
    }
    assert not any(op["op"] == "open" for op in ops), "closed steps need no open block"


def test_text_for_an_unknown_step_starts_one() -> None:
    feed = TranscriptFeed()
    feed.add_events([TextAppended(4, "orphan")])
    ops = feed.take_ops()
    assert ops[0] == {"op": "step", "index": 4, "action": "continue"}


def test_clear_drops_what_was_not_sent() -> None:
    feed = TranscriptFeed()
    feed.add_events(events_of("<|continue|>hello"))
    feed.clear()
    assert feed.take_ops() == [{"op": "clear"}]


def test_the_page_summary_is_what_the_footer_shows() -> None:
    failed = TurnSummary(2, "error", error="The disk is full; free some space.", elapsed_s=0.2)
    assert page_summary(failed) == {"finish_reason": "error", "error": "The disk is full; free some space."}
    # Figures only for a turn that produced something (an export or a turn stopped before it began
    # shows none).
    assert page_summary(TurnSummary(3, "cancelled")) == {"finish_reason": "cancelled", "error": None}
