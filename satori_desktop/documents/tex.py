r"""A solution as a LaTeX document that compiles with plain pdflatex.

The model's formulas go into the .tex as the model wrote them (that is the point of a .tex), but only
after a check that they will compile: a model output is untrusted text, and one unbalanced brace or an
`\end{align*}` without its `\begin` would stop the whole document. `checked_math` reads each formula's
tokens and accepts it only if
- braces, `\begin`/`\end` and `\left`/`\right` balance, and every environment is one amsmath knows
  inside math (`align*` and friends, which are display environments of their own, become `aligned`,
  `gathered` or plain math so they can stand inside `\[...\]`);
- every command is on a list of the math commands of LaTeX, amsmath and amssymb (plus the few KaTeX
  spellings defined in the preamble: `\R`, `\N`, `\Z`, `\Q`, `\C`, `\lt`, `\gt`, `\degree`);
- nothing in it could read a file or change how TeX reads (`\input`, `\write18`, `\catcode`, `\def`,
  `^^5c`, a `%` that would comment out the closing delimiter): none of those is on the list, and `^^`,
  `#`, `%` and `$` are refused outright;
- `&` and `\\` stand inside an alignment (at the top of a display formula they get one).
A formula that fails, or that the caller's `accepts` (KaTeX's own parser, in the app) refuses, is written
as its source in typewriter text, escaped, so the reader still sees what the model wrote. Text is escaped
character by character (`# $ % & _ { } ~ ^ \` and the Unicode pdflatex cannot set), so `\input{/etc/passwd}`
in a step is printed, never read. Together with `-no-shell-escape` (the default of TeX Live) the
document cannot touch a file or start a program.

Fonts: T1 encoding with Times (`mathptmx`), which every TeX installation has (psnfss, in Debian's
texlive-fonts-recommended); amsmath and amssymb are in texlive-latex-base/-recommended. Chinese text is
set with the CJKutf8 package and the Arphic "gbsn" font (Debian: latex-cjk-chinese and
latex-cjk-chinese-arphic-gbsn00lp) when they are installed; without them the document still compiles and
shows "[Chinese text]" in their place, and says so in its first lines. (xelatex is not an option: it is
not in the packages people have for plain LaTeX, and the users we know compile with pdflatex.)
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from satori_desktop.core.coat import StepAction
from satori_desktop.documents.labels import ENGLISH, DocumentLabels
from satori_desktop.documents.solution import (
    Block,
    DisplayFormula,
    Formula,
    Inline,
    LineBreak,
    Paragraph,
    Solution,
    SolvedQuestion,
    TextRun,
    text_blocks,
)

# The caller's second opinion on a formula (the app passes KaTeX's parser): (tex, display) -> accepted.
FormulaCheck = Callable[[str, bool], bool]

# A thought (another model's `<think>` section) is an aside too: reasoning around the solution, not in it.
_ASIDE_ACTIONS = (StepAction.REFLECT, StepAction.EXPLORE, StepAction.THINK)

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{mathptmx}
\usepackage{amsmath,amssymb}
\usepackage[margin=2.5cm]{geometry}
% Chinese text: CJKutf8 with the Arphic gbsn font where installed (Debian: latex-cjk-chinese and
% latex-cjk-chinese-arphic-gbsn00lp), else a placeholder, so the file compiles either way.
\newif\ifsatoricjk
\IfFileExists{CJKutf8.sty}{\IfFileExists{c70gbsn.fd}{\satoricjktrue}{}}{}
\ifsatoricjk
  \usepackage{CJKutf8}
  \newcommand{\satoricjk}[1]{\begin{CJK}{UTF8}{gbsn}#1\end{CJK}}
\else
  \newcommand{\satoricjk}[1]{[Chinese text]}
\fi
% KaTeX's spellings of a few symbols, which models use.
\providecommand{\R}{\mathbb{R}}
\providecommand{\N}{\mathbb{N}}
\providecommand{\Z}{\mathbb{Z}}
\providecommand{\Q}{\mathbb{Q}}
\providecommand{\C}{\mathbb{C}}
\providecommand{\lt}{<}
\providecommand{\gt}{>}
\providecommand{\degree}{^\circ}
% Checking and exploring steps, and another model's thought: a labelled, indented aside.
\newenvironment{satoriaside}[1]%
  {\par\medskip\noindent\textbf{\textit{#1}}\par\nopagebreak
   \begin{list}{}{\setlength{\leftmargin}{1.5em}\setlength{\topsep}{2pt}}\item\relax}%
  {\end{list}\medskip}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5\baselineskip}
"""

