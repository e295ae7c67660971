"""The remote engine: Satori on a shared server (llama.cpp's llama-server or vLLM), same interface as local.

A classroom runs Satori once on the machine with a GPU; every copy of the app talks to it through the
OpenAI-compatible completions API (`POST /v1/completions`, streamed as server-sent events). The prompt is
the raw Satori prompt the local engine evaluates (core/prompt.py: the chat format written out), so answers,
follow-ups and the COAT display are the same. A server whose model is not Satori (its vocabulary has no
step marker as one token) is treated as the local engine treats such a model: prompted through the chat
template llama-server tells (GET /props), rendered in the sandbox, and read by the reasoning format found
from the template and the model's names (a <think> model's thought folds); a server that tells no template
(vLLM) is asked in plain text, with a notice. What the servers need to keep Satori's step markers:

* llama-server renders control tokens only when started with `--special`, or per request for the token
  strings in `preserved_tokens` (tools/server/server-schema.cpp): every request carries them.
* vLLM drops special tokens unless `skip_special_tokens` is false, and puts spaces around them unless
  `spaces_between_special_tokens` is false: every request sets both (vLLM's extra parameters).
* Each server ignores the other's options. llama-cpp-python's own server cannot return the markers at all
  (it detokenises with special=False); `probe_step_markers` finds that out on connecting, for any server
  that strips them, and the sentence says what to start instead.

Faults end in one sentence and never lose text: a dropped connection or a stalled stream mid-answer ends
the answer with finish reason "error", the text that arrived kept (the GUI offers Retry); 429/503 before
an answer starts are retried with backoff (llama-server answers 503 while it loads the model); 401/403,
an unknown model, TLS and connection failures say which server and what to do. `cancel()` shuts the
sockets of the streams in flight, so the reading thread wakes at once and the server sees the client go
and stops generating.

`generate_batch` sends the jobs as concurrent requests (`parallel` at a time in all), each to the server
with the fewest requests in flight when it starts, in turn among equals (client-side round robin that a
server slowed by its neighbours does not hold back): k solutions of one problem go to llama-server's
parallel slots, with its prompt cache sharing the prompt; a problem set spreads over every server given.
(vLLM's `n=k`, one request for k samples, is not used: k concurrent requests share vLLM's prefix cache
too.) Callbacks run on the calling thread, as the local engine's do: the request threads hand their text
over through a queue. A kept-alive connection the server closed while idle is asked again once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import logging
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any
from urllib.parse import urlsplit

import httpx2

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.model_format import (
    FORMAT_NOTES,
    FORMAT_TAGS,
    SATORI_PROMPTING,
    ModelPrompting,
    detect_reasoning_format,
    messages_of,
)
from satori_desktop.engine.types import (
    BatchDoneCallback,
    BatchJob,
    BatchTextCallback,
    FinishReason,
    GenerationRequest,
    GenerationResult,
    LoadOptions,
    LoadReport,
    TextCallback,
    check_batch,
)

log = logging.getLogger(__name__)

# (choice index, text piece) as the choices of one streamed completion arrive.
ChoiceTextCallback = Callable[[int, str], None]

STEP_MARKERS = ("<|continue|>", "<|reflect|>", "<|explore|>")
# Satori's end-of-turn tokens, as stop strings for a server that renders them instead of stopping.
STOP_STRINGS = ["<|im_end|>", "<|endoftext|>"]
# What the architecture field of a remote load report says (the window and `ask --json` show it).
REMOTE_ARCHITECTURE = "remote"
API_KEY_ENVIRONMENT = "SATORI_DESKTOP_API_KEY"
BUSY_STATUSES = (429, 503)
# Waits before the 2nd, 3rd and 4th try of a request the server was too busy for.
BUSY_BACKOFF_S = (1.0, 2.0, 4.0)
# The logit bias that makes the probe's one token `<|continue|>`: far above any real logit (vLLM clamps it
# to 100 as the OpenAI API specifies, still far above; llama-server takes it as it is).
PROBE_BIAS = 1000.0
STRIPPED_MARKERS_SENTENCE = (
    "This server removes Satori's step markers (<|continue|>, <|reflect|>, <|explore|>), so the steps "
    "cannot be shown: start llama-server with --special (or use vLLM, which the app asks to keep them); "
    "llama-cpp-python's own server cannot return them at all."
)


@dataclass(frozen=True)
class ServerConfig:
    """Where the shared Satori runs and how to talk to it."""

    urls: tuple[str, ...]  # base URLs (normalised by `normalize_url`), one request stream each in turn
    model: str = ""  # the server's name for the model; "" takes the one model the server offers
    api_key: str = field(default="", repr=False)  # never in a repr, a log line or a report
    connect_timeout_s: float = 10.0
    # The longest silence before the answer is given up: long, since a busy server queues a request until
    # one of its slots is free and sends nothing meanwhile (a class of thirty on a few slots).
    stall_timeout_s: float = 300.0
    # A certificate file (PEM) to trust for https servers instead of this system's certificates: a
    # classroom server's self-made certificate, or the authority that signed it. "" trusts the system's.
    ca_file: str = ""


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """How an https server's certificate is checked.

    By default against the certificates this system trusts, as huggingface_hub's client does (httpx2's
    default context: Windows' and macOS's own verifiers through truststore, the distribution's store on
    Linux), with `SSL_CERT_FILE` / `SSL_CERT_DIR` honoured where they are set, although the client takes
    nothing else from the environment (no proxy). That is where a school's IT installs its own authority.
    With `ca_file`, against that file alone. Raises UserFacingError for a file that holds no certificate.
    """
    if not ca_file:
        return httpx2.create_ssl_context(verify=True, trust_env=True)
    try:
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    except (OSError, ssl.SSLError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _reason(exc)
        raise UserFacingError(
            f"The certificate file {ca_file} could not be used ({reason.rstrip('.')}): choose the server's "
            "certificate, a .pem or .crt file, in the shared server settings (or --server-ca)."
        ) from None


def normalize_url(text: str) -> str:
    """`host:port`, `http://host:port/`, `https://host/v1` ... -> the base URL requests are made under.

    Raises ValueError with a sentence for what cannot be a server address.
    """
    raw = text.strip()
    if not raw:
        raise ValueError("The server address is empty: write it as http://HOST:PORT.")
    if "://" not in raw:
        raw = "http://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{text.strip()!r} is not a server address: it must start with http:// or https://.")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{text.strip()!r} has a port that is not a number from 1 to 65535.") from None
    if not parts.hostname:
        raise ValueError(f"{text.strip()!r} names no host: write it as http://HOST:PORT.")
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}{path}"


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sends_key_in_clear(url: str, api_key: str) -> bool:
    """Whether using `url` would send the key unencrypted over a network (plain http, not loopback)."""
    return bool(api_key) and urlsplit(url).scheme == "http" and not is_loopback(url)


def display_host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


class RemoteError(Exception):
    """A request that failed with a sentence for the user (and whether trying again later may help)."""

    def __init__(
        self, sentence: str, *, busy: bool = False, retry_after: float | None = None, stale: bool = False
    ) -> None:
        super().__init__(sentence)
        self.busy = busy
        self.retry_after = retry_after
        # Closed before any answer: typically a kept-alive connection the server had just timed out.
        self.stale = stale


@dataclass
class _Stream:
    """What one streamed completion produced so far."""

    parts: list[str] = field(default_factory=list)
    generated: int = 0  # text chunks, until the server's usage says how many tokens
    usage_tokens: int | None = None
    prompt_tokens: int = 0
    cached_tokens: int = 0
    finish: FinishReason | None = None
    t_first: float | None = None
    t_last: float | None = None


class RemoteEngine:
    """The `Engine` protocol over HTTP (see the module docstring). Thread-safe `cancel()`."""

    def __init__(self, config: ServerConfig, *, transport: httpx2.BaseTransport | None = None) -> None:
        if not config.urls:
            raise ValueError("a remote engine needs at least one server URL")
        self.config = config
        self._urls = [normalize_url(url) for url in config.urls]
        self._transport = transport
        self._client: httpx2.Client | None = None
        self._report: LoadReport | None = None
        self._model = config.model
        self._prompting = SATORI_PROMPTING  # how the connected server's model is prompted and read
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._live: set[Any] = set()  # the sockets of streams in flight, shut by cancel()
        self._turn = 0  # the next server in turn
        self._in_flight = dict.fromkeys(self._urls, 0)  # requests streaming from each server now
        self._kinds: dict[str, str] = {}  # "vllm" or "other" per server, from GET /v1/models

    # -- connecting ------------------------------------------------------------------------------------

    @property
    def load_report(self) -> LoadReport | None:
        return self._report

    @property
    def urls(self) -> list[str]:
        return list(self._urls)

    def load(self, options: LoadOptions) -> LoadReport:
        """Connect: every server answers, offers the model, and keeps Satori's step markers.

        The local model file of `options` plays no part (the server has its own); its progress hears 0.0
        and 1.0. Raises UserFacingError with one sentence naming the server that failed and why.
        """
        _report_progress(options, 0.0)
        self.unload()
        self._kinds = {}
        client = self._make_client()
        try:
            models: list[str] = []
            for url in self._urls:
                offered = self._models(client, url)
                chosen = self.config.model or (offered[0] if offered else "")
                if self.config.model and offered and self.config.model not in offered:
                    raise UserFacingError(
                        f"The server at {display_host(url)} has no model named {self.config.model!r}; it "
                        f"offers {', '.join(repr(name) for name in offered)}: choose one of them in the "
                        "server settings (or --server-model)."
                    )
                models.append(chosen)
            self._model = models[0]
            warnings: list[str] = []
            if len(set(models)) > 1:
                warnings.append(
                    "The servers do not all serve the same model ("
                    + ", ".join(f"{display_host(u)}: {m}" for u, m in zip(self._urls, models, strict=True))
                    + "); answers may differ from one server to the next."
                )
            # Satori's vocabulary has each step marker as one token; any other model's has not.
            first = _tokens_or_none(client, self._urls[0], self._model, self._headers(), STEP_MARKERS[0])
            self._prompting = SATORI_PROMPTING
            if first is not None and len(first) != 1:
                self._prompting = self._other_model_prompting(client, self._urls[0], warnings)
            for url in self._urls if self._prompting.is_satori else ():
                known = first if url == self._urls[0] else None
                verdict = probe_step_markers(client, url, self._model, self._headers(), tokens=known)
                if verdict is False:
                    raise UserFacingError(f"{STRIPPED_MARKERS_SENTENCE[:-1]} (server {display_host(url)}).")
                if verdict is None:
                    warnings.append(
                        f"The server at {display_host(url)} could not be asked whether it keeps Satori's "
                        "step markers; if the steps show as one block, start it with --special."
                    )
        except BaseException:
            client.close()
            raise
        self._client = client
        hosts = ", ".join(display_host(url) for url in self._urls)
        self._report = LoadReport(
            model_path=_model_path(self._model),
            backend="Server",
            gpu_layers=0,
            total_layers=0,
            n_ctx=0,
            n_ctx_train=0,
            architecture=REMOTE_ARCHITECTURE,
            is_satori=self._prompting.is_satori,
            warnings=warnings,
            display_name=f"{_shown_name(self._model) or 'Satori'} on {hosts}",
            prompting=self._prompting,
        )
        _report_progress(options, 1.0)
        return self._report

    def _other_model_prompting(self, client: httpx2.Client, url: str, warnings: list[str]) -> ModelPrompting:
        """How a server's model that is not Satori is prompted and read, as the local engine does it for
        such a model: by its own chat template, which llama-server tells (GET /props, with the model's end
        token), rendered here in the sandbox; a server that tells none (vLLM) is asked in plain text.

        The prompt carries no BOS: the server adds the one its model wants when it tokenizes."""
        from satori_desktop.core.chat_template import ChatTemplateError, render_chat_template

        props: dict[str, Any] = {}
        try:
            response = client.get(f"{url}/props", headers=self._headers())
            if response.status_code == 200 and isinstance(response.json(), dict):
                props = response.json()
        except (httpx2.HTTPError, ValueError):
            log.info("the server at %s did not say its chat template", display_host(url), exc_info=True)
        template = _text(props, "chat_template")
        eos = _text(props, "eos_token")
        # Every name the server has for it: the one asked for, its alias, its file's (a format shows in any).
        names = [self._model, _text(props, "model_alias"), Path(_text(props, "model_path")).stem]
        name = _shown_name(next((n for n in names if n), ""))
        reasoning_format = detect_reasoning_format(
            is_satori=False,
            name=" ".join(names),
            chat_template=template,
            has_token=lambda text: token_count(client, url, self._model, self._headers(), text) == 1,
        )
        if not template:
            warnings.append(
                f"The server at {display_host(url)} does not say its model's chat template, so the app asks "
                "it in plain text; its answers may be weaker than in its own chat format (llama-server "
                "tells it)."
            )
        else:
            try:  # a template is untrusted input: one that is refused falls back to plain text
                render_chat_template(template, messages_of([("1 + 1?", None)]), bos_token="", eos_token=eos)
            except ChatTemplateError as exc:
                warnings.append(str(exc))
                template = ""
        warnings.append(
            f"This server's model ({name or 'unnamed'}) is not Satori: answers work, "
            + FORMAT_NOTES[reasoning_format]
        )
        return ModelPrompting(reasoning_format, template, "", eos)

    def _make_client(self) -> httpx2.Client:
        timeout = httpx2.Timeout(
            connect=self.config.connect_timeout_s,
            read=self.config.stall_timeout_s,
            write=self.config.connect_timeout_s,
            pool=None,
        )
        limits = httpx2.Limits(max_connections=None, max_keepalive_connections=32)
        https = any(url.startswith("https://") for url in self._urls)
        # trust_env=False: no proxy from the environment. A shared server is on the school's own network,
        # where a proxy meant for the internet would only stand between the students and it (and hold
        # the streams); the certificates trusted are the system's, or the configured file (tls_context).
        return httpx2.Client(
            timeout=timeout,
            limits=limits,
            transport=self._transport,
            trust_env=False,
            verify=tls_context(self.config.ca_file) if https else True,
        )

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}

    def _models(self, client: httpx2.Client, url: str) -> list[str]:
        """The model names the server offers (GET /v1/models), or a sentence why it could not be asked."""
        response = _call(lambda: client.get(f"{url}/v1/models", headers=self._headers()), url, self._cancel)
        _raise_for_status(response, url, self.config.model)
        try:
            data = [
                item for item in response.json().get("data", []) if isinstance(item, dict) and "id" in item
            ]
            # vLLM says it is vLLM here (llama-server: "llamacpp"): then k samples go as one request with n.
            vllm = any(item.get("owned_by") == "vllm" for item in data)
            self._kinds[url] = "vllm" if vllm else "other"
            return [str(item["id"]) for item in data]
        except (ValueError, AttributeError, KeyError):
            raise UserFacingError(
                f"The server at {display_host(url)} does not answer like an OpenAI-compatible server "
                "(GET /v1/models); is it llama-server or vLLM?"
            ) from None

    def unload(self) -> None:
        client, self._client = self._client, None
        self._report = None
        if client is not None:
            client.close()

    def cancel(self) -> None:
        """Stop every stream in flight now: their sockets are shut, so the server stops too. Any thread."""
        self._cancel.set()
        with self._lock:
            live = list(self._live)
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    # -- generating ------------------------------------------------------------------------------------

    def generate(self, request: GenerationRequest, on_text: TextCallback | None = None) -> GenerationResult:
        client = self._require_client()
        self._cancel.clear()
        per_choice = None if on_text is None else (lambda _index, text: on_text(text))
        return self._complete(client, [request], per_choice)[0]

    def generate_batch(
        self,
        jobs: Sequence[BatchJob],
        *,
        parallel: int,
        on_text: BatchTextCallback | None = None,
        on_done: BatchDoneCallback | None = None,
    ) -> dict[str, GenerationResult]:
        """Every job as its own streamed request (on vLLM, k samples of one prompt as one request with
        `n=k`), `parallel` sequences in flight, each request to the least busy server."""
        check_batch(jobs, parallel)
        client = self._require_client()
        self._cancel.clear()
        events: queue.SimpleQueue[tuple[str, str, Any]] = queue.SimpleQueue()

        def run(group: list[BatchJob]) -> None:
            keys = [job.key for job in group]
            try:
                if self._cancel.is_set():
                    results = [GenerationResult("", "cancelled", 0, 0, 0, None, None) for _ in group]
                else:
                    results = self._complete(
                        client,
                        [job.request for job in group],
                        lambda index, text: events.put(("text", keys[index], text)),
                    )
            except Exception as exc:  # a bug: the jobs end with a sentence, the log has the traceback
                log.exception("remote jobs %s failed", ", ".join(keys))
                sentence = f"The request failed: {exc}."
                results = [GenerationResult("", "error", 0, 0, 0, None, None, error=sentence) for _ in group]
            for key, result in zip(keys, results, strict=True):
                events.put(("done", key, result))

        groups = self._request_groups(jobs, parallel)
        results: dict[str, GenerationResult] = {}
        workers = min(parallel, max(1, len(groups)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="remote") as pool:
            for group in groups:
                pool.submit(run, group)
            try:
                while len(results) < len(jobs):
                    kind, key, payload = events.get()
                    if kind == "text":
                        if on_text is not None and key not in results:
                            on_text(key, payload)
                    else:
                        results[key] = payload
                        if on_done is not None:
                            on_done(key, payload)
            except BaseException:
                self.cancel()  # a callback raised: stop the requests in flight before the pool waits for them
                raise
        return results

    def _request_groups(self, jobs: Sequence[BatchJob], parallel: int) -> list[list[BatchJob]]:
        """Jobs as requests: on vLLM (every server), sampled jobs that differ only in their seed go
        together as one request with n (up to `parallel`); anywhere else, one job per request."""
        if not self._kinds or any(kind != "vllm" for kind in self._kinds.values()):
            return [[job] for job in jobs]
        groups: list[list[BatchJob]] = []
        open_groups: dict[GenerationRequest, list[BatchJob]] = {}
        for job in jobs:
            request = job.request
            if request.temperature <= 0.0 or request.grammar is not None:
                groups.append([job])
                continue
            same = dataclasses.replace(request, seed=None)
            group = open_groups.get(same)
            if group is None or len(group) >= parallel:
                group = open_groups[same] = []
                groups.append(group)
            group.append(job)
        return groups

    def _require_client(self) -> httpx2.Client:
        if self._client is None:
            raise UserFacingError("Not connected to a Satori server yet; connect first (load).")
        return self._client

    def _take_server(self) -> str:
        """The server with the fewest requests in flight, in turn among equals (round robin when they keep
        pace; a server slowed down gets less until it catches up), counted as busy until `_give_back`."""
        with self._lock:
            n = len(self._urls)
            order = [self._urls[(self._turn + i) % n] for i in range(n)]
            url = min(order, key=lambda u: self._in_flight[u])
            self._turn = (self._urls.index(url) + 1) % n
            self._in_flight[url] += 1
        return url

    def _give_back(self, url: str) -> None:
        with self._lock:
            self._in_flight[url] -= 1

    def _complete(
        self, client: httpx2.Client, requests: Sequence[GenerationRequest], on_text: ChoiceTextCallback | None
    ) -> list[GenerationResult]:
        """One streamed completion (of len(requests) choices) from the least busy server."""
        url = self._take_server()
        try:
            return self._complete_on(client, url, requests, on_text)
        finally:
            self._give_back(url)

    def _complete_on(
        self,
        client: httpx2.Client,
        url: str,
        requests: Sequence[GenerationRequest],
        on_text: ChoiceTextCallback | None,
    ) -> list[GenerationResult]:
        """One streamed completion; busy servers retried with backoff before any text arrived.

        Several requests (the same but for their seeds) go as one request with n choices (vLLM)."""
        body = completion_body(requests[0], self._model, self._prompting)
        if len(requests) > 1:
            body["n"] = len(requests)
        t_start = time.perf_counter()
        streams = [_Stream() for _ in requests]
        retried_stale = False
        attempt = 0
        while True:
            try:
                self._stream_once(client, url, body, streams, on_text)
                break
            except UserFacingError as exc:  # refused (key, model, ...): nothing to retry
                return [_result(stream, t_start, "error", str(exc)) for stream in streams]
            except RemoteError as exc:
                arrived = any(stream.parts for stream in streams)
                if self._cancel.is_set():
                    break
                if exc.stale and not arrived and not retried_stale:
                    retried_stale = True  # once, on a fresh connection: nothing was generated for it
                    log.info("server %s closed a kept-alive connection; asking again", display_host(url))
                    continue
                if exc.busy and not arrived and attempt < len(BUSY_BACKOFF_S):
                    wait = exc.retry_after if exc.retry_after is not None else BUSY_BACKOFF_S[attempt]
                    attempt += 1
                    log.info("server %s busy; trying again in %.1f s", display_host(url), wait)
                    if self._cancel.wait(min(wait, 30.0)):
                        break
                    continue
                return [_result(stream, t_start, stream.finish or "error", str(exc)) for stream in streams]
        results = []
        for stream in streams:
            if self._cancel.is_set() and stream.finish not in ("stop", "length"):
                results.append(_result(stream, t_start, "cancelled", None))
            elif stream.finish is None:
                sentence = (
                    f"The server at {display_host(url)} ended the answer without saying it was finished; "
                    "what arrived is kept. Retry to ask again."
                )
                results.append(_result(stream, t_start, "error", sentence))
            else:
                results.append(_result(stream, t_start, stream.finish, None))
        return results

    def _stream_once(
        self,
        client: httpx2.Client,
        url: str,
        body: dict[str, Any],
        streams: list[_Stream],
        on_text: ChoiceTextCallback | None,
    ) -> None:
        """POST the completion and read its events into `streams`; RemoteError for what went wrong."""
        sock = None
        try:
            with (
                _translate_errors(url, streams, self._cancel),
                client.stream(
                    "POST", f"{url}/v1/completions", json=body, headers=self._headers()
                ) as response,
            ):
                if response.status_code != 200:
                    response.read()
                    _raise_for_status(response, url, self._model)
                sock = _socket_of(response)
                if sock is not None:
                    with self._lock:
                        self._live.add(sock)
                if self._cancel.is_set():
                    return
                # httpx2's own server-sent-events reader (a character split across reads comes out whole).
                for data in (event.data for event in httpx2.EventSource(response)):
                    if data == "[DONE]":
                        return
                    self._take_event(data, url, streams, on_text)
                    if self._cancel.is_set():
                        return
        finally:
            if sock is not None:
                with self._lock:
                    self._live.discard(sock)

    def _take_event(
        self, data: str, url: str, streams: list[_Stream], on_text: ChoiceTextCallback | None
    ) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            raise RemoteError(
                f"The server at {display_host(url)} sent something that is not JSON mid-answer; what arrived "
                "is kept. Retry to ask again."
            ) from None
        if not isinstance(event, dict):
            return
        if "error" in event:
            raise RemoteError(
                f"The server at {display_host(url)} stopped with an error: {_error_message(event)}; what "
                "arrived is kept."
            )
        usage = event.get("usage")
        if isinstance(usage, dict):
            for stream in streams:
                stream.prompt_tokens = _int(usage.get("prompt_tokens"), stream.prompt_tokens) or 0
                details = usage.get("prompt_tokens_details")
                if isinstance(details, dict):  # vLLM with prefix caching
                    stream.cached_tokens = _int(details.get("cached_tokens"), stream.cached_tokens) or 0
            if len(streams) == 1:  # with n choices the count is their sum: each counts its own chunks
                streams[0].usage_tokens = _int(usage.get("completion_tokens"), streams[0].usage_tokens)
        timings = event.get("timings")
        if isinstance(timings, dict):  # llama-server: how much of the prompt its cache held
            for stream in streams:
                stream.cached_tokens = _int(timings.get("cache_n"), stream.cached_tokens) or 0
        for choice in event.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            if not isinstance(index, int) or not 0 <= index < len(streams):
                continue
            stream = streams[index]
            text = choice.get("text") or ""
            if text:
                now = time.perf_counter()
                if stream.t_first is None:
                    stream.t_first = now
                stream.t_last = now
                stream.generated += 1
                stream.parts.append(text)
                if on_text is not None:
                    on_text(index, text)
            reason = choice.get("finish_reason")
            if reason in ("stop", "eos"):
                stream.finish = "stop"
            elif reason == "length":
                stream.finish = "length"


def completion_body(
    request: GenerationRequest, model: str, prompting: ModelPrompting = SATORI_PROMPTING
) -> dict[str, Any]:
    """The JSON of a streamed /v1/completions request for `request`, with both servers' options, for a
    model prompted as `prompting` says (its tags kept, its end token a stop string)."""
    stop = list(STOP_STRINGS)
    if prompting.eos_token and prompting.eos_token not in stop:
        stop.append(prompting.eos_token)
    body: dict[str, Any] = {
        "prompt": request.prompt,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "stream": True,
        "stream_options": {"include_usage": True},
        "stop": stop,
        # vLLM: keep the markers, and no spaces around them.
        "skip_special_tokens": False,
        "spaces_between_special_tokens": False,
        # llama-server: render these control tokens as text (without --special), reuse the prompt's cache.
        "preserved_tokens": list(FORMAT_TAGS[prompting.reasoning_format]),
        "cache_prompt": True,
    }
    if model:
        body["model"] = model
    if request.seed is not None:
        body["seed"] = request.seed
    if request.grammar is not None:
        body["grammar"] = request.grammar  # llama-server's GBNF (the tests script traces with it)
    if request.ignore_eog:
        body["ignore_eos"] = True
        body.pop("stop")
    return body


def probe_step_markers(
    client: httpx2.Client,
    url: str,
    model: str,
    headers: dict[str, str],
    *,
    preserve: bool = True,
    tokens: list[int] | None = None,
) -> bool | None:
    """Whether the server returns Satori's step markers as text: it is asked for one token, pushed to be
    `<|continue|>` by a logit bias. None where it could not be asked (no tokenize endpoint, not Satori's
    vocabulary). `preserve=False` leaves out the per-request option, as a server that ignores it would;
    `tokens`: the marker's tokens where they were asked already."""
    marker = STEP_MARKERS[0]
    try:
        if tokens is None:
            tokens = _tokens(client, url, model, headers, marker)
        if tokens is None or len(tokens) != 1:
            return None  # not one token: not Satori's vocabulary (or a server that does not parse specials)
        token = tokens[0]
        body = completion_body(GenerationRequest(prompt="1 + 1 =", max_tokens=1), model)
        # Both ways of making that token come: a logit bias (any server), and on llama-server a grammar
        # of that one token (a token reference), which also wins over a grammar the server starts with.
        body.update(stream=False, logit_bias={str(token): PROBE_BIAS}, grammar=f"root ::= {marker}\n")
        body.pop("stream_options")
        if not preserve:
            body.pop("preserved_tokens")
        response = client.post(f"{url}/v1/completions", json=body, headers=headers)
        if response.status_code != 200:
            return None
        text = response.json()["choices"][0].get("text") or ""
    except (httpx2.HTTPError, ValueError, KeyError, IndexError, TypeError):
        return None
    return marker in text


