"""Another reasoning model's output in the transcript page (issue 14): a `<think>` thought streams as a
folded "Thinking" section, typeset like Satori's steps, then the answer. The screenshot
(SATORI_SCREENSHOT_DIR, docs/screenshots/think-format.png) was looked at while writing this test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from satori_desktop.core.reasoning import ThinkParser
from satori_desktop.engine.streaming import TurnSummary
from tests.ui_transcript.conftest import dom_state, run_js

Shot = Callable[[Any, str], Path]

# A DeepSeek-R1-distill answer: the prompt opened `<think>`, so the output only closes it.
R1_OUTPUT = (
    "Okay, so I need to solve $x^2 - 5x + 6 = 0$. Let me try factoring first.\n\n"
    "I want two numbers whose product is $6$ and whose sum is $5$. Those are $2$ and $3$, so\n"
    "$$x^2 - 5x + 6 = (x-2)(x-3).$$\n\n"
    "Wait, let me double-check by expanding: $(x-2)(x-3) = x^2 - 3x - 2x + 6 = x^2 - 5x + 6$. Yes.\n"
    "</think>\n\n"
    "Factoring, $(x-2)(x-3) = 0$, so\n\n$$x = 2 \\quad\\text{or}\\quad x = 3.$$\n\n"
    "The solutions are $\\boxed{x = 2 \\text{ or } x = 3}$.<｜end▁of▁sentence｜>"
)

THOUGHT_JS = """(() => {
  const thought = document.querySelector('.step-think');
  const length = thought.querySelector('.fold-length');
  return {
    label: thought.querySelector('.fold-label').textContent,
    open: thought.classList.contains('is-open'),
    icon: !!thought.querySelector('.fold-icon svg'),
    length: length.hidden ? null : length.textContent,
    paragraphs: thought.querySelectorAll('.step-body p').length,
    katex: thought.querySelectorAll('.step-body .katex').length,
    display: thought.querySelectorAll('.step-body .katex-display').length,
    errors: thought.querySelectorAll('.math-error, .katex-error').length,
    text: thought.querySelector('.step-body').textContent,
  };
})()"""


def test_a_thought_streams_as_a_folded_thinking_section_with_typeset_math(
    qtbot: Any, transcript_view: Any, screenshot: Shot
) -> None:
    view = transcript_view
    view.begin_turn("Solve $x^2 - 5x + 6 = 0$.")
    parser = ThinkParser(starts_inside=True)
    closing = R1_OUTPUT.index("</think>")
    # The thought streams in small pieces, frame by frame, as the engine worker sends it.
    for start in range(0, closing, 12):
        view.apply_events(parser.feed(R1_OUTPUT[start : min(closing, start + 12)]))
        qtbot.waitUntil(view.is_idle, timeout=20000)
    streaming = run_js(qtbot, view, THOUGHT_JS)
    assert streaming["label"] == "Thinking" and streaming["open"] and streaming["icon"]
    assert streaming["length"] is None  # known once the thought has ended
    assert "</think>" not in streaming["text"] and "think>" not in streaming["text"]

    view.apply_events(parser.feed(R1_OUTPUT[closing:]) + parser.finish())
    view.end_turn(TurnSummary(1, "stop", generated_tokens=148, decode_tok_s=38.5, elapsed_s=3.9))
    qtbot.waitUntil(view.is_idle, timeout=20000)

    state = dom_state(qtbot, view)
    assert [(s["action"], s["fold"], s["open"], s["label"]) for s in state["steps"]] == [
        ("think", True, False, "Thinking"),  # folded when the answer started
        ("continue", False, False, None),
    ]
    assert state["summary"] == "2 steps · 1 thoughtShow all"
    assert state["answer_tex"] == "x = 2 \\text{ or } x = 3"
    assert state["math_errors"] == 0 and state["katex_error_nodes"] == 0 and state["pending"] == 0
    thought = run_js(qtbot, view, THOUGHT_JS)
    # Its paragraphs stay paragraphs; its math is typeset as in Satori's steps, the display formula too.
    assert thought["paragraphs"] == 3 and thought["display"] == 1
    assert thought["katex"] == 7 and thought["errors"] == 0
    # Words, each formula one; the page saw it written, so its time is there as well.
    assert thought["length"] is not None
    words, _, elapsed = thought["length"].partition(" · ")
    assert words.endswith(" words") and 40 <= int(words.split()[0]) <= 60, thought["length"]
    assert elapsed.endswith(" s"), thought["length"]

    run_js(qtbot, view, "(document.querySelector('.step-think .fold-head').click(), 0)")
    assert run_js(qtbot, view, THOUGHT_JS)["open"] is True
    screenshot(view, "think-format")


SECTION_JS = """(() => [...document.querySelectorAll('.turn:last-child .step')].map((step) => ({
  action: (step.className.match(/step-(\\w+)/) || [])[1],
  answer: step.classList.contains('answer-section'),
  head: (step.querySelector(':scope > .answer-section-head') || {}).textContent || null,
})))()"""


def test_an_answer_without_boxed_is_headed_as_the_answer(
    qtbot: Any, transcript_view: Any, screenshot: Shot
) -> None:
    view = transcript_view
    view.begin_turn("Why is the sky blue?")
    parser = ThinkParser()
    output = (
        "<think>Rayleigh scattering goes as $\\lambda^{-4}$, so short wavelengths scatter most.</think>"
        "Sunlight's blue part is scattered across the sky far more than its red part, so the sky looks blue."
    )
    view.apply_events(parser.feed(output) + parser.finish())
    view.end_turn(TurnSummary(1, "stop", generated_tokens=40, decode_tok_s=30.0, elapsed_s=1.3))
    qtbot.waitUntil(view.is_idle, timeout=20000)

    steps = run_js(qtbot, view, SECTION_JS)
    assert steps == [
        {"action": "think", "answer": False, "head": None},
        {"action": "continue", "answer": True, "head": "Answer"},
    ]
    state = dom_state(qtbot, view)
    assert state["answer_cards"] == 0
    assert "No final answer" not in state["footer"]  # the section is the answer
    screenshot(view, "think-answer-section")

    # A Satori-style turn without \\boxed{} keeps its warning: only a thought makes a section the answer.
    view.begin_turn("And then?")
    plain = ThinkParser()
    view.apply_events(plain.feed("Just text.") + plain.finish())
    view.end_turn(TurnSummary(2, "stop", generated_tokens=3))
    qtbot.waitUntil(view.is_idle, timeout=20000)
    assert run_js(qtbot, view, SECTION_JS) == [{"action": "continue", "answer": False, "head": None}]
    assert "No final answer" in dom_state(qtbot, view)["footer"]
