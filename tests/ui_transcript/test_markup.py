"""The math/markdown segmentation behind the transcript page (core/markup.py): no Qt needed."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from satori_desktop.core.markup import BlockSplitter, render_markup, scan_math, split_math


def kinds(text: str) -> list[tuple[str, str]]:
    return [(s.kind, s.source) for s in split_math(text)]


def test_inline_and_display_delimiters() -> None:
    segments = split_math(r"a $x$ b \(y\) c $$z$$ d \[w\] e")
    math = [(s.tex, s.display) for s in segments if s.kind == "math"]
    assert math == [("x", False), ("y", False), ("z", True), ("w", True)]


def test_dollar_amounts_are_not_math() -> None:
    assert kinds("I have $5 and $10.") == [("text", "I have $5 and $10.")]
    assert kinds("costs $3.50, not $ x$") == [("text", "costs $3.50, not $ x$")]
    assert kinds(r"an escaped \$x\$ dollar") == [("text", r"an escaped \$x\$ dollar")]
    assert kinds("$x$5") == [("text", "$x$5")]
    assert [s.kind for s in split_math(r"$2 \text{ cm}$ and $3 \times 4$")] == ["math", "text", "math"]


def test_environments_outside_delimiters_are_display_math() -> None:
    text = "so \\begin{align*} a &= b \\\\ \\begin{align*} c \\end{align*} \\end{align*} done"
    segments = split_math(text)
    assert [s.kind for s in segments] == ["text", "math", "text"]
    assert segments[1].display
    assert segments[1].tex.startswith("\\begin{align*}") and segments[1].tex.endswith("\\end{align*}")
    assert kinds("\\begin{itemize} $x$") == [("text", "\\begin{itemize} "), ("math", "$x$")]


def test_code_is_not_math() -> None:
    assert kinds("`$x$` and ```\n$y$\n```") == [("text", "`$x$` and ```\n$y$\n```")]


def test_unclosed_formula_is_pending_to_the_end() -> None:
    scan = scan_math("we get \\[ x = \\frac{1}{")
    assert [s.kind for s in scan.segments] == ["text", "pending"]
    assert scan.open_construct == "\\["
    assert scan_math("$$ a").open_construct == "$$"
    assert scan_math("\\begin{cases} a").open_construct == "\\begin"
    assert scan_math("\\( a").open_construct is None  # inline: does not hold a block open
    assert scan_math("a $x$ b").open_construct is None


def test_render_escapes_everything_and_makes_no_links() -> None:
    out = render_markup('<script>x()</script> <img src=x onerror="y()"> [a](javascript:z()) </details>')
    assert "<script" not in out and "<img" not in out and "<a " not in out
    assert "&lt;script&gt;" in out and "&lt;/details&gt;" in out
    out = render_markup("![pic](http://127.0.0.1/x.png) <http://127.0.0.1/>")
    assert "<img" not in out and "href" not in out


def test_render_keeps_math_away_from_markdown() -> None:
    out = render_markup(r"*bold $a_1*b_2$* and $x_1$ and $y_2$")
    assert 'data-tex="a_1*b_2"' in out and 'data-tex="x_1"' in out and "<em>" in out
    assert 'data-tex="&lt;b&gt;"' in render_markup("$<b>$")


def test_render_pending_formula_is_verbatim_source() -> None:
    out = render_markup("open \\[ x \\\\ y")
    assert '<span class="math-pending">\\[ x \\\\ y</span>' in out


def test_model_cannot_forge_a_placeholder() -> None:
    out = render_markup("\ue0000\ue001 and $x$")
    assert out.count('class="math ') == 1


def test_no_line_break_around_display_math() -> None:
    out = render_markup("Solve:\n\\[x=1\\]\nso")
    assert "<br" not in out
    assert "<br" in render_markup("line one\nline two")


def test_block_splitter_cuts_at_blank_lines_outside_display_math() -> None:
    splitter = BlockSplitter()
    assert splitter.feed("one\n\ntwo \\[ a\n\n b \\] three\n\nfour") == [
        "one\n\n",
        "two \\[ a\n\n b \\] three\n\n",
    ]
    assert splitter.open_text == "four"
    assert splitter.finish() == ["four"]


def test_block_splitter_soft_limit_cuts_long_blocks_at_newlines() -> None:
    splitter = BlockSplitter(soft_limit=50)
    blocks = []
    for _ in range(20):
        blocks += splitter.feed("a line of text that goes on\n")
    assert blocks, "a long block without blank lines must still be cut"
    assert all(len(block) < 120 for block in blocks)


texts = st.lists(
    st.sampled_from(
        [*"ab $\\()[]{}`\n*_<>&\"'5", "\\[", "\\]", "$$", "\n\n", "\\begin{cases}", "\\end{cases}"]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_segments_cover_the_text_exactly(text: str) -> None:
    assert "".join(s.source for s in split_math(text)) == text


@settings(max_examples=200, deadline=None)
@given(text=texts, cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=8))
def test_any_chunking_gives_the_same_blocks(text: str, cuts: list[int]) -> None:
    def split(chunks: list[str]) -> list[str]:
        splitter = BlockSplitter(soft_limit=10_000)
        blocks: list[str] = []
        for chunk in chunks:
            blocks += splitter.feed(chunk)
        return [*blocks, splitter.open_text]

    points = sorted({min(c, len(text)) for c in cuts})
    chunks = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert split(chunks) == split([text])
    assert "".join(split(chunks)) == text


ALLOWED_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "ul", "ol", "li", "span", "h1", "h2", "h3", "h4", "h5",
    "h6", "blockquote", "hr", "table", "thead", "tbody", "tr", "th", "td", "s",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"class", "data-tex", "start", "style"}


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


hostile = st.lists(
    st.sampled_from(
        ["<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:", "[a](", ")", "](", "<",
         ">", '"', "'", "&", "$", "\\(", "\\)", "`", "\n", "\n\n", "*", "x", " ", "</details>", "<a href=",
         "| a | b |\n|---|---|\n", "- ", "1. ", "```", "\ue000", "\ue001", "0"]
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=hostile)
def test_rendered_html_only_has_safe_tags_and_attributes(text: str) -> None:
    collector = TagCollector()
    collector.feed(render_markup(text))
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES, name
            if name == "style":
                assert value is not None and value.startswith("text-align:")


def test_bare_boxed_answer_is_math() -> None:
    segments = split_math(r"so \boxed{\frac{1}{2}} ok")
    assert [(s.kind, s.tex) for s in segments] == [
        ("text", ""),
        ("math", r"\boxed{\frac{1}{2}}"),
        ("text", ""),
    ]
    assert [s.kind for s in split_math(r"Answer \boxed{\frac{1}{2}")] == ["text", "pending"]
    assert [s.kind for s in split_math(r"$\boxed{3}$")] == ["math"]