def token_count(
    client: httpx2.Client, url: str, model: str, headers: dict[str, str], text: str
) -> int | None:
    """How many tokens the server's model makes of `text` (special tokens parsed), or None where the
    server cannot say (no tokenize endpoint, an error)."""
    tokens = _tokens_or_none(client, url, model, headers, text)
    return None if tokens is None else len(tokens)


def _tokens_or_none(
    client: httpx2.Client, url: str, model: str, headers: dict[str, str], text: str
) -> list[int] | None:
    try:
        return _tokens(client, url, model, headers, text)
    except (httpx2.HTTPError, ValueError, KeyError, IndexError, TypeError):
        return None


def _tokens(
    client: httpx2.Client, url: str, model: str, headers: dict[str, str], text: str
) -> list[int] | None:
    # Both servers' /tokenize: llama-server reads "content", vLLM "prompt"; ids, or objects with an id.
    response = client.post(
        f"{url}/tokenize",
        json={"content": text, "prompt": text, "model": model, "add_special_tokens": False},
        headers=headers,
    )
    if response.status_code != 200:
        return None
    tokens = response.json().get("tokens")
    if not isinstance(tokens, list):
        return None
    return [int(token["id"]) if isinstance(token, dict) else int(token) for token in tokens]


# -- helpers -----------------------------------------------------------------------------------------------


