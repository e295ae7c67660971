"""`satori-desktop parse`, run as a user runs it: a separate process, files and stdin, --json and text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# A trace in the shape Satori writes, with CRLF line ends, a whole chat prompt pasted before it, a reflect
# step that doubts an earlier box and an explore step that fixes it.
PASTED_CHAT = (
    "<|im_start|>user\r\nSolve the following math problem efficiently and clearly.\r\n"
    "Problem: What is $\\frac{1}{2} + \\frac{1}{3}$?<|im_end|>\r\n<|im_start|>assistant\r\n"
    "To add the fractions, find a common denominator: $\\frac{1}{2} = \\frac{3}{6}$.\r\n\r\n"
    "<|continue|>\r\nSo the sum is $\\frac{3}{6} + \\frac{2}{6} = \\boxed{\\frac{4}{6}}$.\r\n\r\n"
    "<|reflect|>\r\nWait. $\\frac{1}{3} = \\frac{2}{6}$ is right, but $3 + 2 = 5$, not 4.\r\n\r\n"
    "<|explore|>\r\nRecompute the numerator: $3 + 2 = 5$.\r\n\r\n"
    "<|continue|>\r\nTherefore, the final answer is: $\\boxed{\\frac{5}{6}}$.<|im_end|>\r\n"
)


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satori_desktop", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_parse_json_from_a_file(tmp_path: Path) -> None:
    trace_file = tmp_path / "trace.txt"
    trace_file.write_text(PASTED_CHAT, encoding="utf-8", newline="")
    result = run_cli("parse", str(trace_file), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    actions = [step["action"] for step in data["steps"]]
    assert actions == ["start", "continue", "reflect", "explore", "continue"]
    assert data["answer"] == "\\frac{5}{6}"
    assert data["steps"][3]["text"] == "Recompute the numerator: $3 + 2 = 5$."
    assert "<|" not in result.stdout


def test_parse_text_from_stdin_marks_each_step() -> None:
    result = run_cli("parse", stdin=PASTED_CHAT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("── Checking the work (reflect) ──") == 1
    assert out.count("── Trying another way (explore) ──") == 1
    assert out.rstrip().endswith("Answer: \\frac{5}{6}")
    assert "<|" not in out


def test_parse_without_meta_tokens_or_answer() -> None:
    result = run_cli("parse", "-", "--json", stdin="Plain reasoning, no box.")
    assert json.loads(result.stdout) == {
        "steps": [{"action": "start", "text": "Plain reasoning, no box."}],
        "answer": None,
    }
    text = run_cli("parse", stdin="Plain reasoning, no box.")
    assert "No final answer" in text.stdout


def test_missing_file_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    result = run_cli("parse", str(tmp_path / "nope.txt"))
    assert result.returncode == 2
    missing = tmp_path / "nope.txt"
    assert result.stderr.strip() == f"satori-desktop: There is no file {missing}: check the path."
    assert "Traceback" not in result.stderr


def test_binary_file_is_a_clear_error(tmp_path: Path) -> None:
    binary = tmp_path / "model.gguf"
    binary.write_bytes(b"GGUF\x03\x00\x00\x00\xff\xfe\x00")
    result = run_cli("parse", str(binary))
    assert result.returncode == 2
    assert "is not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr


# A DeepSeek-R1 distill's output pasted with its chat prompt, whose generation prompt opened the thought.
R1_PASTED = (
    "<|im_start|>user\nWhat is $\\frac{1}{2} + \\frac{1}{3}$?<|im_end|>\n<|im_start|>assistant\n<think>\n"
    "Okay, the common denominator is 6, so $\\frac{3}{6} + \\frac{2}{6} = \\frac{5}{6}$.\n</think>\n\n"
    "The sum is $\\boxed{\\frac{5}{6}}$.<|im_end|>"
)
MARCO = "<Thought>\n$2^{10}$: double ten times.\n</Thought>\n<Output>\n$2^{10} = 1024$\n</Output>"


def test_parse_think_format_json_has_the_thought_and_the_answer() -> None:
    result = run_cli("parse", "--format", "think", "--json", stdin=R1_PASTED)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "format": "think",
        "steps": [
            {
                "action": "think",
                "text": "Okay, the common denominator is 6, so $\\frac{3}{6} + \\frac{2}{6} = \\frac{5}{6}$.",
                "section": "thought",
            },
            {"action": "continue", "text": "The sum is $\\boxed{\\frac{5}{6}}$.", "section": "answer"},
        ],
        "answer": "\\frac{5}{6}",
    }


def test_parse_think_format_text_from_a_file_that_starts_inside_the_thought(tmp_path: Path) -> None:
    trace_file = tmp_path / "r1.txt"
    trace_file.write_text("Hmm, $3 \\cdot 4 = 12$.\n</think>\n\n**12**", encoding="utf-8")
    result = run_cli("parse", str(trace_file), "--format", "think")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "\n── Thinking ──\nHmm, $3 \\cdot 4 = 12$.\n\n── Answer ──\n**12**\n\n"
        "No \\boxed{} answer: the answer is the section above.\n"
    )


def test_parse_marco_format_and_an_unclosed_thought() -> None:
    result = run_cli("parse", "--format", "marco", stdin=MARCO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "\n── Thinking ──\n$2^{10}$: double ten times.\n\n── Answer ──\n$2^{10} = 1024$\n"
    )
    assert "<Thought>" not in result.stdout and "<Output>" not in result.stdout
    cut = run_cli("parse", "--format", "think", stdin="<think>\nStill thinking when the tokens ran out")
    assert cut.stdout.rstrip().endswith("No final answer (the output ended before its answer).")
    assert "── Answer ──" not in cut.stdout


def test_parse_plain_format_and_coat_named_explicitly() -> None:
    plain = run_cli("parse", "--format", "plain", "--json", stdin="It is $\\boxed{4}$.<|endoftext|>junk")
    assert json.loads(plain.stdout) == {
        "format": "plain",
        "steps": [{"action": "continue", "text": "It is $\\boxed{4}$.", "section": "answer"}],
        "answer": "4",
    }
    assert run_cli("parse", "--format", "coat", "--json", stdin=PASTED_CHAT).stdout == (
        run_cli("parse", "--json", stdin=PASTED_CHAT).stdout
    )


def test_parse_unknown_format_is_a_usage_error() -> None:
    result = run_cli("parse", "--format", "harmony", stdin="x")
    assert result.returncode == 2
    assert "invalid choice: 'harmony'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_terminal_marks_a_thought_and_the_solution_after_it() -> None:
    import io

    from satori_desktop.cli.terminal import TerminalTranscript
    from satori_desktop.core.reasoning import ThinkParser

    out = io.StringIO()
    terminal = TerminalTranscript(out)
    parser = ThinkParser()
    for chunk in ("<think>\nHmm, $2 + 2", " = 4$.\n</th", "ink>\n\nSo it is $\\boxed{4}$.<|im_end|>"):
        terminal.write_events(parser.feed(chunk))
    terminal.write_events(parser.finish())
    terminal.write_answer()
    assert out.getvalue() == (
        "\n── Thinking ──\nHmm, $2 + 2 = 4$.\n\n── Solution ──\nSo it is $\\boxed{4}$.\n\nAnswer: 4\n"
    )
