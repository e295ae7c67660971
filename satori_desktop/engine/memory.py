"""How much memory a GGUF model needs, and how many of its layers fit on a GPU.

A file's size alone undercounts what loading costs: llama.cpp also allocates the KV cache for the whole
context (f16 K and V for every layer), compute buffers sized by the batch and the context, and on a GPU
a runtime context of a few hundred MB. These estimates decide the engine's default `gpu_layers` and the
model manager's recommendation, so they lean to the safe side: a few layers too few costs some speed,
a few too many fails the load.

Layer numbering follows llama.cpp's `n_gpu_layers`: the value N puts the last N repeating blocks on the
GPU; `n_layers + 1` also moves the output layer there (a full offload). Token embeddings always stay in
host memory. This module only does arithmetic on a `ModelShape`; `satori_desktop.models.gguf_info`
reads one from a GGUF header, and `ModelShape.estimated(...)` builds one from a file size alone (for a
file still on the hub).
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024

# llama.cpp's default micro-batch (n_ubatch): compute buffers scale with it.
DEFAULT_UBATCH = 512
# CUDA/Metal context, cuBLAS workspace and allocator slack that free VRAM must also hold.
GPU_RUNTIME_OVERHEAD_BYTES = 450 * MIB
# Host-side buffers, tokenizer tables and the Python process itself.
HOST_OVERHEAD_BYTES = 300 * MIB
# Keep this much RAM for the OS and the app's window when judging "fits in RAM".
RAM_HEADROOM_BYTES = 1024 * MIB
F16_BYTES = 2
F32_BYTES = 4


@dataclass(frozen=True)
class ModelShape:
    """The numbers of a transformer that decide its memory, as llama.cpp will allocate it."""

    architecture: str
    n_layers: int
    n_embd: int
    n_head: int
    n_head_kv: int
    head_dim: int  # K/V width per head (key_length; n_embd / n_head when the header does not say)
    n_vocab: int
    n_ctx_train: int
    file_size_bytes: int
    repeating_bytes: int  # all `blk.N.*` tensors together
    output_bytes: int  # output projection + final norm: moves to the GPU only with a full offload
    embedding_bytes: int  # token embeddings: always in host memory

    @property
    def layer_bytes(self) -> int:
        """Weights of one repeating block (the average: quantisation mixes differ a little by block)."""
        return -(-self.repeating_bytes // self.n_layers) if self.n_layers else 0

    @classmethod
    def estimated(
        cls,
        file_size_bytes: int,
        *,
        architecture: str,
        n_layers: int,
        n_embd: int,
        n_head: int,
        n_head_kv: int,
        n_vocab: int,
        n_ctx_train: int,
        ffn_dim: int,
        head_dim: int | None = None,
    ) -> ModelShape:
        """A shape for a file not yet on disk: split its size by parameter counts (qwen2/llama layout).

        Quantised files keep embeddings and output at other types than the blocks, so this is
        approximate; headers, once the file is here, give the exact split.
        """
        hd = head_dim or n_embd // n_head
        attention = n_embd * n_head * hd * 2 + n_embd * n_head_kv * hd * 2
        feed_forward = 3 * n_embd * ffn_dim
        per_layer = attention + feed_forward + 2 * n_embd
        embedding = n_vocab * n_embd
        output = n_vocab * n_embd + n_embd
        total = per_layer * n_layers + embedding + output
        return cls(
            architecture=architecture,
            n_layers=n_layers,
            n_embd=n_embd,
            n_head=n_head,
            n_head_kv=n_head_kv,
            head_dim=hd,
            n_vocab=n_vocab,
            n_ctx_train=n_ctx_train,
            file_size_bytes=file_size_bytes,
            repeating_bytes=file_size_bytes * per_layer * n_layers // total,
            output_bytes=file_size_bytes * output // total,
            embedding_bytes=file_size_bytes * embedding // total,
        )


def satori_7b_shape(file_size_bytes: int) -> ModelShape:
    """Satori-7B-Round2 (Qwen2.5-Math-7B): the shape every quantisation of it shares."""
    return ModelShape.estimated(
        file_size_bytes,
        architecture="qwen2",
        n_layers=28,
        n_embd=3584,
        n_head=28,
        n_head_kv=4,
        n_vocab=152064,
        n_ctx_train=4096,
        ffn_dim=18944,
    )


def kv_cache_bytes(shape: ModelShape, n_ctx: int, n_layers: int | None = None) -> int:
    """f16 K and V for `n_ctx` positions in `n_layers` blocks (all of them by default)."""
    layers = shape.n_layers if n_layers is None else n_layers
    return 2 * layers * n_ctx * shape.n_head_kv * shape.head_dim * F16_BYTES


def compute_buffer_bytes(shape: ModelShape, n_ctx: int, *, n_ubatch: int = DEFAULT_UBATCH) -> int:
    """The graph's scratch memory: the larger of the logits of a micro-batch and its attention scores.

    llama.cpp's allocator reuses one buffer across the graph, so the peak, not the sum, is what counts;
    f32 logits over the vocabulary dominate for Qwen's 152k tokens (~300 MiB at n_ubatch 512).
    """
    logits = n_ubatch * shape.n_vocab * F32_BYTES
    attention = n_ubatch * n_ctx * shape.n_head * F32_BYTES
    activations = n_ubatch * shape.n_embd * F32_BYTES * 8
    return max(logits, attention) + activations


def vram_bytes_needed(shape: ModelShape, n_ctx: int, gpu_layers: int) -> int:
    """GPU memory for `gpu_layers` (llama.cpp numbering), including the runtime's own share."""
    gpu_layers = max(0, min(gpu_layers, shape.n_layers + 1))
    if gpu_layers == 0:
        return 0
    blocks = min(gpu_layers, shape.n_layers)
    total = blocks * shape.layer_bytes + kv_cache_bytes(shape, n_ctx, blocks)
    if gpu_layers > shape.n_layers:
        total += shape.output_bytes
    return total + compute_buffer_bytes(shape, n_ctx) + GPU_RUNTIME_OVERHEAD_BYTES


