"""The remote engine against real llama-server processes on 127.0.0.1 (built from the pinned llama.cpp).

The same streaming checks as the local engine's (COAT tokens, a character split across tokens, stop,
max tokens, cancel, a follow-up reusing the server's cache), then what only a network has: a server
started without --special, one that strips the markers, a proxy that drops, stalls or answers 503, a
wrong API key, an unknown model, no server at all, and a problem set shared by two servers.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from pytest import MonkeyPatch

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.prompt import problem_prompt
from satori_desktop.engine import remote
from satori_desktop.engine.remote import (
    RemoteEngine,
    ServerConfig,
    normalize_url,
    probe_step_markers,
    sends_key_in_clear,
)
from satori_desktop.engine.types import BatchJob, GenerationRequest, LoadOptions
from tests.support.servers import (
    FaultProxy,
    LlamaServer,
    RecordingServer,
    free_port,
    https_url,
    self_made_certificate,
    tls_recorder,
)
from tests.support.tiny_gguf import (
    CONTINUE,
    EXAMPLE_TRACE,
    EXPLORE,
    IM_END,
    IM_START,
    LONG_PIECE,
    REFLECT,
    SPLIT_CHARACTER,
    script_grammar,
)

PROMPT = problem_prompt("What is 1 + 1?")
NO_MODEL = LoadOptions(Path("unused.gguf"))


def scripted(script: str, prompt: str = PROMPT, **kwargs: object) -> GenerationRequest:
    return GenerationRequest(prompt, grammar=script_grammar(script), **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server(tiny_model: Path) -> Iterator[LlamaServer]:
    with LlamaServer(tiny_model, special=True, parallel=4) as running:
        yield running


@pytest.fixture(scope="module")
def plain_server(tiny_model: Path) -> Iterator[LlamaServer]:
    """Started without --special: it renders control tokens only when a request preserves them."""
    with LlamaServer(tiny_model, special=False, parallel=2) as running:
        yield running


def connect(*urls: str, **config: object) -> RemoteEngine:
    engine = RemoteEngine(ServerConfig(urls=tuple(urls), **config))  # type: ignore[arg-type]
    engine.load(NO_MODEL)
    return engine


# -- the same streaming contract as the local engine ------------------------------------------------------


def test_scripted_coat_trace_streams_intact(server: LlamaServer) -> None:
    engine = connect(server.url)
    chunks: list[str] = []
    result = engine.generate(scripted(EXAMPLE_TRACE), on_text=chunks.append)
    engine.unload()

    expected = EXAMPLE_TRACE.removesuffix(IM_END)
    assert result.finish_reason == "stop", result.error
    assert result.text == expected
    assert "".join(chunks) == expected
    for meta in (CONTINUE, REFLECT, EXPLORE):
        assert meta in result.text
    assert result.prompt_tokens > 0
    assert result.generated_tokens >= len(chunks)
    assert result.ttft_s is not None and result.ttft_s > 0
    assert result.decode_tok_s is not None and result.decode_tok_s > 0
    assert result.error is None


def test_load_report_names_the_server_and_its_model(server: LlamaServer) -> None:
    engine = RemoteEngine(ServerConfig(urls=(server.url.replace("http://", "") + "/v1/",)))
    progress: list[float] = []
    report = engine.load(LoadOptions(Path("unused.gguf"), on_progress=progress.append))
    engine.unload()

    assert report.backend == "Server"
    assert report.architecture == remote.REMOTE_ARCHITECTURE
    assert report.name == f"satori-tiny on 127.0.0.1:{server.port}"
    assert report.warnings == []
    assert progress == [0.0, 1.0]


def test_multibyte_character_split_across_tokens_arrives_whole(server: LlamaServer) -> None:
    engine = connect(server.url)
    chunks: list[str] = []
    result = engine.generate(scripted(f"a{SPLIT_CHARACTER}{SPLIT_CHARACTER}b{IM_END}"), on_text=chunks.append)
    engine.unload()

    assert result.text == f"a{SPLIT_CHARACTER}{SPLIT_CHARACTER}b"
    assert "\ufffd" not in "".join(chunks)
    assert SPLIT_CHARACTER in chunks or any(SPLIT_CHARACTER in chunk for chunk in chunks)


def test_generation_stops_at_im_end_and_at_max_tokens(server: LlamaServer) -> None:
    engine = connect(server.url)
    stopped = engine.generate(scripted(f"Step{IM_END}", max_tokens=50))
    endless = engine.generate(GenerationRequest(PROMPT, max_tokens=7))
    engine.unload()

    assert stopped.finish_reason == "stop"
    assert stopped.text == "Step"
    assert endless.finish_reason == "length"
    assert endless.generated_tokens == 7
    assert endless.text == LONG_PIECE * 7


def test_cancel_closes_the_stream_and_the_server_stops(server: LlamaServer) -> None:
    engine = connect(server.url)
    chunks: list[str] = []

    def on_text(text: str) -> None:
        chunks.append(text)
        if len(chunks) == 5:
            threading.Thread(target=engine.cancel).start()

    result = engine.generate(GenerationRequest(PROMPT, max_tokens=100_000, ignore_eog=True), on_text=on_text)

    assert result.finish_reason == "cancelled"
    assert 5 <= len(chunks) < 3000
    assert result.text == "".join(chunks)
    deadline = time.monotonic() + 5
    while server.busy_slots() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.busy_slots() == 0  # the server noticed the closed stream and freed its slot
    # The engine answers the next question as before.
    again = engine.generate(scripted(f"Step{IM_END}"))
    engine.unload()
    assert again.finish_reason == "stop" and again.text == "Step"


def test_follow_up_reuses_the_servers_prompt_cache(server: LlamaServer) -> None:
    engine = connect(server.url)
    first = engine.generate(scripted(EXAMPLE_TRACE))
    follow_up = PROMPT + first.text + f"{IM_END}\n{IM_START}user\nAnd 2 + 2?{IM_END}\n{IM_START}assistant\n"
    second = engine.generate(scripted(f"So 4.{IM_END}", prompt=follow_up))
    engine.unload()

    assert second.finish_reason == "stop"
    assert second.text == "So 4."
    assert second.prompt_tokens > first.prompt_tokens
    assert second.reused_prompt_tokens >= first.prompt_tokens  # the whole first turn came from the cache


def test_samples_stream_side_by_side_without_cross_talk(server: LlamaServer) -> None:
    engine = connect(server.url)
    scripts = {f"sample-{n}": f"Try {n}.{CONTINUE}So {n}.{IM_END}" for n in range(4)}
    jobs = [BatchJob(key, scripted(script)) for key, script in scripts.items()]
    streamed: dict[str, list[str]] = {key: [] for key in scripts}
    threads: set[int] = set()
    done: list[str] = []

    def on_text(key: str, text: str) -> None:
        threads.add(threading.get_ident())
        streamed[key].append(text)

    results = engine.generate_batch(
        jobs, parallel=4, on_text=on_text, on_done=lambda key, _result: done.append(key)
    )
    engine.unload()

    assert sorted(done) == sorted(scripts)
    assert threads == {threading.get_ident()}  # callbacks on the calling thread, as the local engine's
    for key, script in scripts.items():
        assert results[key].finish_reason == "stop"
        assert results[key].text == script.removesuffix(IM_END)
        assert "".join(streamed[key]) == results[key].text


# -- servers that keep or strip the step markers ----------------------------------------------------------


def test_server_without_special_still_returns_the_markers(plain_server: LlamaServer) -> None:
    engine = connect(plain_server.url)  # the connect-time probe passes: requests preserve the markers
    result = engine.generate(scripted(EXAMPLE_TRACE))
    engine.unload()

    assert result.text == EXAMPLE_TRACE.removesuffix(IM_END)


def test_probe_detects_a_server_that_strips_the_markers(
    plain_server: LlamaServer, server: LlamaServer
) -> None:
    with httpx2.Client() as client:
        # Without the per-request option (a server that ignores it) llama-server without --special strips
        # control tokens; with --special it keeps them either way.
        assert probe_step_markers(client, plain_server.url, "", {}, preserve=False) is False
        assert probe_step_markers(client, server.url, "", {}, preserve=False) is True
        assert probe_step_markers(client, plain_server.url, "", {}) is True


def test_a_stripping_server_is_refused_with_a_sentence() -> None:
    # llama-cpp-python's own server behaves like this: it detokenises without special tokens.
    with RecordingServer(["Hello"], strip_markers=True) as recorder:
        engine = RemoteEngine(ServerConfig(urls=(recorder.url,)))
        with pytest.raises(UserFacingError) as caught:
            engine.load(NO_MODEL)

    assert "removes Satori's step markers" in str(caught.value)
    assert "--special" in str(caught.value)
    assert engine.load_report is None


# -- faults -------------------------------------------------------------------------------------------------


def test_dropped_connection_mid_answer_keeps_what_arrived(server: LlamaServer) -> None:
    with FaultProxy(server.port) as proxy:
        engine = connect(proxy.url)
        proxy.faults.drop_after = 1500  # bytes of the answer's stream
        chunks: list[str] = []
        result = engine.generate(GenerationRequest(PROMPT, max_tokens=400), on_text=chunks.append)
        proxy.faults.drop_after = None
        again = engine.generate(scripted(f"Step{IM_END}"))
        engine.unload()

    assert result.finish_reason == "error"
    assert result.text and result.text == "".join(chunks)
    assert (LONG_PIECE * 400).startswith(result.text)
    assert result.error is not None
    assert "lost mid-answer" in result.error and "kept" in result.error and "Retry" in result.error
    assert again.text == "Step"  # the next answer goes through


def test_stalled_stream_ends_with_a_sentence(server: LlamaServer) -> None:
    with FaultProxy(server.port) as proxy:
        engine = connect(proxy.url, stall_timeout_s=1.0)
        proxy.faults.stall_after = 1500
        result = engine.generate(GenerationRequest(PROMPT, max_tokens=400))
        proxy.faults.released.set()
        engine.unload()

    assert result.finish_reason == "error"
    assert result.text
    assert result.error is not None and "sent nothing for a long while" in result.error


def test_busy_server_is_retried_with_backoff(server: LlamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "BUSY_BACKOFF_S", (0.05, 0.05, 0.05))
    with FaultProxy(server.port) as proxy:
        engine = connect(proxy.url)
        proxy.faults.busy = 2
        recovered = engine.generate(scripted(f"Step{IM_END}"))
        proxy.faults.busy = 10
        refused = engine.generate(scripted(f"Step{IM_END}"))
        engine.unload()

    assert recovered.finish_reason == "stop" and recovered.text == "Step"
    assert refused.finish_reason == "error"
    assert refused.error is not None and "too busy" in refused.error and "HTTP 503" in refused.error


def test_a_connection_closed_before_answering_is_asked_again_once(server: LlamaServer) -> None:
    with FaultProxy(server.port) as proxy:
        engine = connect(proxy.url)
        proxy.faults.hang_up = 1
        before = proxy.requests
        recovered = engine.generate(scripted(f"Step{IM_END}"))
        proxy.faults.hang_up = 2
        refused = engine.generate(scripted(f"Step{IM_END}"))
        engine.unload()

    assert recovered.finish_reason == "stop" and recovered.text == "Step"
    assert proxy.requests - before == 4  # 1 hung up + 1 answered, then 2 hung up
    assert refused.finish_reason == "error"
    assert refused.error is not None and "closed the connection before answering" in refused.error


def test_wrong_or_missing_api_key_is_refused_with_a_sentence(tiny_model: Path) -> None:
    with LlamaServer(tiny_model, api_key="sk-right", parallel=1) as keyed:
        for key in ("sk-wrong", ""):
            engine = RemoteEngine(ServerConfig(urls=(keyed.url,), api_key=key))
            with pytest.raises(UserFacingError) as caught:
                engine.load(NO_MODEL)
            assert "refused the API key" in str(caught.value)
            assert "sk-" not in str(caught.value)
        engine = connect(keyed.url, api_key="sk-right")
        result = engine.generate(scripted(f"Step{IM_END}"))
        engine.unload()
    assert result.text == "Step"


def test_unknown_model_name_lists_what_the_server_offers(server: LlamaServer) -> None:
    engine = RemoteEngine(ServerConfig(urls=(server.url,), model="satori-70b"))
    with pytest.raises(UserFacingError) as caught:
        engine.load(NO_MODEL)
    assert "no model named 'satori-70b'" in str(caught.value)
    assert "'satori-tiny'" in str(caught.value)


def test_no_server_at_the_address_is_one_sentence() -> None:
    engine = RemoteEngine(ServerConfig(urls=(f"http://127.0.0.1:{free_port()}",), connect_timeout_s=2.0))
    with pytest.raises(UserFacingError) as caught:
        engine.load(NO_MODEL)
    assert str(caught.value).startswith("Could not reach the Satori server at 127.0.0.1:")


def test_a_tls_failure_is_one_sentence(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    # A real TLS server with a certificate that neither this system nor a file given trusts.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with tls_recorder(*self_made_certificate(tmp_path)) as recorder:
        engine = RemoteEngine(ServerConfig(urls=(https_url(recorder),), connect_timeout_s=5.0))
        with pytest.raises(UserFacingError) as caught:
            engine.load(NO_MODEL)
    sentence = str(caught.value)
    assert sentence.startswith(f"The secure connection to 127.0.0.1:{recorder.port} failed (")
    assert "certificate verify failed" in sentence and sentence.endswith(".")
    assert "choose its certificate file in the shared server settings (or --server-ca)" in sentence


def test_a_server_with_a_certificate_of_its_own_is_trusted_through_its_file(tmp_path: Path) -> None:
    key, cert = self_made_certificate(tmp_path)
    with tls_recorder(key, cert, ("Hello", CONTINUE, " world")) as recorder:
        engine = RemoteEngine(ServerConfig(urls=(https_url(recorder),), ca_file=str(cert)))
        report = engine.load(NO_MODEL)
        result = engine.generate(GenerationRequest(PROMPT, max_tokens=8))
        engine.unload()
    assert report.backend == "Server" and result.text == f"Hello{CONTINUE} world"
    # The whole conversation went over TLS: the models list, the probe and the answer.
    assert [request[0] for request in recorder.requests[:1]] == ["GET /v1/models"]
    assert len(recorder.completions()) == 2


def test_a_certificate_the_system_trusts_needs_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The system's store, which SSL_CERT_FILE replaces, as a school's IT would add its authority to it (the
    # client takes no proxy from the environment, but these it does take).
    key, cert = self_made_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with tls_recorder(key, cert) as recorder:
        engine = RemoteEngine(ServerConfig(urls=(https_url(recorder),)))
        engine.load(NO_MODEL)
        result = engine.generate(GenerationRequest(PROMPT, max_tokens=8))
        engine.unload()
    assert result.text == "Hello"


def test_a_file_given_replaces_the_system_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file is trusted alone: a certificate the system trusts is not enough for a server configured with
    # another one (what the student chose is what is checked).
    key, cert = self_made_certificate(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    _, other_cert = self_made_certificate(other)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with tls_recorder(key, cert) as recorder:
        engine = RemoteEngine(ServerConfig(urls=(https_url(recorder),), ca_file=str(other_cert)))
        with pytest.raises(UserFacingError) as caught:
            engine.load(NO_MODEL)
    assert "certificate verify failed" in str(caught.value)


@pytest.mark.parametrize("content", [None, "these are my notes, not a certificate\n"])
def test_a_certificate_file_that_cannot_be_used_is_one_sentence(tmp_path: Path, content: str | None) -> None:
    chosen = tmp_path / "server.pem"
    if content is not None:
        chosen.write_text(content, encoding="utf-8")
    engine = RemoteEngine(ServerConfig(urls=("https://127.0.0.1:9",), ca_file=str(chosen)))
    with pytest.raises(UserFacingError) as caught:
        engine.load(NO_MODEL)
    sentence = str(caught.value)
    assert sentence.startswith(f"The certificate file {chosen} could not be used (")
    assert sentence.endswith("in the shared server settings (or --server-ca).")
    assert ("No such file or directory" in sentence) == (content is None)
    assert "\n" not in sentence and "Traceback" not in sentence


def test_server_gone_mid_answer_ends_the_answer_and_keeps_text(tiny_model: Path) -> None:
    with LlamaServer(tiny_model, parallel=1) as doomed:
        engine = connect(doomed.url)
        chunks: list[str] = []

        def on_text(text: str) -> None:
            chunks.append(text)
            if len(chunks) == 20:
                doomed.stop()  # the server restarts (or dies) mid-answer

        result = engine.generate(
            GenerationRequest(PROMPT, max_tokens=100_000, ignore_eog=True), on_text=on_text
        )
        engine.unload()

    assert result.finish_reason == "error"
    assert len(result.text) >= 20 and result.text == "".join(chunks)
    assert result.error is not None and "kept" in result.error


# -- several servers -------------------------------------------------------------------------------------


def test_problem_set_is_shared_by_two_servers(server: LlamaServer, plain_server: LlamaServer) -> None:
    with FaultProxy(server.port) as first, FaultProxy(plain_server.port) as second:
        engine = connect(first.url, second.url)
        before = (first.requests, second.requests)
        jobs = [
            BatchJob(f"p{n}", scripted(f"Answer {n}.{IM_END}", prompt=problem_prompt(f"{n} + 0?")))
            for n in range(6)
        ]
        results = engine.generate_batch(jobs, parallel=4)
        engine.unload()

    texts = {key: result.text for key, result in results.items()}
    assert texts == {f"p{n}": f"Answer {n}." for n in range(6)}
    # Both servers answered; with the fewest-in-flight rule and equal servers each got about half.
    shares = (first.requests - before[0], second.requests - before[1])
    assert sum(shares) == 6 and min(shares) >= 2


# -- the request itself (what vLLM needs; vLLM itself cannot run here and is untested) ----------------------


def test_requests_carry_both_servers_special_token_options() -> None:
    with RecordingServer(["Hello", CONTINUE, " world"]) as recorder:
        engine = connect(recorder.url, model="recorded-model", api_key="sk-test")
        result = engine.generate(GenerationRequest(PROMPT, max_tokens=64, temperature=0.7, top_p=0.8, seed=5))
        engine.unload()

    body = recorder.completions()[-1]
    assert body["prompt"] == PROMPT
    assert body["model"] == "recorded-model"
    assert body["stream"] is True
    assert body["skip_special_tokens"] is False
    assert body["spaces_between_special_tokens"] is False
    assert body["preserved_tokens"] == [CONTINUE, REFLECT, EXPLORE]
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["seed"]) == (64, 0.7, 0.8, 5)
    headers = {name.lower(): value for name, value in recorder.requests[-1][2].items()}
    assert headers["authorization"] == "Bearer sk-test"
    assert result.text == f"Hello{CONTINUE} world"
    assert result.prompt_tokens == 7 and result.generated_tokens == 3


def test_samples_of_one_problem_go_to_vllm_as_one_request_with_n() -> None:
    with RecordingServer(["Try", " it"], vllm=True) as recorder:
        engine = connect(recorder.url)
        sampled = GenerationRequest(PROMPT, max_tokens=64, temperature=0.7, top_p=0.8)
        jobs = [BatchJob(f"s{n}", dataclasses.replace(sampled, seed=10 + n)) for n in range(3)]
        jobs.append(BatchJob("greedy", GenerationRequest(PROMPT, max_tokens=64)))
        streamed: dict[str, list[str]] = {}
        results = engine.generate_batch(
            jobs, parallel=4, on_text=lambda key, text: streamed.setdefault(key, []).append(text)
        )
        engine.unload()

    bodies = recorder.completions()[1:]  # after the connect-time probe
    assert sorted(body.get("n", 1) for body in bodies) == [1, 3]
    assert {key: result.text for key, result in results.items()} == {
        "s0": "Try #0 it #0",
        "s1": "Try #1 it #1",
        "s2": "Try #2 it #2",
        "greedy": "Try it",
    }
    assert all(result.finish_reason == "stop" for result in results.values())
    assert "".join(streamed["s1"]) == "Try #1 it #1"
    assert results["s2"].generated_tokens == 2  # its own chunks, not the request's total


def test_samples_go_to_llama_server_as_concurrent_requests() -> None:
    with RecordingServer(["Try"]) as recorder:
        engine = connect(recorder.url)
        sampled = GenerationRequest(PROMPT, max_tokens=64, temperature=0.7, top_p=0.8)
        engine.generate_batch(
            [BatchJob(f"s{n}", dataclasses.replace(sampled, seed=n)) for n in range(3)], parallel=3
        )
        engine.unload()
    assert [body.get("n", 1) for body in recorder.completions()[1:]] == [1, 1, 1]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("gpu-box:8080", "http://gpu-box:8080"),
        ("http://10.0.0.5:8000/v1/", "http://10.0.0.5:8000"),
        ("https://satori.school.example/", "https://satori.school.example"),
        (" http://[::1]:9000 ", "http://[::1]:9000"),
    ],
)
def test_server_addresses_are_normalised(text: str, url: str) -> None:
    assert normalize_url(text) == url


@pytest.mark.parametrize("text", ["", "ftp://host", "http://", "http://host:99999"])
def test_bad_server_addresses_get_a_sentence(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_url(text)
    assert str(caught.value).endswith(".")


def test_a_key_over_plain_http_to_another_host_needs_confirmation() -> None:
    assert sends_key_in_clear("http://10.0.0.5:8080", "sk-1")
    assert not sends_key_in_clear("https://10.0.0.5:8080", "sk-1")
    assert not sends_key_in_clear("http://127.0.0.1:8080", "sk-1")
    assert not sends_key_in_clear("http://localhost:8080", "sk-1")
    assert not sends_key_in_clear("http://10.0.0.5:8080", "")