# -- math -------------------------------------------------------------------------------------------------


def _names(text: str) -> frozenset[str]:
    """The names in a text of names separated by white space (lists of TeX commands read best so)."""
    return frozenset(text.split())


_MATH_COMMANDS = _names(
    """
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda mu nu xi
    pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega digamma Gamma Delta Theta
    Lambda Xi Pi Sigma Upsilon Phi Psi Omega varGamma varDelta varTheta varLambda varXi varPi varSigma
    varUpsilon varPhi varPsi varOmega
    pm mp times div cdot cdotp ldotp ast star circ bullet oplus ominus otimes oslash odot cap cup uplus
    sqcap sqcup vee wedge land lor setminus smallsetminus wr diamond bigtriangleup bigtriangledown
    triangleleft triangleright amalg dagger ddagger ltimes rtimes leftthreetimes rightthreetimes boxplus
    boxminus boxtimes boxdot dotplus divideontimes centerdot intercal barwedge veebar curlyvee curlywedge
    leq le geq ge neq ne equiv approx approxeq sim simeq cong propto prec succ preceq succeq ll gg lll ggg
    subset supset subseteq supseteq subsetneq supsetneq nsubseteq nsupseteq subseteqq supseteqq
    sqsubset sqsupset sqsubseteq sqsupseteq in ni notin owns vdash dashv models perp mid nmid parallel
    nparallel bowtie smile frown asymp doteq doteqdot leqslant geqslant lesssim gtrsim lessgtr gtrless
    leqq geqq nleq ngeq nless ngtr lneq gneq lneqq gneqq lnsim gnsim therefore because triangleq eqcirc
    circeq thicksim thickapprox backsim backsimeq vDash Vdash Vvdash nvdash nvDash ncong nsim varpropto
    between pitchfork lessdot gtrdot shortmid shortparallel nshortmid nshortparallel
    to gets leftarrow rightarrow Leftarrow Rightarrow leftrightarrow Leftrightarrow longleftarrow
    longrightarrow Longleftarrow Longrightarrow longleftrightarrow Longleftrightarrow iff implies
    impliedby mapsto longmapsto uparrow downarrow Uparrow Downarrow updownarrow Updownarrow nearrow
    searrow swarrow nwarrow hookleftarrow hookrightarrow leftharpoonup rightharpoonup leftharpoondown
    rightharpoondown rightleftharpoons leftrightharpoons xrightarrow xleftarrow nrightarrow nleftarrow
    nRightarrow nLeftarrow nLeftrightarrow nleftrightarrow twoheadrightarrow twoheadleftarrow
    rightsquigarrow leftrightsquigarrow circlearrowleft circlearrowright curvearrowleft curvearrowright
    upharpoonleft upharpoonright downharpoonleft downharpoonright leftleftarrows rightrightarrows
    leftrightarrows rightleftarrows upuparrows downdownarrows Lsh Rsh looparrowleft looparrowright
    dashrightarrow dashleftarrow multimap Lleftarrow
    infty partial nabla forall exists nexists emptyset varnothing aleph beth gimel daleth hbar hslash ell
    wp Re Im angle measuredangle sphericalangle triangle square blacksquare lozenge blacklozenge bigstar
    prime backprime neg lnot top bot flat natural sharp clubsuit diamondsuit heartsuit spadesuit surd
    imath jmath complement mho Bbbk checkmark circledS eth diagup diagdown blacktriangle triangledown
    blacktriangledown vartriangle blacktriangleleft blacktriangleright dag ddag S P ldots cdots vdots
    ddots dots dotsc dotsb dotsm dotsi dotso colon
    sum prod coprod int iint iiint iiiint idotsint oint bigcup bigcap bigvee bigwedge bigoplus bigotimes
    bigodot biguplus bigsqcup limits nolimits displaylimits
    sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth exp log ln lg lim liminf limsup sup
    inf max min det dim ker hom arg deg gcd Pr injlim projlim varliminf varlimsup varinjlim varprojlim
    operatorname bmod pmod pod mod
    frac dfrac tfrac cfrac sqrt binom dbinom tbinom overline underline overbrace underbrace overset
    underset stackrel hat widehat tilde widetilde bar vec dot ddot dddot ddddot acute grave breve check
    mathring overrightarrow overleftarrow overleftrightarrow underrightarrow underleftarrow
    underleftrightarrow boxed left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl
    Biggr bigm Bigm biggm Biggm substack sideset phantom hphantom vphantom smash mathstrut strut not
    langle rangle lceil rceil lfloor rfloor lvert rvert lVert rVert vert Vert lbrace rbrace backslash
    ulcorner urcorner llcorner lrcorner lbrack rbrack lgroup rgroup lmoustache rmoustache
    mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak mathnormal boldsymbol pmb
    mathop mathbin mathrel mathord mathpunct mathopen mathclose mathinner
    displaystyle textstyle scriptstyle scriptscriptstyle
    quad qquad thinspace medspace thickspace enspace negthinspace negmedspace negthickspace hspace
    mkern mspace
    begin end hline
    R N Z Q C lt gt degree
    """
)
# Commands that take a text argument: inside it, TeX is in text mode.
_TEXT_ARGUMENT_COMMANDS = _names("text textrm textbf textit textsf texttt textup textnormal textmd mbox emph")
# Commands that are fine in text mode (inside \text{...}).
_TEXT_COMMANDS = _TEXT_ARGUMENT_COMMANDS | _names("quad qquad ldots dots S P dag ddag hspace")
_MATH_SYMBOLS = frozenset(r"\,;:!{}|#%&_$> ")  # the character after a backslash: \, \; \{ \| \% \  ...
_TEXT_SYMBOLS = frozenset(r"\,{}#%&_$ ")

