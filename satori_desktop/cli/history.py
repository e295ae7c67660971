"""`satori-desktop history list|show|search|export|delete`: the conversation history from the terminal.

The same store the window uses (`satori_desktop.history`), so scripts and tests can read what the app
recorded. Every command has `--json`; `export` writes Markdown (`satori-desktop export --conversation ID`
writes the other formats). `delete` removes for good (a terminal has no Undo).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from satori_desktop.core import arguments
from satori_desktop.core.errors import UserFacingError

_ENDINGS = {
    "stop": "finished",
    "length": "stopped at the token limit",
    "cancelled": "cancelled",
    "error": "stopped by an error",
    "interrupted": "interrupted (the app closed before it finished)",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "history",
        help="list, show, search, export or delete saved conversations",
        description="The conversations the app and `ask` saved: list, show, search, export, delete.",
    )
    parser.add_argument(
        "--file",
        type=Path,
        default=None,
        help="a history file other than the app's own (e.g. one moved aside)",
    )
    commands = parser.add_subparsers(title="history commands", metavar="COMMAND", required=True)

    listing = commands.add_parser("list", help="conversations, most recent first")
    listing.add_argument("--limit", type=arguments.positive_int, default=50, help="how many (default 50)")
    listing.add_argument("--offset", type=arguments.non_negative_int, default=0, help="skip this many first")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    listing.set_defaults(handler=run_list)

    show = commands.add_parser("show", help="one conversation: each question, its steps and answer")
    show.add_argument("id", type=int, help="the conversation's number (from `history list`)")
    show.add_argument("--raw", action="store_true", help="print the model's raw output too")
    show.add_argument("--json", action="store_true", help="print one JSON object (raw output included)")
    show.set_defaults(handler=run_show)

    search = commands.add_parser(
        "search", help="find conversations by words in their title, questions or answers"
    )
    search.add_argument("query", help='words that must all occur (any language); "two words" together')
    search.add_argument("--limit", type=arguments.positive_int, default=20, help="how many (default 20)")
    search.add_argument("--json", action="store_true", help="print one JSON object")
    search.set_defaults(handler=run_search)

    export = commands.add_parser("export", help="a conversation as Markdown (questions, steps, answers)")
    export.add_argument("id", type=int, help="the conversation's number")
    export.add_argument("--out", type=Path, default=None, help="write to this file (default: stdout)")
    export.add_argument("--json", action="store_true", help="print one JSON object")
    export.set_defaults(handler=run_export)

    delete = commands.add_parser("delete", help="delete conversations for good")
    delete.add_argument("ids", type=int, nargs="+", metavar="ID", help="conversation numbers")
    delete.add_argument("--json", action="store_true", help="print one JSON object")
    delete.set_defaults(handler=run_delete)


def _open(args: argparse.Namespace) -> Any:
    from satori_desktop.history import HistoryStore

    store = HistoryStore(args.file)
    if store.notice:
        print(f"satori-desktop: note: {store.notice}", file=sys.stderr)
    return store


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(timestamp))


def _print_json(payload: Any) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2))


def run_list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        total = store.count_conversations()
        conversations = store.list_conversations(args.limit, args.offset)
    if args.json:
        items = []
        for summary in conversations:
            item = summary.to_dict()
            item["created"], item["updated"] = _iso(summary.created_at), _iso(summary.updated_at)
            items.append(item)
        _print_json({"total": total, "offset": args.offset, "conversations": items})
        return 0
    if not conversations:
        print("No saved conversations." if total == 0 else f"No conversations past the first {total}.")
        return 0
    for summary in conversations:
        mark = {"interrupted": "  [interrupted]", None: "  [in progress]"}.get(summary.last_finish_reason, "")
        if summary.turn_count == 0:
            mark = "  [empty]"
        turns = f"{summary.turn_count} question{'s' if summary.turn_count != 1 else ''}"
        print(f"{summary.id:>6}  {_when(summary.updated_at)}  {turns:<12}  {summary.title}{mark}")
    shown = args.offset + len(conversations)
    if shown < total:
        print(f"({shown} of {total}; --offset {shown} for more)")
    return 0


def _get(store: Any, conversation_id: int) -> Any:
    conversation = store.get_conversation(conversation_id)
    if conversation is None:
        raise UserFacingError(
            f"There is no conversation {conversation_id}: `satori-desktop history list` shows the numbers."
        )
    return conversation


def run_show(args: argparse.Namespace) -> int:
    from satori_desktop.cli.terminal import step_label
    from satori_desktop.core.coat import StepAction

    with _open(args) as store:
        conversation = _get(store, args.id)
    if args.json:
        _print_json(conversation.to_dict())
        return 0
    print(f"{conversation.title}  ({_when(conversation.created_at)})")
    for number, turn in enumerate(conversation.turns, start=1):
        print(f"\n══ Question {number} ══\n{turn.question.strip()}")
        previous: StepAction | None = None
        for step in turn.steps:
            action = StepAction(step["action"])
            print(f"\n── {step_label(action, previous)} ──\n{step['text']}")
            previous = action
        print(f"\nAnswer: {turn.answer}" if turn.answer is not None else "\nNo final answer.")
        details = [_ENDINGS.get(turn.finish_reason or "", turn.finish_reason or "still being written")]
        if turn.generated_tokens is not None:
            details.append(f"{turn.generated_tokens} tokens")
        if turn.decode_tok_s:
            details.append(f"{turn.decode_tok_s:.1f} tok/s")
        if turn.model_file:
            details.append(turn.model_file)
        print(f"[{', '.join(details)}]" + (f" {turn.error}" if turn.error else ""))
        if args.raw:
            print(f"\n── raw output ──\n{turn.output}")
    return 0


def run_search(args: argparse.Namespace) -> int:
    with _open(args) as store:
        hits = store.search(args.query, args.limit)
    if args.json:
        _print_json({"query": args.query, "hits": [hit.to_dict() for hit in hits]})
        return 0
    if not hits:
        print(f"Nothing found for {args.query!r}.")
        return 0
    for hit in hits:
        print(f"{hit.conversation_id:>6}  {_when(hit.matched_at)}  {hit.title}\n        {hit.snippet}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from satori_desktop.documents.markdown import solution_markdown
    from satori_desktop.documents.solution import solution_from_conversation

    with _open(args) as store:
        conversation = _get(store, args.id)
    markdown = solution_markdown(solution_from_conversation(conversation))
    if args.out is None:
        if args.json:
            _print_json({"id": conversation.id, "title": conversation.title, "markdown": markdown})
        else:
            sys.stdout.write(markdown)
        return 0
    try:
        args.out.write_text(markdown, encoding="utf-8")
    except OSError as exc:
        raise UserFacingError(f"{args.out} could not be written ({exc.strerror}).") from None
    size = len(markdown.encode("utf-8"))
    if args.json:
        _print_json({"id": conversation.id, "out": str(args.out), "bytes": size})
    else:
        print(f"Wrote {args.out} ({size} bytes, {len(conversation.turns)} questions).")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    with _open(args) as store:
        titles = {}
        for conversation_id in args.ids:
            found = store.get_conversation(conversation_id)
            if found is not None:
                titles[conversation_id] = found.title
        deleted = [cid for cid in args.ids if cid in titles and store.delete(cid, permanent=True)]
    missing = [cid for cid in args.ids if cid not in deleted]
    if args.json:
        _print_json({"deleted": deleted, "not_found": missing})
    else:
        for cid in deleted:
            print(f"Deleted conversation {cid} ({titles[cid]}).")
    if missing:
        numbers = ", ".join(str(cid) for cid in missing)
        raise UserFacingError(f"There is no conversation {numbers}: nothing was deleted for it.")
    return 0
