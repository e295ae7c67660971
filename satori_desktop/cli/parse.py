"""`satori-desktop parse`: split a raw model output into COAT steps and the final answer, no model needed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from satori_desktop.cli.terminal import TerminalTranscript
from satori_desktop.core.coat import CoatParser, assistant_part, parse_trace
from satori_desktop.core.errors import UserFacingError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "parse",
        help="parse a raw model output into steps and the final answer",
        description="Parse a raw Satori output (with <|continue|>/<|reflect|>/<|explore|> tokens written as "
        "text) into its steps and final answer.",
    )
    parser.add_argument("file", nargs="?", default="-", help="the output to parse; '-' or nothing reads stdin")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def read_trace(source: str) -> str:
    """The text of a trace file ('-' is stdin), with a clear sentence when it cannot be read."""
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserFacingError(f"There is no file {path}: check the path.") from None
    except IsADirectoryError:
        raise UserFacingError(f"{path} is a folder, not a file: give the path of a text file.") from None
    except UnicodeDecodeError:
        raise UserFacingError(f"{path} is not UTF-8 text: save it as UTF-8 and try again.") from None
    except OSError as exc:
        raise UserFacingError(f"{path} could not be read ({exc.strerror}).") from None


def run(args: argparse.Namespace) -> int:
    raw = read_trace(args.file)
    if args.json:
        print(json.dumps(parse_trace(raw).to_dict(), ensure_ascii=False, indent=2))
        return 0
    terminal = TerminalTranscript()
    parser = CoatParser()
    terminal.write_events(parser.feed(assistant_part(raw)))
    terminal.write_events(parser.finish())
    terminal.write_answer()
    return 0
