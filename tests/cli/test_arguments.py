"""The number checkers every command shares, and how their refusals reach a user."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from satori_desktop.core import arguments


def refusal(check: Callable[[str], Any], text: str) -> str:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        check(text)
    return str(refused.value)


@pytest.mark.parametrize(("text", "value"), [("0", 0.0), ("0.7", 0.7), (" 1.5 ", 1.5), ("100", 100.0)])
def test_temperature_takes_zero_and_up(text: str, value: float) -> None:
    assert arguments.temperature(text) == value


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "1e999", "-0.1", "warm", ""])
def test_temperature_refuses_negative_and_non_finite(text: str) -> None:
    message = refusal(arguments.temperature, text)
    assert message.startswith("must be ") and message.endswith(".")


@pytest.mark.parametrize(("text", "value"), [("1", 1.0), ("0.9", 0.9), ("1e-6", 1e-6)])
def test_top_p_takes_more_than_zero_up_to_one(text: str, value: float) -> None:
    assert arguments.top_p(text) == value


@pytest.mark.parametrize("text", ["0", "-0.5", "1.0001", "2", "nan", "inf", "most"])
def test_top_p_refuses_outside_zero_to_one(text: str) -> None:
    assert refusal(arguments.top_p, text).startswith("must be")


def test_top_p_sentence() -> None:
    assert refusal(arguments.top_p, "1.5") == "must be more than 0 and at most 1, not 1.5."


@pytest.mark.parametrize(
    ("text", "value"), [("256", 256), ("4096", 4096), ("3000000", 3_000_000), (str(2**24), 2**24)]
)
def test_context_tokens_in_range(text: str, value: int) -> None:
    assert arguments.context_tokens(text) == value


@pytest.mark.parametrize("text", ["255", "0", "-4096", str(2**24 + 1), str(2**32), "4096.0", "4k", "1e4"])
def test_context_tokens_refused(text: str) -> None:
    assert refusal(arguments.context_tokens, text).startswith("must be a whole number")


def test_context_sentence_gives_the_range() -> None:
    assert refusal(arguments.context_tokens, "10") == "must be a whole number from 256 to 16,777,216, not 10."


@pytest.mark.parametrize(("text", "value"), [("1", 1), ("4096", 4096), (str(2**24), 2**24)])
def test_max_tokens_in_range(text: str, value: int) -> None:
    assert arguments.max_tokens(text) == value


@pytest.mark.parametrize("text", ["0", "-1", str(2**24 + 1), "ten", "1.5"])
def test_max_tokens_refused(text: str) -> None:
    assert refusal(arguments.max_tokens, text).startswith("must be a whole number")


@pytest.mark.parametrize(
    ("text", "value"),
    [("auto", None), ("AUTO", None), ("all", arguments.MAX_GPU_LAYERS), ("0", 0), ("29", 29), ("999", 999)],
)
def test_gpu_layers_takes_auto_all_and_counts(text: str, value: int | None) -> None:
    assert arguments.gpu_layers(text) == value


@pytest.mark.parametrize("text", ["-1", "-29", "1025", "some", "2.5", ""])
def test_gpu_layers_refused_with_the_choices(text: str) -> None:
    message = refusal(arguments.gpu_layers, text)
    assert message.startswith("must be 'auto', 'all' or a number of layers from 0 (CPU only) to 1024")


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("42", 42), (str(2**32 - 2), 2**32 - 2)])
def test_seed_is_32_bit(text: str, value: int) -> None:
    assert arguments.seed(text) == value


@pytest.mark.parametrize("text", ["-1", str(2**32 - 1), str(2**32), "lucky", "1.0"])
def test_seed_refused(text: str) -> None:
    # 2**32 - 1 is llama.cpp's "random seed" marker; 2**32 would wrap to 0 in the engine's 32-bit mask.
    assert refusal(arguments.seed, text).startswith("must be a whole number")


@pytest.mark.parametrize("check", [arguments.positive_int, arguments.thread_count])
def test_counts_start_at_one(check: Callable[[str], int]) -> None:
    assert check("1") == 1
    for text in ["0", "-3", "two"]:
        assert refusal(check, text).startswith("must be a whole number")


def test_non_negative_counts_start_at_zero() -> None:
    assert arguments.non_negative_int("0") == 0
    assert refusal(arguments.non_negative_int, "-1") == "must be a whole number at least 0, not -1."


def test_threads_stop_at_ggml_maximum() -> None:
    assert arguments.thread_count("512") == 512
    assert refusal(arguments.thread_count, "513") == "must be a whole number from 1 to 512, not 513."


def test_rates() -> None:
    assert arguments.rate("500") == 500.0
    assert arguments.rate_or_unpaced("0") == 0.0
    for text in ["0", "-1", "nan", "inf"]:
        assert refusal(arguments.rate, text).startswith("must be")
    for text in ["-1", "nan"]:
        assert refusal(arguments.rate_or_unpaced, text).startswith("must be")
    assert arguments.rate_list("250, 500,1000") == [250.0, 500.0, 1000.0]
    for text in ["", ",", "250,0", "250,fast", "nan"]:
        assert refusal(arguments.rate_list, text).startswith("must be")


def test_whole_number_between_without_upper_limit() -> None:
    check = arguments.whole_number_between(5)
    assert check("5") == 5
    assert check(str(10**12)) == 10**12
    assert refusal(check, "4") == "must be a whole number at least 5, not 4."


# Through the real command line: argparse adds the usage line and the option's name, exit code 2.
ASK = ["ask", "1+1?"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            [*ASK, "--temperature", "nan"], "--temperature: must be a finite number, not 'nan'.", id="nan"
        ),
        pytest.param(
            [*ASK, "--temperature=-1"], "--temperature: must be 0 (greedy) or more, not -1.", id="temp"
        ),
        pytest.param(
            [*ASK, "--top-p", "0"], "--top-p: must be more than 0 and at most 1, not 0.", id="top-p"
        ),
        pytest.param([*ASK, "--n-ctx", "16"], "--n-ctx: must be a whole number from 256", id="n-ctx"),
        pytest.param([*ASK, "--max-tokens", "0"], "--max-tokens: must be a whole number from 1 to", id="max"),
        pytest.param([*ASK, "--gpu-layers", "-1"], "--gpu-layers: must be 'auto', 'all' or", id="gpu-layers"),
        pytest.param(
            [*ASK, "--seed", "-5"], "--seed: must be a whole number from 0 to 4,294,967,294", id="seed"
        ),
        pytest.param(
            ["models", "recommend", "--ctx", "0"], "--ctx: must be a whole number from 256", id="ctx"
        ),
        pytest.param(
            ["export", "t.txt", "--width", "1"], "--width: must be a whole number from 320", id="width"
        ),
        pytest.param(
            ["--scripted-rate", "inf"], "--scripted-rate: must be a finite number", id="scripted-rate"
        ),
    ],
)
def test_each_command_refuses_bad_numbers(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "satori_desktop", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("usage: satori-desktop")
    assert f": error: argument {message}" in lines[-1]
