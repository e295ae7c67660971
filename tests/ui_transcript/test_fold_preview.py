"""The one-line preview of a folded reflect/explore section reads like the section: typeset math, no TeX.

Inline formulas are typeset (KaTeX), a display formula that fits on a line is typeset inline, an
environment shows as a quiet "⋯"; the line ends in an ellipsis. The preview is built once, when the
finished section folds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from satori_desktop.engine.scripted import DEMO_TRACE
from tests.ui_transcript import traces
from tests.ui_transcript.conftest import run_js
from tests.ui_transcript.test_view import Streamer, dom_state, show_trace

Shot = Callable[[Any, str], Path]

# Per folded section: what a reader sees in its preview line, and how it is laid out.
PREVIEWS_JS = """
[...document.querySelectorAll('.step.fold')].map(section => {
  const host = section.querySelector('.fold-preview');
  const root = host.shadowRoot;
  const seen = document.createElement('div');
  if (root) for (const node of root.childNodes) seen.appendChild(node.cloneNode(true));
  // KaTeX's MathML copy is for screen readers and pasting; what the eye sees is the HTML part.
  for (const mathml of seen.querySelectorAll('.katex-mathml')) mathml.remove();
  const head = section.querySelector('.fold-head');
  return {
    action: section.className.match(/step-(\\w+)/)[1],
    built: !!root,
    text: seen.textContent,
    katex: root ? root.querySelectorAll('.katex').length : 0,
    gaps: root ? root.querySelectorAll('.formula-gap').length : 0,
    height: host.getBoundingClientRect().height,
    head_height: head.getBoundingClientRect().height,
    line_height: parseFloat(getComputedStyle(host).lineHeight),
    overflows: host.scrollWidth > host.clientWidth,
    ellipsis: getComputedStyle(host).textOverflow,
  };
})
"""


def previews(qtbot: Any, view: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = run_js(qtbot, view, PREVIEWS_JS)
    return result


def test_folded_previews_show_typeset_math_not_tex(
    qtbot: Any, transcript_view: Any, screenshot: Shot
) -> None:
    show_trace(qtbot, transcript_view, DEMO_TRACE, question="Sum of the roots of $x^2 - 5x + 6 = 0$?")
    screenshot(transcript_view, "fold_previews")
    reflect, explore = previews(qtbot, transcript_view)
    assert reflect["action"] == "reflect" and explore["action"] == "explore"
    assert reflect["text"].startswith("Let me check this by factoring: ")
    assert reflect["katex"] >= 3  # (x-2)(x-3), 2, 3, ...: typeset, not source
    assert explore["text"].startswith("Instead of Vieta, complete the square: ⋯ which gives 2 and 3 again")
    assert explore["gaps"] == 1  # the aligned environment is one quiet mark
    for preview in (reflect, explore):
        assert preview["built"]
        for tex in ("\\", "^", "$", "&", "{", "begin"):
            assert tex not in preview["text"], (tex, preview["text"])
        # One line: no taller than the header's text, however tall the formulas.
        assert preview["height"] <= preview["line_height"] + 2
        assert preview["ellipsis"] == "ellipsis"
    assert reflect["overflows"]  # long: cut at the edge, with the ellipsis
    # Each header is as tall as one without math would be.
    show_trace(qtbot, transcript_view, "<|reflect|>\nPlain words only.<|continue|>\nDone $\\boxed{1}$.")
    plain = previews(qtbot, transcript_view)[-1]
    assert plain["text"] == "Plain words only."
    assert abs(reflect["head_height"] - plain["head_height"]) <= 1
    assert explore["head_height"] == reflect["head_height"]


def test_a_short_display_formula_is_typeset_inline_and_a_bad_one_shows_its_source(
    qtbot: Any, transcript_view: Any
) -> None:
    raw = (
        "<|reflect|>\nCheck: $$2(2) + 3 = 7$$ holds, and $\\frac{1}{2$ is broken."
        "<|continue|>\nSo $\\boxed{2}$."
    )
    show_trace(qtbot, transcript_view, raw)
    (reflect,) = previews(qtbot, transcript_view)
    assert reflect["gaps"] == 0 and reflect["katex"] == 1
    assert reflect["text"].startswith("Check: 2(2)+3=7 holds, and \\frac{1}{2 is broken.")


def test_the_preview_is_built_once_when_the_section_folds(qtbot: Any, transcript_view: Any) -> None:
    transcript_view.begin_turn("Solve $2x + 3 = 7$.")
    streamer = Streamer(qtbot, transcript_view, traces.SOLUTION)
    streamer.until("The left side")
    # While the check streams it is open and has no preview at all: nothing is computed per token.
    assert [p["built"] for p in previews(qtbot, transcript_view)] == [False]
    streamer.until("Alternatively")
    assert [p["built"] for p in previews(qtbot, transcript_view)] == [True, False]
    mark = "document.querySelector('.step-reflect .fold-preview').shadowRoot.firstChild"
    run_js(qtbot, transcript_view, f"({mark}.__mark = 'first', 0)")
    streamer.rest()
    # Opening and folding again (by the reader, or all at once) shows the same preview, not a new one.
    for _ in range(2):
        run_js(qtbot, transcript_view, "document.querySelector('.step-reflect .fold-head').click(), 0")
    run_js(qtbot, transcript_view, "document.querySelector('.turn-summary').click(), 0")
    run_js(qtbot, transcript_view, "document.querySelector('.turn-summary').click(), 0")
    assert not any(s["open"] for s in dom_state(qtbot, transcript_view)["steps"] if s["fold"])
    assert run_js(qtbot, transcript_view, f"{mark}.__mark") == "first"
