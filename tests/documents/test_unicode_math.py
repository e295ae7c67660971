"""Plain text with Unicode math, from KaTeX's MathML of real formulas."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from satori_desktop.documents.unicode_math import mathml_to_unicode

Katex = Callable[[str, bool], str]

WRITTEN = [
    (r"x^2 + \sqrt{2}", "x² + √2"),
    (r"\frac12", "½"),
    (r"\frac{3}{4}", "¾"),
    (r"\frac{x+1}{2}", "(x + 1)/2"),
    (r"\frac{a}{b}", "a/b"),
    (r"\frac{n(n+1)}{2}", "n(n + 1)/2"),
    (r"\sqrt{x+1}", "√(x + 1)"),
    (r"\sqrt[3]{x}", "∛x"),
    (r"\sqrt[n+1]{x}", "ⁿ⁺¹√x"),
    (r"a \le b \ge c", "a ≤ b ≥ c"),
    (r"\pm 3 \times 4 \div 2", "±3 × 4 ÷ 2"),
    (r"\pi r^2", "πr²"),
    (r"\theta \to \infty", "θ → ∞"),
    (r"x_i^2", "xᵢ²"),
    (r"a_{n+1}", "aₙ₊₁"),
    (r"x^{n-1}", "xⁿ⁻¹"),
    (r"e^{i\pi}", "e^(iπ)"),
    (r"\sum_{k=1}^{n} k", "∑ₖ₌₁ⁿ k"),
    (r"\int_0^1 f(x)\,dx", "∫₀¹ f(x) dx"),
    (r"\lim_{x\to 0} \frac{\sin x}{x}", "lim_(x→0) (sin x)/x"),
    (r"\sin^2 x + \cos^2 x = 1", "sin² x + cos² x = 1"),
    (r"\text{if } x>0", "if x > 0"),
    (r"x<0", "x < 0"),
    (r"\boxed{x=2}", "x = 2"),
    (r"\hat{x}", "x̂"),
    (r"\vec{v}", "v⃗"),
    (r"\mathbb{R}^n", "ℝⁿ"),
    (r"f'(x)", "f′(x)"),
    (r"-x + 1", "−x + 1"),
    (r"\text{中文}", "中文"),
    (r"\left(\frac{a}{b}\right)^2", "(a/b)²"),
    (r"\sqrt{\frac{a}{b}}", "√(a/b)"),
    (r"\sqrt{2x}", "√(2x)"),
    (r"\frac{\frac{a}{b}}{c}", "(a/b)/c"),
    (r"a \not= b", "a ≠ b"),
    (r"\overline{AB}", "A̅B̅"),
    (r"1,2,\dots,n", "1, 2, …, n"),
    (r"\log_2 x", "log₂ x"),
    (r"\max_{x\in A} f(x)", "max_(x∈A) f(x)"),
    (r"a \pmod{3}", "a (mod 3)"),
    (r"10\%", "10%"),
    (r"|x| + \operatorname{lcm}(a,b)", "|x| + lcm(a, b)"),
]

NOT_WRITTEN = [
    r"\begin{pmatrix}1&2\\3&4\end{pmatrix}",
    r"\begin{bmatrix}a\\b\end{bmatrix}",
    r"\begin{cases} 1 & x>0 \\ 0 & \text{otherwise}\end{cases}",
    r"\begin{aligned} a&=b\\ c&=d \end{aligned}",
    r"\binom{n}{k}",
    r"\underbrace{a+b}_{n}",
    r"\sqrt[q]{x}",  # no superscript q in Unicode
    r"\widehat{ABC}",  # a hat over each letter would say something else
    r"\stackrel{def}{=}",
]


def test_a_tagged_equation_keeps_its_tag(katex: Katex) -> None:
    assert mathml_to_unicode(katex(r"\tag{1} x=1", True)) == "x = 1 (1)"


@pytest.mark.parametrize(("latex", "text"), WRITTEN, ids=[w[0] for w in WRITTEN])
def test_written_in_unicode(katex: Katex, latex: str, text: str) -> None:
    assert mathml_to_unicode(katex(latex, False)) == text


@pytest.mark.parametrize("latex", NOT_WRITTEN)
def test_not_faithful_in_plain_text(katex: Katex, latex: str) -> None:
    assert mathml_to_unicode(katex(latex, True)) is None


def test_not_mathml_is_none() -> None:
    assert mathml_to_unicode("not xml <") is None
