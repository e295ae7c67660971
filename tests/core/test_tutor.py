"""Tutor mode's rules without a window: the reveal sequence, the hint of a step, the stored record."""

from __future__ import annotations

import pytest

from satori_desktop.core.tutor import (
    HINT_MAX_CHARS,
    CheckEntry,
    Reveal,
    RevealState,
    TutorRecord,
    explain_question,
    first_sentence,
    mask_boxed,
)


def test_each_step_is_a_hint_first_then_whole_and_only_steps_that_are_available() -> None:
    state = RevealState()
    assert not state.can_advance(0) and state.advance(0) is None
    assert state.advance(2) == (0, Reveal.HINT)
    assert state.advance(2) == (0, Reveal.SHOWN)
    assert state.advance(2) == (1, Reveal.HINT)
    assert state.advance(2) == (1, Reveal.SHOWN)
    assert state.advance(2) is None  # the third step is still streaming
    assert state.all_shown(2) and not state.all_shown(3)
    assert state.advance(3) == (2, Reveal.HINT)
    assert state.shown_count() == 2 and state.next_position() == 2
    assert [state.level(i) for i in range(4)] == [Reveal.SHOWN, Reveal.SHOWN, Reveal.HINT, Reveal.HIDDEN]
    state.show_everything(4)
    assert state.all_shown(4) and state.answer_shown


def test_the_record_round_trips_through_json_and_survives_damage() -> None:
    state = RevealState()
    state.advance(3)
    state.advance(3)
    state.advance(3)
    record = state.to_record(answer_key="\\frac{1}{2}")
    record = record.with_check(CheckEntry("1/2", False, 12.5)).with_check(CheckEntry("x", None, 13))
    again = TutorRecord.from_json(record.to_json())
    assert again == record and again.tutored and again.revealed == (2, 1)
    assert again.answer_key == "\\frac{1}{2}"
    assert RevealState.from_record(again).levels == [Reveal.SHOWN, Reveal.HINT]
    for damaged in ("", None, "[1, 2]", "{broken", '{"revealed": "all", "checks": [3, {"student": 4}]}'):
        parsed = TutorRecord.from_json(damaged)
        assert parsed is None or (parsed.revealed == () and parsed.checks == ())
    # Levels out of range are clamped, not trusted.
    clamped = TutorRecord.from_json('{"tutored": true, "revealed": [7, -1, true, 1]}')
    assert clamped is not None and clamped.revealed == (2, 0, 1)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        (
            "We need the sum of the roots of $x^2 - 5x + 6 = 0$. By Vieta the sum is 5.",
            "We need the sum of the roots of $x^2 - 5x + 6 = 0$.",
        ),
        # A full stop inside math, or in a decimal, does not end the sentence.
        (
            "Since $a = 2.5. b$ holds, we get 3.5 apples. Then more.",
            "Since $a = 2.5. b$ holds, we get 3.5 apples.",
        ),
        # A paragraph break ends it: the hint leads up to the result without giving it.
        ("Here $a = 1$, so the sum is\n\n$$-\\frac{-5}{1} = 5.$$", "Here $a = 1$, so the sum is"),
        ("$$x = 1$$ is the root. Check it.", "$$x = 1$$ is the root."),
        ("首先，计算判别式。然后求根。", "首先，计算判别式。"),
        ("No full stop at all", "No full stop at all"),
    ],
)
def test_a_hint_is_the_first_sentence_with_math_whole(text: str, hint: str) -> None:
    assert first_sentence(text) == hint


def test_a_long_first_sentence_is_cut_at_a_word() -> None:
    hint = first_sentence("word " * 200 + ".")
    assert hint.endswith(" …") and len(hint) <= HINT_MAX_CHARS + 2 and "wor …" not in hint


def test_the_hint_of_the_step_with_the_answer_does_not_give_it() -> None:
    assert mask_boxed("So the answer is $\\boxed{\\frac{1}{2}}$.") == "So the answer is $\\boxed{?}$."
    assert mask_boxed("\\fbox{a \\} b} and \\boxed {3}") == "\\fbox{?} and \\boxed {?}"
    assert mask_boxed("no box") == "no box"


def test_explain_question_quotes_the_step_then_asks() -> None:
    question = explain_question("First line.\n\n$$x = 2$$", 3, "Explain step %1.")
    assert question == "> First line.\n>\n> $$x = 2$$\n\nExplain step 3."


def test_a_thought_is_revealed_paragraph_by_paragraph_and_kept() -> None:
    from satori_desktop.core.tutor import paragraphs

    thought = "First idea.\n\nSecond idea, $x = 1$.\n\n\nThird idea."
    assert paragraphs(thought) == ["First idea.", "Second idea, $x = 1$.", "Third idea."]
    state = RevealState()
    counts = {0: len(paragraphs(thought)), 1: 0}  # step 0 a thought, step 1 an answer
    steps = [state.advance(2, paragraphs=counts.__getitem__) for _ in range(6)]
    assert steps == [
        (0, Reveal.HINT),  # its first sentence
        (0, Reveal.HINT),  # one paragraph
        (0, Reveal.HINT),  # two
        (0, Reveal.SHOWN),  # whole
        (1, Reveal.HINT),
        (1, Reveal.SHOWN),
    ]
    assert state.paragraphs_shown(0) == 2 and state.paragraphs_shown(1) == 0
    assert state.advance(2, paragraphs=counts.__getitem__) is None

    # Kept in the history: a reopened turn shows the same paragraphs; old records read as before.
    half = RevealState()
    for _ in range(2):
        half.advance(2, paragraphs=counts.__getitem__)
    record = TutorRecord.from_json(half.to_record().to_json())
    assert record is not None and record.paragraphs == (1,)
    assert RevealState.from_record(record).paragraphs_shown(0) == 1
    old = TutorRecord.from_json('{"tutored": true, "revealed": [1], "answer_shown": false, "checks": []}')
    assert old is not None and old.paragraphs == () and RevealState.from_record(old).paragraphs_shown(0) == 0