def ram_bytes_needed(shape: ModelShape, n_ctx: int, gpu_layers: int = 0) -> int:
    """Host memory: the weights left on the CPU, their KV cache, buffers and overhead."""
    gpu_layers = max(0, min(gpu_layers, shape.n_layers + 1))
    blocks_on_gpu = min(gpu_layers, shape.n_layers)
    cpu_blocks = shape.n_layers - blocks_on_gpu
    total = shape.embedding_bytes + cpu_blocks * shape.layer_bytes + kv_cache_bytes(shape, n_ctx, cpu_blocks)
    if gpu_layers <= shape.n_layers:
        total += shape.output_bytes
    # With everything on the GPU the host keeps only a small staging buffer, not the full compute one.
    total += compute_buffer_bytes(shape, n_ctx) if gpu_layers <= shape.n_layers else 32 * MIB
    return total + HOST_OVERHEAD_BYTES


def layers_that_fit(shape: ModelShape, n_ctx: int, free_vram_bytes: int | None) -> int:
    """The largest `n_gpu_layers` (0 .. n_layers + 1) whose estimate fits in `free_vram_bytes`."""
    if not free_vram_bytes or free_vram_bytes <= 0:
        return 0
    for gpu_layers in range(shape.n_layers + 1, 0, -1):
        if vram_bytes_needed(shape, n_ctx, gpu_layers) <= free_vram_bytes:
            return gpu_layers
    return 0


@dataclass(frozen=True)
class FitEstimate:
    """One plan for loading a model on this machine."""

    gpu_layers: int  # llama.cpp's n_gpu_layers
    total_layers: int  # repeating blocks; gpu_layers == total_layers + 1 is a full offload
    vram_bytes: int
    ram_bytes: int
    fits_in_ram: bool

    @property
    def full_offload(self) -> bool:
        return self.gpu_layers > self.total_layers

    @property
    def runs(self) -> bool:
        """Whether the estimate says this loads at all (the CPU part must fit in RAM)."""
        return self.fits_in_ram


def estimate_fit(
    shape: ModelShape,
    n_ctx: int,
    *,
    free_vram_bytes: int | None,
    available_ram_bytes: int,
) -> FitEstimate:
    """Offload as many layers as the GPU holds, then check that the rest fits in RAM with headroom."""
    gpu_layers = layers_that_fit(shape, n_ctx, free_vram_bytes)
    ram = ram_bytes_needed(shape, n_ctx, gpu_layers)
    return FitEstimate(
        gpu_layers=gpu_layers,
        total_layers=shape.n_layers,
        vram_bytes=vram_bytes_needed(shape, n_ctx, gpu_layers),
        ram_bytes=ram,
        fits_in_ram=ram + RAM_HEADROOM_BYTES <= available_ram_bytes,
    )
