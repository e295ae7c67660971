"""`satori-desktop parse`: split a raw model output into COAT steps and the final answer, no model needed."""

from __future__ import annotations

import argparse
import json
from typing import Any

from satori_desktop.cli.files import read_text_input
from satori_desktop.cli.terminal import TerminalTranscript
from satori_desktop.core.coat import CoatParser, assistant_part, parse_trace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "parse",
        help="parse a raw model output into steps and the final answer",
        description="Parse a raw Satori output (with <|continue|>/<|reflect|>/<|explore|> tokens written as "
        "text) into its steps and final answer.",
    )
    parser.add_argument("file", nargs="?", default="-", help="the output to parse ('-': stdin)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    raw = read_text_input(args.file)
    if args.json:
        print(json.dumps(parse_trace(raw).to_dict(), ensure_ascii=False, indent=2))
        return 0
    terminal = TerminalTranscript()
    parser = CoatParser()
    terminal.write_events(parser.feed(assistant_part(raw)))
    terminal.write_events(parser.finish())
    terminal.write_answer()
    return 0
