"""Other reasoning models on a shared server: prompted by the template the server tells, read by their format.

A real llama-server on 127.0.0.1 serves the tiny <think> and Marco-o1 models of tests/support/other_models.py;
the recording server stands for a server that tells no template (vLLM) and for a hostile template.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from satori_desktop.core.coat import TraceBuilder
from satori_desktop.core.model_format import parser_for
from satori_desktop.core.prompt import problem_prompt_for
from satori_desktop.engine.remote import RemoteEngine, ServerConfig
from satori_desktop.engine.types import GenerationRequest, LoadOptions
from tests.support.other_models import CHATML_TEMPLATE, THINK_TEMPLATE, write_marco_model, write_think_model
from tests.support.servers import LlamaServer, RecordingServer
from tests.support.tiny_gguf import IM_END, script_grammar

NO_MODEL = LoadOptions(Path("unused.gguf"))
QUESTION = "What is 1 + 1?"


def connect(url: str) -> RemoteEngine:
    engine = RemoteEngine(ServerConfig(urls=(url,)))
    engine.load(NO_MODEL)
    return engine


def test_a_think_model_on_llama_server_is_prompted_by_its_template_and_its_thought_folds(
    tmp_path: Path,
) -> None:
    model = write_think_model(tmp_path / "tiny-qwq.gguf")
    with LlamaServer(model, parallel=1) as server:
        engine = connect(server.url)
        report = engine.load_report
        assert report is not None
        assert report.is_satori is False and report.backend == "Server"
        assert report.prompting.reasoning_format == "think"
        assert report.prompting.chat_template == THINK_TEMPLATE
        # No BOS in the prompt (the server adds the one its model wants); its end token a stop string.
        assert report.prompting.bos_token == "" and report.prompting.eos_token == IM_END
        assert not any("step markers" in warning for warning in report.warnings)
        assert any(
            "is not Satori: answers work, and its <think> reasoning is shown as one folded Thinking"
            in warning
            for warning in report.warnings
        )

        prompt = problem_prompt_for(report.prompting, QUESTION)
        assert prompt.startswith("<|im_start|>user\nWhat is 1 + 1?")
        assert prompt.endswith("<|im_end|>\n<|im_start|>assistant\n<think>\n")
        script = f"One and one: $1+1=2$.\n\nSure.</think>So \\boxed{{2}}.{IM_END}"
        result = engine.generate(GenerationRequest(prompt, max_tokens=200, grammar=script_grammar(script)))
        engine.unload()

    assert result.finish_reason == "stop", result
    assert result.text == script.removesuffix(IM_END)  # the thought's closing tag came back as text
    parser = parser_for(report.prompting, prompt)
    builder = TraceBuilder()
    for events in (parser.feed(result.text), parser.finish()):
        builder.apply(events)
    trace = builder.result()
    assert [step.action for step in trace.steps] == ["think", "continue"]
    assert trace.steps[0].text.startswith("One and one: $1+1=2$.") and trace.answer == "2"


def test_a_marco_model_on_llama_server_is_read_as_thought_and_output(tmp_path: Path) -> None:
    # Started as a teacher would, without an alias: the server names the model by its file.
    model = write_marco_model(tmp_path / "Marco-o1-tiny.Q4_K_M.gguf")
    with LlamaServer(model, parallel=1, alias=None) as server:
        engine = connect(server.url)
        report = engine.load_report
        assert report is not None
        assert report.prompting.reasoning_format == "marco"
        assert report.prompting.chat_template == CHATML_TEMPLATE
        prompt = problem_prompt_for(report.prompting, QUESTION)
        script = f"<Thought>Add one to one.</Thought><Output>\\boxed{{2}}</Output>{IM_END}"
        result = engine.generate(GenerationRequest(prompt, max_tokens=200, grammar=script_grammar(script)))
        engine.unload()
    parser = parser_for(report.prompting, prompt)
    builder = TraceBuilder()
    for events in (parser.feed(result.text), parser.finish()):
        builder.apply(events)
    trace = builder.result()
    assert [step.action for step in trace.steps] == ["think", "continue"] and trace.answer == "2"


def test_requests_keep_the_models_tags_and_stop_at_its_end_token() -> None:
    props = {"chat_template": THINK_TEMPLATE, "eos_token": "<｜end▁of▁sentence｜>", "model_alias": "qwq-32b"}
    with RecordingServer(["<think>", "Hm", "</think>", "2"], satori=False, props=props) as recorder:
        engine = connect(recorder.url)
        report = engine.load_report
        result = engine.generate(GenerationRequest("<|im_start|>user\nHi<|im_end|>\n", max_tokens=8))
        engine.unload()
    assert report is not None and report.prompting.reasoning_format == "think"
    body = recorder.completions()[-1]
    assert body["preserved_tokens"] == ["<think>", "</think>"]
    assert body["stop"][-1] == "<｜end▁of▁sentence｜>"
    # No probe for Satori's markers was made: connecting asked for the models, the props and tokens only.
    assert len(recorder.completions()) == 1
    assert result.text == "<think>Hm</think>2"


def test_a_server_that_tells_no_template_asks_in_plain_text_with_a_notice() -> None:
    # As vLLM: no GET /props. The model's name says nothing of its format either.
    with RecordingServer(["It is 2."], satori=False) as recorder:
        engine = connect(recorder.url)
        report = engine.load_report
        engine.unload()
    assert report is not None and report.is_satori is False
    assert report.prompting.reasoning_format == "plain" and report.prompting.chat_template == ""
    assert any(
        "does not say its model's chat template, so the app asks it in plain text" in w
        for w in report.warnings
    )
    assert problem_prompt_for(report.prompting, QUESTION).startswith(f"User: {QUESTION}\n")


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",  # a sandbox escape
        "{% for i in range(10**9) %}{{ i }}{% endfor %}",  # no end
    ],
)
def test_a_hostile_template_from_the_server_is_refused_with_a_sentence(template: str) -> None:
    with RecordingServer(["2"], satori=False, props={"chat_template": template}) as recorder:
        engine = connect(recorder.url)
        report = engine.load_report
        engine.unload()
    assert report is not None and report.prompting.chat_template == ""
    refusals = [w for w in report.warnings if "template" in w and "plain" in w]
    assert refusals and all(w.endswith(".") and "\n" not in w for w in report.warnings)
