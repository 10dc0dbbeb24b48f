"""The BM25 index stored with each generation: used as is, equal to one built in memory, never trusted blindly.

A question process memory-maps the stored index instead of analysing every
paragraph again (10 s of a cold ask at 110,000 paragraphs). These tests check
that the stored index scores exactly like an in-memory build over the same
paragraphs, and that a damaged or mismatched one is replaced by an in-memory
build with the same answers, not used and not fatal.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from index import bm25_store
from index.store import current_generation

pytestmark = pytest.mark.model

CAMERAS = "Hur många trygghetskameror ska Huddinge sätta upp?"



def _gold_questions() -> list[str]:
    rows = [json.loads(line) for line in (REPO / "tests" / "gold" / "seeds_gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows]


def test_build_stores_bm25_over_every_paragraph(seed_index):
    folder = current_generation(seed_index) / bm25_store.FOLDER
    stamp = json.loads((folder / "stamp.json").read_text())
    manifest = json.loads((current_generation(seed_index) / "manifest.json").read_text())
    assert stamp == {**bm25_store.stamp(), "texts": manifest["paragraphs"]}
    for name in ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy"):
        assert (folder / name).read_bytes().startswith(b"\x93NUMPY")  # plain arrays, loaded without pickle


def test_engine_memory_maps_the_stored_index(seed_index):
    from rag.engine import Engine

    lexical = Engine(seed_index).retriever.lexical
    assert isinstance(lexical._bm25.scores["data"], np.memmap)
    assert lexical.size == json.loads((current_generation(seed_index) / "manifest.json").read_text())["paragraphs"]


def test_stored_index_scores_like_an_in_memory_build(seed_index):
    from index.store import open_index
    from rag.lexical import LexicalIndex

    reader = open_index(seed_index)
    texts = [p.text for p in reader.iter_paragraphs()]
    stored = LexicalIndex(size=len(texts), stored=bm25_store.read(reader.generation, len(texts)))
    fresh = LexicalIndex(texts)
    assert stored.analyzer.vocab == fresh.analyzer.vocab and len(stored.analyzer.vocab) > 500
    questions = _gold_questions()
    nonzero = 0
    for q in questions:
        a, b = stored.scores(q), fresh.scores(q)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
        nonzero += bool(a.any())
    assert nonzero >= 0.9 * len(questions)


def _damage_data(gen: Path) -> None:
    path = gen / bm25_store.FOLDER / "data.csc.index.npy"
    path.write_bytes(path.read_bytes()[:40])


def _other_k1(gen: Path) -> None:
    path = gen / bm25_store.FOLDER / "stamp.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "k1": 1.2}))


def _wrong_count(gen: Path) -> None:
    path = gen / bm25_store.FOLDER / "stamp.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "texts": 3}))


def _garbage_vocab(gen: Path) -> None:
    (gen / bm25_store.FOLDER / "vocab.index.json").write_text("{not json")


def _missing(gen: Path) -> None:
    import shutil

    shutil.rmtree(gen / bm25_store.FOLDER)


@pytest.mark.parametrize("damage", [_damage_data, _other_k1, _wrong_count, _garbage_vocab, _missing],
                         ids=["truncated-data", "other-k1", "other-paragraph-count", "garbage-vocab", "missing"])
def test_untrustworthy_stored_index_is_rebuilt_in_memory(seed_index_copy, damage, caplog):
    from rag.engine import Engine

    before = Engine(seed_index_copy).ask(CAMERAS)
    damage(current_generation(seed_index_copy))
    with caplog.at_level(logging.INFO, logger="index.bm25_store"):
        engine = Engine(seed_index_copy)
    assert not isinstance(engine.retriever.lexical._bm25.scores["data"], np.memmap)  # built in memory
    after = engine.ask(CAMERAS)
    assert "300 kameror" in after.answer
    assert [(c.doc_id, c.paragraph) for c in after.citations] == [(c.doc_id, c.paragraph) for c in before.citations]
    if damage in (_damage_data, _garbage_vocab):
        assert "damaged" in caplog.text
