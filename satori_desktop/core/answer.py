r"""Finding the final answer: the content of the last `\boxed{...}` (or `\fbox{...}`) in a solution.

Satori puts its answer in `\boxed{}` as the prompt asks. The content is LaTeX with nested braces, so a
regular expression cannot find its end; `BoxedScanner` balances braces (skipping escaped `\{` and `\}`)
and works incrementally, so the answer shows up while the model is still writing.
"""

from __future__ import annotations

import re

# `\boxed` / `\fbox`, not followed by a letter (so `\boxedfoo` is another macro), then optional spaces and
# the opening brace.
BOX_OPENING = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])\s*\{")
_LONGEST_OPENING_PREFIX = len(r"\boxed") + 8  # a little room for spaces between the macro and its brace


class BoxedScanner:
    r"""Incremental finder of `\boxed{...}` contents in a growing text.

    `feed(text)` returns the contents of the boxes that closed within the text fed so far and were not
    returned before, in order. Feeding a text in any chunks gives the same boxes as feeding it whole.
    """

    def __init__(self) -> None:
        self._pending = ""  # text not yet scanned to a conclusion
        self._depth = 0  # > 0 while inside a box
        self._content: list[str] = []
        self._escaped = False

    def feed(self, text: str) -> list[str]:
        found: list[str] = []
        self._pending += text
        while self._pending:
            if self._depth == 0:
                match = BOX_OPENING.search(self._pending)
                if match is None:
                    # Keep a tail that may be the start of a box opening split across chunks.
                    search_from = max(0, len(self._pending) - _LONGEST_OPENING_PREFIX)
                    backslash = self._pending.rfind("\\", search_from)
                    self._pending = self._pending[backslash:] if backslash >= 0 else ""
                    if self._pending and not _could_still_open(self._pending):
                        self._pending = ""
                    break
                self._pending = self._pending[match.end() :]
                self._depth = 1
                self._content = []
                self._escaped = False
            else:
                consumed = self._scan_inside(self._pending)
                self._pending = self._pending[consumed:]
                if self._depth == 0:
                    found.append("".join(self._content).strip())
        return found

    def _scan_inside(self, text: str) -> int:
        """Consume text inside a box; returns how much was consumed (all, or up to the closing brace)."""
        for position, char in enumerate(text):
            if self._escaped:
                self._escaped = False
            elif char == "\\":
                self._escaped = True
            elif char == "{":
                self._depth += 1
            elif char == "}":
                self._depth -= 1
                if self._depth == 0:
                    self._content.append(text[:position])
                    return position + 1
        self._content.append(text)
        return len(text)


def _could_still_open(tail: str) -> bool:
    r"""Whether `tail` (starting with a backslash) may grow into `\boxed {` or `\fbox{`."""
    name = tail[1:]
    stripped = name.rstrip()
    return any(macro.startswith(stripped) and stripped in (name, macro) for macro in ("boxed", "fbox"))


def boxed_contents(text: str) -> list[str]:
    r"""All complete `\boxed{...}` contents in `text`, in order."""
    return BoxedScanner().feed(text)


def final_answer(text: str) -> str | None:
    r"""The content of the last complete `\boxed{...}` in `text`, or None when there is none."""
    boxes = boxed_contents(text)
    return boxes[-1] if boxes else None
