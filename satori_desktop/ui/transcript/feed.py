"""From COAT events to the page's update operations ("ops"), with the markdown rendered here.

The view batches events for one frame and asks `TranscriptFeed.take_ops()` for what the page must do.
Per step, text goes through a `BlockSplitter`: blocks that are finished are rendered once and appended
(`blocks`), the open block is rendered again at most once per frame (`open`). So the cost of a frame is
bounded by the size of the open block, never by the length of the answer. Qt-free, so the rules are tested
without a page.

Ops (JSON objects the page's `satori.apply(ops)` understands):
`{"op": "turn", "question_html"}`, `{"op": "step", "index", "action"}`, `{"op": "blocks", "index",
"html": [..]}`, `{"op": "open", "index", "html"}`, `{"op": "step_end", "index"}`, `{"op": "answer",
"latex"}`, `{"op": "end", "summary"}`, `{"op": "clear"}`, `{"op": "keep_open", "value"}`,
`{"op": "theme", "value": "light" | "dark"}`, `{"op": "strings", "lang", "strings"}` (the page's words in the
window's language: ui/i18n/page.py). Tutor mode and answer checks (assets/web/tutor.js says what each shows):
`{"op": "turn", ..., "tutored": true}`, `{"op": "reveal", "turn", "index", "level", "label", "hint_html",
"note"}`, `{"op": "reveal_answer", "turn"}`, `{"op": "tutor_status", "turn", "text"}`, `{"op": "untutor",
"turn"}`, `{"op": "check", "turn", "verdict", "text", "student_label", "student_tex", "reference_label",
"reference_tex"}`. Solve several times (assets/web/samples.js): `{"op": "samples", "turn", "head",
"consensus_tex", "rows": [{"index", "label", "status", "answer_tex", "agree", "state"}]}`.

This is where the typed events (`core.coat`) and the end-of-turn summary (`engine.streaming.TurnSummary`)
become JSON, once: `page_summary` picks what the page's footer shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from satori_desktop.core.coat import AnswerFound, StepFinished, StepStarted, TextAppended, TranscriptEvent
from satori_desktop.core.markup import BlockSplitter, render_markup
from satori_desktop.engine.streaming import TurnSummary

if TYPE_CHECKING:  # the history's modules are imported where the store is opened, off the GUI thread
    from satori_desktop.history import Turn


def page_summary(summary: TurnSummary | Turn) -> dict[str, Any]:
    """What the turn's footer shows (turns.js `endTurn`): how it ended, the error sentence, and the
    figures it has (a turn that produced nothing, or an export, shows none). A turn from the history
    shows as it was recorded, "interrupted" included."""
    shown: dict[str, Any] = {"finish_reason": summary.finish_reason, "error": summary.error}
    if summary.generated_tokens:
        shown["generated_tokens"] = summary.generated_tokens
        shown["decode_tok_s"] = summary.decode_tok_s
        shown["elapsed_s"] = summary.elapsed_s
    return shown


class TranscriptFeed:
    """Turns transcript events (`core.coat`) into page ops; one instance per view."""

    def __init__(self) -> None:
        self._ops: list[dict[str, Any]] = []
        self._splitters: dict[int, BlockSplitter] = {}
        self._dirty: dict[int, None] = {}  # steps whose open block changed since the last take (ordered)

    def has_pending(self) -> bool:
        return bool(self._ops or self._dirty)

    def begin_turn(self, question: str, *, tutored: bool = False) -> None:
        self._close_open_steps()
        self._splitters.clear()
        question_html = render_markup(question) if question.strip() else ""
        op: dict[str, Any] = {"op": "turn", "question_html": question_html}
        if tutored:
            op["tutored"] = True
        self._ops.append(op)

    def reveal_step(self, turn: int, index: int, *, hint: str | None, label: str, note: str = "") -> None:
        """Show step `index` of turn `turn` as a hint (`hint`: its markdown, with `label` saying what kind
        of step it is) or, with `hint` None, whole (`note`: a line on top saying why the step matters)."""
        op: dict[str, Any] = {"op": "reveal", "turn": turn, "index": index, "label": label, "note": note}
        if hint is None:
            op["level"] = "shown"
        else:
            op["level"] = "hint"
            op["hint_html"] = render_markup(hint)
        self._ops.append(op)

    def reveal_answer(self, turn: int) -> None:
        self._ops.append({"op": "reveal_answer", "turn": turn})

    def tutor_status(self, turn: int, text: str) -> None:
        self._ops.append({"op": "tutor_status", "turn": turn, "text": text})

    def untutor(self, turn: int) -> None:
        self._ops.append({"op": "untutor", "turn": turn})

    def samples(self, turn: int, *, head: str, consensus_tex: str, rows: list[dict[str, Any]]) -> None:
        """The samples card of turn `turn`, whole: its head line, the agreed answer ("" while solving)
        and one row per solution."""
        self._ops.append(
            {"op": "samples", "turn": turn, "head": head, "consensus_tex": consensus_tex, "rows": rows}
        )

    def add_check(
        self,
        turn: int,
        *,
        verdict: str,
        text: str,
        student: tuple[str, str],
        reference: tuple[str, str] | None,
    ) -> None:
        """An answer check under turn `turn`: `verdict` "match", "mismatch" or "unknown", its sentence,
        and (label, LaTeX) of the student's answer and of the reference (None: not shown)."""
        if verdict not in ("match", "mismatch", "unknown"):
            raise ValueError(f"a check's verdict is match, mismatch or unknown, not {verdict!r}")
        self._ops.append(
            {
                "op": "check",
                "turn": turn,
                "verdict": verdict,
                "text": text,
                "student_label": student[0],
                "student_tex": student[1],
                "reference_label": reference[0] if reference else "",
                "reference_tex": reference[1] if reference else "",
            }
        )

    def end_turn(self, summary: TurnSummary | Turn) -> None:
        self._close_open_steps()
        self._ops.append({"op": "end", "summary": page_summary(summary)})

    def clear(self) -> None:
        # The theme and the words are how the page looks and speaks, not what it holds: ones not yet sent
        # survive the clear.
        kept = [op for op in self._ops if op["op"] == "strings"][-1:]
        kept += [op for op in self._ops if op["op"] == "theme"][-1:]
        self._ops.clear()
        self._dirty.clear()
        self._splitters.clear()
        self._ops.extend(kept)
        self._ops.append({"op": "clear"})

    def keep_sections_open(self, value: bool) -> None:
        self._ops.append({"op": "keep_open", "value": bool(value)})

    def set_theme(self, value: str) -> None:
        """Show the page "light" or "dark" (transcript.css `html.theme-dark`)."""
        if value not in ("light", "dark"):
            raise ValueError(f"the page's theme is 'light' or 'dark', not {value!r}")
        self._ops.append({"op": "theme", "value": value})

    def set_strings(self, lang: str, strings: dict[str, Any]) -> None:
        """The page's words in the window's language (`lang` as a page names it, "zh-CN")."""
        self._ops.append({"op": "strings", "lang": lang, "strings": strings})

    def add_events(self, events: Iterable[TranscriptEvent]) -> None:
        for event in events:
            if isinstance(event, StepStarted):
                self._start_step(event.index, event.action.value)
            elif isinstance(event, TextAppended):
                self._append(event.index, event.text)
            elif isinstance(event, StepFinished):
                self._finish_step(event.index)
            elif isinstance(event, AnswerFound):
                self._ops.append({"op": "answer", "latex": event.latex})

    def take_ops(self) -> list[dict[str, Any]]:
        """Everything the page must do since the last call; the open blocks are rendered now."""
        for index in self._dirty:
            splitter = self._splitters.get(index)
            if splitter is not None:
                self._ops.append({"op": "open", "index": index, "html": render_markup(splitter.open_text)})
        self._dirty.clear()
        ops, self._ops = self._ops, []
        return ops

    def _start_step(self, index: int, action: str) -> None:
        if index in self._splitters:
            return
        self._splitters[index] = BlockSplitter()
        self._ops.append({"op": "step", "index": index, "action": action})

    def _append(self, index: int, text: str) -> None:
        if index not in self._splitters:
            self._start_step(index, "continue")
        finished = self._splitters[index].feed(text)
        if finished:
            self._add_blocks(index, finished)
        self._dirty[index] = None

    def _add_blocks(self, index: int, blocks: list[str]) -> None:
        html = [render_markup(block) for block in blocks if block.strip()]
        if not html:
            return
        last = self._ops[-1] if self._ops else None
        if last is not None and last["op"] == "blocks" and last["index"] == index:
            last["html"].extend(html)
        else:
            self._ops.append({"op": "blocks", "index": index, "html": html})

    def _finish_step(self, index: int) -> None:
        splitter = self._splitters.pop(index, None)
        if splitter is None:
            return
        self._add_blocks(index, splitter.finish())
        self._dirty.pop(index, None)
        self._ops.append({"op": "step_end", "index": index})

    def _close_open_steps(self) -> None:
        for index in list(self._splitters):
            self._finish_step(index)
