"""Passages embedded by OpenVINO from the same ONNX export: the build's encoder, 2.7x torch on this CPU.

Why: embedding is nearly all of a build (the pipeline around it adds ~5 %), so
the build is only as fast as the encoder. The bundled e5 is already exported to
ONNX for questions (``onnx_encoder``); OpenVINO compiles that same graph in about
0.5 s and runs it faster than torch here. Measured on 1,024 Riksdagen chunks
(``passage: `` + title + text, 2 cores of an AMD EPYC with avx512_bf16):

    torch sentence-transformers, batch 32             26.5 chunks/s
    OpenVINO f32, 2 async requests of 16               38.7 chunks/s   cosine to torch ≥ 0.9999999
    OpenVINO bf16, 1 request of 32                     64.8 chunks/s
    OpenVINO bf16, 2 async requests of 16 (chosen)     73.2 chunks/s   cosine to torch ≥ 0.99998
    OpenVINO bf16, 2 async requests of 8 / 32          74.1 / 66.5 chunks/s

bf16 keeps the weights' and activations' exponent and cuts the mantissa, which the
int8 route (``scripts/onnx_int8_check.py``: recall lost) does not: vectors stay
within cosine 0.99998 of torch; seed gold recall and MRR are identical, and of
SweQUAD-MC's 962 questions one moved from rank 5 to 6 (``tests/test_openvino_encoder.py``;
docs/benchmark.md). It is used only where
the CPU computes bf16 natively (OpenVINO reports ``BF16`` among its optimisation
capabilities); elsewhere the same path runs in f32, also when bf16 is asked for, and the
build's manifest records the precision really used (``passage_precision``): a later build in
the other precision embeds every chunk again instead of mixing the two. ``KALLKOLL_PASSAGE_PRECISION=f32``
forces f32, ``KALLKOLL_PASSAGE_BACKEND=torch`` the torch path. Tests hold for either precision
and for vectors moved five times further than bf16's rounding (``tests/vector_noise.py``).

Two requests of 16 texts each keep both cores busy while the other request's
tokens are padded and its output pooled in numpy, which a single request leaves
idle. Chunking counts tokens with the same ``tokenizer.json`` untruncated, so
chunk boundaries are those of the torch path, token for token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import onnx_encoder
from .model_convert import PASSAGE_PROMPT

log = logging.getLogger(__name__)

BATCH_SIZE = 16  # texts per request (table above)
REQUESTS = 2  # requests in flight: one computes while the other's batch is padded and pooled
MAX_BATCH_TOKENS = 2048  # padded tokens per request: see _batches
#: Kernels OpenVINO keeps per input shape (default 5,000). Every batch of a build has a new
#: (texts, tokens) shape, so the default cache only grows. Measured on 2,000 Riksdagen chunks,
#: peak RSS / chunks/s: default 2,536 MB / 65.8; 50: 2,160 MB / 65.8; 0: 1,945 MB / 57.9.
SHAPE_CACHE = 50
PRECISIONS = ("bf16", "f32")


@dataclass(frozen=True)
class OpenVinoPassageEncoder:
    """Embeds passages like ``Encoder.encode_passages``; one build uses it at a time."""

    model_id: str
    dim: int
    max_tokens: int
    passage_prompt: str
    compiled: Any  # openvino.CompiledModel
    tokenizer: Any  # truncated at max_tokens, for the model's input
    counter: Any  # not truncated, for chunking's token counts
    pad_id: int
    precision: str

    @property
    def backend(self) -> str:
        return f"openvino-{self.precision}"

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self.tokenizer.encode_batch([self.passage_prompt + t for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # similar lengths pad less
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # Two requests in flight, results read back here in the calling thread. Why not
        # AsyncInferQueue with a Python callback: the callback runs in OpenVINO's stream
        # threads and needs the GIL there, and destroying the compiled model afterwards
        # (the build's encoder let go) joined a stream thread still waiting for the GIL that
        # the destroying thread held: a deadlock, seen in the suite.
        requests = [self.compiled.create_infer_request() for _ in range(REQUESTS)]
        pending: list[tuple[list[int], np.ndarray] | None] = [None] * REQUESTS

        def finish(slot: int) -> None:
            job = pending[slot]
            if job is not None:
                requests[slot].wait()
                rows, mask = job
                out[rows] = onnx_encoder.mean_pool(requests[slot].get_output_tensor(0).data, mask)
                pending[slot] = None

        for n, rows in enumerate(_batches(order, [len(e.ids) for e in encodings])):
            slot = n % REQUESTS
            finish(slot)
            ids, mask = onnx_encoder.pad_batch([encodings[i] for i in rows], self.pad_id)
            requests[slot].start_async({"input_ids": ids, "attention_mask": mask})
            pending[slot] = (rows, mask)
        for slot in range(REQUESTS):
            finish(slot)
        return out

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for this passage, prompt and special tokens included."""
        return len(self.counter.encode(self.passage_prompt + text).ids)


