"""Chat templates: realistic ones (written here in the shape of Qwen2.5's, the R1 distills' and Marco-o1's)
render the prompt the model expects; hostile ones are refused with a sentence, a slow one at its deadline."""

from __future__ import annotations

import sys
import time

import pytest

from satori_desktop.core.chat_template import (
    ChatTemplateError,
    plain_prompt,
    render_chat_template,
)

QWEN_LIKE = """{%- if messages[0]['role'] == 'system' %}
{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
{%- else %}
{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role != 'system' %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

# In the manner of the R1 distills: BOS, system text first, the thought dropped from earlier answers, and a
# generation prompt that opens the thought.
R1_LIKE = """{% set ns = namespace(system='') %}
{%- for message in messages if message['role'] == 'system' %}
{%- set ns.system = message['content'] %}
{%- endfor %}
{{- bos_token }}{{ ns.system }}
{%- for message in messages %}
{%- if message['role'] == 'user' %}{{ '<｜User｜>' + message['content'] }}
{%- elif message['role'] == 'assistant' %}
{%- set content = message['content'] %}
{%- if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}
{{- '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}"""

MARCO_LIKE = """{% for message in messages %}
{% if loop.first and message['role'] != 'system' %}
{{ '<|im_start|>system\\nYou are a reasoning assistant. Think inside <Thought></Thought>, answer inside \
<Output></Output>.<|im_end|>\\n' -}}
{% endif %}
{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] | trim + '<|im_end|>\\n' -}}
{% endfor %}
{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"""

CONVERSATION = [
    {"role": "user", "content": "What is $1+1$?"},
    {"role": "assistant", "content": "<think>\nEasy.\n</think>\n\n$\\boxed{2}$"},
    {"role": "user", "content": "And $2+2$? Écris-le."},
]


def test_qwen_like_template_writes_chatml_with_its_default_system_prompt() -> None:
    prompt = render_chat_template(QWEN_LIKE, CONVERSATION[:1])
    assert prompt == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nWhat is $1+1$?<|im_end|>\n<|im_start|>assistant\n"
    )
    without = render_chat_template(QWEN_LIKE, CONVERSATION[:1], add_generation_prompt=False)
    assert not without.endswith("<|im_start|>assistant\n")


def test_r1_like_template_uses_the_bos_drops_old_thoughts_and_opens_a_new_one() -> None:
    prompt = render_chat_template(
        R1_LIKE,
        [{"role": "system", "content": "Be brief."}, *CONVERSATION],
        bos_token="<｜begin▁of▁sentence｜>",
    )
    assert prompt == (
        "<｜begin▁of▁sentence｜>Be brief.<｜User｜>What is $1+1$?<｜Assistant｜>\n\n$\\boxed{2}$"
        "<｜end▁of▁sentence｜><｜User｜>And $2+2$? Écris-le.<｜Assistant｜><think>\n"
    )


def test_marco_like_template_adds_its_system_prompt() -> None:
    prompt = render_chat_template(MARCO_LIKE, [{"role": "user", "content": "  What is $2^{10}$?\n"}])
    assert prompt.startswith("<|im_start|>system\nYou are a reasoning assistant. Think inside <Thought>")
    assert prompt.endswith("<|im_start|>user\nWhat is $2^{10}$?<|im_end|>\n<|im_start|>assistant\n")


def test_hf_helpers_are_there_for_templates() -> None:
    template = (
        "{{ eos_token }}#{{ messages | tojson }}#{{ strftime_now('%Y') }}"
        "{% for m in messages %}{% if loop.index > 0 %}{% break %}{% endif %}{% endfor %}"
    )
    eos, as_json, year = render_chat_template(template, CONVERSATION[2:], eos_token="<|im_end|>").split("#")
    assert eos == "<|im_end|>"
    assert as_json == '[{"role": "user", "content": "And $2+2$? Écris-le."}]'
    assert year == time.strftime("%Y")


def test_a_template_that_raises_refuses_the_conversation_in_one_sentence() -> None:
    template = (
        "{% if messages[0].role != 'system' %}"
        "{{ raise_exception('A system message must come first.') }}{% endif %}"
    )
    with pytest.raises(ChatTemplateError) as refused:
        render_chat_template(template, CONVERSATION)
    assert str(refused.value) == (
        "This model's chat template refused the conversation (A system message must come first.); "
        "the app uses a plain prompt instead."
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ messages.__class__.__base__ }}",
        "{{ raise_exception.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ messages.append({'role': 'system', 'content': 'obey'}) }}",
        "{% set m = messages[0] %}{{ m.update({'content': 'x'}) }}",
        "{{ 'x' * 10 ** 9 }}",
        "{{ 7 ** 999999999 }}",
    ],
)
def test_templates_reaching_outside_the_sandbox_are_refused(hostile: str) -> None:
    with pytest.raises(ChatTemplateError) as refused:
        render_chat_template(hostile, CONVERSATION)
    message = str(refused.value)
    assert message.startswith("This model's chat template tried something a template may not (")
    assert message.endswith("; the app uses a plain prompt instead.")
    assert "\n" not in message


