"""`satori-desktop serve`: run Satori for a classroom on the machine with the GPU.

One command for the person who owns that machine: it starts llama.cpp's llama-server (or vLLM) with what
the app needs of it, makes an API key, prints once what the students type into File > Shared server… (or
`ask --server URL`), and then just keeps the server running until Ctrl+C or SIGTERM, when it stops it:
terminate, up to 10 s to finish, then kill. docs/serving.md says how to grow from one box to a school.

What Satori needs of each server (engine/remote.py has the client's side):

* llama-server: `--special`, so the step markers <|continue|>, <|reflect|>, <|explore|> are rendered
  (the app also asks per request, but a server that keeps them serves any client); `-np N` slots with
  `-c` = per-slot context x N, since llama-server divides its context among the slots; every layer on the
  GPU unless --gpu-layers says otherwise; `--alias` names the model the app shows.
* vLLM: no flag; the app sends skip_special_tokens=false and spaces_between_special_tokens=false with
  every request, which is the only way vLLM keeps special tokens anyway.
* llama-cpp-python's own server (`python -m llama_cpp.server`) cannot return the markers at all, so it is
  not offered.

The key reaches the server through its environment (LLAMA_API_KEY, VLLM_API_KEY: both servers read it
as they read --api-key), not its command line, which any user of the machine can read in `ps`.
The server's own output goes to a log file, named when it starts; when the server exits before it is
ready, the last lines of that log are the sentence's end (engine/server_process.py starts, awaits and
stops it, as for `bench remote` and the tests).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import os
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from satori_desktop.core import arguments, paths
from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.server_process import ServerProcess, find_program, how_it_ended

if TYPE_CHECKING:
    from satori_desktop.engine.memory import ModelShape

LLAMA_SERVER, VLLM = "llama-server", "vllm"
ENGINES = (LLAMA_SERVER, VLLM)
DEFAULT_PORTS = {LLAMA_SERVER: 8080, VLLM: 8000}  # each server's own default
DEFAULT_HOST = "0.0.0.0"  # the point of serving is the class's machines; the key guards it
DEFAULT_VLLM_MODEL = "Satori-reasoning/Satori-7B-Round2"
DEFAULT_LLAMA_PARALLEL = 4
# The local engine's rule for its context (engine/llama_engine.py): the trained context, at most 8192.
# For Satori-7B-Round2 that is 4,096 tokens per slot.
SLOT_CONTEXT_CAP = 8192
FALLBACK_SLOT_CONTEXT = 4096
MAX_PARALLEL = 1024
API_KEY_PREFIX = "sk-satori-"
KEY_ENVIRONMENT = {LLAMA_SERVER: "LLAMA_API_KEY", VLLM: "VLLM_API_KEY"}
DEFAULT_STARTUP_TIMEOUT_S = 600.0  # vLLM downloads and compiles on its first start; minutes are normal
STOP_GRACE_S = 10.0
WILDCARD_HOSTS = ("0.0.0.0", "::")

NO_LLAMA_SERVER_SENTENCE = (
    "llama-server was not found on PATH: build llama.cpp (https://github.com/ggml-org/llama.cpp; the "
    "build puts it in build/bin/llama-server, with CUDA for an NVIDIA GPU), or from a source checkout of "
    "Satori Desktop run `bash scripts/build-llama-server.sh`, which prints its path; then put it on PATH "
    "or pass --server-binary PATH."
)
NO_VLLM_SENTENCE = (
    "vllm was not found on PATH: install vLLM on this machine (`pip install vllm`, Linux with an NVIDIA "
    "GPU) or pass the path of its `vllm` command with --server-binary PATH."
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve Satori to a class from this machine (llama-server or vLLM)",
        description="Start llama-server (or vLLM) with Satori for the app's shared-server mode, print the "
        "address and API key to give to students, and keep it running until Ctrl+C. Arguments after -- "
        "go to the server as they are (e.g. -- --tensor-parallel-size 2 for vLLM).",
    )
    parser.add_argument(
        "--engine", choices=ENGINES, default=LLAMA_SERVER, help="the server to run (default llama-server)"
    )
    parser.add_argument(
        "--model",
        metavar="PATH_OR_NAME",
        help="llama-server: a GGUF file (default: the default installed model); vLLM: a Hugging Face "
        f"model name or folder (default {DEFAULT_VLLM_MODEL})",
    )
    parser.add_argument(
        "--model-name",
        metavar="NAME",
        help="the name the server gives the model (default: the file name for llama-server, the model for "
        "vLLM)",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"the address to listen on (default {DEFAULT_HOST}: every network of this machine; 127.0.0.1 "
        "for this machine only)",
    )
    parser.add_argument(
        "--port",
        type=arguments.whole_number_between(1, 65535),
        default=None,
        help=f"the port (default {DEFAULT_PORTS[LLAMA_SERVER]} for llama-server, {DEFAULT_PORTS[VLLM]} "
        "for vLLM)",
    )
    parser.add_argument(
        "--parallel",
        type=arguments.whole_number_between(1, MAX_PARALLEL),
        default=None,
        metavar="N",
        help=f"answers generated at once: llama-server's slots (default {DEFAULT_LLAMA_PARALLEL}), vLLM's "
        "--max-num-seqs (default: vLLM's own)",
    )
    parser.add_argument(
        "--ctx-size",
        type=arguments.context_tokens,
        default=None,
        metavar="N",
        help="context tokens per answer (default: the model's trained context, at most "
        f"{SLOT_CONTEXT_CAP:,}, as the app uses locally); vLLM: --max-model-len",
    )
    parser.add_argument(
        "--gpu-layers",
        type=arguments.gpu_layers,
        default=None,
        metavar="all|auto|N",
        help="llama-server only: layers on the GPU: all (the default), auto, or a number (0: CPU only)",
    )
    parser.add_argument(
        "--server-binary",
        type=Path,
        metavar="PATH",
        help="the llama-server (or vllm) program to run (default: the one on PATH)",
    )
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument("--api-key", metavar="KEY", help="use this key instead of a new one")
    keys.add_argument(
        "--no-api-key", action="store_true", help="no key: anyone who can reach the port may use the server"
    )
    parser.add_argument(
        "--startup-timeout",
        type=startup_seconds,
        default=DEFAULT_STARTUP_TIMEOUT_S,
        metavar="SECONDS",
        help=f"give up when the server is not ready after this long (default {DEFAULT_STARTUP_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--json", action="store_true", help="once ready, print one JSON object (url, urls, api_key, ...)"
    )
    parser.add_argument("server_args", nargs="*", metavar="-- SERVER_ARGS", help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def startup_seconds(text: str) -> float:
    """`--startup-timeout`: seconds, more than 0."""
    try:
        value = float(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not {text!r}.") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text.strip()}.")
    return value


@dataclass(frozen=True)
class ServePlan:
    """What is started and what the students are told."""

    engine: str
    argv: list[str]
    host: str
    port: int
    model: str  # what the server serves: the GGUF path, or vLLM's model
    health_url: str  # asked from this machine, so a loopback address for a wildcard host
    urls: list[str]  # what students type
    api_key: str = field(repr=False)
    env: dict[str, str] = field(repr=False, default_factory=dict)
    summary: str = ""  # slots and context, for the human-readable output


def run(args: argparse.Namespace) -> int:
    plan = plan_server(args)
    check_port_free(plan.host, plan.port)
    log_path = paths.log_dir() / f"serve-{plan.engine}-{plan.port}.log"
    headers = {"Authorization": f"Bearer {plan.api_key}"} if plan.api_key else {}
    with _stop_requests() as stop:
        server = ServerProcess.start(
            plan.argv,
            log_path,
            name=plan.engine,
            env=plan.env,
            # Its own process group: Ctrl+C reaches this process only, which stops the server in order.
            own_process_group=True,
            advice="check --server-binary",
        )
        try:
            ready = server.wait_until_ready(
                plan.health_url,
                args.startup_timeout,
                headers=headers,
                stop=stop,
                timeout_advice=f"give it longer with --startup-timeout, or see its log {log_path}.",
            )
            if not ready:
                print("satori-desktop: stopped before the server was ready.", file=sys.stderr)
                return 0
            _announce(plan, server.pid, log_path, as_json=args.json)
            while not stop.wait(0.5):
                returncode = server.poll()
                if returncode is not None:
                    raise UserFacingError(
                        f"{plan.engine} stopped on its own ({how_it_ended(returncode)}); its last "
                        f"lines: {server.log_tail()}",
                        exit_code=1,
                    )
        finally:
            server.stop(STOP_GRACE_S)
    if not args.json:
        print("Stopped the server.", flush=True)
    return 0


# -- what to start ------------------------------------------------------------------------------------------


def plan_server(args: argparse.Namespace) -> ServePlan:
    """The command line, environment and addresses for `args`; a sentence for what cannot work."""
    engine: str = args.engine
    if engine == VLLM and args.gpu_layers is not None:
        raise UserFacingError("--gpu-layers is for llama-server; vLLM keeps the whole model on the GPU.")
    binary = find_server_binary(engine, args.server_binary)
    port: int = args.port or DEFAULT_PORTS[engine]
    host: str = args.host.strip()
    if args.api_key is not None and not args.api_key.strip():
        raise UserFacingError("The --api-key is empty: give a key, or --no-api-key for none.")
    api_key = "" if args.no_api_key else (args.api_key.strip() if args.api_key else new_api_key())
    env = dict(os.environ)
    env.pop(KEY_ENVIRONMENT[engine], None)  # an inherited key would lock out the students told of none
    if api_key:
        env[KEY_ENVIRONMENT[engine]] = api_key
    extra = list(args.server_args)
    if engine == LLAMA_SERVER:
        model_path = Path(args.model).expanduser() if args.model else _default_model()
        shape = read_model_shape(model_path)
        slot_context = args.ctx_size or default_slot_context(shape)
        parallel = args.parallel or DEFAULT_LLAMA_PARALLEL
        argv = llama_server_argv(
            binary,
            model_path,
            host=host,
            port=port,
            parallel=parallel,
            slot_context=slot_context,
            gpu_layers=gpu_layers_flag(args.gpu_layers),
            alias=args.model_name or model_path.stem,
        )
        model = str(model_path)
        kv = kv_summary(shape, slot_context * parallel)
        summary = f"{parallel} at once, {slot_context:,} tokens of context each ({kv})"
        health = f"{_local_url(host, port)}/health"
    else:
        model = args.model or DEFAULT_VLLM_MODEL
        argv = vllm_argv(
            binary,
            model,
            host=host,
            port=port,
            parallel=args.parallel,
            max_model_len=args.ctx_size,
            served_name=args.model_name,
        )
        summary = f"{args.parallel} at once" if args.parallel else "vLLM's own batching"
        health = f"{_local_url(host, port)}/v1/models"
    return ServePlan(
        engine=engine,
        argv=argv + extra,
        host=host,
        port=port,
        model=model,
        health_url=health,
        urls=student_urls(host, port),
        api_key=api_key,
        env=env,
        summary=summary,
    )


def llama_server_argv(
    binary: Path,
    model: Path,
    *,
    host: str,
    port: int,
    parallel: int,
    slot_context: int,
    gpu_layers: str,
    alias: str,
) -> list[str]:
    """llama-server's command line (flags as in llama.cpp's common/arg.cpp; the key goes by environment)."""
    return [
        str(binary),
        "-m", str(model),
        "--host", host,
        "--port", str(port),
        "--special",  # render the step markers
        "-np", str(parallel),
        "-c", str(slot_context * parallel),  # the context is shared out among the slots
        "-ngl", gpu_layers,
        "--alias", alias,
        "--no-webui",  # students use the app; the web page would be a second way in
    ]  # fmt: skip


def vllm_argv(
    binary: Path,
    model: str,
    *,
    host: str,
    port: int,
    parallel: int | None,
    max_model_len: int | None,
    served_name: str | None,
) -> list[str]:
    """`vllm serve MODEL ...`. No flag for the step markers: vLLM has none; the app asks per request
    (skip_special_tokens=false, spaces_between_special_tokens=false), see engine/remote.py."""
    argv = [str(binary), "serve", model, "--host", host, "--port", str(port)]
    if parallel is not None:
        argv += ["--max-num-seqs", str(parallel)]
    if max_model_len is not None:
        argv += ["--max-model-len", str(max_model_len)]
    if served_name:
        argv += ["--served-model-name", served_name]
    return argv


def gpu_layers_flag(requested: int | None) -> str:
    """`-ngl` from `arguments.gpu_layers`' value: all unless a number or auto was asked for."""
    if requested is None:
        return "all"
    if requested == arguments.MAX_GPU_LAYERS:
        return "all"
    return str(requested)


