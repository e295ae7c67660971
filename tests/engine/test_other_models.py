"""Other reasoning models through the real engine: their own chat template, their format chosen, their
thought parsed. Tiny GGUFs from the test factory with each format's tags and a template, scripted by a
grammar (tests.support.tiny_gguf)."""

from __future__ import annotations

from pathlib import Path

import pytest

from satori_desktop.core.coat import AnswerFound, StepAction, StepStarted, TextAppended, TraceBuilder
from satori_desktop.core.model_format import parser_for
from satori_desktop.core.prompt import Conversation, problem_prompt_for
from satori_desktop.engine.llama_engine import LlamaEngine
from satori_desktop.engine.types import GenerationRequest, LoadOptions
from tests.support.other_models import THINK_TEMPLATE, write_marco_model, write_think_model
from tests.support.tiny_gguf import IM_END, script_grammar, write_tiny_gguf

QUESTION = "What is 1 + 1?"


def load(path: Path) -> LlamaEngine:
    engine = LlamaEngine()
    engine.load(LoadOptions(path))
    return engine


def run(engine: LlamaEngine, prompt: str, script: str) -> tuple[str, TraceBuilder, list[object]]:
    report = engine.load_report
    assert report is not None
    parser = parser_for(report.prompting, prompt)
    builder = TraceBuilder()
    events: list[object] = []
    result = engine.generate(GenerationRequest(prompt, max_tokens=200, grammar=script_grammar(script)))
    for chunk in (parser.feed(result.text), parser.finish()):
        builder.apply(chunk)
        events += chunk
    assert result.finish_reason == "stop", result
    return result.text, builder, events


@pytest.fixture(scope="module")
def think_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_think_model(tmp_path_factory.mktemp("models") / "tiny-qwq.gguf")


def test_a_think_model_is_prompted_by_its_template_and_its_thought_folds(think_model: Path) -> None:
    engine = load(think_model)
    report = engine.load_report
    assert report is not None
    assert report.prompting.reasoning_format == "think"
    assert report.prompting.chat_template == THINK_TEMPLATE
    assert any("<think> reasoning is shown as one folded Thinking section" in w for w in report.warnings)

    prompt = problem_prompt_for(report.prompting, QUESTION)
    assert prompt == (
        "<|im_start|>user\nWhat is 1 + 1?\nPlease reason step by step, and put your final answer within "
        "\\boxed{}.<|im_end|>\n<|im_start|>assistant\n<think>\n"
    )
    # The template's special tokens are tokens, not text: <|im_start|> is one id.
    tokens = engine.tokenize(prompt)
    assert tokens.count(engine.tokenize("<|im_start|>")[0]) == 2

    text, builder, events = run(
        engine, prompt, f"One and one: $1+1=2$.\n\nSure.</think>So \\boxed{{2}}.{IM_END}"
    )
    trace = builder.result()
    assert [step.action for step in trace.steps] == ["think", "continue"]
    assert trace.steps[0].text.startswith("One and one: $1+1=2$.") and "Sure." in trace.steps[0].text
    assert trace.steps[1].text == "So \\boxed{2}."
    assert trace.answer == "2"
    assert StepStarted(0, StepAction.THINK) in events and AnswerFound("2") in events
    assert all("</think>" not in e.text for e in events if isinstance(e, TextAppended))

    # A follow-up: the template drops the earlier thought from the history it writes.
    conversation = Conversation(prompting=report.prompting)
    conversation.ask(QUESTION)
    conversation.record_answer(text)
    follow_up = conversation.ask("And 2 + 2?")
    engine.unload()
    assert "One and one" not in follow_up
    assert (
        "<|im_start|>assistant\nSo \\boxed{2}.<|im_end|>\n<|im_start|>user\nAnd 2 + 2?<|im_end|>" in follow_up
    )


def test_an_unclosed_thought_at_the_token_limit_still_folds(think_model: Path) -> None:
    engine = load(think_model)
    report = engine.load_report
    assert report is not None
    prompt = problem_prompt_for(report.prompting, QUESTION)
    result = engine.generate(GenerationRequest(prompt, max_tokens=5))
    engine.unload()
    parser = parser_for(report.prompting, prompt)
    builder = TraceBuilder()
    builder.apply(parser.feed(result.text) + parser.finish())
    assert result.finish_reason == "length"
    assert [step.action for step in builder.result().steps] == ["think"]


def test_a_marco_model_shows_its_thought_and_its_output(tmp_path: Path) -> None:
    path = write_marco_model(tmp_path / "marco.gguf")
    engine = load(path)
    report = engine.load_report
    assert report is not None and report.prompting.reasoning_format == "marco"
    prompt = problem_prompt_for(report.prompting, QUESTION)
    assert prompt.endswith("<|im_start|>assistant\n")
    _text, builder, _events = run(
        engine,
        prompt,
        f"<Thought>Add them: 1 + 1 = 2.</Thought><Output>The sum is \\boxed{{2}}.</Output>{IM_END}",
    )
    engine.unload()
    trace = builder.result()
    assert [(step.action, step.text) for step in trace.steps] == [
        ("think", "Add them: 1 + 1 = 2."),
        ("continue", "The sum is \\boxed{2}."),
    ]
    assert trace.answer == "2"


def test_a_model_without_a_template_gets_a_notice_and_a_plain_prompt(tmp_path: Path) -> None:
    engine = load(write_tiny_gguf(tmp_path / "plain.gguf", coat_tokens=False, name="tiny-plain"))
    report = engine.load_report
    assert report is not None
    engine.unload()
    assert report.prompting.reasoning_format == "plain" and report.prompting.chat_template == ""
    assert any("no chat template" in warning for warning in report.warnings)
    assert problem_prompt_for(report.prompting, QUESTION) == (
        "User: What is 1 + 1?\nPlease reason step by step, and put your final answer within \\boxed{}."
        "\n\nAssistant:"
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{{ raise_exception('only system messages') }}",
    ],
)
def test_a_hostile_template_is_refused_with_a_sentence_and_plain_text_is_used(
    tmp_path: Path, hostile: str
) -> None:
    path = write_think_model(
        tmp_path / "hostile.gguf", chat_template=hostile + "<think>", name="tiny-r1-distill"
    )
    engine = load(path)
    report = engine.load_report
    assert report is not None
    result = engine.generate(GenerationRequest(problem_prompt_for(report.prompting, QUESTION), max_tokens=3))
    engine.unload()
    assert report.prompting.reasoning_format == "think"  # from its name: still read as a thought
    assert report.prompting.chat_template == ""
    assert any(w.endswith("the app uses a plain prompt instead.") for w in report.warnings)
    assert result.generated_tokens == 3  # and the model still answers
