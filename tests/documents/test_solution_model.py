"""The neutral solution model every export writes: steps and answer from a trace or a stored
conversation, text and math cut as the transcript page cuts them, and the Markdown made of it."""

from __future__ import annotations

from dataclasses import dataclass

from satori_desktop.core.coat import StepAction
from satori_desktop.documents.markdown import solution_markdown
from satori_desktop.documents.solution import (
    DisplayFormula,
    Formula,
    LineBreak,
    Paragraph,
    TextRun,
    formulas_in,
    question_of,
    solution_from_conversation,
    solution_from_trace,
    text_blocks,
)
from tests.documents.samples import (
    CONSTRUCT_FORMULAS,
    CONSTRUCTS,
    THINK,
    THINK_FORMULAS,
    constructs_solution,
    think_solution,
)

PROMPT = (
    "<|im_start|>user\nSolve the following math problem efficiently and clearly.\n"
    "Please reason step by step, and put your final answer within \\boxed{}.\n"
    "Problem: Solve $2x + 3 = 7$.<|im_end|>\n<|im_start|>assistant\n"
)


def test_a_trace_becomes_steps_with_their_actions_and_the_answer() -> None:
    solution = constructs_solution()
    [question] = solution.questions
    assert [step.action for step in question.steps] == [
        StepAction.START,
        StepAction.CONTINUE,
        StepAction.REFLECT,
        StepAction.EXPLORE,
        StepAction.CONTINUE,
    ]
    assert question.answer == r"x = 2 \text{ or } x = 3" and solution.answer == question.answer
    assert solution.steps == 5 and solution.count(StepAction.REFLECT) == 1
    assert sum(len(formulas_in(step.text)) for step in question.steps) == CONSTRUCT_FORMULAS


def test_another_models_output_is_a_thought_then_its_answer() -> None:
    solution = think_solution()
    [question] = solution.questions
    assert [step.action for step in question.steps] == [StepAction.THINK, StepAction.CONTINUE]
    assert question.reasoning_format == "think"
    assert question.steps[0].text.startswith("Okay, so I need") and "</think>" not in question.steps[0].text
    assert question.answer == r"x = 2 \text{ or } x = 3"
    assert solution.count(StepAction.THINK) == 1
    assert sum(len(formulas_in(step.text)) for step in question.steps) == THINK_FORMULAS
    # Without a format named, the one its tags show; read as Satori's, it is one step, tags and all.
    assert solution_from_trace(THINK).questions[0].steps == question.steps
    as_coat = solution_from_trace(THINK, reasoning_format="coat").questions[0]
    assert [step.action for step in as_coat.steps] == [StepAction.START] and "</think>" in as_coat.steps[
        0
    ].text


def test_the_markdown_of_a_thought_is_thinking_then_the_solution() -> None:
    markdown = solution_markdown(think_solution())
    assert "## Question\n\nSolve $x^2 - 5x + 6 = 0$" in markdown
    assert "### Thinking\n\nOkay, so I need to solve $x^2 - 5x + 6 = 0$." in markdown
    assert "\n\nWait, let me check" in markdown  # its paragraphs stay paragraphs
    assert "### Solution\n\nFactoring gives $(x-2)(x-3) = 0$" in markdown
    assert "Next step" not in markdown and "think>" not in markdown
    assert markdown.rstrip().endswith("**Answer:** $x = 2 \\text{ or } x = 3$")


def test_the_question_is_read_from_satoris_prompt() -> None:
    raw = PROMPT + "Subtract 3: $2x = 4$.<|continue|>So $\\boxed{2}$.<|im_end|>"
    assert question_of(raw) == "Solve $2x + 3 = 7$."
    solution = solution_from_trace(raw)
    assert solution.questions[0].question == "Solve $2x + 3 = 7$."
    assert solution.questions[0].output.startswith("Subtract 3")  # the prompt is not part of the answer
    assert solution.answer == "2"