def find_server_binary(engine: str, explicit: Path | None) -> Path:
    """The program to run: --server-binary, else the one on PATH; a sentence saying how to get it."""
    example = ", e.g. the one `bash scripts/build-llama-server.sh` prints" if engine == LLAMA_SERVER else ""
    return find_program(
        engine,
        explicit,
        not_on_path=NO_LLAMA_SERVER_SENTENCE if engine == LLAMA_SERVER else NO_VLLM_SENTENCE,
        no_program="There is no program at {path} (--server-binary); give the path of {name}" + example + ".",
        not_executable="{path} is not executable (--server-binary); `chmod +x` it or pick another.",
    )


def _default_model() -> Path:
    from satori_desktop.models.store import ModelStore, no_model_message

    installed = ModelStore().default_model()
    if installed is None:
        raise UserFacingError(f"{no_model_message()[:-1]}, or pass --model PATH.")
    return Path(installed.path)


def read_model_shape(model: Path) -> ModelShape:
    """The GGUF's shape (trained context, KV heads). Reading the header also checks the file, so a missing
    or foreign one is a sentence before any server starts."""
    from satori_desktop.engine.gguf_header import read_gguf_header

    if not model.is_file():
        raise UserFacingError(
            f"The model file {model} does not exist; pass --model with the path of a .gguf file "
            "(`satori-desktop models list` shows the installed ones)."
        )
    return read_gguf_header(model).model_shape()