def _batches(order: list[int], lengths: list[int]) -> list[list[int]]:
    """Consecutive runs of ``order`` (shortest first): ``BATCH_SIZE`` texts, fewer when they are long.

    Why a token budget: attention's buffers grow with batch × length², and each
    request keeps its own. With 16 texts whatever their length, the 10k benchmark
    build peaked at 3.7 GB; on 3,000 chunks the budget cut the peak 3.1 → 2.7 GB
    (with ``SHAPE_CACHE`` 2.2 GB, at the same speed).
    """
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) == BATCH_SIZE or (len(current) + 1) * lengths[i] > MAX_BATCH_TOKENS):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def resolve_precision(requested: str | None, core: Any = None) -> str:
    """The precision a build really computes in: ``requested`` where the CPU can, else f32.

    Why not simply the request: OpenVINO ignores a bf16 hint on a CPU without native
    bf16 and computes in f32 (measured on an AMD EPYC without avx512_bf16: vectors
    within cosine 0.9999998 of f32's), and the manifest must say what the vectors are.
    """
    if requested not in PRECISIONS:
        requested = None
    if requested == "f32":
        return "f32"
    if core is None:
        import openvino as ov

        core = ov.Core()
    if native_bf16(core):
        return "bf16"
    if requested == "bf16":
        log.warning("bf16 asked for, but this CPU has no native bf16: passages are embedded in f32")
    return "f32"


def native_bf16(core: Any) -> bool:
    try:
        return "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:
        return False


def load(model_id: str, model_dir: Path, make_export: Callable[[Path], Any] = onnx_encoder.export_in_child,
         precision: str | None = None) -> OpenVinoPassageEncoder:
    """The OpenVINO passage encoder for a converted model folder, exporting the graph first if needed.

    ``precision`` None means bf16 where the CPU has it natively, else f32; bf16 on a CPU
    without it is f32 too (``resolve_precision``).
    """
    import openvino as ov  # ImportError → the caller falls back to torch

    core = ov.Core()
    precision = resolve_precision(precision, core)
    config = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "THROUGHPUT",
              "CPU_RUNTIME_CACHE_CAPACITY": str(SHAPE_CACHE)}
    compiled = onnx_encoder.open_export(model_dir, make_export,
                                        lambda path: core.compile_model(str(path), "CPU", config))
    facts = onnx_encoder.model_facts(model_dir)
    return OpenVinoPassageEncoder(
        model_id=model_id, dim=facts.dim, max_tokens=facts.max_tokens,
        passage_prompt=PASSAGE_PROMPT, compiled=compiled,
        tokenizer=onnx_encoder.load_tokenizer(model_dir, facts.max_tokens),
        counter=onnx_encoder.load_tokenizer(model_dir, None), pad_id=facts.pad_id, precision=precision)