# Environments allowed inside math, and what the display-level ones become there.
_ALIGNMENT_ENVIRONMENTS = _names(
    "aligned alignedat gathered split cases matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix "
    "array subarray"
)
_ENVIRONMENT_NAMES = {name: name for name in _ALIGNMENT_ENVIRONMENTS} | {
    "align": "aligned",
    "align*": "aligned",
    "flalign": "aligned",
    "flalign*": "aligned",
    "alignat": "alignedat",
    "alignat*": "alignedat",
    "gather": "gathered",
    "gather*": "gathered",
    "multline": "gathered",
    "multline*": "gathered",
    "dcases": "cases",
    "equation": "",  # just its content
    "equation*": "",
}
# Commands that stop TeX when their arguments are missing (`\\frac{1}` at the end of a formula).
_ARITY = {
    **dict.fromkeys(_names("frac dfrac tfrac cfrac binom dbinom tbinom overset underset stackrel"), 2),
    **dict.fromkeys(
        _names(
            """sqrt text textrm textbf textit textsf texttt textup textnormal textmd mbox emph mathrm mathbf
        mathit mathsf mathtt mathcal mathbb mathfrak mathnormal boldsymbol pmb hat widehat tilde widetilde
        bar vec dot ddot dddot ddddot acute grave breve check mathring overrightarrow overleftarrow
        overleftrightarrow underrightarrow underleftarrow underleftrightarrow overline underline overbrace
        underbrace boxed operatorname phantom hphantom vphantom smash substack xrightarrow xleftarrow hspace
        pmod pod mathop mathbin mathrel mathord mathpunct mathopen mathclose mathinner"""
        ),
        1,
    ),
}
_OPTIONAL_ARGUMENT = frozenset({"sqrt", "xrightarrow", "xleftarrow", "smash"})
_NOT_AN_ARGUMENT = frozenset({"}", "&", "\\\\", "\\end", "\\right", "^", "_", "]"})
MAX_NESTING = 60  # TeX stops at 255 levels of grouping; no formula a person reads is deeper than this

