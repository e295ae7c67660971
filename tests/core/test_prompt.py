"""Prompts: the model card's prompt for a new problem, Qwen chat turns for follow-ups."""

from __future__ import annotations

import pytest

from satori_desktop.core.prompt import Conversation, problem_prompt


def test_problem_prompt_is_the_model_cards() -> None:
    assert problem_prompt("1+1?") == (
        "<|im_start|>user\nSolve the following math problem efficiently and clearly.\n"
        "Please reason step by step, and put your final answer within \\boxed{}.\n"
        "Problem: 1+1?<|im_end|>\n<|im_start|>assistant\n"
    )


def test_follow_up_extends_the_previous_prompt() -> None:
    conversation = Conversation()
    first = conversation.ask("1+1?")
    conversation.record_answer("It is \\boxed{2}.<|im_end|>")
    second = conversation.ask("And 2+2?")
    # The new prompt starts with everything the engine already evaluated, so its KV cache is reused.
    assert second.startswith(first + "It is \\boxed{2}.<|im_end|>\n")
    assert second.endswith("<|im_start|>user\nAnd 2+2?<|im_end|>\n<|im_start|>assistant\n")
    assert second.count("<|im_end|>") == 3


def test_asking_twice_without_an_answer_is_a_bug() -> None:
    conversation = Conversation()
    conversation.ask("1")
    with pytest.raises(ValueError):
        conversation.ask("2")
