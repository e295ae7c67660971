"""Model outputs the transcript tests render: one realistic solution and the awkward cases."""

from __future__ import annotations

SOLUTION = r"""To solve the equation \(2x + 3 = 7\), we first isolate the term with \(x\).
Subtract 3 from both sides:
\[
2x + 3 - 3 = 7 - 3 \implies 2x = 4
\]

<|continue|>
Next, divide both sides by 2:
\[
x = \frac{4}{2} = 2
\]

<|reflect|>
Let's verify the solution by substituting $x = 2$ back into the original equation:
$$2(2) + 3 = 4 + 3 = 7$$
The left side equals the right side, so **the solution is correct**.

<|explore|>
Alternatively, think of the function $f(x) = 2x + 3$ and find where $f(x) = 7$:
\begin{align*}
f(x) &= 7 \\
2x &= 4 \\
x &= 2
\end{align*}
A price of $5 and $10 is not math, and `$code$` stays code.

<|continue|>
Therefore, the final answer is:
1. it is an integer,
2. it is *positive*, with cases
$$|x| = \begin{cases} x & x \ge 0 \\ -x & x < 0 \end{cases},
\quad M = \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$$

\[
\boxed{2}
\]<|im_end|>"""

INJECTION = r"""<script>window.pwned = 1</script> and <img src=x onerror="window.pwned = 2">
[click me](javascript:window.pwned=3) and <a href="javascript:window.pwned=4">link</a>
</details></section></div></article><b>bold?</b> <iframe src="http://127.0.0.1:9/"></iframe>
Math that tries: $\href{javascript:window.pwned=5}{x}$ and \(\htmlClass{evil}{y}\) and $\url{http://127.0.0.1:9/}$

<|reflect|>
</details><details open><summary>fake</summary> inside a section `<script>window.pwned=6</script>`

<|continue|>
So \boxed{<script>window.pwned=7</script>}"""

UNBALANCED = r"""Unbalanced: $\frac{1}{2$ and \[ x^{2 \] and $$\left( a $$ and \(\sqrt{\)

<|continue|>
Closing braces only: $a}}}$ then \begin{align*} x &= 1 \\ \end{aligned} \end{align*}

Answer \boxed{\frac{1}{2}"""

NO_META = r"""The sum of the first $n$ odd numbers is $n^2$, so for $n = 5$ it is
\[
1 + 3 + 5 + 7 + 9 = 25.
\]
The answer is $\boxed{25}$."""

NO_BOXED = r"""<|continue|>
Let $y = 3$. Then $y^2 = 9$.

<|reflect|>
Check: $3 \cdot 3 = 9$. Correct, but I never box the result."""

CUT_OFF = r"""<|continue|>
We compute the integral
\[
\int_0^1 x^2 \, dx = \left[ \frac{x^3}{3} \right]_0^1 = \frac{1"""


def long_formula(chars: int = 10_000) -> str:
    terms = []
    size = 0
    k = 1
    while size < chars:
        term = f"\\frac{{{k}}}{{{k + 1}}} + "
        terms.append(term)
        size += len(term)
        k += 1
    return "A long sum:\n$$" + "".join(terms) + "0$$\nand then \\boxed{1}"
