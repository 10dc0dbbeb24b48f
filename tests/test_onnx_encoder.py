"""The ONNX question encoder must give torch's vectors, rankings and answers, only sooner.

Passages are embedded like torch at build time; if the question side drifted, every
index would silently search with the wrong vectors. So: same token ids, cosine
≥ 0.99999 on real questions (seed gold set, Swedish and English, plus SweQUAD-MC),
identical top-5 on the seed index, and the fallbacks (torch selected, ONNX Runtime
missing, damaged export) still answer.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, assert_vectors_match
from index import embedder, settings

pytestmark = pytest.mark.model

GOLD = REPO / "tests" / "gold" / "seeds_gold.jsonl"


def _questions(swequad_dir, swequad: int = 200) -> list[str]:
    gold = [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [json.loads(line) for line in (swequad_dir / "questions-train.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return gold + [r["question"] for r in rows[:swequad]]


@pytest.fixture(scope="module")
def onnx_encoder_default():
    encoder = embedder.load_query_encoder()
    assert encoder.backend == "onnx", "ONNX Runtime is a dependency: the default question encoder is ONNX"
    return encoder


def test_question_vectors_equal_torch(encoder, onnx_encoder_default, swequad_dir):
    questions = _questions(swequad_dir)
    assert len(questions) > 250
    ours = onnx_encoder_default.encode_queries(questions)
    torch_vectors = encoder.encode_queries(questions)
    assert_vectors_match(ours, torch_vectors, 0.99999, "ONNX")
    # one at a time (no padding) equals the batch
    assert float(onnx_encoder_default.encode_queries([questions[0]])[0] @ ours[0]) > 0.99999
    # the same tokens as sentence-transformers' tokenizer, prompt included
    hf_ids = encoder.model.tokenizer(["query: " + q for q in questions])["input_ids"]
    ort_ids = [e.ids for e in onnx_encoder_default.tokenizer.encode_batch(["query: " + q for q in questions])]
    assert ort_ids == hf_ids
    # and the vectors are distinct per question, not something trivially equal
    assert float((ours[:40] @ ours[:40].T)[np.triu_indices(40, 1)].min()) < 0.9


def test_long_question_is_truncated_like_torch(encoder, onnx_encoder_default):
    text = "Hur många trygghetskameror finns i Huddinge? " * 200  # far over 512 tokens
    a = onnx_encoder_default.encode_queries([text])[0]
    b = encoder.encode_queries([text])[0]
    assert float(a @ b) >= 0.99999


def test_same_ranking_on_the_seed_index(seed_index, monkeypatch):
    from rag.engine import Engine

    fast = Engine(seed_index)
    assert fast.retriever.encoder.backend == "onnx"
    monkeypatch.setenv("KALLKOLL_QUERY_BACKEND", "torch")
    slow = Engine(seed_index)
    assert slow.retriever.encoder.backend == "torch"
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    differing = 0
    for g in gold:
        a = [(h.doc_id, h.number) for h in fast.retriever.search(g["question"], k=5)]
        b = [(h.doc_id, h.number) for h in slow.retriever.search(g["question"], k=5)]
        differing += a != b
    assert differing == 0, f"{differing} of {len(gold)} gold questions ranked differently"
    answer = fast.ask("Hur många trygghetskameror ska Huddinge sätta upp?")
    assert "300 kameror" in answer.answer and not answer.abstained


def test_query_process_never_imports_torch(seed_index):
    """The point of the ONNX path: a question process starts without torch."""
    code = ("import sys; from rag.engine import Engine; e = Engine(sys.argv[1]); "
            "a = e.ask('Hur många trygghetskameror ska Huddinge sätta upp?'); "
            "print(e.retriever.encoder.backend, 'torch' in sys.modules, '300 kameror' in a.answer)")
    out = subprocess.run([sys.executable, "-c", code, str(seed_index)], cwd=REPO, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["onnx", "False", "True"]


def test_torch_selected_by_setting(monkeypatch):
    monkeypatch.setenv("KALLKOLL_QUERY_BACKEND", "torch")
    assert settings.query_backend() == "torch"
    assert embedder.load_query_encoder().backend == "torch"
    monkeypatch.setenv("KALLKOLL_QUERY_BACKEND", "something else")
    assert settings.query_backend() == "onnx"


def test_missing_onnxruntime_falls_back_to_torch(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime → ImportError
    monkeypatch.setattr(embedder, "_query_cache", {})  # nothing loaded yet; the real cache comes back after
    with caplog.at_level(logging.WARNING):
        encoder = embedder.load_query_encoder()
    assert encoder.backend == "torch" and "using torch" in caplog.text
    assert encoder.encode_queries(["Vad kostar kamerorna?"]).shape == (1, 384)
