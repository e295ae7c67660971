"""Greedy sampling of every greedy sequence of a batch step in one argmax kernel, in llama.cpp's graph.

llama.cpp's backend greedy sampler builds one argmax per sequence over a view of that sequence's output
row: at B=16 sixteen single-block argmax kernels over 152,064 logits each, run one after another, which
cost 0.5 ms of an 8.3 ms step on an H200 (docs/benchmarks.md, "where the step goes"). llama.cpp's API
has no greedy sampler for many sequences at once, but it lets user code implement `llama_sampler_i`,
including the graph-building `backend_apply`. `RowArgmax` is such a sampler, one instance per greedy
sequence: llama.cpp hands each a 1-D view of one row of the step's logits matrix, and the first of
them in a graph build adds ONE `ggml_argmax` over that whole matrix (a result per row, one block per
row, all in one kernel); every sampler's token is then a one-element view of that result at its own row.

It reads two fields of `struct ggml_tensor` (`view_src`, `view_offs`), mirrored from ggml.h of the
llama.cpp that llama-cpp-python 0.3.36 builds. Whatever does not look as expected (a logits tensor
that is no view of a matrix, a ggml library without the functions) falls back to what llama.cpp's own
greedy sampler does: an argmax over the sequence's own row. The tests check the tokens against single
answers on the CPU backend, whose graph runs the same way.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

GGML_MAX_DIMS = 4
GGML_MAX_OP_PARAMS = 64
GGML_MAX_SRC = 10
GGML_TYPE_F32 = 0


class _TensorHead(ctypes.Structure):
    """The start of ggml.h's `struct ggml_tensor`, up to the fields a view is described by."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("buffer", ctypes.c_void_p),
        ("ne", ctypes.c_int64 * GGML_MAX_DIMS),
        ("nb", ctypes.c_size_t * GGML_MAX_DIMS),
        ("op", ctypes.c_int),
        ("op_params", ctypes.c_int32 * (GGML_MAX_OP_PARAMS // 4)),
        ("flags", ctypes.c_int32),
        ("src", ctypes.c_void_p * GGML_MAX_SRC),
        ("view_src", ctypes.c_void_p),
        ("view_offs", ctypes.c_size_t),
    ]


class _Ggml:
    """The few ggml graph functions the sampler calls, from the ggml-base library beside libllama."""

    def __init__(self) -> None:
        import llama_cpp.llama_cpp as bindings
        from llama_cpp._ctypes_extensions import load_shared_library

        # Where llama-cpp-python loaded libllama from (LLAMA_CPP_LIB_PATH, or its lib folder).
        folder = getattr(bindings, "_base_path", None) or Path(bindings.__file__).resolve().parent / "lib"
        lib = load_shared_library("ggml-base", Path(folder))
        p = ctypes.c_void_p
        self.argmax = _function(lib, "ggml_argmax", p, [p, p])
        self.view_1d = _function(lib, "ggml_view_1d", p, [p, p, ctypes.c_int64, ctypes.c_size_t])
        self.reshape_1d = _function(lib, "ggml_reshape_1d", p, [p, p, ctypes.c_int64])
        self.nelements = _function(lib, "ggml_nelements", ctypes.c_int64, [p])
        self.set_name = _function(lib, "ggml_set_name", p, [p, ctypes.c_char_p])
        self.set_output = _function(lib, "ggml_set_output", None, [p])


def _function(lib: Any, name: str, restype: Any, argtypes: list[Any]) -> Any:
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = argtypes
    return function


class RowArgmax:
    """Makes the greedy samplers of one batch context and builds their shared argmax (see the module
    docstring). Keep it as long as the context: llama.cpp calls into it while it builds graphs.
    Raises OSError or RuntimeError where the ggml library or its functions cannot be found."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.ggml = _Ggml()
        self._all: tuple[int, int] | None = None  # (logits matrix, its argmax) of the graph being built
        iface = llama.llama_sampler_i()
        # The callbacks stay referenced here: llama.cpp keeps only their addresses.
        self._callbacks = (
            llama.llama_sampler_i_apply(self._apply),
            llama.llama_sampler_i_backend_init(self._backend_init),
            llama.llama_sampler_i_backend_apply(self._backend_apply),
            llama.llama_sampler_i_backend_reset(self._backend_reset),
        )
        iface.apply, iface.backend_init, iface.backend_apply, iface.backend_reset = self._callbacks
        self.iface = iface  # the other members stay NULL, which llama.cpp allows (no name, no state)

    def chain(self) -> Any:
        """A sampler chain holding one such sampler (llama.cpp offloads chains only): free it with
        llama_sampler_free, after the context it was attached to."""
        llama = self.llama
        chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
        llama.llama_sampler_chain_add(chain, llama.llama_sampler_init(ctypes.byref(self.iface), None))
        return chain

    # -- llama_sampler_i ----------------------------------------------------------------------------

    def _apply(self, _smpl: Any, cur_p: Any) -> None:
        """On the host (llama.cpp's fallback when a graph could not sample): the most likely candidate."""
        candidates = cur_p.contents
        best, best_logit = 0, float("-inf")
        for i in range(candidates.size):
            logit = candidates.data[i].logit
            if logit > best_logit:
                best, best_logit = i, logit
        candidates.selected = best

    def _backend_init(self, _smpl: Any, _buft: Any, _n_outputs_max_per_seq: int) -> bool:
        return True

    def _backend_reset(self, _smpl: Any) -> None:
        self._all = None  # a new graph is being built: its tensors are new

    def _backend_apply(self, _smpl: Any, ctx: Any, _gf: Any, data: Any) -> None:
        sampler_data = data.contents
        try:
            sampler_data.sampled = self._row_token(ctx, int(sampler_data.logits))
        except Exception:  # a callback must not raise into llama.cpp: sample the row as llama.cpp would
            log.exception("one argmax for every row could not be built; an argmax per row instead")
            sampler_data.sampled = self._own_row(ctx, int(sampler_data.logits))

    def _row_token(self, ctx: Any, logits: int) -> int:
        head = _TensorHead.from_address(logits)
        parent_address = head.view_src
        if not parent_address or head.type != GGML_TYPE_F32:
            return self._own_row(ctx, logits)  # e.g. llama.cpp's probe graph, whose logits are no view
        parent = _TensorHead.from_address(parent_address)
        matrix = parent.ne[2] == 1 and parent.ne[3] == 1 and parent.ne[0] == head.ne[0]
        if not matrix or parent.type != GGML_TYPE_F32 or head.view_offs % parent.nb[1]:
            return self._own_row(ctx, logits)
        ggml = self.ggml
        if self._all is None or self._all[0] != parent_address:
            every_row = ggml.argmax(ctx, parent_address)
            ggml.set_name(every_row, b"greedy_argmax_rows")
            ggml.set_output(every_row)  # its memory holds the tokens until llama.cpp copies them out
            self._all = (parent_address, int(every_row))
        row = head.view_offs // parent.nb[1]
        token = ggml.view_1d(ctx, self._all[1], 1, row * ctypes.sizeof(ctypes.c_int32))
        ggml.set_output(token)
        return int(token)

    def _own_row(self, ctx: Any, logits: int) -> int:
        ggml = self.ggml
        row = ggml.reshape_1d(ctx, logits, ggml.nelements(logits))
        return int(ggml.argmax(ctx, row))
