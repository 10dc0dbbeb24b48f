"""The build's OpenVINO passage encoder must give torch's vectors, chunks and rankings, only sooner.

Questions are embedded by ONNX Runtime in fp32 and passages by OpenVINO in bf16:
if the two drifted apart, every index would silently search with the wrong
vectors. So: the same token counts (the same chunks), cosine ≥ 0.9999 to torch on
real passages (seeds and SweQUAD-MC), the same best paragraph for every seed gold
question, and the fallbacks (torch selected, OpenVINO missing) still build.
"""

from __future__ import annotations

import json
import logging
import sys

import numpy as np
import pytest

from conftest import REPO, assert_vectors_match
from index import embedder, model_convert, openvino_encoder, settings
from index.embedder import load_passage_encoder
from index.store import current_generation

pytestmark = pytest.mark.model

GOLD = REPO / "tests" / "gold" / "seeds_gold.jsonl"


@pytest.fixture(scope="module")
def passages(seed_docs, swequad_dir) -> list[str]:
    """Every seed paragraph and 300 SweQUAD-MC pages (some far beyond the 512-token window)."""
    texts = [p.text for doc in seed_docs.values() for p in doc.paragraphs]
    lines = (swequad_dir / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:300]
    texts += [json.loads(line)["text"] for line in lines]
    return texts


@pytest.fixture(scope="module")
def openvino_default():
    encoder = load_passage_encoder()
    assert encoder.backend.startswith("openvino"), "openvino is a dependency: the default build encoder is OpenVINO"
    return encoder


def test_passage_vectors_equal_torch(encoder, openvino_default, passages):
    ours = openvino_default.encode_passages(passages)
    assert_vectors_match(ours, encoder.encode_passages(passages), 0.9999, openvino_default.backend)
    # each text gets its own vector back, whatever order the requests finish in
    assert float(openvino_default.encode_passages([passages[7]])[0] @ ours[7]) >= 0.9999
    off_diagonal = ours[:50] @ ours[:50].T - np.eye(50)
    assert off_diagonal.max() < 0.999


def test_f32_is_torch_to_the_float(encoder, passages):
    f32 = openvino_encoder.load(settings.DEFAULT_MODEL, model_convert.bundled_model_dir(),
                                torch_loader=lambda: encoder, precision="f32")
    assert f32.backend == "openvino-f32"
    sample = passages[:40] + passages[-40:]
    cosines = (f32.encode_passages(sample) * encoder.encode_passages(sample)).sum(axis=1)
    assert cosines.min() >= 0.99999


def test_token_counts_equal_torch_so_chunks_do_not_move(encoder, openvino_default, passages):
    ours = [openvino_default.count_tokens(t) for t in passages]
    assert ours == [encoder.count_tokens(t) for t in passages]
    assert max(ours) > 2 * openvino_default.max_tokens, "untruncated: long pages must count in full"


def test_every_gold_question_finds_the_same_best_paragraph(encoder, openvino_default, seed_docs):
    """Search the seed paragraphs with torch's question vectors: bf16 passages must not reorder the top."""
    texts = [p.text for doc in seed_docs.values() for p in doc.paragraphs]
    questions = [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    q = encoder.encode_queries(questions)
    torch_scores = q @ encoder.encode_passages(texts).T
    ours_scores = q @ openvino_default.encode_passages(texts).T
    assert (torch_scores.argmax(axis=1) == ours_scores.argmax(axis=1)).all()
    top5 = lambda s: [set(row) for row in np.argsort(-s, axis=1)[:, :5]]  # noqa: E731
    moved = sum(a != b for a, b in zip(top5(torch_scores), top5(ours_scores)))
    assert moved <= 2, f"{moved} of {len(questions)} questions changed their top-5 paragraphs"
    assert np.abs(torch_scores - ours_scores).max() < 2e-3


def test_seed_build_uses_openvino_and_says_so(seed_index_build):
    index_dir, summary = seed_index_build
    assert summary.encoder_backend.startswith("openvino")
    assert f"by {summary.encoder_backend}" in "\n".join(summary.lines())
    manifest = json.loads((current_generation(index_dir) / "manifest.json").read_text())
    assert manifest["passage_encoder"] == summary.encoder_backend


def test_torch_selected_by_setting(monkeypatch):
    monkeypatch.setenv("KALLKOLL_PASSAGE_BACKEND", "torch")
    assert load_passage_encoder().backend == "torch"
    monkeypatch.setenv("KALLKOLL_PASSAGE_BACKEND", "something else")
    assert settings.passage_backend() == "openvino"
    monkeypatch.setenv("KALLKOLL_PASSAGE_PRECISION", "f32")
    assert load_passage_encoder().backend == "openvino-f32"


def test_missing_openvino_falls_back_to_torch(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino → ImportError
    monkeypatch.setattr(embedder, "_passage_cache", {})  # nothing loaded yet; the real cache comes back after
    with caplog.at_level(logging.WARNING):
        encoder = load_passage_encoder()
    assert encoder.backend == "torch" and "using torch" in caplog.text
    assert encoder.encode_passages(["Kommunen sätter upp kameror."]).shape == (1, 384)
