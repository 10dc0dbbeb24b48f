"""The BM25 index over paragraphs, built once per index generation and memory-mapped by queries.

Why stored and not built when a question process starts: analysing and indexing
110,206 Riksdagen paragraphs took 10.3 of the 13.4 s of a cold
``python -m rag ask`` (pyinstrument). Built here it costs the same ~10 s once per
build, next to an hour of embedding; loaded, its arrays are memory-mapped
(``np.load(mmap_mode="r")`` through bm25s; nothing is pickled) and cost well under a
second.

The stored index answers only what it was built for: ``read`` returns None when
the files are missing, damaged, or were made with other BM25 parameters or
another text analysis, and the query side then builds it in memory from the
paragraphs (slower start, same answers).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import bm25s

from .analysis import ANALYZER_VERSION, Analyzer

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
log = logging.getLogger(__name__)

FOLDER = "bm25"
#: BM25 term-frequency saturation and length normalisation. Paragraphs are short and a repeated word
#: says little more than one mention, so both are low. Measured (SweQUAD-MC recall@5 / MRR; seed gold
#: recall@3 / MRR): k1 1.2, b 0.75 (the common default) 0.900 / 0.800, 0.935 / 0.818; k1 0.9, b 0.4
#: 0.913 / 0.808; k1 0.5, b 0.5 0.915 / 0.812; k1 0.4, b 0.4 0.915 / 0.818, 0.935 / 0.819; k1 0.3,
#: b 0.3 0.912 / 0.813, 0.914 / 0.811; k1 1.2, b 0.9 0.895 / 0.791. RRF k 10/40 and dense weight
#: 0.8/1.2 re-checked with k1 0.4, b 0.4: no better than k 20, weight 1.0 on both sets.
BM25_K1 = 0.4
BM25_B = 0.4


def stamp() -> dict:
    """What a stored index must have been built with to be used as is."""
    return {"k1": BM25_K1, "b": BM25_B, "analyzer": ANALYZER_VERSION}


def build(texts: list[str], analyzer: Analyzer) -> bm25s.BM25:
    """BM25 over ``texts`` (in this order: position i is text i)."""
    corpus = [analyzer.terms(t) for t in texts]
    bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
    bm25.index(corpus if corpus else [[""]], show_progress=False)  # an empty index still needs one row
    return bm25


def write(generation: Path, texts: list[str]) -> None:
    """Build and save the BM25 index of a generation's paragraphs (texts in the readers' order)."""
    folder = generation / FOLDER
    build(texts, Analyzer()).save(folder, show_progress=False)
    (folder / "stamp.json").write_text(json.dumps({**stamp(), "texts": len(texts)}))


def read(generation: Path, expected_texts: int) -> bm25s.BM25 | None:
    """The stored index, memory-mapped; None when it cannot be trusted for ``expected_texts`` paragraphs."""
    folder = generation / FOLDER
    try:
        saved = json.loads((folder / "stamp.json").read_text())
    except (OSError, ValueError):
        return None  # an index from before BM25 was stored, or a damaged one: rebuilt in memory
    if {k: saved.get(k) for k in stamp()} != stamp() or saved.get("texts") != expected_texts:
        log.info("stored BM25 index in %s was made with %s; rebuilding it in memory", folder, saved)
        return None
    try:
        bm25 = bm25s.BM25.load(folder, mmap=True, allow_pickle=False, show_progress=False)
        terms = len(bm25.vocab_dict) - ("" in bm25.vocab_dict)  # bm25s adds "" for unknown tokens
        if int(bm25.scores["num_docs"]) != max(expected_texts, 1) or len(bm25.scores["indptr"]) != terms + 1:
            raise ValueError(f"{bm25.scores['num_docs']} texts, {terms} terms, "
                             f"{len(bm25.scores['indptr']) - 1} term columns")
        return bm25
    except Exception as exc:  # truncated .npy, bad JSON: anything the files can do
        log.warning("stored BM25 index in %s is damaged (%s: %s); rebuilding it in memory",
                    folder, type(exc).__name__, exc)
        return None