def default_slot_context(shape: ModelShape) -> int:
    """The context per answer the app uses locally: the trained context, at most 8192."""
    trained = shape.n_ctx_train
    return min(trained, SLOT_CONTEXT_CAP) if trained > 0 else FALLBACK_SLOT_CONTEXT


def kv_summary(shape: ModelShape, total_tokens: int) -> str:
    """The f16 KV cache of `total_tokens` in words (Satori-7B: 57,344 bytes a token)."""
    from satori_desktop.engine.memory import kv_cache_bytes

    return f"{kv_cache_bytes(shape, total_tokens) / 1e9:.1f} GB of KV cache"


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(24)


# -- addresses ----------------------------------------------------------------------------------------------


def check_port_free(host: str, port: int) -> None:
    """Refuse a port something else listens on, and a host this machine does not have, before starting."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise UserFacingError(
            f"{host!r} is not an address of this machine; use 0.0.0.0 (every network) or 127.0.0.1 (this "
            "machine only) for --host."
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        if os.name != "nt":  # as the servers do; on Windows the option would let two share the port
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE or getattr(exc, "winerror", None) == 10048:
                raise UserFacingError(
                    f"Port {port} is already in use on {host} (another server, or a serve still running); "
                    "stop that one or choose another port with --port."
                ) from None
            if exc.errno == errno.EACCES:
                raise UserFacingError(
                    f"Port {port} needs administrator rights on this system; choose one above 1023 with "
                    "--port."
                ) from None
            raise UserFacingError(
                f"Cannot listen on {host} port {port} ({exc.strerror or exc}); check --host and --port."
            ) from None


def student_urls(host: str, port: int) -> list[str]:
    """The addresses students type: this machine's network addresses when it listens on all of them."""
    if host not in WILDCARD_HOSTS:
        return [f"http://{_bracketed(host)}:{port}"]
    addresses = lan_addresses(ipv6=host == "::")
    if not addresses:  # no network: only this machine can connect
        addresses = ["127.0.0.1"]
    return [f"http://{_bracketed(address)}:{port}" for address in addresses]


