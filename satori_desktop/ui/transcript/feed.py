"""From COAT events to the page's update operations ("ops"), with the markdown rendered here.

The view batches events for one frame and asks `TranscriptFeed.take_ops()` for what the page must do.
Per step, text goes through a `BlockSplitter`: blocks that are finished are rendered once and appended
(`blocks`), the open block is rendered again at most once per frame (`open`). So the cost of a frame is
bounded by the size of the open block, never by the length of the answer. Qt-free, so the rules are tested
without a page.

Ops (JSON objects the page's `satori.apply(ops)` understands):
`{"op": "turn", "question_html"}`, `{"op": "step", "index", "action"}`, `{"op": "blocks", "index",
"html": [..]}`, `{"op": "open", "index", "html"}`, `{"op": "step_end", "index"}`, `{"op": "answer",
"latex"}`, `{"op": "end", "summary"}`, `{"op": "clear"}`, `{"op": "keep_open", "value"}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from satori_desktop.core.markup import BlockSplitter, render_markup

_ACTIONS = frozenset({"start", "continue", "reflect", "explore"})


class TranscriptFeed:
    """Turns event dicts (`core.coat.event_to_dict`) into page ops; one instance per view."""

    def __init__(self) -> None:
        self._ops: list[dict[str, Any]] = []
        self._splitters: dict[int, BlockSplitter] = {}
        self._dirty: dict[int, None] = {}  # steps whose open block changed since the last take (ordered)

    def has_pending(self) -> bool:
        return bool(self._ops or self._dirty)

    def begin_turn(self, question: str) -> None:
        self._close_open_steps()
        self._splitters.clear()
        self._ops.append({"op": "turn", "question_html": render_markup(question) if question.strip() else ""})

    def end_turn(self, summary: Mapping[str, Any]) -> None:
        self._close_open_steps()
        self._ops.append({"op": "end", "summary": _json_safe(summary)})

    def clear(self) -> None:
        self._ops.clear()
        self._dirty.clear()
        self._splitters.clear()
        self._ops.append({"op": "clear"})

    def keep_sections_open(self, value: bool) -> None:
        self._ops.append({"op": "keep_open", "value": bool(value)})

    def add_events(self, events: Iterable[Mapping[str, Any]]) -> None:
        for event in events:
            kind = event.get("type")
            if kind == "step_started":
                index = int(event["index"])
                action = str(event.get("action", "continue"))
                self._start_step(index, action if action in _ACTIONS else "continue")
            elif kind == "text_appended":
                self._append(int(event["index"]), str(event.get("text", "")))
            elif kind == "step_finished":
                self._finish_step(int(event["index"]))
            elif kind == "answer":
                self._ops.append({"op": "answer", "latex": str(event.get("latex", ""))})

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


def _json_safe(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Only plain JSON values reach the page (the summary comes from engine results)."""
    safe: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            safe[str(key)] = value
    return safe
