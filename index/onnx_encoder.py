"""Questions embedded without torch: the bundled e5 exported once to ONNX and run by ONNX Runtime.

Why: a question needs one forward pass of a small model, but the torch path
first imports torch, transformers and sentence-transformers (about 4.7 s of a
7 s cold ``python -m rag ask``) and then spends ~25 ms per warm question, most
of a warm query. ONNX Runtime imports in ~0.2 s and embeds a question in about
half the time, and the app no longer holds torch in memory just to answer.

What must not change: the vectors. Passages were embedded by torch (now by
OpenVINO from this same export, ``openvino_encoder``, cosine ≥ 0.9999 to torch),
so the question side reproduces exactly what sentence-transformers does
for e5 — the same ``tokenizer.json`` (truncated at the model's 512 tokens), the
same weights (exported fp32, not quantized), mean pooling over the attention
mask, L2 normalisation. Measured against torch on the gold questions: identical
token ids and cosine ≥ 0.99999 (``tests/test_onnx_encoder.py``).

The export needs torch and the ``onnx`` package, so it runs once, on the first
question after a model conversion, into ``<cache>/models/<model>-onnx/``;
afterwards only onnxruntime and tokenizers are imported. Anything that goes
wrong here makes the caller fall back to the torch encoder (``embedder``).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

import numpy as np

from .model_convert import QUERY_PROMPT

log = logging.getLogger(__name__)

#: Bump when the exported graph changes, so cached exports are redone.
EXPORTER_VERSION = "1"
ONNX_FILE = "model.onnx"
#: The weights, beside the graph: ONNX Runtime memory-maps external data, so a process loads the
#: 470 MB of fp32 weights in ~0.2 s and keeps only the pages it touches (measured: resident 151 MB
#: instead of 571 MB, load 0.18 s instead of 1.5 s, same 8 ms per question).
DATA_FILE = "model.onnx.data"
MARKER_FILE = "kallkoll-onnx.json"
#: The source conversion's marker; the export is current only for exactly that conversion.
SOURCE_MARKER = "kallkoll-conversion.json"
OPSET = 17
_LOCK_TIMEOUT_S = 900
T = TypeVar("T")


@dataclass(frozen=True)
class OnnxQueryEncoder:
    """Embeds questions like ``Encoder.encode_queries``; safe to share between threads (ORT runs are)."""

    model_id: str
    dim: int
    max_tokens: int
    query_prompt: str
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer, truncation set once at load
    pad_id: int
    backend: str = "onnx"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids, mask = pad_batch(self.tokenizer.encode_batch([self.query_prompt + t for t in texts]), self.pad_id)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return mean_pool(hidden, mask)


def pad_batch(encodings: list[Any], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask padded to the longest encoding, as the exported graph takes them."""
    width = max(len(e.ids) for e in encodings)
    ids = np.full((len(encodings), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for row, enc in enumerate(encodings):
        ids[row, : len(enc.ids)] = enc.ids
        mask[row, : len(enc.ids)] = 1
    return ids, mask


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean Pooling, then its Normalize module: the graph ends at the hidden states."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.ascontiguousarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)


@dataclass(frozen=True)
class ModelFacts:
    """What both runtimes of the export need to know about the converted model."""

    dim: int
    max_tokens: int
    pad_id: int


def model_facts(model_dir: Path) -> ModelFacts:
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    st_config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return ModelFacts(dim=int(config["hidden_size"]), max_tokens=int(st_config.get("max_seq_length") or 512),
                      pad_id=int(config.get("pad_token_id", 1)))


def load_tokenizer(model_dir: Path, truncate_at: int | None) -> Any:
    """sentence-transformers' own ``tokenizer.json``; truncated like it at the model's window, or not at all."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    if truncate_at:
        tok.enable_truncation(truncate_at)
    else:
        tok.no_truncation()
    tok.no_padding()
    return tok


def onnx_dir(model_dir: Path) -> Path:
    """Next to the converted model, not inside it: the converter swaps its folder as a whole."""
    return model_dir.parent / f"{model_dir.name}-onnx"


def _source_stamp(model_dir: Path) -> str:
    """What the export was made from: the conversion marker's text (source hash + converter version)."""
    return (model_dir / SOURCE_MARKER).read_text(encoding="utf-8")


def is_current(model_dir: Path) -> bool:
    out = onnx_dir(model_dir)
    try:
        marker = json.loads((out / MARKER_FILE).read_text(encoding="utf-8"))
        return (
            marker.get("exporter_version") == EXPORTER_VERSION
            and marker.get("source_stamp") == _source_stamp(model_dir)
            and (out / ONNX_FILE).stat().st_size == marker.get("onnx_bytes")
            and (out / DATA_FILE).stat().st_size == marker.get("data_bytes")
        )
    except (OSError, ValueError, AttributeError):
        return False


def export(load_source: Callable[[], Any], model_dir: Path) -> Path:
    """Export the transformer of a sentence-transformers e5 to ``onnx_dir(model_dir)``.

    Pooling and normalisation stay in numpy (``OnnxQueryEncoder``), so the graph is
    the plain BertModel: input_ids, attention_mask → last_hidden_state. ``load_source``
    loads the torch model only once the lock is held and the export is still needed;
    the model is let go before the graph is re-saved with its weights beside it.
    """
    from filelock import FileLock

    out = onnx_dir(model_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out) + ".lock", timeout=_LOCK_TIMEOUT_S):
        if is_current(model_dir):  # another process finished it while we waited
            return out
        log.info("Exporting the question encoder to ONNX once (%s)", out)
        started = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-", dir=out.parent))
        try:
            whole = tmp / "whole.onnx"
            _torch_export(load_source(), whole)
            gc.collect()  # the torch model is gone: re-saving holds the graph twice, not three times
            _save_external(whole, tmp / ONNX_FILE)
            marker = {
                "exporter_version": EXPORTER_VERSION,
                "source_stamp": _source_stamp(model_dir),
                "onnx_bytes": (tmp / ONNX_FILE).stat().st_size,
                "data_bytes": (tmp / DATA_FILE).stat().st_size,
                "opset": OPSET,
                "seconds": round(time.perf_counter() - started, 1),
            }
            (tmp / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
            if out.exists():
                shutil.rmtree(out)
            os.replace(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _torch_export(torch_encoder: Any, target: Path) -> None:
    import warnings

    import torch

    bert = torch_encoder.model[0].auto_model

    class LastHiddenState(torch.nn.Module):
        """The BertModel with plain tensor inputs and one output, as ONNX wants it."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    sample = torch_encoder.model.tokenizer(["query: ett exempel", "query: en längre exempelmening här"],
                                           padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "last_hidden_state")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about Python branches on shapes: the graph is checked by tests
        # dynamo=False: the TorchScript exporter needs only the `onnx` package, not onnxscript
        torch.onnx.export(LastHiddenState(bert).eval(), (sample["input_ids"], sample["attention_mask"]),
                          str(target), input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET,
                          dynamo=False, do_constant_folding=False)  # ORT and OpenVINO fold; folding here cost 0.4 GB


def _save_external(whole: Path, target: Path) -> None:
    """The exported graph re-saved with its weights in ``DATA_FILE`` (ONNX Runtime and OpenVINO read both)."""
    import onnx

    graph = onnx.load(str(whole))
    whole.unlink()
    onnx.save_model(graph, str(target), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=DATA_FILE, size_threshold=1024)


def export_in_child(model_dir: Path) -> None:
    """Make the export in a child Python process (``python -m index.onnx_encoder MODEL_DIR``).

    Why a child: the export holds torch's model and TorchScript's copy of every weight at
    once, ~3 GB at its peak, for a file made once per machine. In the process that asks
    (the app, a build, the test suite) it stayed resident afterwards; the child gives it
    all back when it exits, and the asking process never imports torch.
    """
    run_module_in_child(["index.onnx_encoder", str(model_dir)], "the ONNX export")


def run_module_in_child(args: list[str], what: str) -> None:
    """``python -m ARGS`` in a child with this checkout importable; a failure raises with its last stderr line."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")) if p))
    done = subprocess.run([sys.executable, "-m", *args], env=env, capture_output=True, text=True,
                          timeout=_LOCK_TIMEOUT_S)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise RuntimeError(f"{what} failed: {lines[-1] if lines else f'exit {done.returncode}'}")


