"""Tiny GGUFs of other reasoning models for the tests: a <think> model (QwQ / R1-distill shaped) and a
Marco-o1 one, each with its tags as vocabulary pieces and its own chat template (written here, in the shape
those models' templates have: not copied from them)."""

from __future__ import annotations

from pathlib import Path

from tests.support.tiny_gguf import write_tiny_gguf

# A ChatML template as QwQ / R1 distills have it: the assistant turn opens the thought itself, and earlier
# answers go back into the history without their thought.
THINK_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['role'] == 'assistant' %}{{ message['content'].split('</think>')[-1] | trim }}"
    "{% else %}{{ message['content'] }}{% endif %}"
    "{{ '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n<think>\\n' }}{% endif %}"
)
# Plain ChatML (Marco-o1's): the model opens <Thought> itself.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def write_think_model(
    path: Path, *, chat_template: str = THINK_TEMPLATE, name: str = "tiny-qwq-preview"
) -> Path:
    return write_tiny_gguf(
        path, coat_tokens=False, extra_pieces=["<think>", "</think>"], chat_template=chat_template, name=name
    )


def write_marco_model(path: Path) -> Path:
    return write_tiny_gguf(
        path,
        coat_tokens=False,
        extra_pieces=["<Thought>", "</Thought>", "<Output>", "</Output>"],
        chat_template=CHATML_TEMPLATE,
        name="Marco-o1-tiny",
    )