# Unicode a model writes inside math, as the command pdflatex knows.
MATH_UNICODE = {
    "≤": r"\le", "≥": r"\ge", "≠": r"\ne", "≈": r"\approx", "±": r"\pm", "∓": r"\mp", "×": r"\times",
    "÷": r"\div", "·": r"\cdot", "⋅": r"\cdot", "∞": r"\infty", "→": r"\to", "←": r"\leftarrow",
    "↔": r"\leftrightarrow", "⇒": r"\Rightarrow", "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow",
    "∈": r"\in", "∉": r"\notin", "⊂": r"\subset", "⊆": r"\subseteq", "⊃": r"\supset", "⊇": r"\supseteq",
    "∪": r"\cup", "∩": r"\cap", "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "√": r"\surd", "∂": r"\partial",
    "∇": r"\nabla", "∀": r"\forall", "∃": r"\exists", "∅": r"\emptyset", "°": r"^\circ", "′": "'",
    "″": "''", "≡": r"\equiv", "∼": r"\sim", "≅": r"\cong", "∝": r"\propto", "∠": r"\angle",
    "⊥": r"\perp", "∥": r"\parallel", "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}",
    "ℚ": r"\mathbb{Q}", "ℂ": r"\mathbb{C}", "−": "-", "…": r"\ldots", "⋯": r"\cdots", "∘": r"\circ",
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon", "ζ": r"\zeta",
    "η": r"\eta", "θ": r"\theta", "ι": r"\iota", "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu",
    "ξ": r"\xi", "π": r"\pi", "ρ": r"\rho", "σ": r"\sigma", "τ": r"\tau", "υ": r"\upsilon", "φ": r"\varphi",
    "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega", "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta",
    "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi", "Σ": r"\Sigma", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
    "²": "^{2}", "³": "^{3}", "¹": "^{1}", "½": r"\tfrac{1}{2}", "¼": r"\tfrac{1}{4}", "¾": r"\tfrac{3}{4}",
}  # fmt: skip

_TOKEN_RE = re.compile(r"\\[A-Za-z]+|\\.|\\$|.", re.DOTALL)
_ENV_NAME_RE = re.compile(r"\{([A-Za-z]+\*?)\}")
_BLANK_LINES_RE = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


class _Refused(Exception):
    """The formula cannot be trusted to compile; the reason is for the log and the tests."""


@dataclass
class _Frame:
    kind: str  # "group", "env" or "top"
    name: str = ""
    text_mode: bool = False
    lefts: int = 0


def checked_math(tex: str, display: bool) -> str | None:
    """The formula as it can stand inside `\\(...\\)` or `\\[...\\]`, or None if it might not compile."""
    try:
        return _check(tex, display)
    except _Refused:
        return None