def open_export(model_dir: Path, make_export: Callable[[Path], Any], open_graph: Callable[[Path], T]) -> T:
    """``open_graph`` on the current export, exporting first if needed.

    ``make_export(model_dir)`` writes the export (``export_in_child``), called only when
    one is needed (first use, or a damaged export, which is redone once before giving up).
    """
    for attempt in (1, 2):
        if not is_current(model_dir):
            make_export(model_dir)
        try:
            return open_graph(onnx_dir(model_dir) / ONNX_FILE)
        except Exception as exc:  # a truncated or foreign file: redo the export once
            if attempt == 2:
                raise
            log.warning("The ONNX export could not be loaded (%s); exporting it again", exc)
            shutil.rmtree(onnx_dir(model_dir), ignore_errors=True)
    raise AssertionError("unreachable")


def load(model_id: str, model_dir: Path, make_export: Callable[[Path], Any] = export_in_child) -> OnnxQueryEncoder:
    """The ONNX question encoder for a converted model folder, exporting it first if needed."""
    import onnxruntime as ort  # ImportError → the caller falls back to torch

    facts = model_facts(model_dir)
    graph = open_export(model_dir, make_export, lambda path: session(ort, path))
    return OnnxQueryEncoder(model_id=model_id, dim=facts.dim, max_tokens=facts.max_tokens,
                            query_prompt=QUERY_PROMPT, session=graph,
                            tokenizer=load_tokenizer(model_dir, facts.max_tokens), pad_id=facts.pad_id)


def session(ort: Any, path: Path) -> Any:
    """An ONNX Runtime session tuned for small batches on this machine's cores (question encoder, reader)."""
    options = ort.SessionOptions()
    # one question is a small graph: all cores on the matrix products, no parallel branches to run
    options.intra_op_num_threads = max(1, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: the export's shape-inference notes are not news
    # No memory arena: ONNX Runtime's arena grows to the largest batch ever run and never shrinks.
    # Measured (question encoder, 2-core EPYC): after 64 long passages in one batch it held 4,558 MB
    # with the arena, 731 MB without; a single question took 15-16 ms either way.
    options.enable_cpu_mem_arena = False
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _export_from_folder(model_dir: Path) -> None:
    """The child's side of ``export_in_child``: load the converted folder with torch and export it."""
    from types import SimpleNamespace

    from sentence_transformers import SentenceTransformer

    export(lambda: SimpleNamespace(model=SentenceTransformer(str(model_dir), device="cpu")), model_dir)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    _export_from_folder(Path(sys.argv[1]))
