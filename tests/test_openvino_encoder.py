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
from dataclasses import dataclass

import numpy as np
import pytest

from conftest import REPO, assert_vectors_match, release_build_encoders
from index import embedder, openvino_encoder, settings
from index.embedder import load_passage_encoder
from index.store import current_generation

pytestmark = pytest.mark.model

GOLD = REPO / "tests" / "gold" / "seeds_gold.jsonl"


@pytest.fixture(scope="module")
def seed_paragraphs(seed_docs) -> list[str]:
    return [p.text for doc in seed_docs.values() for p in doc.paragraphs]


@pytest.fixture(scope="module")
def passages(seed_paragraphs, swequad_dir) -> list[str]:
    """Every seed paragraph, then 64 SweQUAD-MC pages, all beyond the 512-token window.

    Every fifth of the first 300 pages and the four longest of them (up to 4,684
    characters): 300 pages cost 205 s of torch and OpenVINO embedding on a 2-core
    machine and covered nothing more (min cosine 0.99999 either way).
    """
    lines = (swequad_dir / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:300]
    pages = [json.loads(line)["text"] for line in lines]
    longest = sorted(range(len(pages)), key=lambda i: -len(pages[i]))[:4]
    chosen = sorted(set(range(0, len(pages), 5)) | set(longest))
    return seed_paragraphs + [pages[i] for i in chosen]


@dataclass(frozen=True)
class TorchReference:
    passage_vectors: np.ndarray  # of ``passages``
    token_counts: list[int]  # of ``passages``
    question_vectors: np.ndarray  # of the seed gold questions


