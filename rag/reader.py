"""The learned reader at question time: which words of the top paragraphs answer, and how surely.

ONNX Runtime runs the trained reader (``rag.reader_model``) over every window of the
paragraphs retrieval found, in one batch. The graph is exported once per machine and
weights file, in a child process (torch never enters the asking process), into
``<cache>/readers/``, keyed by the hash of the committed weights and of the converted
model, so new weights or a new conversion make a new export and a damaged one is
redone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index import settings
from index.model_convert import MARKER_FILE, ensure_bundled_model
from index.onnx_encoder import run_module_in_child, session

from . import reader_windows as rw
from .reader_spans import best_per_passage

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS = WEIGHTS_DIR / "reader.safetensors"
CARD = WEIGHTS_DIR / "reader.json"
GRAPH = "reader.onnx"
MAX_WINDOWS = 24  # windows read per question: the top paragraphs, a long one in several windows


@dataclass(frozen=True)
class Reading:
    """The reader's best span in one paragraph."""

    index: int  # which of the paragraphs given
    span: tuple[int, int]  # characters of the answer in that paragraph
    score: float  # start + end logit of the span
    null: float  # the no-answer score of the paragraph: minus its best window's answerability logit

    @property
    def margin(self) -> float:
        """How much more the reader believes the span than "no answer here" (> 0: it prefers the span)."""
        return self.score - self.null


class AnswerReader:
    """Reads (question, paragraphs) → one ``Reading`` per paragraph that has a span."""

    def __init__(self, session: Any, tokenizer: Any) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self._passages: dict[str, rw.Encoded] = {}  # tokenised paragraphs, the most recent kept
        self._lock = threading.Lock()

    def _encode_passage(self, text: str) -> rw.Encoded:
        with self._lock:
            found = self._passages.get(text)
            if found is None:
                if len(self._passages) > 4096:
                    self._passages.clear()
                found = self._passages[text] = rw.encode(self.tokenizer, text)
            return found

    def read(self, question: str, paragraphs: list[str]) -> list[Reading]:
        question_tokens = rw.encode(self.tokenizer, question)
        items: list[tuple[int, rw.Window]] = []
        for i, text in enumerate(paragraphs):
            for w in rw.windows(question_tokens, self._encode_passage(text)):
                items.append((i, w))
        items = items[:MAX_WINDOWS]
        if not items:
            return []
        width = max(len(w.input_ids) for _, w in items)
        ids = np.full((len(items), width), rw.PAD_ID, dtype=np.int64)
        for row, (_, w) in enumerate(items):
            ids[row, :len(w.input_ids)] = w.input_ids
        mask = (ids != rw.PAD_ID).astype(np.int64)
        start, end, answerable = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        best = best_per_passage((i, w, s, e, -float(a)) for (i, w), s, e, a in zip(items, start, end, answerable))
        return [Reading(i, best[i][1], best[i][0], best[i][2]) for i in sorted(best)]


GRAPH_FORMAT = b"outputs: start_logits, end_logits, answerable"  # a graph of another layout is exported again


def _stamp(model_dir: Path, weights: Path) -> str:
    digest = hashlib.sha256(weights.read_bytes())
    digest.update(GRAPH_FORMAT)
    marker = model_dir / MARKER_FILE
    digest.update(marker.read_bytes() if marker.exists() else b"")
    return digest.hexdigest()[:16]


def export_dir(model_dir: Path, weights: Path = WEIGHTS) -> Path:
    return settings.cache_dir() / "readers" / _stamp(model_dir, weights)


def _export(model_dir: Path, weights: Path, out: Path) -> None:
    """The ONNX graph made by ``python -m rag.reader_model export`` in a child process, then moved in place."""
    from filelock import FileLock

    out.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out) + ".lock", timeout=900):
        if (out / GRAPH).exists():
            return
        tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-", dir=out.parent))
        try:
            run_module_in_child(["rag.reader_model", "export", str(model_dir), str(tmp / GRAPH), str(weights)],
                                "the reader's ONNX export")
            if out.exists():
                shutil.rmtree(out)
            os.replace(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


_loaded: dict[str, AnswerReader] = {}
_load_lock = threading.Lock()


def load_reader(weights: Path | None = None) -> AnswerReader | None:
    """The reader for the committed weights, exported on first use; None when no weights are committed."""
    weights = weights or WEIGHTS
    if not weights.exists():
        return None
    with _load_lock:
        key = str(weights)
        if key in _loaded:
            return _loaded[key]
        import onnxruntime as ort

        model_dir = ensure_bundled_model()
        out = export_dir(model_dir, weights)
        for attempt in (1, 2):
            if not (out / GRAPH).exists():
                _export(model_dir, weights, out)
            try:
                graph = session(ort, out / GRAPH)
                break
            except Exception:  # a truncated or foreign file: made again once
                if attempt == 2:
                    raise
                shutil.rmtree(out, ignore_errors=True)
        reader = _loaded[key] = AnswerReader(graph, rw.load_tokenizer(model_dir))
        return reader
