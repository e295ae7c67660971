"""Math/markdown segmentation of model text for the transcript page.

The model writes markdown with LaTeX math in four delimiter styles (`$...$`, `$$...$$`, `\\(...\\)`,
`\\[...\\]`) and bare environments (`\\begin{align*}...`). Markdown parsers mangle math (`_` and `*` are
emphasis to them), so math is cut out first and replaced by placeholders, markdown is rendered around the
placeholders, and each placeholder becomes an element carrying its TeX for KaTeX to typeset in the page.

Streaming shapes the rules:
- an opener whose closer has not arrived yet stays plain text, so a half-written formula is never sent to
  KaTeX (no red error flash) and typesets in place once it closes;
- a dollar amount is not math: a single `$` opens only before a non-space, closes only after a non-space
  and not before a digit ("$5 and $10" stays text), a "formula" that starts with a digit and holds a word
  of prose is an amount ("$3.50, not $x$"), and `\\$` is a literal dollar;
- text is cut into blocks at blank lines (`BlockSplitter`) so the page only re-renders the open block:
  a finished block never changes again, which keeps the cost of a token independent of the answer's length.

Safety: markdown-it runs with raw HTML disabled and with links and images switched off (the page is
offline; a `javascript:` link or a remote image must stay text), and every character of model text reaches
the HTML escaped. Qt-free by design (the import-linter contract): the CLI export and tests use it too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

# "pending": a formula whose closer has not arrived; shown as its source, verbatim, until it closes.
SegmentKind = Literal["text", "math", "pending"]

# Environments KaTeX typesets in display mode that models write without `$$` around them.
MATH_ENVIRONMENTS = frozenset(
    {
        "align",
        "align*",
        "aligned",
        "alignat",
        "alignat*",
        "alignedat",
        "array",
        "bmatrix",
        "Bmatrix",
        "cases",
        "dcases",
        "equation",
        "equation*",
        "gather",
        "gather*",
        "gathered",
        "matrix",
        "multline",
        "multline*",
        "pmatrix",
        "smallmatrix",
        "split",
        "subarray",
        "vmatrix",
        "Vmatrix",
        "rcases",
    }
)

# Placeholders use private-use characters; the same characters in model text are replaced beforehand so
# the model cannot forge one.
_PH_OPEN = "\ue000"
_PH_CLOSE = "\ue001"
_PLACEHOLDER_RE = re.compile(f"{_PH_OPEN}(\\d+){_PH_CLOSE}")
_BEGIN_RE = re.compile(r"\\begin\{([A-Za-z]+\*?)\}")
_PLACEHOLDER_AT_END_RE = re.compile(f"{_PH_OPEN}(\\d+){_PH_CLOSE}$")
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")
# A word of prose inside "$3.50, not $": an amount followed by text, not a formula.
_PROSE_WORD_RE = re.compile(r"(?<![\\{])\s[A-Za-z]{2,}(?=[\s,.;:!?]|$)")


@dataclass(frozen=True)
class Segment:
    """A run of text, or one formula: `source` is exactly what the model wrote (delimiters included)."""

    kind: SegmentKind
    source: str
    tex: str = ""
    display: bool = False


@dataclass(frozen=True)
class MathScan:
    """The segments of a text, and which block construct (if any) is still open at its end."""

    segments: list[Segment]
    # "$$", "\\[", "\\begin" or "```" when such an opener has no closer yet: the rest of the text is
    # inside it (the block splitter must not cut there), otherwise None.
    open_construct: str | None


def _find_dollar_closer(text: str, start: int) -> int:
    """Index of the `$` closing inline math whose body starts at `start`, or -1."""
    i = start
    n = len(text)
    while True:
        i = text.find("$", i)
        if i < 0:
            return -1
        if text[i - 1] == "\\":
            i += 1
            continue
        if i + 1 < n and text[i + 1] == "$":
            # `$$` inside inline math would start display math; not a closer of this formula.
            return -1
        if text[i - 1].isspace() or (i + 1 < n and text[i + 1].isdigit()):
            i += 1
            continue
        return i


def _find_closing_brace(text: str, start: int) -> int:
    """Index just past the `}` that balances an opening brace just before `start`, or -1."""
    depth = 1
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _find_env_end(text: str, start: int, env: str) -> int:
    """Index just past the `\\end{env}` matching a `\\begin{env}` whose body starts at `start`, or -1."""
    begin, end = f"\\begin{{{env}}}", f"\\end{{{env}}}"
    depth = 1
    i = start
    while depth:
        next_end = text.find(end, i)
        if next_end < 0:
            return -1
        next_begin = text.find(begin, i, next_end)
        if next_begin >= 0:
            depth += 1
            i = next_begin + len(begin)
        else:
            depth -= 1
            i = next_end + len(end)
    return i


def scan_math(text: str) -> MathScan:
    """Split `text` into text and math segments (see the module docstring for the rules)."""
    segments: list[Segment] = []
    n = len(text)
    plain_start = 0
    i = 0

    def flush_plain(upto: int) -> None:
        if upto > plain_start:
            segments.append(Segment("text", text[plain_start:upto]))

    def pending_to_end(start: int, construct: str | None) -> MathScan:
        flush_plain(start)
        segments.append(Segment("pending", text[start:]))
        return MathScan(segments, construct)

    def add_math(start: int, end: int, tex: str, display: bool) -> None:
        nonlocal plain_start
        flush_plain(start)
        segments.append(Segment("math", text[start:end], tex, display))
        plain_start = end

    while i < n:
        ch = text[i]
        if ch == "`":
            run_end = i
            while run_end < n and text[run_end] == "`":
                run_end += 1
            fence = text[i:run_end]
            # A code span/fence ends at the next run of exactly the same length; math inside stays code.
            search = run_end
            close = -1
            while True:
                found = text.find(fence, search)
                if found < 0:
                    break
                after = found + len(fence)
                if after < n and text[after] == "`":
                    while after < n and text[after] == "`":
                        after += 1
                    search = after
                    continue
                close = found
                break
            if close < 0:
                if len(fence) >= 3 and (i == 0 or text[i - 1] == "\n"):
                    flush_plain(n)
                    return MathScan(segments, "```")
                i = run_end
                continue
            i = close + len(fence)
            continue
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt in "([":
                closer = "\\)" if nxt == "(" else "\\]"
                close = text.find(closer, i + 2)
                if close < 0:
                    return pending_to_end(i, "\\[" if nxt == "[" else None)
                add_math(i, close + 2, text[i + 2 : close], nxt == "[")
                i = close + 2
                continue
            if nxt == "b" and text.startswith("\\boxed{", i):
                # A bare \boxed{...} in text (models write it so): the answer, typeset inline.
                end = _find_closing_brace(text, i + len("\\boxed{"))
                if end < 0:
                    return pending_to_end(i, None)
                add_math(i, end, text[i:end], False)
                i = end
                continue
            if nxt == "b":
                match = _BEGIN_RE.match(text, i)
                if match and match.group(1) in MATH_ENVIRONMENTS:
                    end = _find_env_end(text, match.end(), match.group(1))
                    if end < 0:
                        return pending_to_end(i, "\\begin")
                    add_math(i, end, text[i:end], True)
                    i = end
                    continue
            # Any other backslash pair (`\$`, `\\`, `\alpha` in text) is literal: skip both characters.
            i += 2
            continue
        if ch == "$":
            if i + 1 < n and text[i + 1] == "$":
                close = text.find("$$", i + 2)
                while close >= 0 and text[close - 1] == "\\":
                    close = text.find("$$", close + 1)
                if close < 0:
                    return pending_to_end(i, "$$")
                if not text[i + 2 : close].strip():
                    i = close + 2
                    continue
                add_math(i, close + 2, text[i + 2 : close], True)
                i = close + 2
                continue
            if i + 1 < n and not text[i + 1].isspace():
                close = _find_dollar_closer(text, i + 1)
                if close >= 0 and text[i + 1].isdigit() and _PROSE_WORD_RE.search(text, i + 1, close):
                    close = -1
                if close >= 0:
                    add_math(i, close + 1, text[i + 1 : close], False)
                    i = close + 1
                    continue
            i += 1
            continue
        i += 1
    flush_plain(n)
    return MathScan(segments, None)


def split_math(text: str) -> list[Segment]:
    """The segments of `text`; an unclosed opener and everything after it are one pending segment."""
    return scan_math(text).segments


class BlockSplitter:
    """Cuts a growing text into finished blocks and one open tail, as the text streams in.

    A block ends at a blank line, unless a display formula or a code fence is still open there (a blank
    line inside `\\[...\\]` must not cut the formula in two). A block that grows past `soft_limit`
    characters may also end at a single newline, so a model that never writes a blank line still gets
    finished blocks and the open block stays small. `feed` costs O(len(chunk)) amortised.
    """

    def __init__(self, soft_limit: int = 2000) -> None:
        self._open = ""
        # Where the next blank-line search starts: every earlier blank line was looked at already.
        self._scan_from = 0
        # The newline a soft cut was last refused at, so a long open formula is not rescanned per chunk.
        self._soft_refused_at = -1
        self._soft_limit = soft_limit

    @property
    def open_text(self) -> str:
        return self._open

    def feed(self, chunk: str) -> list[str]:
        """Add streamed text; returns the blocks it finished, in order."""
        self._open += chunk
        finished: list[str] = []
        while True:
            cut = self._next_cut()
            if cut is None:
                break
            finished.append(self._open[:cut])
            self._open = self._open[cut:]
            self._scan_from = 0
            self._soft_refused_at = -1
        return finished

    def finish(self) -> list[str]:
        """Close the open tail (end of the step): returns it as the last block, if it has any text."""
        tail, self._open, self._scan_from, self._soft_refused_at = self._open, "", 0, -1
        return [tail] if tail.strip() else []

    def _next_cut(self) -> int | None:
        text = self._open
        while True:
            match = _BLANK_LINE_RE.search(text, self._scan_from)
            if match is None:
                break
            # Resume after this blank line next time, whatever is decided here.
            self._scan_from = match.end() - 1
            if not text[: match.start()].strip():
                continue
            if scan_math(text[: match.start()]).open_construct is None:
                return match.end()
        # A blank line still to come starts at a newline: the last one seen, or one not yet arrived.
        last_newline = text.rfind("\n", self._scan_from)
        self._scan_from = last_newline if last_newline >= 0 else len(text)
        if len(text) > self._soft_limit:
            newline = text.rfind("\n", 0, len(text) - 1)
            if newline > 0 and newline != self._soft_refused_at:
                if scan_math(text[:newline]).open_construct is None:
                    return newline + 1
                self._soft_refused_at = newline
        return None


def _sanitise(text: str) -> str:
    # NUL and the placeholder characters must never come from the model.
    return text.replace("\x00", "\ufffd").replace(_PH_OPEN, "\ufffd").replace(_PH_CLOSE, "\ufffd")


def _math_html(segment: Segment) -> str:
    if segment.kind == "pending":
        return f'<span class="math-pending">{html.escape(segment.source, quote=False)}</span>'
    kind = "math-display" if segment.display else "math-inline"
    # The source is the element's text until KaTeX replaces it, so a page without KaTeX still reads.
    return (
        f'<span class="math {kind}" data-tex="{html.escape(segment.tex, quote=True)}">'
        f"{html.escape(segment.source, quote=False)}</span>"
    )


def _restore_sources(text: str, math: Sequence[Segment]) -> str:
    return _PLACEHOLDER_RE.sub(lambda m: math[int(m.group(1))].source, text)


def _drop_breaks_around_display_math(state: Any) -> None:
    """Remove a line break next to a display formula: the formula is a block of its own already."""
    math: Sequence[Segment] = state.env.get("math", ())

    def is_display(index: int) -> bool:
        return 0 <= index < len(math) and math[index].display

    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = token.children
        keep: list[Token] = []
        for pos, child in enumerate(children):
            if child.type in ("softbreak", "hardbreak"):
                before = keep[-1].content.rstrip() if keep and keep[-1].type == "text" else ""
                after = ""
                if pos + 1 < len(children) and children[pos + 1].type == "text":
                    after = children[pos + 1].content.lstrip()
                prev = _PLACEHOLDER_AT_END_RE.search(before)
                nxt = _PLACEHOLDER_RE.match(after)
                if (prev and is_display(int(prev.group(1)))) or (nxt and is_display(int(nxt.group(1)))):
                    continue
            keep.append(child)
        token.children = keep


def _make_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    # Offline page: no links to follow, no images to load. Four-space indents are the model's layout of
    # equations, not code blocks.
    md.disable(["link", "image", "autolink", "html_inline", "html_block", "code"])
    md.core.ruler.push("satori_display_math_breaks", _drop_breaks_around_display_math)

    def render_text(
        renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
    ) -> str:
        math: Sequence[Segment] = env.get("math", ())
        escaped = html.escape(tokens[idx].content, quote=False)
        return _PLACEHOLDER_RE.sub(lambda m: _math_html(math[int(m.group(1))]), escaped)

    def render_code_inline(
        renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
    ) -> str:
        content = _restore_sources(tokens[idx].content, env.get("math", ()))
        return f"<code>{html.escape(content, quote=False)}</code>"

    def render_fence(
        renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
    ) -> str:
        # The info string is dropped on purpose: no syntax highlighting, and nothing model-written ends
        # up in an attribute.
        content = _restore_sources(tokens[idx].content, env.get("math", ()))
        return f"<pre><code>{html.escape(content, quote=False)}</code></pre>\n"

    md.add_render_rule("text", render_text)
    md.add_render_rule("code_inline", render_code_inline)
    md.add_render_rule("fence", render_fence)
    return md


_MARKDOWN = _make_markdown()


def render_markup(text: str) -> str:
    """Safe HTML for model or user text: markdown rendered, math left as `span.math[data-tex]` elements.

    The page typesets each `span.math` with KaTeX; until then (or if KaTeX cannot parse it) the span
    shows the formula's source.
    """
    segments = split_math(_sanitise(text))
    math: list[Segment] = []
    parts: list[str] = []
    for segment in segments:
        if segment.kind != "text":
            parts.append(f"{_PH_OPEN}{len(math)}{_PH_CLOSE}")
            math.append(segment)
        else:
            parts.append(segment.source)
    return _MARKDOWN.render("".join(parts), {"math": math})