def test_text_and_math_are_cut_as_the_page_cuts_them() -> None:
    blocks = text_blocks(
        "A price of $5 and $10, then $x^2$ and \\(y\\) and **bold $z$** and `$code$`:\n"
        "$$a = b$$\nafter \\[c\\] and \\begin{aligned} d &= e \\end{aligned}\n\n"
        "1. one \\boxed{3}\n2. two \\(x unclosed"
    )
    first = blocks[0]
    assert isinstance(first, Paragraph)
    runs = first.inlines
    assert runs[0] == TextRun("A price of $5 and $10, then ")  # dollar amounts stay text
    assert runs[1] == Formula("x^2", False, "$x^2$") and runs[3] == Formula("y", False, "\\(y\\)")
    assert TextRun("z", bold=True) not in runs and Formula("z", False, "$z$") in runs
    assert TextRun("$code$", code=True) in runs  # math inside code stays code
    displays = [block.formula.tex for block in blocks if isinstance(block, DisplayFormula)]
    assert displays == ["a = b", "c", "\\begin{aligned} d &= e \\end{aligned}"]
    items = [block for block in blocks if isinstance(block, Paragraph) and block.marker]
    assert [item.marker for item in items] == ["1.", "2."]
    assert TextRun("\\(x unclosed") in items[1].inlines  # an unclosed formula is text, as written
    assert Formula("\\boxed{3}", False, "\\boxed{3}") in items[0].inlines
    assert not any(
        isinstance(block.inlines[0], LineBreak) for block in blocks if isinstance(block, Paragraph)
    )


def test_raw_html_and_links_stay_text() -> None:
    [paragraph] = text_blocks("<script>alert(1)</script> [x](javascript:alert(1)) ![i](http://x/y.png)")
    assert isinstance(paragraph, Paragraph)
    assert "".join(run.text for run in paragraph.inlines if isinstance(run, TextRun)) == (
        "<script>alert(1)</script> [x](javascript:alert(1)) ![i](http://x/y.png)"
    )


@dataclass(frozen=True)
class _Turn:
    question: str
    output: str
    finish_reason: str | None
    error: str | None = None
    model_file: str | None = "satori-7b.Q4_K_M.gguf"


@dataclass(frozen=True)
class _Conversation:
    title: str
    created_at: float
    turns: tuple[_Turn, ...]


def test_a_stored_conversation_and_its_markdown() -> None:
    conversation = _Conversation(
        "解二次方程 $x^2 = 4$",
        0.0,
        (
            _Turn("解二次方程 $x^2 = 4$", "$x = \\pm 2$<|reflect|>Check: $2^2 = 4$ \\boxed{\\pm 2}", "stop"),
            _Turn("And $x^3 = 8$?", "Then $x = 2$", "interrupted"),
            _Turn("More?", "", "error", "The model ran out of memory."),
        ),
    )
    solution = solution_from_conversation(conversation)
    assert solution.model == "satori-7b.Q4_K_M.gguf" and len(solution.questions) == 3
    markdown = solution_markdown(solution)
    assert markdown.startswith("# 解二次方程 $x^2 = 4$\n\n*Satori Desktop, ")
    assert "## Question 1\n\n解二次方程 $x^2 = 4$\n\n### Solution\n\n$x = \\pm 2$" in markdown
    assert "### Checking the work (reflect)\n\nCheck: $2^2 = 4$ \\boxed{\\pm 2}" in markdown
    assert "**Answer:** $\\pm 2$" in markdown
    assert "*The answer was interrupted (the app closed before it was finished).*" in markdown
    assert "*The answer stopped with an error: The model ran out of memory.*" in markdown


def test_a_stored_conversation_reads_each_turn_as_its_tags_show() -> None:
    conversation = _Conversation(
        "Mixed",
        0.0,
        (
            _Turn("Q1", "Satori: $1$<|reflect|>Checked. \\boxed{1}", "stop"),
            _Turn("Q2", "<think>\nHmm, $2$.\n</think>\n\nIt is $\\boxed{2}$.", "stop"),
        ),
    )
    first, second = solution_from_conversation(conversation).questions
    assert [step.action for step in first.steps] == [StepAction.START, StepAction.REFLECT]
    assert [(step.action, step.text) for step in second.steps] == [
        (StepAction.THINK, "Hmm, $2$."),
        (StepAction.CONTINUE, "It is $\\boxed{2}$."),
    ]
    assert second.answer == "2" and second.reasoning_format == "think"


def test_markdown_of_a_trace_keeps_the_models_text() -> None:
    markdown = solution_markdown(constructs_solution())
    assert "## Question\n\nSolve $x^2 - 5x + 6 = 0$" in markdown
    assert "A price of $5 and $10 is not math." in markdown
    assert "### Trying another way (explore)" in markdown
    assert markdown.rstrip().endswith("**Answer:** $x = 2 \\text{ or } x = 3$")
    assert CONSTRUCTS.split("<|continue|>")[0].strip() in markdown
