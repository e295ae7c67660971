"""What is typed, made ready to compare and to typeset (`checking.answers`): pure functions, no worker."""

from __future__ import annotations

import pytest

from satori_desktop.checking import display_latex
from satori_desktop.checking.answers import prepare_answer, strip_delimiters


@pytest.mark.parametrize(
    ("typed", "bare"),
    [
        ("$1/2$", "1/2"),
        ("$$x^2$$", "x^2"),
        (r"\(\frac{1}{2}\)", r"\frac{1}{2}"),
        (r"\[ x=3 \]", "x=3"),
        (" 12 cm ", "12 cm"),
        ("$", "$"),  # a lone dollar is not a pair of delimiters
    ],
)
def test_strip_delimiters(typed: str, bare: str) -> None:
    assert strip_delimiters(typed) == bare


@pytest.mark.parametrize(
    ("typed", "kind", "compared"),
    [
        ("", "empty", ""),
        ("$ $", "empty", ""),
        ("(B)", "choice", "B"),
        ("C)", "choice", "C"),
        (r"\textbf{(D)}", "choice", "D"),
        ("(e)", "choice", "E"),
        ("e", "math", "$e$"),  # a bare lower-case letter is Euler's number or a variable
        ("F", "math", "$F$"),  # choices are A to E
        ("Yes", "text", "yes"),
        (r"\text{No solution.}", "text", "no solution"),
        ("abc", "math", "$abc$"),  # three letters are a product, not a word
        ("infinity", "math", "$infinity$"),
        ("x or y", "math", "$x or y$"),
        ("pi/2", "math", r"$\pi /2$"),
        ("∞", "math", r"$\infty$"),
        ("1+", "unreadable", ""),
        (r"\frac{1}{", "unreadable", ""),
        ("(2,3]", "math", "$(2,3]$"),
    ],
)
def test_prepare_answer(typed: str, kind: str, compared: str) -> None:
    prepared = prepare_answer(typed)
    assert (prepared.kind, prepared.compared) == (kind, compared)


@pytest.mark.parametrize(
    ("typed", "latex"),
    [
        ("$1/2$", "1/2"),
        (r"\(\frac{1}{2}\)", r"\frac{1}{2}"),
        ("x=3 or x=-3", r"x=3 \text{ or } x=-3"),
        ("x=1 and y=2", r"x=1 \text{ and } y=2"),
        (r"x=3 \text{ or } x=-3", r"x=3 \text{ or } x=-3"),  # already LaTeX: unchanged
        ("no solution", r"\text{no solution}"),
        (r"\text{yes}", r"\text{yes}"),
        (r"\pm 3", r"\pm 3"),
        ("(2, 3]", "(2, 3]"),
        ("", ""),
    ],
)
def test_display_latex(typed: str, latex: str) -> None:
    assert display_latex(typed) == latex
