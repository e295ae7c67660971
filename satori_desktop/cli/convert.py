"""`satori-desktop convert`: one formula through the app's document converters, for scripts and tests.

The same converters the clipboard and the .docx export use (`ui.katex_mathml`, `documents/`): KaTeX's
parse of the LaTeX, then the MathML Word reads, Office Math (OMML), plain text with Unicode math, or a
PNG picture. Bad input gets a sentence and exit code 2 (KaTeX says where the formula is broken); a formula
that plain text cannot hold faithfully (a matrix, aligned equations) exits 1 with a sentence for
`--to unicode`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from satori_desktop.cli.files import read_text_input
from satori_desktop.core.errors import UserFacingError

FORMATS = ("mathml", "omml", "unicode", "png")
# Delimiters a formula copied from Markdown or LaTeX may still carry; the display ones say display.
_DELIMITERS = (("$$", "$$", True), ("\\[", "\\]", True), ("\\(", "\\)", False), ("$", "$", False))


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="convert one LaTeX formula to Word MathML, Office Math (OMML), Unicode text or a PNG",
        description="Convert one LaTeX formula with the app's converters (KaTeX's parse): --to mathml "
        "prints the MathML Word and LibreOffice read, omml the Office Math of a .docx, unicode plain "
        "text with Unicode math (exit 1 when that cannot be faithful), png a picture (needs --out, or "
        "stdout redirected).",
    )
    parser.add_argument(
        "latex",
        metavar="LATEX",
        help="the formula, with or without $...$ / \\[...\\]; '-' reads stdin; one that starts with - "
        "goes after -- (convert --to unicode -- '-x+1')",
    )
    parser.add_argument("--to", choices=FORMATS, required=True, help="what to convert it to")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--display", dest="display", action="store_const", const=True, default=None, help="display math"
    )
    mode.add_argument(
        "--inline",
        dest="display",
        action="store_const",
        const=False,
        help="inline math (the default, unless the formula is in $$...$$ or \\[...\\])",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PATH",
        help="write to this file (MathML gets the <?xml?> declaration) instead of stdout",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=2.0,
        metavar="N",
        help="png: pixels per screen pixel, 0.5 to 4 (default 2)",
    )
    parser.add_argument("--theme", choices=("light", "dark"), default="light", help="png: the background")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def split_delimiters(text: str) -> tuple[str, bool | None]:
    """The formula without surrounding math delimiters, and whether they said display (None: none)."""
    stripped = text.strip()
    for opening, closing, display in _DELIMITERS:
        fits = len(stripped) > len(opening) + len(closing)
        if fits and stripped.startswith(opening) and stripped.endswith(closing):
            return stripped[len(opening) : -len(closing)].strip(), display
    return stripped, None


def run(args: argparse.Namespace) -> int:
    source = read_text_input("-") if args.latex == "-" else args.latex
    latex, delimited_display = split_delimiters(source)
    if not latex:
        raise UserFacingError("The formula is empty: give the LaTeX to convert, such as '\\frac{1}{2}'.")
    display = bool(args.display if args.display is not None else delimited_display)
    if args.to == "png":
        return _picture(args, latex, display)

    from satori_desktop.ui import katex_mathml  # Qt (QJSEngine): only now

    if args.to == "mathml":
        text = katex_mathml.latex_to_word_mathml(latex, display)
        data = katex_mathml.latex_to_mathml_document(latex, display)
    elif args.to == "omml":
        text = katex_mathml.latex_to_omml(latex, display)
        data = text.encode("utf-8")
    else:
        unicode_text = katex_mathml.latex_to_unicode(latex)
        if unicode_text is None:
            raise UserFacingError(
                "This formula cannot be written faithfully as plain text (matrices, cases, aligned "
                "equations and the like need an equation): use --to mathml, omml or png.",
                exit_code=1,
            )
        text = unicode_text
        data = text.encode("utf-8")
    if args.out is not None:
        _write(args.out, data)
    if args.json:
        payload: dict[str, Any] = {"to": args.to, "display": display, "output": text}
        if args.out is not None:
            payload["out"] = str(args.out)
        print(json.dumps(payload, ensure_ascii=False))
    elif args.out is None:
        print(text)
    else:
        print(f"Wrote {args.out} ({args.to}, {len(data)} bytes).")
    return 0


def _picture(args: argparse.Namespace, latex: str, display: bool) -> int:
    if args.out is None and (args.json or sys.stdout.isatty()):
        raise UserFacingError(
            "A picture cannot be shown in the terminal: give --out PATH, or redirect the output to a file."
        )
    from satori_desktop.ui.formula_picture import render_formula_png  # Qt and the web engine: only now

    png = render_formula_png(latex, display, scale=args.scale, theme=args.theme)
    if args.out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(png)
        sys.stdout.buffer.flush()
        return 0
    _write(args.out, png)
    if args.json:
        print(json.dumps({"to": "png", "display": display, "out": str(args.out), "bytes": len(png)}))
    else:
        print(f"Wrote {args.out} (png, {len(png)} bytes).")
    return 0


def _write(out: Path, data: bytes) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise UserFacingError(f"Could not write {out} ({exc.strerror}): choose another --out path.") from None
