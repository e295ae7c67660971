r"""Solutions the export tests write: one with every construct a worked solution uses, and the hostile
inputs the transcript page is held to (a 10,000-character formula, unbalanced braces, injection strings,
Chinese text, dollar amounts)."""

from __future__ import annotations

from satori_desktop.documents.solution import Solution, solution_from_trace

QUESTION = r"Solve $x^2 - 5x + 6 = 0$ and find $\int_0^1 x\,dx$."

# One formula of each kind; the comments say which OMML element each must become.
CONSTRUCTS = r"""We use $\frac{a}{b}$ and $\sqrt{2}$ and $\sqrt[3]{x}$, with $x_i^2$ and $a_{n+1}$.
The sum is
$$\sum_{k=1}^{n} k = \frac{n(n+1)}{2}$$
and the integral \(\int_0^1 x^2\,dx = \tfrac13\).

<|continue|>
The matrices are
\[
A = \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}, \quad B = \begin{bmatrix} 0 & 1 \\ 1 & 0 \end{bmatrix}
\]
and the absolute value is $|x| = \begin{cases} x & x \ge 0 \\ -x & x < 0 \end{cases}$.

<|reflect|>
Check each step:
\begin{aligned}
x^2 - 5x + 6 &= (x-2)(x-3) \\
&= 0
\end{aligned}
A price of $5 and $10 is not math.

<|explore|>
Alternatively, $\lim_{x \to 0} \frac{\sin x}{x} = 1$ gives nothing new.

<|continue|>
Therefore, the final answer is $\boxed{x = 2 \text{ or } x = 3}$."""
CONSTRUCT_FORMULAS = 12  # in the steps (the question has 2 more, the answer card 1: 15 in all)

# Over 10,000 characters. (Not 1,000 subscripts: LibreOffice 7.4 refuses a whole .docx that has a formula
# with about 1,024 scripts or more, a limit of its formula parser; Word has none we know of.)
LONG_FORMULA = "+".join(f"\\frac{{{i}}}{{{i + 1}}}" for i in range(800))
assert len(LONG_FORMULA) > 10_000
HOSTILE = "\n<|continue|>\n".join(
    [
        r"Unbalanced: $\frac{1}{2$ and \[ x^{2 \] and $a}}}$ then "
        r"\begin{align*} x &= 1 \\ \end{aligned} \end{align*}",
        r"Injection: </math><script>alert(1)</script> and $</math><script>alert(1)</script>$ and "
        r"\input{/etc/passwd} and $\input{/etc/passwd}$ and \(\write18{touch pwned}\) and "
        r"$$\immediate\write18{rm -rf x}$$ and $x^^5cinput{/etc/passwd}$ and $a % comment$ and "
        r"$\catcode`\@=11$ and # $ % & _ { } ~ ^ \ <b>bold?</b>",
        r"中文：解方程 $x^2=4$，得到 $x=\pm 2$。价格是 $5 and $10，或 $3.50, not $x$. $\text{答案是} 2$",
        f"Long: ${LONG_FORMULA}$",
        r"Deep: $" + "{" * 300 + "x" + "}" * 300 + "$ and \\boxed{\\frac{1}{2}",
    ]
)


# A DeepSeek-R1-style output (`<think>` opened by the prompt): a thought of several paragraphs with inline
# and display math, then the answer. THINK_FORMULAS formulas in the steps.
THINK = r"""Okay, so I need to solve $x^2 - 5x + 6 = 0$. Let me try factoring.

I want two numbers with product $6$ and sum $5$: that is $2$ and $3$, so
$$x^2 - 5x + 6 = (x-2)(x-3).$$

Wait, let me check: $(x-2)(x-3) = x^2 - 5x + 6$. Yes.
</think>

Factoring gives $(x-2)(x-3) = 0$, so the solutions are $\boxed{x = 2 \text{ or } x = 3}$."""
THINK_FORMULAS = 9


def think_solution() -> Solution:
    return solution_from_trace(
        THINK, question=QUESTION, title="A thought first", created_at=0.0, reasoning_format="think"
    )


def constructs_solution() -> Solution:
    return solution_from_trace(CONSTRUCTS, question=QUESTION, title="Every construct", created_at=0.0)


def hostile_solution() -> Solution:
    return solution_from_trace(HOSTILE, question="价格 $5 & 100% <script>", title="Hostile # $ % & _ ~")
