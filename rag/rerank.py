"""Optional cross-encoder reranking of the fused hits.

Why optional: a cross-encoder reads question and paragraph together and ranks
better than bi-encoder + BM25, but none ships offline here. When
``KALLKOLL_RERANKER`` names a local sentence-transformers CrossEncoder folder,
the top ``RERANK_DEPTH`` hits are re-ordered by it; otherwise nothing changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from .retrieve import Hit

RERANK_DEPTH = 20  # hits the cross-encoder reads: each costs one forward pass


@dataclass
class Reranker:
    model: Any  # sentence_transformers.CrossEncoder

    def rerank(self, question: str, hits: list[Hit], texts: list[str]) -> list[Hit]:
        head, tail = hits[:RERANK_DEPTH], hits[RERANK_DEPTH:]
        if len(head) < 2:
            return hits
        scores = self.model.predict([(question, t) for t in texts[:len(head)]], show_progress_bar=False)
        order = sorted(range(len(head)), key=lambda i: -float(scores[i]))
        return [replace(head[i], score=float(scores[i])) for i in order] + tail


def reranker_from_env(path: str | None = None) -> Reranker | None:
    path = path or os.environ.get("KALLKOLL_RERANKER")
    if not path:
        return None
    from sentence_transformers import CrossEncoder

    from index.embedder import ModelNotAvailable

    try:
        return Reranker(CrossEncoder(path, device="cpu", local_files_only=True))
    except Exception as exc:
        raise ModelNotAvailable(f"Could not load the reranker {path!r} ({exc}); unset KALLKOLL_RERANKER "
                                "or give a local CrossEncoder folder.") from exc
