"""The transcript page in a real QtWebEngine view: structure, folding, math, streaming, safety.

Each scenario saves a screenshot (SATORI_SCREENSHOT_DIR keeps them) that was looked at while writing
these tests; the assertions check the DOM through the page itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from satori_desktop.core.coat import CoatParser, TextAppended, TranscriptEvent
from satori_desktop.engine.streaming import TurnSummary
from tests.ui_transcript import traces
from tests.ui_transcript.conftest import delete_now, dom_state, run_js

Shot = Callable[[Any, str], Path]


def events_of(raw: str, *, finish: bool = True) -> list[TranscriptEvent]:
    parser = CoatParser()
    return parser.feed(raw) + (parser.finish() if finish else [])


def show_trace(
    qtbot: Any, view: Any, raw: str, question: str = "", summary: TurnSummary | None = None
) -> None:
    view.begin_turn(question)
    view.apply_events(events_of(raw))
    view.end_turn(summary or TurnSummary(1, "stop"))
    qtbot.waitUntil(view.is_idle, timeout=20000)


class Streamer:
    """Feeds a trace to the view in small chunks, as the engine worker does, one frame at a time."""

    def __init__(self, qtbot: Any, view: Any, raw: str) -> None:
        self.qtbot, self.view, self.raw = qtbot, view, raw
        self.parser = CoatParser()
        self.position = 0

    def until(self, marker: str, chunk: int = 9) -> None:
        """Stream up to just before `marker` (the next occurrence after what was streamed)."""
        end = self.raw.index(marker, self.position)
        while self.position < end:
            piece = self.raw[self.position : min(end, self.position + chunk)]
            self.position += len(piece)
            self.view.apply_events(self.parser.feed(piece))
        self.qtbot.waitUntil(self.view.is_idle, timeout=20000)

    def rest(self) -> None:
        piece = self.raw[self.position :]
        self.position = len(self.raw)
        events = self.parser.feed(piece) + self.parser.finish()
        self.view.apply_events(events)
        self.qtbot.waitUntil(self.view.is_idle, timeout=20000)


def test_solution_has_folded_sections_math_and_answer_card(
    qtbot: Any, transcript_view: Any, screenshot: Shot
) -> None:
    show_trace(
        qtbot,
        transcript_view,
        traces.SOLUTION,
        question="Solve $2x + 3 = 7$.",
        summary=TurnSummary(1, "stop", generated_tokens=231, decode_tok_s=41.25),
    )
    state = dom_state(qtbot, transcript_view)
    screenshot(transcript_view, "solution_finished")
    assert [s["action"] for s in state["steps"]] == ["start", "continue", "reflect", "explore", "continue"]
    sections = [s for s in state["steps"] if s["fold"]]
    assert [(s["action"], s["label"], s["open"]) for s in sections] == [
        ("reflect", "Checking the work", False),
        ("explore", "Trying another way", False),
    ]
    assert state["math_errors"] == 0 and state["katex_error_nodes"] == 0 and state["pending"] == 0
    # Display: two \[..\], $$ (reflect), align* (explore), $$ cases/pmatrix, \[\boxed\], the answer card.
    # Inline: the question, \(..\) x2, $x = 2$, $f(x)..$ x2.
    assert state["display_katex"] == 7 and state["katex"] == 13
    assert state["answer_tex"] == "2" and state["answer_cards"] == 1 and state["answer_is_last"]
    assert "5 steps" in state["summary"] and "1 check" in state["summary"]
    assert "1 change of approach" in state["summary"]
    assert "231 tokens" in state["footer"] and "41.3 tokens/s" in state["footer"]
    # Currency and code stay text (innerText of folded sections is empty, so open them first).
    run_js(qtbot, transcript_view, "document.querySelector('.turn-summary').click(), 0")
    text = dom_state(qtbot, transcript_view)["text"]
    assert "A price of $5 and $10 is not math" in text and "$code$" in text


def test_summary_line_expands_all_then_folds_all(qtbot: Any, transcript_view: Any, screenshot: Shot) -> None:
    show_trace(qtbot, transcript_view, traces.SOLUTION, question="Solve $2x + 3 = 7$.")
    run_js(qtbot, transcript_view, "document.querySelector('.turn-summary').click(), 0")
    state = dom_state(qtbot, transcript_view)
    assert all(s["open"] for s in state["steps"] if s["fold"])
    assert "Fold all" in state["summary"]
    screenshot(transcript_view, "solution_expanded")
    run_js(qtbot, transcript_view, "document.querySelector('.turn-summary').click(), 0")
    assert not any(s["open"] for s in dom_state(qtbot, transcript_view)["steps"] if s["fold"])
    # A single section toggles from its header.
    run_js(qtbot, transcript_view, "document.querySelector('.step-explore .fold-head').click(), 0")
    opened = [s["action"] for s in dom_state(qtbot, transcript_view)["steps"] if s["open"]]
    assert opened == ["explore"]


def test_streaming_section_is_open_and_folds_when_the_next_step_starts(
    qtbot: Any, transcript_view: Any, screenshot: Shot
) -> None:
    transcript_view.begin_turn("Solve $2x + 3 = 7$.")
    streamer = Streamer(qtbot, transcript_view, traces.SOLUTION)
    streamer.until("The left side")
    state = dom_state(qtbot, transcript_view)
    screenshot(transcript_view, "mid_stream_reflect_open")
    assert [(s["action"], s["open"]) for s in state["steps"] if s["fold"]] == [("reflect", True)]
    streamer.until("Alternatively")
    state = dom_state(qtbot, transcript_view)
    assert [(s["action"], s["open"]) for s in state["steps"] if s["fold"]] == [
        ("reflect", False),
        ("explore", True),
    ]
    streamer.rest()
    assert dom_state(qtbot, transcript_view)["answer_tex"] == "2"


def test_keep_sections_open_setting(qtbot: Any, transcript_view: Any) -> None:
    transcript_view.set_keep_sections_open(True)
    show_trace(qtbot, transcript_view, traces.SOLUTION)
    assert all(s["open"] for s in dom_state(qtbot, transcript_view)["steps"] if s["fold"])


def test_open_formula_is_plain_text_until_it_closes(
    qtbot: Any, transcript_view: Any, screenshot: Shot
) -> None:
    transcript_view.begin_turn("")
    transcript_view.apply_events(events_of("<|continue|>We get \\[\n x = \\frac{1}{", finish=False))
    qtbot.waitUntil(transcript_view.is_idle, timeout=20000)
    state = dom_state(qtbot, transcript_view)
    screenshot(transcript_view, "open_formula_pending")
    assert state["pending"] == 1 and state["katex"] == 0 and state["math_errors"] == 0
    assert "\\frac{1}{" in state["text"]
    transcript_view.apply_events([TextAppended(0, "2}\n\\] done")])
    qtbot.waitUntil(transcript_view.is_idle, timeout=20000)
    state = dom_state(qtbot, transcript_view)
    assert state["pending"] == 0 and state["display_katex"] == 1 and state["math_errors"] == 0


def test_finished_blocks_are_never_rendered_again(qtbot: Any, transcript_view: Any) -> None:
    transcript_view.begin_turn("")
    transcript_view.apply_events(events_of("<|continue|>First paragraph with $a^2$.\n\nSecond", finish=False))
    qtbot.waitUntil(transcript_view.is_idle, timeout=20000)
    first_block = "document.querySelector('.block:not(.open-block)')"
    mark = f"(b => {{ b.__mark = 'kept'; return b.innerHTML.length; }})({first_block})"
    length = run_js(qtbot, transcript_view, mark)
    for word in [" paragraph grows", " with $b$", "\n\nThird", " and more."] * 5:
        transcript_view.apply_events([TextAppended(0, word)])
        qtbot.waitUntil(transcript_view.is_idle, timeout=20000)
    same = run_js(
        qtbot,
        transcript_view,
        f"(b => [b.__mark, b.innerHTML.length])({first_block})",
    )
    assert same == ["kept", length]
    blocks = run_js(qtbot, transcript_view, "document.querySelectorAll('.block:not(.open-block)').length")
    assert blocks >= 5


def test_injection_shows_as_text_and_runs_nothing(qtbot: Any, transcript_view: Any, screenshot: Shot) -> None:
    show_trace(qtbot, transcript_view, traces.INJECTION, question="<img src=x onerror='window.pwned=8'> $x$")
    run_js(qtbot, transcript_view, "document.querySelectorAll('.turn-summary').forEach(b => b.click()), 0")
    state = dom_state(qtbot, transcript_view)
    screenshot(transcript_view, "injection")
    assert run_js(qtbot, transcript_view, "typeof window.pwned") == "undefined"
    assert state["scripts"] == 2  # KaTeX and the page's own script, nothing else
    assert state["transcript_elements_with_handlers"] == 0 and state["imgs"] == 0 and state["details"] == 0
    assert "<script>window.pwned = 1</script>" in state["text"]
    assert "</details></section></div></article><b>bold?</b>" in state["text"]
    assert "[click me](javascript:window.pwned=3)" in state["text"]
    assert state["katex_error_nodes"] == 0
    # \href needs trust, which the page never gives: the formula shows as (styled) source.
    assert run_js(qtbot, transcript_view, "document.querySelectorAll('#transcript a[href]').length") == 0
    assert [s["action"] for s in state["steps"]] == ["start", "reflect", "continue"]


@pytest.mark.parametrize(
    ("name", "raw", "summary"),
    [
        ("unbalanced_braces", traces.UNBALANCED, TurnSummary(1, "stop")),
        ("long_formula", traces.long_formula(10_000), TurnSummary(1, "stop")),
        ("no_meta_tokens", traces.NO_META, TurnSummary(1, "stop")),
        ("no_boxed", traces.NO_BOXED, TurnSummary(1, "stop")),
        ("cut_off_mid_formula", traces.CUT_OFF, TurnSummary(1, "length", generated_tokens=4096)),
    ],
)
def test_awkward_traces_render_without_errors(
    qtbot: Any, transcript_view: Any, screenshot: Shot, name: str, raw: str, summary: TurnSummary
) -> None:
    show_trace(qtbot, transcript_view, raw, question="An awkward case", summary=summary)
    run_js(qtbot, transcript_view, "document.querySelectorAll('.turn-summary').forEach(b => b.click()), 0")
    state = dom_state(qtbot, transcript_view)
    screenshot(transcript_view, name)
    assert state["katex_error_nodes"] == 0, "KaTeX's red error output must never show"
    assert state["steps"], "every trace has at least one step"
    if name == "unbalanced_braces":
        assert state["math_errors"] >= 2 and "\\frac{1}{2" in state["text"]
        assert state["answer_tex"] is None and state["pending"] == 1  # the box never closed
    elif name == "long_formula":
        assert state["display_katex"] >= 1 and state["math_errors"] == 0 and state["answer_tex"] == "1"
    elif name == "no_meta_tokens":
        assert [s["action"] for s in state["steps"]] == ["start"] and state["answer_tex"] == "25"
    elif name == "no_boxed":
        assert state["answer_cards"] == 0 and "No final answer" in state["footer"]
    else:
        assert state["pending"] == 1 and "\\frac{1" in state["text"]
        assert "length limit" in state["footer"]


def test_multi_turn_conversation(qtbot: Any, transcript_view: Any, screenshot: Shot) -> None:
    show_trace(qtbot, transcript_view, traces.NO_META, question="Sum of the first **five** odd numbers?")
    show_trace(qtbot, transcript_view, traces.SOLUTION, question="Now solve $2x + 3 = 7$.")
    state = dom_state(qtbot, transcript_view)
    screenshot(transcript_view, "multi_turn")
    assert state["turns"] == 2 and state["answer_cards"] == 2 and state["answer_tex"] == "2"
    transcript_view.clear()
    qtbot.waitUntil(transcript_view.is_idle, timeout=20000)
    assert dom_state(qtbot, transcript_view)["turns"] == 0


def test_problem_preview_typesets_as_you_type(qtbot: Any, require_web_assets: None, screenshot: Shot) -> None:
    from satori_desktop.ui.transcript import ProblemPreview

    preview = ProblemPreview()
    preview.resize(600, 160)
    with qtbot.waitSignal(preview.page_ready, timeout=20000):
        preview.show()
    with qtbot.waitSignal(preview.content_height_changed, timeout=20000):
        preview.set_text("Find $x$")
        preview.set_text("Find $x$ if $x^2 = 4$ and \\(x > 0\\); not <b>bold</b> \\[ \\frac{a")
    qtbot.waitUntil(preview.is_idle, timeout=20000)
    counts = run_js(
        qtbot,
        preview,
        "['.katex', 'b', '.math-pending'].map(s => document.querySelectorAll('#preview ' + s).length)",
    )
    screenshot(preview, "preview")
    errors = list(preview.app_page().console_errors)
    delete_now(preview)
    assert counts == [3, 0, 1]
    assert errors == []


def test_select_all_copies_steps_scrolled_out_of_view(qtbot: Any, transcript_view: Any) -> None:
    # Steps off screen are not drawn (content-visibility), yet copying the transcript must include them.
    long_trace = "".join(f"<|continue|>\nStep number {i} says $x_{{{i}}} = {i}$.\n\n" for i in range(60))
    show_trace(qtbot, transcript_view, long_trace + "So $\\boxed{59}$.", question="A long one")
    selected = run_js(
        qtbot,
        transcript_view,
        "(document.execCommand('selectAll'), window.getSelection().toString())",
    )
    assert "Step number 0 says" in selected
    assert "Step number 30 says" in selected
    assert "Step number 59 says" in selected