def _check(tex: str, display: bool) -> str:
    source = _BLANK_LINES_RE.sub("\n", tex.replace("\r", "")).strip()
    if not source:
        raise _Refused("empty")
    if "^^" in source:
        raise _Refused("^^ notation")
    out: list[str] = []
    frames = [_Frame("top")]
    top_alignment = top_breaks = False
    tokens = _TOKEN_RE.findall(source)
    position = 0
    pending_text_argument = False
    while position < len(tokens):
        token = tokens[position]
        position += 1
        frame = frames[-1]
        in_text = frame.text_mode
        if token.startswith("\\") and len(token) > 1 and token[1].isalpha():
            name = token[1:]
            allowed = _TEXT_COMMANDS if in_text else _MATH_COMMANDS | _TEXT_ARGUMENT_COMMANDS
            if name not in allowed:
                raise _Refused(f"command \\{name}")
            if name in ("begin", "end"):
                if in_text:
                    raise _Refused("environment in text")
                match = _ENV_NAME_RE.match("".join(tokens[position : position + 40]))
                if match is None or match.group(1) not in _ENVIRONMENT_NAMES:
                    raise _Refused("unknown environment")
                env = match.group(1)
                position += len(match.group(0))
                mapped = _ENVIRONMENT_NAMES[env]
                if name == "begin":
                    frames.append(_Frame("env", env))
                else:
                    if frame.kind != "env" or frame.name != env or frame.lefts:
                        raise _Refused("unbalanced environment")
                    frames.pop()
                if mapped:
                    out.append(f"\\{name}{{{mapped}}}")
                continue
            if name == "left":
                frame.lefts += 1
            elif name == "right":
                if frame.lefts == 0:
                    raise _Refused("\\right without \\left")
                frame.lefts -= 1
            elif name == "middle" and frame.lefts == 0:
                raise _Refused("\\middle without \\left")
            elif name == "hline" and not (frame.kind == "env" and frame.name == "array"):
                raise _Refused("\\hline outside an array")
            if not _has_arguments(tokens, position, _ARITY.get(name, 0), optional=name in _OPTIONAL_ARGUMENT):
                raise _Refused(f"\\{name} without its arguments")
            pending_text_argument = name in _TEXT_ARGUMENT_COMMANDS
            out.append(token)
            continue
        if token.startswith("\\"):
            symbol = token[1:]
            if symbol == "\\":
                if not _inside_alignment(frames):
                    if in_text or not display or len(frames) > 1:
                        raise _Refused("line break outside an alignment")
                    top_breaks = True
            elif symbol not in (_TEXT_SYMBOLS if in_text else _MATH_SYMBOLS):
                raise _Refused(f"control symbol {token!r}")
            out.append(token)
            continue
        if token == "{":
            frames.append(_Frame("group", text_mode=in_text or pending_text_argument))
            if len(frames) > MAX_NESTING:
                raise _Refused("nested too deeply")
            pending_text_argument = False
            out.append(token)
            continue
        if not token.isspace():
            pending_text_argument = False
        if token == "}":
            if frame.kind != "group" or frame.lefts:
                raise _Refused("unbalanced braces")
            frames.pop()
            out.append(token)
        elif token in "%#$":
            raise _Refused(f"the character {token}")
        elif token == "&":
            if in_text:
                raise _Refused("& in text")
            if not _inside_alignment(frames):
                if not display or len(frames) > 1:
                    raise _Refused("& outside an alignment")
                top_alignment = True
            out.append(token)
        elif in_text and token in "^_":
            raise _Refused("script in text")
        elif ord(token) < 32 and token not in "\n\t":
            out.append(" ")
        elif ord(token) < 128:
            out.append(token)
        elif in_text:
            out.append(escape_text(token))
        elif token in MATH_UNICODE:
            replacement = MATH_UNICODE[token]
            out.append(replacement + (" " if replacement[-1].isalpha() else ""))
        else:
            raise _Refused(f"the character {token!r}")
    if len(frames) != 1 or frames[0].lefts:
        raise _Refused("unclosed group")
    body = "".join(out).strip()
    if top_alignment:
        return f"\\begin{{aligned}}{body}\\end{{aligned}}"
    if top_breaks:
        return f"\\begin{{gathered}}{body}\\end{{gathered}}"
    return body


def _has_arguments(tokens: list[str], position: int, count: int, *, optional: bool) -> bool:
    """Whether `count` arguments follow at `position`: each a group or one token that can be one (not a
    closing brace, `&`, `\\\\`, `\\end`, a script sign or the end), after an optional `[...]`."""
    if count == 0:
        return True
    while position < len(tokens) and tokens[position].isspace():
        position += 1
    if optional and position < len(tokens) and tokens[position] == "[":
        try:
            position = tokens.index("]", position) + 1
        except ValueError:
            return False
    for _ in range(count):
        while position < len(tokens) and tokens[position].isspace():
            position += 1
        if position >= len(tokens) or tokens[position] in _NOT_AN_ARGUMENT:
            return False
        if tokens[position] == "{":
            depth = 0
            while position < len(tokens):
                depth += {"{": 1, "}": -1}.get(tokens[position], 0)
                position += 1
                if depth == 0:
                    break
        else:
            position += 1
    return True


def _inside_alignment(frames: list[_Frame]) -> bool:
    for frame in reversed(frames):
        if frame.text_mode:
            return False
        if frame.kind == "env":
            return _ENVIRONMENT_NAMES.get(frame.name, "") in _ALIGNMENT_ENVIRONMENTS
    return False