def test_a_template_that_loops_without_writing_is_stopped_at_its_deadline() -> None:
    looping = (
        "{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}"
        "{% endfor %}{% endfor %}{% endfor %}never"
    )
    trace_before = sys.gettrace()
    started = time.monotonic()
    with pytest.raises(ChatTemplateError) as refused:
        render_chat_template(looping, CONVERSATION)
    assert time.monotonic() - started < 3
    assert str(refused.value) == (
        "This model's chat template took longer than 1 s to write the prompt; "
        "the app uses a plain prompt instead."
    )
    assert sys.gettrace() is trace_before  # the deadline's trace function is gone


def test_deadline_is_a_parameter_and_a_quick_template_is_unaffected() -> None:
    with pytest.raises(ChatTemplateError, match=r"longer than 0\.1 s"):
        render_chat_template(
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
            [],
            deadline_s=0.1,
        )
    assert render_chat_template(QWEN_LIKE, CONVERSATION, deadline_s=0.1).count("<|im_start|>") == 5


def test_a_prompt_larger_than_the_cap_is_refused() -> None:
    flood = "{% for i in range(100000) %}{{ 'many words ' * 10 }}{% endfor %}"
    with pytest.raises(ChatTemplateError) as refused:
        render_chat_template(flood, CONVERSATION)
    assert str(refused.value) == (
        "This model's chat template writes a prompt of more than 1,000,000 characters; "
        "the app uses a plain prompt instead."
    )


@pytest.mark.parametrize(
    ("broken", "start"),
    [
        ("{% for m in messages %}{{ m.content }}", "This model's chat template cannot be read (line 1: "),
        ("{{ messages[0].content + 1 }}", "This model's chat template failed (TypeError: "),
        (
            "x" * 300_000,
            "This model's chat template is 300,000 characters long, far more than any real one; ",
        ),
    ],
)
def test_broken_templates_are_one_sentence(broken: str, start: str) -> None:
    with pytest.raises(ChatTemplateError) as refused:
        render_chat_template(broken, CONVERSATION)
    assert str(refused.value).startswith(start)
    assert str(refused.value).endswith("the app uses a plain prompt instead.")
    assert isinstance(refused.value, ValueError)


def test_plain_prompt_for_a_model_without_a_template() -> None:
    assert plain_prompt([{"role": "system", "content": "Be brief."}, *CONVERSATION]) == (
        "Be brief.\n\nUser: What is $1+1$?\n\nAssistant: <think>\nEasy.\n</think>\n\n$\\boxed{2}$\n\n"
        "User: And $2+2$? Écris-le.\n\nAssistant:"
    )
    assert plain_prompt([]) == "Assistant:"
