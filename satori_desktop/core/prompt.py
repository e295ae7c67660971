"""Prompts in the format Satori was trained on, and multi-turn conversations in Qwen chat format.

A new problem uses the model card's prompt exactly (see DESIGN.md). A follow-up ("why is step 2 true?")
is appended as a plain user turn after the previous answer, so the whole conversation stays one growing
text: the engine then finds the previous turns already in its KV cache and evaluates only the new part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from satori_desktop.core.model_format import SATORI_PROMPTING, ModelPrompting, messages_of

SATORI_INSTRUCTION = (
    "Solve the following math problem efficiently and clearly.\n"
    "Please reason step by step, and put your final answer within \\boxed{}.\n"
    "Problem: "
)
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"


def problem_prompt(question: str) -> str:
    """The official Satori prompt for a new problem."""
    return f"{IM_START}user\n{SATORI_INSTRUCTION}{question}{IM_END}\n{IM_START}assistant\n"


def _user_turn(text: str) -> str:
    return f"{IM_START}user\n{text}{IM_END}\n{IM_START}assistant\n"


@dataclass
class Turn:
    question: str
    answer: str | None = None  # the model's raw output (meta tokens included); None while pending


@dataclass
class Conversation:
    """The turns of one conversation; renders the prompt for the next answer (Satori's official prompt,
    or another model's own chat template: core/model_format.py)."""

    turns: list[Turn] = field(default_factory=list)
    prompting: ModelPrompting = SATORI_PROMPTING

    def ask(self, question: str) -> str:
        """Add a question and return the full prompt the engine should continue."""
        if self.turns and self.turns[-1].answer is None:
            raise ValueError("the previous question has no answer yet")
        self.turns.append(Turn(question))
        return self.prompt()

    def record_answer(self, raw_output: str) -> None:
        """Store the model's output for the open question (also a cancelled, partial one)."""
        if not self.turns or self.turns[-1].answer is not None:
            raise ValueError("there is no open question to answer")
        self.turns[-1].answer = raw_output

    def prompt(self) -> str:
        if not self.prompting.is_satori:
            return model_prompt(self.prompting, [(turn.question, turn.answer) for turn in self.turns])
        parts: list[str] = []
        for number, turn in enumerate(self.turns):
            parts.append(problem_prompt(turn.question) if number == 0 else _user_turn(turn.question))
            if turn.answer is not None:
                parts.append(f"{_strip_end(turn.answer)}{IM_END}\n")
        return "".join(parts)


def model_prompt(prompting: ModelPrompting, turns: Sequence[tuple[str, str | None]]) -> str:
    """The prompt of a non-Satori model: its chat template (checked when the model loaded), or plain text
    where it has none or the template refuses this conversation."""
    # Imported here: Jinja is needed only for a model that is not Satori, so a Satori start never pays for it.
    from satori_desktop.core.chat_template import ChatTemplateError, plain_prompt, render_chat_template

    messages = messages_of(
        [(question, None if answer is None else _strip_end(answer)) for question, answer in turns]
    )
    if prompting.chat_template:
        try:
            return render_chat_template(
                prompting.chat_template,
                messages,
                bos_token=prompting.bos_token,
                eos_token=prompting.eos_token,
            )
        except ChatTemplateError:
            pass  # the load report said so for the model; this conversation falls back the same way
    return prompting.bos_token + plain_prompt(messages)


def problem_prompt_for(prompting: ModelPrompting, question: str) -> str:
    """The prompt for a new problem, for whichever model is loaded."""
    if prompting.is_satori:
        return problem_prompt(question)
    return model_prompt(prompting, [(question, None)])


def _strip_end(output: str) -> str:
    # The engine stops at <|im_end|> and does not include it; a pasted output might. Either way the turn is
    # closed exactly once.
    for token in (IM_END, "<|endoftext|>"):
        output = output.split(token, 1)[0]
    return output