def _shown_name(model: str) -> str:
    """A server's name for its model as the status line shows it: llama-server started without --alias
    names it by the path it was given, of which the file's name is what says something."""
    return PureWindowsPath(model).name if "/" in model or "\\" in model else model


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _report_progress(options: LoadOptions, fraction: float) -> None:
    if options.on_progress is not None:
        try:
            options.on_progress(fraction)
        except Exception:
            log.exception("load progress callback failed")


def _model_path(model: str) -> Path:
    """What a remote load report names as its model file: the server's name for the model."""
    return Path(_shown_name(model) or "satori")


def _socket_of(response: httpx2.Response) -> Any:
    stream = response.extensions.get("network_stream")
    try:
        return None if stream is None else stream.get_extra_info("socket")
    except Exception:
        return None


def _call(make: Callable[[], httpx2.Response], url: str, cancel: threading.Event) -> httpx2.Response:
    with _translate_errors(url, None, cancel):
        return make()
    raise AssertionError("unreachable")  # pragma: no cover (the context manager re-raises)


@contextlib.contextmanager
def _translate_errors(url: str, streams: Sequence[_Stream] | None, cancel: threading.Event) -> Iterator[None]:
    """httpx2's exceptions -> RemoteError (mid-answer) or UserFacingError (before one), in one sentence."""
    host = display_host(url)
    try:
        yield
    except (httpx2.HTTPError, OSError) as exc:
        if cancel.is_set():
            raise RemoteError("cancelled") from None
        mid = streams is not None and any(stream.parts for stream in streams)
        kept = " What arrived is kept; Retry asks again." if mid else ""
        if isinstance(exc, httpx2.ReadTimeout) and mid:
            sentence = f"The server at {host} sent nothing for a long while, so this answer stopped here."
        elif isinstance(exc, httpx2.TimeoutException):
            sentence = (
                f"The server at {host} did not answer in time: it may be busy with many answers, or not "
                "reachable; try again in a while."
            )
        elif _is_tls_error(exc):
            sentence = (
                f"The secure connection to {host} failed ({_reason(exc)}): check whether the address starts "
                "with http:// or https://, and if the server has a certificate of its own, choose its "
                "certificate file in the shared server settings (or --server-ca)."
            )
        elif isinstance(exc, httpx2.ConnectError):
            sentence = (
                f"Could not reach the Satori server at {host} ({_reason(exc)}): check the address and that "
                "the server is running."
            )
        elif mid:
            sentence = f"The connection to the server at {host} was lost mid-answer."
        else:
            sentence = f"The server at {host} closed the connection before answering ({_reason(exc)})."
            if streams is not None:
                raise RemoteError(sentence, stale=True) from None
        if streams is None:
            raise UserFacingError(sentence) from None
        raise RemoteError(sentence + kept) from None


