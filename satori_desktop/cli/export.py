"""`satori-desktop export`: a worked solution as Markdown, LaTeX, HTML, PDF, Word or a PNG picture.

The solution is a raw model output (as `parse` takes it: a file, or '-' for stdin) or a conversation
from the history (`--conversation ID`, the numbers `history list` shows). The format comes from
`--format`, else from the suffix of `--out`, else HTML. Every format is the one the window's
File > Export writes (`ui.transcript.export.export_solution`): the HTML is standalone (KaTeX's output,
styles and fonts inside it, no script, opens offline anywhere), the PDF is that page printed on the
locale's paper (or `--paper`), the PNG is the page as a picture rendered offscreen, the .docx holds
native equations and the .tex compiles with pdflatex. Markdown needs no Qt and is written without it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from satori_desktop.cli.files import read_text_input
from satori_desktop.core.arguments import whole_number_between
from satori_desktop.core.errors import UserFacingError
from satori_desktop.documents.formats import (
    EXPORT_FORMATS,
    FORMAT_SUFFIXES,
    ExportFormat,
    ExportResult,
    default_suffix,
    format_of_path,
)
from satori_desktop.documents.solution import DEFAULT_TITLE, Solution

# The limits export has always had: the page is laid out for phones upwards (320 px), and a PNG wider than
# 4000 px is more than any screen shows.
page_width = whole_number_between(320, 4000)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write a solution (a trace file or a saved conversation) as md, tex, html, pdf, docx or png",
        description="Write a worked solution as Markdown, LaTeX, a standalone HTML page, PDF, a Word "
        "document with native equations, or a PNG picture. The solution is a raw Satori output (as `parse` "
        "takes it) or a saved conversation (--conversation ID).",
    )
    parser.add_argument(
        "trace_file", metavar="TRACE_FILE", nargs="?", help="the model output; '-' reads stdin"
    )
    parser.add_argument(
        "--conversation",
        type=int,
        metavar="ID",
        default=None,
        help="export this saved conversation instead (`satori-desktop history list` shows the numbers)",
    )
    parser.add_argument(
        "--format", choices=EXPORT_FORMATS, default=None, help="default: from --out's suffix, else html"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output file (default: TRACE_FILE with the format's suffix, or conversation-ID.<suffix>)",
    )
    parser.add_argument("--question", default=None, help="the problem to show above a trace's solution")
    parser.add_argument("--title", default=None, help="the document's title (default: from the question)")
    parser.add_argument(
        "--width", type=page_width, default=900, help="page width in pixels, 320 to 4000 (default 900)"
    )
    parser.add_argument(
        "--paper",
        choices=("auto", "a4", "letter"),
        default="auto",
        help="paper of the PDF and .docx (default: Letter where the locale uses it, else A4)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def _choose_format(args: argparse.Namespace) -> ExportFormat:
    if args.format:
        fmt: ExportFormat = args.format
        return fmt
    if args.out is None:
        return "html"
    from_suffix = format_of_path(args.out)
    if from_suffix is None:
        suffixes = ", ".join(suffixes[0] for suffixes in FORMAT_SUFFIXES.values())
        raise UserFacingError(
            f"{args.out.name} does not say which format to write: end it in {suffixes}, or give --format."
        )
    return from_suffix


def _trace_solution(args: argparse.Namespace) -> Solution:
    from satori_desktop.documents.solution import question_of, solution_from_trace
    from satori_desktop.history.records import default_title

    raw = read_text_input(args.trace_file)
    if not raw.strip():
        raise UserFacingError("The trace is empty: give a file with the model's output.")
    question = question_of(raw) if args.question is None else args.question
    title = args.title or (default_title(question) if question.strip() else DEFAULT_TITLE)
    return solution_from_trace(raw, question=question, title=title)


def _conversation_solution(args: argparse.Namespace) -> Solution:
    from satori_desktop.documents.solution import solution_from_conversation
    from satori_desktop.history import HistoryStore

    with HistoryStore() as store:
        if store.notice:
            print(f"satori-desktop: note: {store.notice}", file=sys.stderr)
        conversation = store.get_conversation(args.conversation)
    if conversation is None:
        raise UserFacingError(
            f"There is no conversation {args.conversation}: `satori-desktop history list` shows the numbers."
        )
    if not conversation.turns:
        raise UserFacingError(f"Conversation {args.conversation} has no questions yet: nothing to export.")
    solution = solution_from_conversation(conversation)
    return replace(solution, title=args.title) if args.title else solution


def run(args: argparse.Namespace) -> int:
    if (args.trace_file is None) == (args.conversation is None):
        raise UserFacingError("Give either a trace file or --conversation ID to say what to export.")
    if args.conversation is not None and args.question is not None:
        raise UserFacingError("--question is for a trace file: a saved conversation has its own questions.")
    fmt = _choose_format(args)
    out: Path | None = args.out
    if out is None:
        if args.conversation is not None:
            out = Path(f"conversation-{args.conversation}{default_suffix(fmt)}")
        elif args.trace_file == "-":
            raise UserFacingError("Reading from stdin needs --out PATH to say where the export goes.")
        else:
            out = Path(args.trace_file).with_suffix(default_suffix(fmt))
    solution = _conversation_solution(args) if args.conversation is not None else _trace_solution(args)

    if fmt == "md":  # no Qt needed
        from satori_desktop.documents.markdown import write_markdown

        result = write_markdown(solution, out)
    else:
        from satori_desktop.ui.transcript.export import export_solution  # Qt: only now

        paper = None if args.paper == "auto" else args.paper
        result = export_solution(solution, out, fmt, width=args.width, paper=paper)
    _report(result, as_json=args.json)
    return 0


def _report(result: ExportResult, *, as_json: bool) -> None:
    if as_json:
        payload = {
            "out": str(result.path),
            "format": result.format,
            "bytes": result.bytes,
            "questions": result.questions,
            "steps": result.steps,
            "reflections": result.reflections,
            "explorations": result.explorations,
            "answer": result.answer,
        }
        if result.equations is not None:
            payload["equations"] = result.equations
            payload["fallbacks"] = result.fallbacks
        print(json.dumps(payload, ensure_ascii=False))
        return
    details = [result.format, f"{result.bytes} bytes", f"{result.steps} steps"]
    if result.equations is not None:
        details.append(f"{result.equations} formulas")
        if result.fallbacks:
            details.append(f"{result.fallbacks} written as their source (not valid TeX)")
    print(f"Wrote {result.path} ({', '.join(details)}).")
