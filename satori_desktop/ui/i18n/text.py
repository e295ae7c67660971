"""Qt-free helpers for translatable text: marking a string where it is defined, and filling placeholders.

`QT_TRANSLATE_NOOP(context, text)`: pyside6-lupdate finds the call by its name and puts `text` in the
`.ts` under `context`; at run time it returns `text` unchanged, and the code translates it where it is
shown (`QCoreApplication.translate(context, text)`). The same as PySide6's own, importable by modules that
do not import Qt at load time (ui/diagnostics.py, which the command line uses).

`arg(template, *values)`: a translated sentence's `%1`, `%2`, ... replaced by `values`, in one pass (a
value holding "%2", a file name say, is never replaced again), as `QString.arg` does in C++. A whole
sentence with placeholders lets a translation put the parts in its own order.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"%([1-9])")


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name lupdate looks for
    del context  # for lupdate only
    return text


def arg(template: str, *values: object) -> str:
    """`template` with `%1` ... `%9` replaced by `values` (a placeholder without a value stays)."""

    def value(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return str(values[index]) if index < len(values) else match.group(0)

    return _PLACEHOLDER.sub(value, template)