def _is_tls_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "SSL" in type(seen).__name__ or "CERTIFICATE" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.rstrip(".")


def _raise_for_status(response: httpx2.Response, url: str, model: str) -> None:
    status = response.status_code
    if status == 200:
        return
    host = display_host(url)
    message = _error_message(_json_or_none(response))
    if status in (401, 403):
        raise UserFacingError(
            f"The server at {host} refused the API key (HTTP {status}): enter the key its owner gave you in "
            f"the server settings, or set {API_KEY_ENVIRONMENT}."
        )
    if status == 404:
        if model and "model" in message.lower():
            raise UserFacingError(f"The server at {host} has no model named {model!r} ({message}).")
        raise UserFacingError(
            f"The server at {host} has no OpenAI-compatible completions API ({response.request.url.path} "
            "was not found): is it llama-server or vLLM, and is the address right?"
        )
    if status in BUSY_STATUSES:
        retry_after = _retry_after(response)
        raise RemoteError(
            f"The server at {host} is too busy to answer (HTTP {status}, still after "
            f"{len(BUSY_BACKOFF_S) + 1} tries); try again in a minute.",
            busy=True,
            retry_after=retry_after,
        )
    detail = f": {message}" if message else ""
    raise UserFacingError(f"The server at {host} refused the request (HTTP {status}{detail}).")


def _retry_after(response: httpx2.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _json_or_none(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_message(data: Any) -> str:
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            return str(error.get("message") or error.get("type") or "").strip().rstrip(".")
        if isinstance(error, str):
            return error.strip().rstrip(".")
    return ""


def _int(value: Any, default: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _result(stream: _Stream, t_start: float, finish: FinishReason, error: str | None) -> GenerationResult:
    generated = stream.usage_tokens if stream.usage_tokens is not None else stream.generated
    rate = None
    if stream.t_first is not None and stream.t_last is not None and stream.t_last > stream.t_first:
        rate = max(0, stream.generated - 1) / (stream.t_last - stream.t_first)
    return GenerationResult(
        text="".join(stream.parts),
        finish_reason=finish,
        prompt_tokens=stream.prompt_tokens,
        reused_prompt_tokens=min(stream.cached_tokens, stream.prompt_tokens) if stream.prompt_tokens else 0,
        generated_tokens=generated,
        ttft_s=None if stream.t_first is None else stream.t_first - t_start,
        decode_tok_s=rate,
        error=error,
    )
