"""How much recall HNSW's query-time breadth (efSearch) buys, against exact search, on a built index.

Why a script: ``index.store.HNSW_EF_SEARCH`` trades recall for milliseconds, and
the trade depends on the corpus size; this prints it for an existing index so the
constant is chosen from numbers. Used by ``benchmark.py`` (Scale section) too.

    .venv/bin/python scripts/hnsw_sweep.py --index-dir /path/to/index [--questions 200]

Questions: half SweQUAD-MC questions, half titles of the indexed documents (a
title reads like what a user asks about a document), embedded as questions.
For each efSearch: recall@10 of a k=10 search, recall@100 of a k=100 search (the
retriever fetches 100 candidates) and one-question latency. An index below the
HNSW threshold is exact: an HNSW over the same vectors is built for the sweep.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EF_VALUES = (64, 96, 128, 256, 384, 512, 768)
SWEQUAD_QUESTIONS = Path("/work/shared/eval/swequad-mc/questions-train.jsonl")


def sweep(hnsw, exact, queries: np.ndarray, ef_values=EF_VALUES) -> list[dict]:
    """Recall and latency of ``hnsw`` against ``exact`` for each efSearch (restored afterwards)."""
    saved = hnsw.hnsw.efSearch
    truth = {k: exact.search(queries, k)[1] for k in (10, 100)}
    rows = []
    try:
        for ef in ef_values:
            hnsw.hnsw.efSearch = ef
            row: dict = {"efSearch": ef}
            for k in (10, 100):
                found, latencies = [], []
                for q in queries:
                    t = time.perf_counter()
                    found.append(hnsw.search(q.reshape(1, -1), k)[1][0])
                    latencies.append((time.perf_counter() - t) * 1000)
                row[f"recall@{k}"] = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(truth[k], found)]))
                row[f"p50_ms@{k}"] = float(np.percentile(latencies, 50))
                row[f"p95_ms@{k}"] = float(np.percentile(latencies, 95))
            rows.append(row)
    finally:
        hnsw.hnsw.efSearch = saved
    return rows


def format_rows(rows: list[dict]) -> list[str]:
    return [f"efSearch {r['efSearch']:>4}: recall@10 {r['recall@10']:.3f}  recall@100 {r['recall@100']:.3f}  "
            f"k=100 p50/p95 {r['p50_ms@100']:.2f} / {r['p95_ms@100']:.2f} ms" for r in rows]


def sample_questions(reader, n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    titles = sorted({d.title for d in reader.documents.values() if d.title})
    questions = []
    if SWEQUAD_QUESTIONS.is_file():
        pool = [json.loads(line)["question"] for line in SWEQUAD_QUESTIONS.open(encoding="utf-8")]
        questions = rng.sample(pool, min(n // 2, len(pool)))
    return questions + rng.sample(titles, min(n - len(questions), len(titles)))


def main() -> None:
    import faiss

    from index import store
    from index.embedder import load_query_encoder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    reader = store.open_index(args.index_dir)
    index = reader.faiss_index
    vectors = index.reconstruct_n(0, index.ntotal)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    if not isinstance(index, faiss.IndexHNSW):
        index = faiss.IndexHNSWFlat(vectors.shape[1], store.HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = store.HNSW_EF_CONSTRUCTION
        index.add(vectors)
    questions = sample_questions(reader, args.questions)
    encoder = load_query_encoder(reader.model)
    queries = np.vstack([encoder.encode_queries([q]) for q in questions]).astype(np.float32)
    print(f"{index.ntotal} vectors, {len(questions)} questions, M={store.HNSW_M}, "
          f"efConstruction={store.HNSW_EF_CONSTRUCTION}, product efSearch={store.HNSW_EF_SEARCH}")
    print("\n".join(format_rows(sweep(index, exact, queries))))


if __name__ == "__main__":
    main()
