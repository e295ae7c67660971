"""A tiny qwen2 GGUF model the app writes itself, and a grammar that scripts what it says.

`satori-desktop --self-test` must run the real llama.cpp engine on a machine that has no model yet (and no
network), and the tests must run it without downloading one. So this module writes a small but complete
GGUF file with the `gguf` package: the qwen2 architecture, a byte-level BPE vocabulary in the GPT-2 style
(all 256 byte tokens under the GPT-2 byte-to-unicode mapping, plus merges for a few common pieces and for
one piece longer than 32 bytes), and the special tokens of Satori (`<|endoftext|>`, `<|im_start|>`,
`<|im_end|>` and the three COAT tokens `<|continue|>`, `<|reflect|>`, `<|explore|>`) as CONTROL tokens.
Qt-free; the test suite re-exports it from `tests/support/tiny_gguf.py`.

How a known trace is forced out of the real engine (the "scripted" model):

* The weights make the model's output independent of its input. Every row of the embedding matrix is
  the same vector, and every layer's output projections (`attn_output`, `ffn_down`) are zero, so the
  residual stream at every position is that one vector. The final RMS norm turns it into a vector of
  ones, so the logit of token `t` is simply the sum of row `t` of `output.weight`: a per-token bias that
  this module chooses. The bias is the byte length of the token's piece (control tokens and padding get
  a large negative bias).
* A GBNF grammar (`script_grammar(text)`) then allows exactly one text: the script. llama.cpp grammars
  can reference special tokens by name (`<|reflect|>`), so the meta tokens come out as the real CONTROL
  tokens, not as their spelling. Among the tokens the grammar allows at each step (those whose piece is
  a prefix of the rest of the script), greedy sampling takes the one with the largest bias, i.e. the
  longest: the script is emitted as a greedy longest-match tokenization. A character with no merged token
  (e.g. `SPLIT_CHARACTER`) therefore comes out as one token per UTF-8 byte, and `LONG_PIECE` as a single
  token longer than 32 bytes. The grammar does its work inside llama.cpp's sampler chain, so the
  engine's own loop (pieces, UTF-8 decoding, stop tokens) is what runs.
* Without a grammar, the scripted model repeats its highest-bias token (`LONG_PIECE`) forever and never
  emits an end-of-generation token: a generation that only `max_tokens` or a cancel can end.

`write_tiny_gguf(..., random_weights=True)` instead fills the weights with random values (for speed
measurements, where values do not matter).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
CONTINUE = "<|continue|>"
REFLECT = "<|reflect|>"
EXPLORE = "<|explore|>"
COAT_TOKENS = (CONTINUE, REFLECT, EXPLORE)
CHAT_TOKENS = (ENDOFTEXT, IM_START, IM_END)

# A piece longer than 32 bytes with its own token: llama-cpp-python's `detokenize` cuts such pieces
# (its issue #2362), so the engine must turn tokens into pieces with a growing buffer.
LONG_PIECE = r"\qquad\text{(long piece: more than thirty-two bytes)}"
# A 3-byte UTF-8 character with no merged token: it is always emitted as three byte tokens, so a
# decoder that is not incremental would break it.
SPLIT_CHARACTER = "∑"

# Pieces that get merged tokens, so ordinary text is not all single bytes.
COMMON_PIECES = (
    "Step",
    " step",
    " the",
    " is",
    " answer",
    " Let",
    "Let",
    " check",
    " Wait",
    "Wait",
    " So",
    "So",
    "\\boxed",
    "\\frac",
    "user",
    "assistant",
    "Solve",
    " following",
    " math",
    " problem",
    " efficiently",
    " and",
    " clearly",
    "Please",
    " reason",
    " by",
    " put",
    " your",
    " final",
    " within",
    "Problem",
    " =",
    " +",
    "\n\n",
)

_BIAS_SPECIAL = -100.0  # control tokens and padding: never chosen unless a grammar demands them
_BIAS_IM_END = -50.0


def bytes_to_unicode() -> dict[int, str]:
    """The GPT-2 byte-level mapping: each byte gets a printable character (what BPE merges are spelt in).

    Printable Latin-1 bytes map to themselves; the others (controls, space, ...) are shifted to code points
    from 256 upwards in byte order, so that a space is written `Ġ` and a newline `Ċ`.
    """
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    mapping: dict[int, str] = {b: chr(b) for b in printable}
    shift = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + shift)
            shift += 1
    return mapping


_BYTE_TO_CHAR = bytes_to_unicode()


def _spell(text: str) -> str:
    """A text as BPE token text: its UTF-8 bytes, each written with the byte-to-unicode mapping."""
    return "".join(_BYTE_TO_CHAR[b] for b in text.encode("utf-8"))


def build_vocabulary(
    pieces: Sequence[str], *, coat_tokens: bool = True
) -> tuple[list[str], list[int], list[str], list[float]]:
    """Tokens, token types, merges and output biases of a byte-level BPE vocabulary.

    Every piece gets a chain of merges that builds it left to right (`a b` -> `ab`, `ab c` -> `abc`, ...),
    so the intermediate prefixes are tokens too. Returns GGUF token texts, GGUF token types
    (1 normal, 3 control), merges as `"left right"` strings, and the bias of each token.
    """
    tokens: list[str] = [_BYTE_TO_CHAR[b] for b in range(256)]
    types: list[int] = [1] * 256
    biases: list[float] = [1.0] * 256
    index: dict[str, int] = {t: i for i, t in enumerate(tokens)}
    merges: list[str] = []
    for piece in pieces:
        spelt = _spell(piece)
        if SPLIT_CHARACTER in piece:
            raise ValueError("SPLIT_CHARACTER must stay without a merged token")
        left = spelt[0]
        for char in spelt[1:]:
            merged = left + char
            if merged not in index:
                merges.append(f"{left} {char}")
                index[merged] = len(tokens)
                tokens.append(merged)
                types.append(1)
                biases.append(float(len(merged)))  # one char per byte under the mapping
            left = merged
    specials = list(CHAT_TOKENS) + (list(COAT_TOKENS) if coat_tokens else [])
    for special in specials:
        tokens.append(special)
        types.append(3)
        # When a grammar allows only end-of-generation tokens, <|im_end|> (Satori's stop) must win.
        biases.append(_BIAS_IM_END if special == IM_END else _BIAS_SPECIAL)
    return tokens, types, merges, biases


def write_tiny_gguf(
    path: str | Path,
    *,
    architecture: str = "qwen2",
    coat_tokens: bool = True,
    n_ctx_train: int = 4096,
    n_embd: int = 64,
    n_layer: int = 2,
    n_head: int = 4,
    n_head_kv: int = 2,
    n_ff: int = 128,
    n_vocab: int | None = None,
    extra_pieces: Sequence[str] = (),
    random_weights: bool = False,
    seed: int = 0,
    name: str = "tiny-test-model",
    alignment: int | None = None,
    chat_template: str | None = None,
) -> Path:
    """Write a small GGUF model and return its path.

    `architecture` is "qwen2" (Satori's) or "llama" (to test the non-Satori warning); `coat_tokens=False`
    leaves out the three COAT tokens. `n_vocab` pads the vocabulary with unused tokens up to that size
    (a realistic vocabulary size makes the output layer as costly as a real model's). With
    `random_weights=False` the model is the scripted one described in the module docstring; with True the
    weights are random (F16 matrices), for speed measurements. `alignment` writes `general.alignment` and
    lays the tensor data out by it (without it: no key, and 32). `chat_template` writes
    `tokenizer.chat_template` (how another reasoning model is prompted: core/model_format.py).
    """
    import gguf  # imported here: it is only needed while a model is written (and it imports a lot)

    if architecture not in ("qwen2", "llama"):
        raise ValueError(f"unsupported architecture {architecture!r}")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    pieces = [*COMMON_PIECES, *extra_pieces, LONG_PIECE]
    tokens, types, merges, biases = build_vocabulary(pieces, coat_tokens=coat_tokens)
    if n_vocab is not None:
        if n_vocab < len(tokens):
            raise ValueError(f"n_vocab={n_vocab} is smaller than the {len(tokens)} tokens needed")
        for i in range(len(tokens), n_vocab):
            tokens.append(f"[PAD{i}]")
            types.append(4)  # user-defined: never produced by the BPE merges
            biases.append(_BIAS_SPECIAL)
    vocab_size = len(tokens)
    ids = {t: i for i, t in enumerate(tokens)}

    writer = gguf.GGUFWriter(str(out), architecture)
    if alignment is not None:
        writer.add_custom_alignment(alignment)
    writer.add_name(name)
    writer.add_context_length(n_ctx_train)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_file_type(1 if random_weights else 0)  # mostly F16 / all F32
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(ids[ENDOFTEXT])
    writer.add_eos_token_id(ids[IM_END])
    writer.add_eot_token_id(ids[IM_END])
    writer.add_pad_token_id(ids[ENDOFTEXT])
    writer.add_add_bos_token(False)
    if chat_template is not None:
        writer.add_chat_template(chat_template)

    head_dim = n_embd // n_head
    kv_dim = head_dim * n_head_kv
    # Only for random weights: the bundle leaves numpy.random out, and the self-test's model needs none.
    rng = np.random.default_rng(seed) if random_weights else None

    def matrix(rows: int, cols: int) -> np.ndarray:
        if rng is not None:
            return (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float16)
        return np.zeros((rows, cols), dtype=np.float32)

    def vector(n: int, value: float) -> np.ndarray:
        return np.full(n, value, dtype=np.float32)

    if random_weights:
        embedding = matrix(vocab_size, n_embd)
        output = matrix(vocab_size, n_embd)
    else:
        # Same embedding for every token -> the residual stream is constant; after the final RMS norm it
        # is all ones, so logit[t] = sum(output[t]) = bias[t].
        embedding = np.ones((vocab_size, n_embd), dtype=np.float32)
        output = np.zeros((vocab_size, n_embd), dtype=np.float32)
        output[:, 0] = np.asarray(biases, dtype=np.float32)

    writer.add_tensor("token_embd.weight", embedding)
    for layer in range(n_layer):
        p = f"blk.{layer}."
        writer.add_tensor(p + "attn_norm.weight", vector(n_embd, 1.0))
        writer.add_tensor(p + "attn_q.weight", matrix(n_embd, n_embd))
        writer.add_tensor(p + "attn_k.weight", matrix(kv_dim, n_embd))
        writer.add_tensor(p + "attn_v.weight", matrix(kv_dim, n_embd))
        if architecture == "qwen2":
            writer.add_tensor(p + "attn_q.bias", vector(n_embd, 0.0))
            writer.add_tensor(p + "attn_k.bias", vector(kv_dim, 0.0))
            writer.add_tensor(p + "attn_v.bias", vector(kv_dim, 0.0))
        writer.add_tensor(p + "attn_output.weight", matrix(n_embd, n_embd))
        writer.add_tensor(p + "ffn_norm.weight", vector(n_embd, 1.0))
        writer.add_tensor(p + "ffn_gate.weight", matrix(n_ff, n_embd))
        writer.add_tensor(p + "ffn_up.weight", matrix(n_ff, n_embd))
        writer.add_tensor(p + "ffn_down.weight", matrix(n_embd, n_ff))
    writer.add_tensor("output_norm.weight", vector(n_embd, 1.0))
    writer.add_tensor("output.weight", output)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=False)
    writer.close()
    return out


_SPECIAL_PATTERN = re.compile("|".join(re.escape(t) for t in (*CHAT_TOKENS, *COAT_TOKENS)))


def _gbnf_literal(text: str) -> str:
    """A GBNF string literal that matches `text` exactly."""
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02X}")
        else:
            out.append(char)  # GBNF literals are UTF-8; non-ASCII characters go in as they are
    return '"' + "".join(out) + '"'


def script_grammar(script: str) -> str:
    """A GBNF grammar that allows exactly `script`; special tokens in it must come out as those tokens.

    Special token spellings (`<|reflect|>`, ...) become token references, so the grammar accepts only the
    CONTROL token itself, never its characters spelt out. End-of-generation tokens cannot be referenced
    (llama.cpp's grammar masks them until the grammar is complete), so a script may end with `<|im_end|>`
    but not contain it elsewhere: once the script is complete llama.cpp allows nothing but
    end-of-generation tokens, and the scripted model's bias makes that `<|im_end|>`.
    """
    body = script.removesuffix(IM_END)
    if IM_END in body or ENDOFTEXT in body:
        raise ValueError("end-of-generation tokens can only end a script")
    parts: list[str] = []
    position = 0
    for match in _SPECIAL_PATTERN.finditer(body):
        if match.start() > position:
            parts.append(_gbnf_literal(body[position : match.start()]))
        parts.append(match.group(0))
        position = match.end()
    if position < len(body):
        parts.append(_gbnf_literal(body[position:]))
    if not parts:
        raise ValueError("the script is empty")
    return "root ::= " + " ".join(parts) + "\n"
