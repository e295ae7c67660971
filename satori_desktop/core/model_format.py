r"""How a loaded model is prompted and how its output is read: Satori's way, or another reasoning model's.

Satori keeps its official prompt (core/prompt.py) and its COAT steps. Any other model is prompted through
its own chat template (the GGUF's `tokenizer.chat_template`, rendered in a sandbox by core/chat_template.py)
and its output read in the reasoning format chosen from what the model is:

* "coat": Satori (its three COAT control tokens are in the vocabulary);
* "marco": Marco-o1 (`<Thought>` ... `<Output>`): its name, or those tags in its template;
* "think": DeepSeek-R1 distills, QwQ, Qwen3 (`<think>` ... `</think>`): `<think>` in the template or as
  one token of the vocabulary, or such a name;
* "plain": anything else, one answer without a thought.

A model without a template (or with one that is refused) is prompted in plain text (`plain_prompt`); the
load report says so. An R1-style template ends the prompt inside the thought (`<think>\n`): then the parser
starts inside it (`starts_inside_thought`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from satori_desktop.core.reasoning import REASONING_FORMATS, ReasoningFormat, TranscriptParser, make_parser

# How a non-Satori model is asked a new problem: the instruction DeepSeek and Qwen recommend for math,
# which also makes the answer a \boxed{} the app can find, check and copy.
STEP_BY_STEP = "Please reason step by step, and put your final answer within \\boxed{}."
FORMAT_NAMES: dict[ReasoningFormat, str] = {
    "coat": "COAT steps",
    "think": "<think> reasoning",
    "marco": "Marco-o1 thought and output",
    "plain": "plain answer",
}
# The end of the load report's sentence for a model that is not Satori, by the reasoning format chosen.
FORMAT_NOTES = {
    "coat": "but the reasoning steps are shown only for Satori-7B-Round2.",
    "think": "and its <think> reasoning is shown as one folded Thinking section before its answer.",
    "marco": "and its <Thought> is shown as one folded Thinking section, its <Output> as the answer.",
    "plain": "but it writes no reasoning format the app knows, so its answer is shown as it comes.",
}
# The tags of each format, which a server must hand back as text (llama-server's preserved_tokens).
FORMAT_TAGS: dict[str, tuple[str, ...]] = {
    "coat": ("<|continue|>", "<|reflect|>", "<|explore|>"),
    "think": ("<think>", "</think>"),
    "marco": ("<Thought>", "</Thought>", "<Output>", "</Output>"),
    "plain": (),
}
_THINK_NAMES = ("deepseek-r1", "r1-distill", "qwq", "qwen3", "openthinker", "skywork-or1")


@dataclass(frozen=True)
class ModelPrompting:
    """What the prompt builder and the output parser need of a loaded model."""

    reasoning_format: ReasoningFormat = "coat"
    # The model's own chat template; "" for Satori's official prompt (coat) or the plain-text fallback.
    chat_template: str = ""
    bos_token: str = ""
    eos_token: str = ""

    @property
    def is_satori(self) -> bool:
        return self.reasoning_format == "coat" and not self.chat_template


SATORI_PROMPTING = ModelPrompting()


def detect_reasoning_format(
    *, is_satori: bool, name: str, chat_template: str, has_token: Callable[[str], bool]
) -> ReasoningFormat:
    """The reasoning format of a model from its COAT tokens, name, chat template and vocabulary."""
    if is_satori:
        return "coat"
    lowered = name.lower()
    if "marco-o1" in lowered or "<Thought>" in chat_template or "<Output>" in chat_template:
        return "marco"
    if "<think>" in chat_template or any(known in lowered for known in _THINK_NAMES) or has_token("<think>"):
        return "think"
    return "plain"


def with_format(prompting: ModelPrompting, override: str) -> ModelPrompting:
    """`prompting` with the reasoning format a user chose ("auto" keeps the detected one)."""
    if override not in REASONING_FORMATS or override == prompting.reasoning_format:
        return prompting
    return ModelPrompting(override, prompting.chat_template, prompting.bos_token, prompting.eos_token)  # type: ignore[arg-type]


def first_question(question: str) -> str:
    """A new problem as a non-Satori model is asked it."""
    return f"{question}\n{STEP_BY_STEP}"


def starts_inside_thought(prompt: str) -> bool:
    """Whether the prompt opens the thought itself (R1-style templates end with `<think>\\n`)."""
    return prompt.rstrip().endswith("<think>")


def parser_for(prompting: ModelPrompting, prompt: str) -> TranscriptParser:
    """The stream parser for what the model writes after `prompt`."""
    return make_parser(prompting.reasoning_format, starts_inside=starts_inside_thought(prompt))


def format_of_output(raw: str, default: ReasoningFormat = "coat") -> ReasoningFormat:
    """The format a stored output was written in, from its tags (the history keeps raw outputs only)."""
    if "</think>" in raw or "<think>" in raw:
        return "think"
    if "<Thought>" in raw or "<Output>" in raw:
        return "marco"
    return default


def parser_for_output(raw: str) -> TranscriptParser:
    """A parser for a whole stored output (an unopened thought that is closed starts inside it)."""
    reasoning_format = format_of_output(raw)
    starts_inside = reasoning_format == "think" and "</think>" in raw and "<think>" not in raw
    return make_parser(reasoning_format, starts_inside=starts_inside)


def messages_of(turns: Sequence[tuple[str, str | None]]) -> list[dict[str, str]]:
    """Chat messages for a template: (question, answer or None) per turn; the first question carries the
    step-by-step instruction."""
    messages: list[dict[str, str]] = []
    for number, (question, answer) in enumerate(turns):
        messages.append({"role": "user", "content": first_question(question) if number == 0 else question})
        if answer is not None:
            messages.append({"role": "assistant", "content": answer})
    return messages
