"""A model's own chat template, rendered safely into its prompt (or a plain prompt when it has none).

Reasoning models other than Satori (DeepSeek-R1 distills, QwQ, Qwen3, Marco-o1) expect their conversation
in the exact shape their chat template writes: the Jinja string a GGUF carries as `tokenizer.chat_template`.
It is rendered as Hugging Face's tokenizers do (`messages`, `add_generation_prompt`, `bos_token`,
`eos_token`, `raise_exception`, `strftime_now`, a `tojson` that keeps non-ASCII text), so the prompt is
token for token what the model was trained on.

A template comes from a downloaded file, so it is untrusted input. It runs in Jinja's immutable sandbox
(no attributes outside what a template needs, no mutating methods), under a deadline enforced in the same
thread by a trace function, with caps on the template's size, on the output's, and on the `*` / `**`
arithmetic that could build a huge value in one step. Anything a template gets wrong or is refused for
becomes one `ChatTemplateError` whose message is a sentence for the user; the caller then uses
`plain_prompt()`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import FrameType
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

DEADLINE_S = 1.0
MAX_OUTPUT_CHARS = 1_000_000
MAX_TEMPLATE_CHARS = 200_000  # real templates are a few kilobytes; Qwen3's, among the longest, is ~4 KB
_FALLBACK = "the app uses a plain prompt instead."


class ChatTemplateError(ValueError):
    """A chat template that could not or may not be rendered; the message is one sentence for the user."""


class _DeadlinePassed(BaseException):
    """Raised by the trace function; a BaseException so that no `except Exception` inside Jinja eats it."""


class _OutputTooLarge(Exception):
    pass


class _TemplateRaised(Exception):
    """`raise_exception(message)` called by the template itself (e.g. "roles must alternate")."""


def _raise_exception(message: str) -> None:
    raise _TemplateRaised(message)


def _strftime_now(date_format: str) -> str:
    return datetime.now().strftime(date_format)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: Any = None,
    sort_keys: bool = False,
) -> str:
    # Jinja's own tojson escapes <, >, & and ' for HTML; templates expect plain JSON, as transformers gives.
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


class _TemplateSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus limits on `*` and `**`, which build a value in C with no line to trace."""

    intercepted_binops = frozenset({"*", "**"})

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        # Jinja's sandbox answers an unsafe attribute with an Undefined that fails only when used further
        # (printed alone it is empty); a template that reaches for one at all is not one to trust.
        raise SecurityError(f"it reads {attribute!r} of a {type(obj).__name__}")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*" and _repeated_size(left, right) > MAX_OUTPUT_CHARS:
            raise SecurityError("repeating a value into something larger than a prompt can be")
        huge_power = isinstance(left, int) and isinstance(right, int) and abs(left) > 1
        if operator == "**" and huge_power and right * abs(left).bit_length() > 100_000:
            raise SecurityError("a power with more digits than a prompt needs")
        return super().call_binop(context, operator, left, right)


def _repeated_size(left: Any, right: Any) -> int:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
            return len(sequence) * count
    return 0


def _environment() -> _TemplateSandbox:
    # trim_blocks / lstrip_blocks and loop controls: what transformers renders chat templates with.
    environment = _TemplateSandbox(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    environment.filters["tojson"] = _tojson
    environment.globals["raise_exception"] = _raise_exception
    environment.globals["strftime_now"] = _strftime_now
    return environment


def render_chat_template(
    template: str,
    messages: Sequence[Mapping[str, str]],
    *,
    add_generation_prompt: bool = True,
    bos_token: str = "",
    eos_token: str = "",
    deadline_s: float = DEADLINE_S,
    max_output_chars: int = MAX_OUTPUT_CHARS,
) -> str:
    """The prompt `template` writes for `messages` ([{"role", "content"}, ...]), ready to tokenize.

    Raises ChatTemplateError, with a sentence for the user, when the template is broken, refuses the
    conversation, reaches for what the sandbox forbids, runs past `deadline_s` or writes more than
    `max_output_chars`.
    """
    if len(template) > MAX_TEMPLATE_CHARS:
        raise ChatTemplateError(
            f"This model's chat template is {len(template):,} characters long, far more than any real one; "
            f"{_FALLBACK}"
        )
    context = {
        "messages": [dict(message) for message in messages],
        "add_generation_prompt": add_generation_prompt,
        "bos_token": bos_token,
        "eos_token": eos_token,
    }
    try:
        return _render_under_deadline(template, context, deadline_s, max_output_chars)
    except _DeadlinePassed:
        raise ChatTemplateError(
            f"This model's chat template took longer than {deadline_s:g} s to write the prompt; {_FALLBACK}"
        ) from None
    except _OutputTooLarge:
        raise ChatTemplateError(
            f"This model's chat template writes a prompt of more than {max_output_chars:,} characters; "
            f"{_FALLBACK}"
        ) from None
    except _TemplateRaised as error:
        raise ChatTemplateError(
            f"This model's chat template refused the conversation ({_clip(str(error))}); {_FALLBACK}"
        ) from None
    except SecurityError as error:
        raise ChatTemplateError(
            f"This model's chat template tried something a template may not ({_clip(str(error))}); "
            f"{_FALLBACK}"
        ) from None
    except jinja2.TemplateSyntaxError as error:
        raise ChatTemplateError(
            f"This model's chat template cannot be read (line {error.lineno}: {_clip(error.message or '')}); "
            f"{_FALLBACK}"
        ) from None
    except Exception as error:  # a template is code: any error it makes is its own, said in one sentence
        raise ChatTemplateError(
            f"This model's chat template failed ({type(error).__name__}: {_clip(str(error))}); {_FALLBACK}"
        ) from None


def _render_under_deadline(
    template: str, context: dict[str, Any], deadline_s: float, max_output_chars: int
) -> str:
    """Compile and render with a trace function that raises _DeadlinePassed in whatever frame runs late.

    Every Python frame started while it is set is traced (Jinja compiles a template to Python), so a loop
    that writes nothing is stopped too. It is set only for this call and the previous one (a debugger's,
    coverage's) is put back before any error is handled.
    """
    deadline = time.monotonic() + deadline_s

    def stop_at_the_deadline(frame: FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise _DeadlinePassed
        return stop_at_the_deadline

    pieces: list[str] = []
    size = 0
    previous_trace = sys.gettrace()
    sys.settrace(stop_at_the_deadline)
    try:
        # Compiling runs under the deadline too: a template's size is capped, not its complexity.
        compiled = _environment().from_string(template)
        for piece in compiled.generate(context):
            size += len(piece)
            if size > max_output_chars:
                raise _OutputTooLarge
            pieces.append(piece)
    finally:
        sys.settrace(previous_trace)
    return "".join(pieces)


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_prompt(messages: Sequence[Mapping[str, str]]) -> str:
    """A prompt for a model without a chat template: the system text, then "User:" / "Assistant:" turns.

    It ends with "Assistant:" so that the model writes the next turn. No BOS: tokenizing adds it.
    """
    parts: list[str] = []
    for message in messages:
        role, content = message.get("role", "user"), message.get("content", "").strip()
        if role == "system":
            parts.append(content)
        else:
            parts.append(f"{'Assistant' if role == 'assistant' else 'User'}: {content}")
    parts.append("Assistant:")
    return "\n\n".join(part for part in parts if part)
