"""Formulas and solutions as documents take them: Word's MathML, Office Math (OMML), plain text with
Unicode math. Qt-free: the input is KaTeX's MathML (`satori_desktop.ui.katex_mathml` makes it), so every
output starts from the same parse of the formula as the transcript shows."""