# -- text -------------------------------------------------------------------------------------------------

_TEXT_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # T1 would make ligatures of these (<< and >> into guillemets, -- into a dash is wanted).
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': r"\textquotedbl{}",
}
TEXT_UNICODE = {
    "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"\ldots{}", "•": r"\textbullet{}",
    "€": r"\texteuro{}", "→": r"\ensuremath{\to}", "←": r"\ensuremath{\leftarrow}",
    "⇒": r"\ensuremath{\Rightarrow}", "⇔": r"\ensuremath{\Leftrightarrow}", "√": r"\ensuremath{\surd}",
    "\u00a0": "~", "\u2009": r"\,", "\u200b": "",
}  # fmt: skip
# Latin-1 and Latin Extended-A are set by inputenc + T1, except these three.
_LATIN_GAPS = frozenset("\u0138\u0149\u017f")
_MATH_LETTERS = {char: command for char, command in MATH_UNICODE.items() if command.startswith("\\")}


def _cjk_font_has(char: str) -> bool:
    """Whether the gbsn font's Unicode subfonts cover `char` (one TFM per 256 code points; the Arphic
    font has these: a missing one would stop pdflatex, a missing glyph only warns)."""
    plane = ord(char) >> 8
    return plane in (0x30, 0x31, 0x32, 0xFE, 0xFF) or (0x4E <= plane <= 0x9F and plane != 0x9D)


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFE30 <= code <= 0xFFEF


def escape_text(text: str) -> str:
    """`text` as LaTeX that prints it: specials escaped, Chinese in `\\satoricjk`, the rest named."""
    out: list[str] = []
    cjk: list[str] = []

    def flush_cjk() -> None:
        if cjk:
            out.append(f"\\satoricjk{{{''.join(cjk)}}}")
            cjk.clear()

    for char in text:
        if _is_cjk(char) and _cjk_font_has(char):
            cjk.append(char)
            continue
        flush_cjk()
        code = ord(char)
        if char in _TEXT_SPECIALS:
            out.append(_TEXT_SPECIALS[char])
        elif char == "\n" or char == "\t":
            out.append(" ")
        elif code < 32 or code == 127:
            continue
        elif code < 128:
            out.append(char)
        elif char in TEXT_UNICODE:
            out.append(TEXT_UNICODE[char])
        elif 0xA0 <= code <= 0x17F and char not in _LATIN_GAPS:
            out.append(char)
        elif char in _MATH_LETTERS:
            out.append(f"\\ensuremath{{{_MATH_LETTERS[char]}}}")
        else:
            out.append(f"\\texttt{{[U+{code:04X}]}}")
    flush_cjk()
    return "".join(out)


def _verbatim(source: str) -> str:
    """A formula that cannot be typeset, as typewriter text that may break anywhere after a space or
    every 30 characters (a 10,000-character formula must not run off the page)."""
    pieces = []
    for start in range(0, len(source), 30):
        pieces.append(escape_text(source[start : start + 30]).replace(" ", r" \allowbreak{}"))
    return r"\texttt{" + r"\allowbreak{}".join(pieces) + "}"


# -- the document -----------------------------------------------------------------------------------------


@dataclass
class TexDocument:
    source: str
    formulas: int = 0  # typeset as math
    verbatim: int = 0  # written as their source, because they might not compile
    refused: list[str] = field(default_factory=list)  # the sources of those, for the log and tests


