r"""Extracting the final answer: the last \boxed{...} with balanced braces, incrementally."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from satori_desktop.core.answer import BoxedScanner, boxed_contents, final_answer


def test_nested_braces_are_balanced() -> None:
    assert final_answer(r"so $\boxed{\frac{\sqrt{2}}{2}}$.") == r"\frac{\sqrt{2}}{2}"


def test_last_box_wins_and_fbox_counts() -> None:
    assert final_answer(r"\boxed{1} then \fbox{2}") == "2"
    assert boxed_contents(r"\boxed{1} then \fbox{2}") == ["1", "2"]


def test_escaped_braces_do_not_count() -> None:
    assert final_answer(r"\boxed{\{1, 2\}}") == r"\{1, 2\}"


def test_space_before_brace_and_other_macros() -> None:
    assert final_answer(r"\boxed {x+1}") == "x+1"
    assert final_answer(r"\boxedsomething{x}") is None


def test_unclosed_box_is_no_answer() -> None:
    assert final_answer(r"the answer is \boxed{\frac{1}{2}") is None
    assert final_answer("no box here") is None


def test_streamed_character_by_character() -> None:
    text = r"First \boxed{a{b}c}, then \fbox {d}."
    scanner = BoxedScanner()
    found: list[str] = []
    for char in text:
        found += scanner.feed(char)
    assert found == ["a{b}c", "d"]


@given(
    st.lists(
        st.sampled_from(["\\boxed{", "\\fbox{", "{", "}", "\\", "x", " ", "\\{", "b", "o"]), max_size=30
    ),
    st.lists(st.integers(min_value=0, max_value=200), max_size=10),
)
def test_chunking_does_not_change_the_boxes(pieces: list[str], cuts: list[int]) -> None:
    text = "".join(pieces)
    scanner = BoxedScanner()
    found: list[str] = []
    previous = 0
    for cut in sorted({c for c in cuts if c <= len(text)}):
        found += scanner.feed(text[previous:cut])
        previous = cut
    found += scanner.feed(text[previous:])
    assert found == boxed_contents(text)
