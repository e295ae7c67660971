"""`satori-desktop export`: a raw model output rendered through the transcript page to HTML or PNG.

For documents (a worked solution to paste or print) and for tests. The HTML is standalone: KaTeX's
output, styles and fonts are inside it, no script, so it opens offline anywhere. The PNG is the same page
as a picture, rendered offscreen (no screen needed).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from satori_desktop.cli.files import read_text_input
from satori_desktop.core.arguments import whole_number_between
from satori_desktop.core.errors import UserFacingError

# The limits export has always had: the page is laid out for phones upwards (320 px), and a PNG wider than
# 4000 px is more than any screen shows.
page_width = whole_number_between(320, 4000)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="render a raw model output to a standalone HTML file or a PNG picture",
        description="Render a raw Satori output (as `parse` takes it) through the app's transcript page to "
        "a standalone HTML file (opens offline anywhere) or a PNG picture.",
    )
    parser.add_argument("trace_file", metavar="TRACE_FILE", help="the model output; '-' reads stdin")
    parser.add_argument(
        "--format", choices=("html", "png"), default=None, help="default: from --out, else html"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output file (default: TRACE_FILE with .html/.png)"
    )
    parser.add_argument("--question", default=None, help="the problem to show above the solution")
    parser.add_argument(
        "--width", type=page_width, default=900, help="page width in pixels, 320 to 4000 (default 900)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def _choose_format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.out is not None and args.out.suffix.lower() == ".png":
        return "png"
    return "html"


def run(args: argparse.Namespace) -> int:
    fmt = _choose_format(args)
    out: Path | None = args.out
    if out is None:
        if args.trace_file == "-":
            raise UserFacingError("Reading from stdin needs --out PATH to say where the export goes.")
        out = Path(args.trace_file).with_suffix(f".{fmt}")
    raw = read_text_input(args.trace_file)
    if not raw.strip():
        raise UserFacingError("The trace is empty: give a file with the model's output.")

    from satori_desktop.ui.transcript.export import export_trace  # Qt: only now

    result = export_trace(
        raw, out, "png" if fmt == "png" else "html", question=args.question, width=args.width
    )
    if args.json:
        payload = {
            "out": str(result.path),
            "format": result.format,
            "bytes": result.bytes,
            "steps": result.steps,
            "reflections": result.reflections,
            "explorations": result.explorations,
            "answer": result.answer,
        }
        print(json.dumps(payload))
    else:
        print(f"Wrote {result.path} ({result.format}, {result.bytes} bytes, {result.steps} steps).")
    return 0