class _Writer:
    def __init__(self, accepts: FormulaCheck | None) -> None:
        self._accepts = accepts
        self.document = TexDocument("")
        self._lines: list[str] = []

    def math(self, formula: Formula, display: bool) -> str:
        checked = checked_math(formula.tex, display)
        if checked is not None and self._accepts is not None and not self._accepts(formula.tex, display):
            checked = None
        if checked is None:
            self.document.verbatim += 1
            self.document.refused.append(formula.source)
            text = _verbatim(formula.source)
            return f"\n\n\\noindent {text}\n\n" if display else text
        self.document.formulas += 1
        return f"\n\\[\n{checked}\n\\]\n" if display else f"\\({checked}\\)"

    def inlines(self, inlines: Iterable[Inline]) -> str:
        parts: list[str] = []
        for inline in inlines:
            if isinstance(inline, LineBreak):
                parts.append("\\newline\n")
            elif isinstance(inline, Formula):
                parts.append(self.math(inline, display=False))
            else:
                parts.append(_styled(inline))
        return "".join(parts)

    def blocks(self, blocks: Iterable[Block]) -> None:
        for block in blocks:
            if isinstance(block, DisplayFormula):
                self._lines.append(self.math(block.formula, display=True))
                continue
            self._lines.append(self.paragraph(block))

    def paragraph(self, paragraph: Paragraph) -> str:
        body = self.inlines(paragraph.inlines)
        if paragraph.role == "heading":
            return f"\n\\textbf{{{body}}}\n"
        if paragraph.role == "code":
            body = body.replace(" ", "~")
        if paragraph.level or paragraph.marker:
            indent = 1.5 * max(paragraph.level, 1)
            marker = escape_text(paragraph.marker)
            return (
                f"\n\\hangindent={indent}em\\hspace*{{{indent - 1.5}em}}\\makebox[1.5em][l]{{{marker}}}"
                f"{body}\n"
            )
        return f"\n{body}\n"

    def line(self, text: str) -> None:
        self._lines.append(text)

    def result(self) -> TexDocument:
        self.document.source = "".join(self._lines)
        return self.document


def _styled(run: TextRun) -> str:
    text = escape_text(run.text)
    if run.code:
        text = f"\\texttt{{{text}}}"
    if run.italic:
        text = f"\\emph{{{text}}}"
    if run.bold:
        text = f"\\textbf{{{text}}}"
    return text


def solution_tex(
    solution: Solution, *, accepts: FormulaCheck | None = None, labels: DocumentLabels = ENGLISH
) -> TexDocument:
    """The whole solution as a .tex document (`TexDocument.source`), and how its formulas went."""
    writer = _Writer(accepts)
    date = time.strftime("%Y-%m-%d %H:%M", time.localtime(solution.created_at))
    byline = f"Satori Desktop, {date}" + (f", {solution.model}" if solution.model else "")
    writer.line(
        "% A worked solution written by Satori Desktop. Compile with pdflatex (amsmath, amssymb; Chinese\n"
        "% text needs CJKutf8 and the gbsn font, else it shows as a placeholder).\n"
    )
    writer.line(PREAMBLE)
    writer.line("\\begin{document}\n")
    writer.line(f"\\section*{{{escape_text(solution.title)}}}\n\\emph{{{escape_text(byline)}}}\n")
    numbered = len(solution.questions) > 1
    for number, question in enumerate(solution.questions, start=1):
        _question(writer, question, number if numbered else None, labels)
    writer.line("\n\\end{document}\n")
    return writer.result()


def _question(writer: _Writer, question: SolvedQuestion, number: int | None, labels: DocumentLabels) -> None:
    heading = escape_text(labels.question_heading(number))
    writer.line(f"\n\\subsection*{{{heading}}}\n")
    writer.blocks(text_blocks(question.question))
    for step, title in zip(
        question.steps, labels.step_titles(step.action for step in question.steps), strict=True
    ):
        title = escape_text(title)
        if step.action in _ASIDE_ACTIONS:
            writer.line(f"\n\\begin{{satoriaside}}{{{title}}}\n")
            writer.blocks(text_blocks(step.text))
            writer.line("\n\\end{satoriaside}\n")
        else:
            writer.line(f"\n\\subsubsection*{{{title}}}\n")
            writer.blocks(text_blocks(step.text))
    if question.answer is not None:
        writer.line(f"\n\\subsubsection*{{{escape_text(labels.answer)}}}\n")
        boxed = f"\\boxed{{{question.answer}}}"
        writer.line(writer.math(Formula(boxed, True, boxed), display=True))
    if question.note:
        writer.line(f"\n\\emph{{{escape_text(question.note)}}}\n")


__all__ = ["PREAMBLE", "TexDocument", "checked_math", "escape_text", "solution_tex"]
