"""PyInstaller hook for latex2sympy2_extended (math_verify's LaTeX parser; none exists upstream).

Its `antlr_parser` module picks one of three ANTLR-generated parsers by the installed runtime's version,
which it reads from the runtime's distribution metadata (`importlib.metadata.version`). So the frozen app
needs that metadata (without it the lookup fails and the module raises "Unsupported ANTLR version"), and
needs only the parser generated for the runtime we pin (antlr4-python3-runtime 4.13.2, math-verify's
`antlr4_13_2` extra): the 4.9.3 and 4.11 parsers could never be chosen, so they stay out.
"""

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("antlr4-python3-runtime")
hiddenimports = [
    "latex2sympy2_extended.gen.antlr4_13_2.PSParser",
    "latex2sympy2_extended.gen.antlr4_13_2.PSLexer",
]
excludedimports = [
    "latex2sympy2_extended.gen.antlr4_9_3",
    "latex2sympy2_extended.gen.antlr4_11_0",
]
