"""`satori-desktop parse`: split a raw model output into its steps and the final answer, no model needed.

Satori's COAT steps by default; `--format think|marco|plain` reads the outputs of other reasoning models
(core/reasoning.py): the thought, then the answer.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from satori_desktop.cli.files import read_text_input
from satori_desktop.cli.terminal import TerminalTranscript
from satori_desktop.core.coat import CoatParser, ParsedTrace, assistant_part, parse_trace
from satori_desktop.core.reasoning import REASONING_FORMATS, THOUGHT_ACTION, parse_output

# The sections of a thought-then-answer output, by the action core/reasoning.py gives them.
_SECTION_NAMES = {THOUGHT_ACTION: "thought"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "parse",
        help="parse a raw model output into steps and the final answer",
        description="Parse a raw model output into its steps and final answer: Satori's (with "
        "<|continue|>/<|reflect|>/<|explore|> tokens written as text) by default, or another reasoning "
        "model's with --format.",
    )
    parser.add_argument("file", nargs="?", default="-", help="the output to parse ('-': stdin)")
    parser.add_argument(
        "--format",
        choices=REASONING_FORMATS,
        default="coat",
        help="how the model marks its reasoning: coat (Satori, the default), think (<think>...</think> then "
        "the answer: DeepSeek-R1 distills, QwQ, Qwen3), marco (<Thought> then <Output>: Marco-o1), plain "
        "(no markup); for all but coat, --json adds the format and each step's section (thought or answer)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    raw = read_text_input(args.file)
    if args.format != "coat":
        trace = parse_output(raw, args.format)
        if args.json:
            print(json.dumps(_sections_dict(trace, args.format), ensure_ascii=False, indent=2))
        else:
            print(_sections_text(trace), end="")
        return 0
    if args.json:
        print(json.dumps(parse_trace(raw).to_dict(), ensure_ascii=False, indent=2))
        return 0
    terminal = TerminalTranscript()
    parser = CoatParser()
    terminal.write_events(parser.feed(assistant_part(raw)))
    terminal.write_events(parser.finish())
    terminal.write_answer()
    return 0


def _sections_dict(trace: ParsedTrace, reasoning_format: str) -> dict[str, Any]:
    data = trace.to_dict()
    for step, step_data in zip(trace.steps, data["steps"], strict=True):
        step_data["section"] = _SECTION_NAMES.get(step.action, "answer")
    return {"format": reasoning_format, **data}


def _sections_text(trace: ParsedTrace) -> str:
    """The output as the terminal shows a COAT solution: a marker line per section, then the answer."""
    lines: list[str] = []
    for step in trace.steps:
        title = "Thinking" if step.action is THOUGHT_ACTION else "Answer"
        lines += ["", f"── {title} ──", step.text.strip()]
    lines.append("")
    if trace.answer is not None:
        lines.append(f"Answer: {trace.answer}")
    elif trace.steps and trace.steps[-1].action is not THOUGHT_ACTION:
        lines.append("No \\boxed{} answer: the answer is the section above.")
    else:
        lines.append("No final answer (the output ended before its answer).")
    return "\n".join(lines) + "\n"
