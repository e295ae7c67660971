"""Parsers for other reasoning models (`<think>`, Marco-o1, plain): real-shaped outputs, and any chunking of
any output parses as the whole does, as for COAT."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from satori_desktop.core.coat import (
    AnswerFound,
    CoatParser,
    StepAction,
    StepFinished,
    StepStarted,
    TextAppended,
    TranscriptEvent,
    parse_trace,
)
from satori_desktop.core.reasoning import (
    ANSWER_ACTION,
    REASONING_FORMATS,
    THOUGHT_ACTION,
    MarcoParser,
    PlainParser,
    ThinkParser,
    make_parser,
    parse_output,
)
from tests.support.parsing import feed_in_chunks, fold

R1_OUTPUT = (
    "<think>\nOkay, so I need to add $\\frac{1}{2}$ and $\\frac{1}{3}$. The common denominator is 6.\n\n"
    "Wait, let me double-check: $\\frac{3}{6} + \\frac{2}{6} = \\frac{5}{6}$. Yes.\n</think>\n\n"
    "The sum is $\\frac{1}{2} + \\frac{1}{3} = \\frac{5}{6}$.\n\n"
    "**Final Answer**\n\\[\n\\boxed{\\dfrac{5}{6}}\n\\]<｜end▁of▁sentence｜>"
)
MARCO_OUTPUT = (
    "<Thought>\nAlright, I need to find $2^{10}$. Doubling ten times: 2, 4, 8, ..., 1024.\n</Thought>\n"
    "<Output>\n$2^{10} = 1024$\n</Output><|im_end|>"
)


def steps(events: list[TranscriptEvent]) -> list[tuple[object, str]]:
    return fold(events)["steps"]  # type: ignore[return-value]


def test_the_thought_is_a_think_step_and_the_answer_a_plain_one() -> None:
    assert THOUGHT_ACTION is StepAction.THINK
    assert ANSWER_ACTION is StepAction.CONTINUE
    assert StepAction.THINK.value == "think"


def test_r1_output_is_a_thought_then_the_answer_with_its_box() -> None:
    trace = parse_output(R1_OUTPUT, "think")
    assert [step.action for step in trace.steps] == [StepAction.THINK, StepAction.CONTINUE]
    assert trace.steps[0].text.startswith("Okay, so I need")
    assert trace.steps[0].text.endswith("Yes.\n")
    assert trace.steps[1].text.startswith("The sum is")
    assert trace.answer == "\\dfrac{5}{6}"
    assert all("<" not in step.text.replace("<｜", "") for step in trace.steps)


def test_events_arrive_in_order_and_every_step_is_finished() -> None:
    events = feed_in_chunks(ThinkParser(), R1_OUTPUT, list(range(0, len(R1_OUTPUT), 7)))
    started = [e.index for e in events if isinstance(e, StepStarted)]
    finished = [e.index for e in events if isinstance(e, StepFinished)]
    assert started == finished == [0, 1]
    open_step = None
    for event in events:
        if isinstance(event, StepStarted):
            open_step = event.index
        elif isinstance(event, TextAppended):
            assert event.index == open_step
        elif isinstance(event, StepFinished):
            assert event.index == open_step
            open_step = None


def test_prompt_that_opens_the_thought_starts_inside_it() -> None:
    output = "Let me compute $3 \\cdot 4 = 12$.\n</think>\n\nThe product is $\\boxed{12}$."
    events = feed_in_chunks(ThinkParser(starts_inside=True), output, [])
    assert steps(events) == [
        (THOUGHT_ACTION, "Let me compute $3 \\cdot 4 = 12$.\n"),
        (ANSWER_ACTION, "The product is $\\boxed{12}$."),
    ]
    # A finished text shows it by itself: a closing tag with no opening one.
    assert [s.action for s in parse_output(output, "think").steps] == [THOUGHT_ACTION, ANSWER_ACTION]


def test_unclosed_thought_at_the_token_limit_still_ends_as_a_thought() -> None:
    parser = ThinkParser()
    events = parser.feed("<think>\nThe sum of the first $n$ odd numbers is $n^2$, so for $n = 10$ it")
    events += parser.feed(" is $\\boxed{100}$ and now I check</thi")
    events += parser.finish()
    assert steps(events) == [
        (
            THOUGHT_ACTION,
            "The sum of the first $n$ odd numbers is $n^2$, so for $n = 10$ it is $\\boxed{100}$ and now I "
            "check</thi",
        )
    ]
    assert [e for e in events if isinstance(e, AnswerFound)] == [AnswerFound("100")]
    assert not parser.ended


def test_tags_split_across_chunks_are_recognised() -> None:
    parser = ThinkParser()
    events = parser.feed("<th") + parser.feed("ink>hmm</") + parser.feed("think") + parser.feed(">ok")
    events += parser.finish()
    assert steps(events) == [(THOUGHT_ACTION, "hmm"), (ANSWER_ACTION, "ok")]


@pytest.mark.parametrize("lookalike", ["<thinking>", "</thinkx>", "<|think|>", "<Think>", "< think>"])
def test_text_that_looks_like_a_tag_stays_text(lookalike: str) -> None:
    trace = parse_output(f"<think>a {lookalike} b</think>answer {lookalike}", "think")
    assert [(s.action, s.text) for s in trace.steps] == [
        (THOUGHT_ACTION, f"a {lookalike} b"),
        (ANSWER_ACTION, f"answer {lookalike}"),
    ]


@pytest.mark.parametrize("end", ["<|im_end|>", "<|endoftext|>", "<｜end▁of▁sentence｜>"])
@pytest.mark.parametrize("reasoning_format", ["think", "marco", "plain"])
def test_chat_end_tokens_end_the_output(end: str, reasoning_format: str) -> None:
    parser = make_parser(reasoning_format)
    events = parser.feed(f"done {end} ignored \\boxed{{1}}")
    assert parser.ended
    assert parser.feed("more") == []
    events += parser.finish()
    assert [text for _, text in steps(events)] == ["done "]
    assert not [e for e in events if isinstance(e, AnswerFound)]


def test_empty_thought_gives_no_step() -> None:
    # Qwen3 with thinking switched off writes an empty thought.
    trace = parse_output("<think>\n\n</think>\n\nThe answer is 4.", "think")
    assert [(s.action, s.text) for s in trace.steps] == [(ANSWER_ACTION, "The answer is 4.")]
    assert trace.answer is None


def test_no_box_means_no_answer_and_the_gui_shows_the_answer_section() -> None:
    trace = parse_output("<think>easy</think>It is 4.", "think")
    assert trace.answer is None
    assert trace.steps[-1].action is ANSWER_ACTION


def test_the_last_box_wins_also_across_sections() -> None:
    trace = parse_output("<think>maybe \\boxed{3}</think>No: \\boxed{4}, not \\boxed{5}? \\boxed{4}", "think")
    assert trace.answer == "4"


def test_marco_output_is_the_thought_then_the_output() -> None:
    trace = parse_output(MARCO_OUTPUT, "marco")
    assert [(s.action, s.text) for s in trace.steps] == [
        (THOUGHT_ACTION, "Alright, I need to find $2^{10}$. Doubling ten times: 2, 4, 8, ..., 1024.\n"),
        (ANSWER_ACTION, "$2^{10} = 1024$\n"),
    ]
    assert trace.answer is None


def test_marco_without_output_tags_and_with_a_pasted_chat_prompt() -> None:
    raw = (
        "<|im_start|>system\nYou are Marco-o1.<|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n"
        "<|im_start|>assistant\n<Thought>\n1+1=2\n</Thought>\nSo it is $\\boxed{2}$."
    )
    trace = parse_output(raw, "marco")
    assert [(s.action, s.text) for s in trace.steps] == [
        (THOUGHT_ACTION, "1+1=2\n"),
        (ANSWER_ACTION, "So it is $\\boxed{2}$."),
    ]
    assert trace.answer == "2"
    # <think> means nothing to Marco, nor <Thought> to a think model.
    assert parse_output("<think>x</think>", "marco").steps[0].text == "<think>x</think>"
    assert parse_output("<Thought>x</Thought>", "think").steps[0].text == "<Thought>x</Thought>"


def test_llama_based_r1_pasted_prompt_is_skipped() -> None:
    raw = (
        "<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>\n2+2=4\n</think>\n\n$\\boxed{4}$"
    )
    trace = parse_output(raw, "think")
    assert [(s.action, s.text) for s in trace.steps] == [
        (THOUGHT_ACTION, "2+2=4\n"),
        (ANSWER_ACTION, "$\\boxed{4}$"),
    ]


def test_plain_is_one_step_and_hidden_chat_tokens_never_show() -> None:
    trace = parse_output("\n<|im_start|>Just <think>an</think> answer: \\boxed{7}", "plain")
    assert [(s.action, s.text) for s in trace.steps] == [
        (ANSWER_ACTION, "Just <think>an</think> answer: \\boxed{7}")
    ]
    assert trace.answer == "7"
    assert parse_output("", "plain").steps == []


def test_make_parser_gives_each_format_its_parser() -> None:
    assert isinstance(make_parser("coat"), CoatParser)
    assert isinstance(make_parser("think"), ThinkParser)
    assert isinstance(make_parser("marco"), MarcoParser)
    assert isinstance(make_parser("plain"), PlainParser)
    with pytest.raises(ValueError, match="Unknown reasoning format 'harmony'"):
        make_parser("harmony")


def test_coat_format_parses_exactly_as_the_coat_parser() -> None:
    raw = "<|im_start|>assistant\nStart.\n<|continue|>\nNext $\\boxed{1}$.<|reflect|>Check.<|im_end|>tail"
    assert parse_output(raw, "coat") == parse_trace(raw)
    assert parse_output(raw) == parse_trace(raw)


_PIECES = st.sampled_from(
    [
        "<think>",
        "</think>",
        "<Thought>",
        "</Thought>",
        "<Output>",
        "</Output>",
        "<thinking>",
        "</thinkx>",
        "<|think|>",
        "<|im_end|>",
        "<|endoftext|>",
        "<｜end▁of▁sentence｜>",
        "<|im_start|>",
        "<｜Assistant｜>",
        "<|continue|>",
        "<|reflect|>",
        "<",
        "</",
        "<th",
        "|",
        ">",
        "\\boxed{",
        "\\boxed {",
        "{",
        "}",
        "\\{",
        "$",
        "\n",
        " ",
        "x",
        "é",
        "🙂",
        "Wait, let me check.",
    ]
)


@pytest.mark.parametrize("reasoning_format", REASONING_FORMATS)
@pytest.mark.parametrize("starts_inside", [False, True])
@given(
    pieces=st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=30),
)
def test_any_chunking_parses_like_the_whole(
    reasoning_format: str, starts_inside: bool, pieces: list[str], cuts: list[int]
) -> None:
    text = "".join(pieces)
    whole = fold(feed_in_chunks(make_parser(reasoning_format, starts_inside=starts_inside), text, []))
    parser = make_parser(reasoning_format, starts_inside=starts_inside)
    chunked = fold(feed_in_chunks(parser, text, [c for c in cuts if c <= len(text)]))
    assert chunked == whole


@pytest.mark.parametrize("reasoning_format", ["think", "marco", "plain"])
@given(pieces=st.lists(_PIECES, max_size=40))
def test_step_text_never_holds_a_tag_or_chat_token(reasoning_format: str, pieces: list[str]) -> None:
    trace = parse_output("".join(pieces), reasoning_format)
    tags = {"think": ("<think>", "</think>"), "marco": ("<Thought>", "</Thought>", "<Output>", "</Output>")}
    for step in trace.steps:
        assert step.text.strip()
        for token in (*tags.get(reasoning_format, ()), "<|im_end|>", "<|endoftext|>", "<|im_start|>"):
            assert token not in step.text