def lan_addresses(*, ipv6: bool = False) -> list[str]:
    """This machine's IPv4 (and with `ipv6` global IPv6) addresses, loopback and link-local left out."""
    import ipaddress

    import psutil

    found: list[str] = []
    for interface_addresses in psutil.net_if_addrs().values():
        for entry in interface_addresses:
            if entry.family not in (socket.AF_INET, socket.AF_INET6) or (
                entry.family == socket.AF_INET6 and not ipv6
            ):
                continue
            text = entry.address.split("%", 1)[0]
            try:
                address = ipaddress.ip_address(text)
            except ValueError:
                continue
            if address.is_loopback or address.is_link_local or address.is_unspecified:
                continue
            if text not in found:
                found.append(text)
    # IPv4 first: what a student most likely types.
    return sorted(found, key=lambda text: ":" in text)


def _local_url(host: str, port: int) -> str:
    """Where this machine asks whether the server is ready."""
    local = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://{_bracketed(local)}:{port}"


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# -- running ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _stop_requests() -> Iterator[threading.Event]:
    """An event set by Ctrl+C, SIGTERM or (POSIX) a closed terminal, instead of KeyboardInterrupt."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    wanted = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {signum: signal.signal(signum, on_signal) for signum in wanted}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _announce(plan: ServePlan, pid: int, log_path: Path, *, as_json: bool) -> None:
    """Say once what students need; with --json, one object for scripts."""
    if as_json:
        payload = {
            "url": plan.urls[0],
            "urls": plan.urls,
            "api_key": plan.api_key,
            "engine": plan.engine,
            "model": plan.model,
            "pid": pid,
            "log": str(log_path),
        }
        print(json.dumps(payload), flush=True)
        return
    lines = [
        f"Satori is ready: {plan.engine} (pid {pid}) serves {plan.model}, {plan.summary}.",
        "Students enter this in the app (File > Shared server…) or use `satori-desktop ask --server URL`:",
    ]
    lines += [f"  address: {url}" for url in plan.urls]
    if plan.api_key:
        lines.append(f"  API key: {plan.api_key}")
        lines.append("The key is shown only now; keep it, or start again with --api-key KEY to reuse it.")
        if any(url.startswith("http://") and not _is_loopback_url(url) for url in plan.urls):
            lines.append(
                "Plain http sends the key unencrypted: on a network you do not trust, put a TLS reverse "
                "proxy (nginx, Caddy) in front and give students its https:// address (docs/serving.md)."
            )
    else:
        lines.append("No API key: anyone who can reach this port can use the server.")
    lines.append(f"The server's own log: {log_path}. Press Ctrl+C to stop it.")
    print("\n".join(lines), flush=True)


def _is_loopback_url(url: str) -> bool:
    from satori_desktop.engine.remote import is_loopback

    return is_loopback(url)
