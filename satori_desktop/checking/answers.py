"""What a student types, made ready for math-verify: delimiters, Unicode symbols, choice letters, words.

math-verify 0.9.0 reads most typed answers correctly once they sit inside `$...$` (bare text without
delimiters is read wrongly: `3*x-1*y+13=0` becomes `[0]`, math-verify issue #60). Measured by hand against
0.9.0, it already handles, with no help from us: `1/2` = `0.5` = `\\frac{1}{2}`, `10%` = `0.1`, intervals,
`\\{1,2\\}` = `2, 1`, `x=3 or x=-3` = `3, -3` = `\\pm 3` (the words `or`/`and` are read as commas),
`\\sqrt{8}` = `2\\sqrt{2}`, `12 cm` = `12` (units are dropped), `(B)` = `B`, `π/2`, `±3`, `≤`, `−3`, `2×3`.
So the pre-processing here is only what it gets wrong:

* `∞` is not read (`\\infty` is): a few Unicode symbols become their LaTeX commands.
* A bare `pi` is read as `p*i` (`pi/2` ≠ `\\frac{\\pi}{2}`, issue #69): the word `pi` becomes `\\pi`.
* `√2` is not read: `√` becomes `\\sqrt`.
* `C)` is not read, and `C` against `(C)` should not depend on the letter's symbol: when both sides are
  choice letters A-E they are compared as letters.
* `yes` is read as `E*s*y`, `no solution` as a product of letters: when both sides are words they are
  compared as normalised text (case, spaces, a final full stop), never by sympy.
* An answer that ends with an operator (`1+`) is read as `1` by math-verify; we call it unreadable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

AnswerKind = Literal["empty", "choice", "text", "math", "unreadable"]

# Outermost delimiters first: `$$` before `$`.
_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))
_UNICODE_TO_LATEX = {"∞": "\\infty ", "√": "\\sqrt", "≥": "\\ge ", "≠": "\\ne ", "·": "\\cdot ", "÷": "/"}
_TEXT_COMMAND = re.compile(r"^\\(?:text|textbf|textrm|textit|mathrm|mathbf|mbox)\s*\{(?P<body>[^{}]*)\}$")
_CHOICE = re.compile(r"^\(?\s*(?P<letter>[A-E])\s*[).:]?$|^\((?P<lower>[a-e])\)$")
_WORDS = re.compile(r"^[A-Za-z][A-Za-z' ,\-]*[.!]?$")
# Words that alone make an answer text although they are short.
_SHORT_TEXT_WORDS = frozenset({"yes", "no", "true", "false", "none", "all", "odd", "even"})
# Words of four or more letters that are still math (a function or a constant), not prose.
_MATH_WORDS = frozenset(
    {"sqrt", "infinity", "infty", "frac", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "cbrt"}
)
_BARE_PI = re.compile(r"(?<![\\A-Za-z])pi(?![A-Za-z])")
_TRAILING_OPERATOR = re.compile(r"(?:[+\-*/^=_,]|\\cdot|\\times|\\div|\\pm)\s*$")
_CONNECTIVE = re.compile(r"\s+(or|and)\s+")
_TEXT_SPAN = re.compile(r"\\text\s*\{[^{}]*\}")


@dataclass(frozen=True)
class PreparedAnswer:
    """One side of a check: what kind of answer it is, and the form it is compared in.

    `compared` is the LaTeX inside `$...$` for math, the letter for a choice, the normalised words for
    text, and empty otherwise.
    """

    kind: AnswerKind
    compared: str


def strip_delimiters(text: str) -> str:
    """The text without one pair of surrounding `$$...$$`, `\\[...\\]`, `\\(...\\)` or `$...$`."""
    stripped = text.strip()
    for opening, closing in _DELIMITERS:
        fits = len(stripped) >= len(opening) + len(closing)
        if fits and stripped.startswith(opening) and stripped.endswith(closing):
            return stripped[len(opening) : len(stripped) - len(closing)].strip()
    return stripped


def _unwrap_text_command(body: str) -> str | None:
    match = _TEXT_COMMAND.match(body)
    return match.group("body").strip() if match else None


def _choice_letter(body: str) -> str | None:
    inner = _unwrap_text_command(body)
    match = _CHOICE.match(inner if inner is not None else body)
    if match is None:
        return None
    return (match.group("letter") or match.group("lower")).upper()


def _text_words(body: str) -> str | None:
    """The answer as normalised words when it is prose (`yes`, `\\text{No solution.}`), else None."""
    inner = _unwrap_text_command(body)
    candidate = inner if inner is not None else body
    if not _WORDS.match(candidate):
        return None
    words = re.findall(r"[A-Za-z][A-Za-z'\-]*", candidate.lower())
    prose = [
        word for word in words if word in _SHORT_TEXT_WORDS or (len(word) >= 4 and word not in _MATH_WORDS)
    ]
    if not prose:
        return None
    return " ".join(words)


def _braces_balanced(body: str) -> bool:
    depth = 0
    for character in body.replace("\\{", "").replace("\\}", ""):
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth < 0:
            return False
    return depth == 0


def _as_latex(body: str) -> str:
    for symbol, latex in _UNICODE_TO_LATEX.items():
        body = body.replace(symbol, latex)
    return _BARE_PI.sub(r"\\pi ", body).strip()


def prepare_answer(text: str) -> PreparedAnswer:
    """Classify one typed answer and put it in the form it is compared in."""
    body = strip_delimiters(text)
    if not body:
        return PreparedAnswer("empty", "")
    letter = _choice_letter(body)
    if letter is not None:
        return PreparedAnswer("choice", letter)
    words = _text_words(body)
    if words is not None:
        return PreparedAnswer("text", words.rstrip(".!").strip())
    if _TRAILING_OPERATOR.search(body) or not _braces_balanced(body):
        return PreparedAnswer("unreadable", "")
    return PreparedAnswer("math", f"${_as_latex(body)}$")


def as_math(answer: PreparedAnswer, original: str) -> str:
    """The `$...$` form of an answer that is compared by math-verify after all (a choice letter
    against a number, say): math-verify reads `(B)` as the symbol b."""
    if answer.kind == "math":
        return answer.compared
    return f"${_as_latex(strip_delimiters(original))}$"


def display_latex(text: str) -> str:
    """The student's typed answer as LaTeX to typeset next to the verdict.

    Strips `$...$` / `\\(...\\)` / `\\[...\\]` delimiters, turns the words `or` / `and` between the parts
    into `\\text{ or }` / `\\text{ and }`, and puts a prose answer (`no solution`) in `\\text{...}`; anything
    else is returned unchanged.
    """
    body = strip_delimiters(text)
    if not body:
        return ""
    if _unwrap_text_command(body) is None and _text_words(body) is not None:
        return f"\\text{{{body}}}"
    pieces: list[str] = []
    position = 0
    for span in _TEXT_SPAN.finditer(body):  # words already inside \text{...} stay as they are
        pieces.append(_CONNECTIVE.sub(r" \\text{ \1 } ", body[position : span.start()]))
        pieces.append(span.group(0))
        position = span.end()
    pieces.append(_CONNECTIVE.sub(r" \\text{ \1 } ", body[position:]))
    return "".join(pieces)
