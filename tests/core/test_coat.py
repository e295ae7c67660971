"""The COAT parser: real Satori-style traces, and any chunking of any trace parses the same."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from satori_desktop.core.coat import (
    AnswerFound,
    CoatParser,
    StepAction,
    StepFinished,
    StepStarted,
    TextAppended,
    parse_trace,
)
from tests.support.parsing import feed_in_chunks, fold

SATORI_TRACE = (
    "To find the sum of the roots, we use Vieta's formulas.\n\n"
    "<|continue|>\nFor $x^2 - 5x + 6 = 0$, the sum is $-\\frac{b}{a} = 5$.\n\n"
    "<|reflect|>\nLet me check by factoring: $(x-2)(x-3)$ gives roots 2 and 3, sum 5. Wait, I should "
    "double-check the sign.\n\n"
    "<|explore|>\nInstead, compute directly: \\[ 2 + 3 = 5 \\]\n\n"
    "<|continue|>\nTherefore, the final answer is: $\\boxed{5}$.<|im_end|>"
)


def test_satori_trace_gives_steps_actions_and_answer() -> None:
    trace = parse_trace(SATORI_TRACE)
    assert [step.action for step in trace.steps] == [
        StepAction.START,
        StepAction.CONTINUE,
        StepAction.REFLECT,
        StepAction.EXPLORE,
        StepAction.CONTINUE,
    ]
    assert trace.answer == "5"
    assert trace.reflections == 1 and trace.explorations == 1
    assert trace.to_dict()["steps"][2]["text"].startswith("Let me check by factoring")
    assert all("<|" not in step.text for step in trace.steps)


def test_events_arrive_in_order_and_every_step_is_finished() -> None:
    events = feed_in_chunks(CoatParser(), SATORI_TRACE, [])
    started = [e.index for e in events if isinstance(e, StepStarted)]
    finished = [e.index for e in events if isinstance(e, StepFinished)]
    assert started == finished == [0, 1, 2, 3, 4]
    # A step's text comes after its start and before its end.
    open_step = None
    for event in events:
        if isinstance(event, StepStarted):
            open_step = event.index
        elif isinstance(event, TextAppended):
            assert event.index == open_step
        elif isinstance(event, StepFinished):
            assert event.index == open_step
            open_step = None


def test_meta_token_split_across_chunks_is_recognised() -> None:
    text = "First.<|reflect|>Check."
    for cut in range(len(text) + 1):
        events = feed_in_chunks(CoatParser(), text, [cut])
        assert fold(events)["steps"] == [(StepAction.START, "First."), (StepAction.REFLECT, "Check.")]


def test_end_tokens_never_show_and_stop_the_output() -> None:
    trace = parse_trace("Answer $\\boxed{1}$<|endoftext|>garbage<|reflect|>more")
    assert [(s.action, s.text) for s in trace.steps] == [(StepAction.START, "Answer $\\boxed{1}$")]
    assert trace.answer == "1"


def test_text_that_looks_like_a_token_but_is_not_stays() -> None:
    trace = parse_trace("If $a<|x|$ then <|reflectx|> and a < b |")
    assert trace.steps[0].text == "If $a<|x|$ then <|reflectx|> and a < b |"


def test_a_prefix_of_a_token_at_the_very_end_is_text() -> None:
    parser = CoatParser()
    events = parser.feed("a <|refl")
    assert fold(events + parser.finish())["steps"] == [(StepAction.START, "a <|refl")]


def test_leading_meta_token_has_no_empty_opening_step() -> None:
    trace = parse_trace("\n<|continue|>\nStep.")
    assert [(s.action, s.text.strip()) for s in trace.steps] == [(StepAction.CONTINUE, "Step.")]


def test_no_meta_tokens_is_one_opening_step_and_no_boxed_is_no_answer() -> None:
    trace = parse_trace("Just some text with $x$.")
    assert [(s.action, s.text) for s in trace.steps] == [(StepAction.START, "Just some text with $x$.")]
    assert trace.answer is None
    assert parse_trace("").steps == []


def test_the_last_boxed_wins_and_answer_events_stream() -> None:
    events = feed_in_chunks(CoatParser(), "A \\boxed{1}.<|reflect|>No: \\boxed{\\frac{3}{4}}.", [3, 9])
    assert [e.latex for e in events if isinstance(e, AnswerFound)] == ["1", "\\frac{3}{4}"]
    assert parse_trace("A \\boxed{1}.<|reflect|>No: \\boxed{\\frac{3}{4}}.").answer == "\\frac{3}{4}"


def test_the_chat_prompt_before_the_output_is_skipped() -> None:
    raw = (
        "<|im_start|>user\nSolve 1+1 <|continue|><|im_end|>\n<|im_start|>assistant\n"
        "It is 2.<|reflect|>Yes. \\boxed{2}<|im_end|>"
    )
    trace = parse_trace(raw)
    assert [(s.action, s.text) for s in trace.steps] == [
        (StepAction.START, "It is 2."),
        (StepAction.REFLECT, "Yes. \\boxed{2}"),
    ]


# Pieces a model may write: meta and end tokens, their fragments, math, braces, unicode, plain text.
_PIECES = st.sampled_from(
    [
        "<|continue|>",
        "<|reflect|>",
        "<|explore|>",
        "<|im_end|>",
        "<|endoftext|>",
        "<|im_start|>",
        "<|",
        "|>",
        "<",
        "|",
        "\\boxed{",
        "\\boxed {",
        "\\fbox{",
        "{",
        "}",
        "\\{",
        "\\}",
        "\\frac{1}{2}",
        "$",
        "\n",
        " ",
        "x",
        "é",
        "∑",
        "🙂",
        "Let me check.",
    ]
)


@given(
    pieces=st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=30),
)
def test_any_chunking_parses_like_the_whole(pieces: list[str], cuts: list[int]) -> None:
    text = "".join(pieces)
    whole = fold(feed_in_chunks(CoatParser(), text, []))
    chunked = fold(feed_in_chunks(CoatParser(), text, [c for c in cuts if c <= len(text)]))
    assert chunked == whole


@given(pieces=st.lists(_PIECES, max_size=40))
def test_step_text_never_contains_a_whole_special_token(pieces: list[str]) -> None:
    trace = parse_trace("".join(pieces))
    for step in trace.steps:
        for token in ("<|continue|>", "<|reflect|>", "<|explore|>", "<|im_end|>", "<|endoftext|>"):
            assert token not in step.text