def _gold_questions() -> list[str]:
    return [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


_TORCH_CHILD = """
import json, sys
import numpy as np
from index import embedder
job = json.loads(open(sys.argv[1], encoding="utf-8").read())
encoder = embedder.load_encoder()
np.save(sys.argv[2] + "-passages.npy", encoder.encode_passages(job["passages"]))
np.save(sys.argv[2] + "-questions.npy", encoder.encode_queries(job["questions"]))
open(sys.argv[2] + "-counts.json", "w").write(json.dumps([encoder.count_tokens(t) for t in job["passages"]]))
"""


@pytest.fixture(scope="module")
def torch_reference(passages, tmp_path_factory) -> TorchReference:
    """What torch computes for the module's comparisons, once, in a child process: torch with long
    pages embedded (~1.5 GB) never shares this process with OpenVINO (~1.7-2.0 GB), and the child
    hands its memory back when it ends (in-process, the module peaked at 4.4 GB)."""
    import subprocess

    folder = tmp_path_factory.mktemp("torch-reference")
    job = folder / "job.json"
    job.write_text(json.dumps({"passages": passages, "questions": _gold_questions()}, ensure_ascii=False),
                   encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", _TORCH_CHILD, str(job), str(folder / "out")], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return TorchReference(np.load(folder / "out-passages.npy"),
                          json.loads((folder / "out-counts.json").read_text()),
                          np.load(folder / "out-questions.npy"))


@pytest.fixture(scope="module")
def torch_vectors(torch_reference) -> np.ndarray:
    return torch_reference.passage_vectors


@dataclass(frozen=True)
class OpenVinoResults:
    """What the default OpenVINO encoder computes for the module's comparisons."""

    backend: str
    max_tokens: int
    passage_vectors: np.ndarray  # of ``passages``
    alone: np.ndarray  # passage 7 embedded on its own
    token_counts: list[int]  # of ``passages``
    seed_vectors: np.ndarray  # of the seed paragraphs, embedded as a batch of their own


@pytest.fixture(scope="module")
def openvino_default(torch_reference, passages, seed_paragraphs) -> OpenVinoResults:
    """The OpenVINO encoder at the precision the settings ask for (also when the build is set to torch),
    its results computed once and the encoder then let go: bf16 and f32 compiled models (~1.7 and
    ~2.0 GB once they have embedded long pages) are never held together, nor with torch."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("KALLKOLL_PASSAGE_BACKEND", raising=False)
        encoder = load_passage_encoder()
    assert encoder.backend.startswith("openvino"), "openvino is a dependency: the default build encoder is OpenVINO"
    results = OpenVinoResults(encoder.backend, encoder.max_tokens, encoder.encode_passages(passages),
                              encoder.encode_passages([passages[7]])[0],
                              [encoder.count_tokens(t) for t in passages], encoder.encode_passages(seed_paragraphs))
    del encoder
    release_build_encoders()
    return results


def test_passage_vectors_equal_torch(torch_vectors, openvino_default):
    ours = openvino_default.passage_vectors
    assert_vectors_match(ours, torch_vectors, 0.9999, openvino_default.backend)
    # each text gets its own vector back, whatever order the requests finish in
    assert float(openvino_default.alone @ ours[7]) >= 0.9999
    off_diagonal = ours[:50] @ ours[:50].T - np.eye(50)
    assert off_diagonal.max() < 0.999


def test_f32_is_torch_to_the_float(torch_vectors, passages, monkeypatch):
    monkeypatch.delenv("KALLKOLL_PASSAGE_BACKEND", raising=False)  # OpenVINO's f32, whatever the build is set to
    monkeypatch.setenv("KALLKOLL_PASSAGE_PRECISION", "f32")
    f32 = load_passage_encoder()  # where the CPU has no bf16 this is the default encoder itself
    assert f32.backend == "openvino-f32" and f32.precision == "f32"
    sample = list(range(40)) + list(range(len(passages) - 40, len(passages)))
    cosines = (f32.encode_passages([passages[i] for i in sample]) * torch_vectors[sample]).sum(axis=1)
    del f32
    release_build_encoders()
    assert cosines.min() >= 0.99999


def test_bf16_is_used_only_where_the_cpu_computes_it(monkeypatch):
    """A bf16 request on a CPU without native bf16 runs (and is recorded as) f32: OpenVINO ignores the hint."""
    import openvino as ov

    native = openvino_encoder.native_bf16(ov.Core())
    assert openvino_encoder.resolve_precision("bf16") == ("bf16" if native else "f32")
    assert openvino_encoder.resolve_precision(None) == ("bf16" if native else "f32")
    assert openvino_encoder.resolve_precision("f32") == "f32"
    monkeypatch.delenv("KALLKOLL_PASSAGE_BACKEND", raising=False)
    monkeypatch.setenv("KALLKOLL_PASSAGE_PRECISION", "bf16")
    assert load_passage_encoder().precision == ("bf16" if native else "f32")


def test_token_counts_equal_torch_so_chunks_do_not_move(torch_reference, openvino_default, passages):
    ours = openvino_default.token_counts
    assert ours == torch_reference.token_counts
    assert max(ours) > 2 * openvino_default.max_tokens, "untruncated: long pages must count in full"


def test_every_gold_question_finds_the_same_best_paragraph(torch_reference, torch_vectors, openvino_default,
                                                           seed_paragraphs):
    """Search the seed paragraphs with torch's question vectors: bf16 passages must not reorder the top."""
    q = torch_reference.question_vectors
    torch_scores = q @ torch_vectors[:len(seed_paragraphs)].T
    ours_scores = q @ openvino_default.seed_vectors.T
    assert (torch_scores.argmax(axis=1) == ours_scores.argmax(axis=1)).all()
    top5 = lambda s: [set(row) for row in np.argsort(-s, axis=1)[:, :5]]  # noqa: E731
    moved = sum(a != b for a, b in zip(top5(torch_scores), top5(ours_scores)))
    assert moved <= 2, f"{moved} of {len(q)} questions changed their top-5 paragraphs"
    assert np.abs(torch_scores - ours_scores).max() < 2e-3


def test_seed_build_records_its_encoder_and_precision(seed_index_build):
    """OpenVINO unless ``KALLKOLL_PASSAGE_BACKEND=torch``; the summary and the manifest say which, and in what."""
    index_dir, summary = seed_index_build
    encoder = load_passage_encoder()
    assert summary.encoder_backend == encoder.backend
    if settings.passage_backend() == "openvino":
        assert summary.encoder_backend.startswith("openvino")
    assert f"by {summary.encoder_backend}" in "\n".join(summary.lines())
    manifest = json.loads((current_generation(index_dir) / "manifest.json").read_text())
    assert manifest["passage_encoder"] == summary.encoder_backend
    assert manifest["passage_precision"] == encoder.precision in ("bf16", "f32")
    del encoder
    release_build_encoders()


def test_torch_selected_by_setting(monkeypatch):
    monkeypatch.setenv("KALLKOLL_PASSAGE_BACKEND", "torch")
    assert load_passage_encoder().backend == "torch"
    release_build_encoders()
    monkeypatch.setenv("KALLKOLL_PASSAGE_BACKEND", "something else")
    assert settings.passage_backend() == "openvino"
    monkeypatch.setenv("KALLKOLL_PASSAGE_PRECISION", "f32")
    assert load_passage_encoder().backend == "openvino-f32"


def test_missing_openvino_falls_back_to_torch(monkeypatch, caplog):
    monkeypatch.delenv("KALLKOLL_PASSAGE_BACKEND", raising=False)  # the fallback, not the setting, chooses torch
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino → ImportError
    monkeypatch.setattr(embedder, "_passage_cache", {})  # nothing loaded yet; the real cache comes back after
    with caplog.at_level(logging.WARNING):
        encoder = load_passage_encoder()
    assert encoder.backend == "torch" and "using torch" in caplog.text
    assert encoder.encode_passages(["Kommunen sätter upp kameror."]).shape == (1, 384)
