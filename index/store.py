"""The index on disk: FAISS vectors, SQLite metadata and a JSON manifest, swapped in atomically.

Layout of an index directory::

    CURRENT               name of the live generation, replaced atomically (os.replace)
    gen-<time>-<pid>/     one complete build
        vectors.faiss     faiss.write_index; row i is chunk i
        meta.sqlite       documents, paragraphs, chunks
        bm25/             BM25 over the paragraphs in reading order (bm25_store: .npy + JSON)
        manifest.json     model, dimensions, chunking, per-document hashes, build time
    .build.lock           serialises builds

A build writes a new generation next to the live one and only then points
CURRENT at it, so a build killed half-way leaves the previous index usable.
Nothing here is pickled: FAISS has its own format, the rest is SQLite and JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from . import bm25_store
from .types import Chunk, Document, Paragraph

FORMAT_VERSION = 1
#: Above this many chunks exact search gives way to HNSW (recall measured in tests/benchmarks).
HNSW_THRESHOLD = int(os.environ.get("KALLKOLL_HNSW_THRESHOLD", "50000"))
HNSW_M = 32  # graph degree: more links, better recall, more memory (M * 2 * 4 bytes per vector)
HNSW_EF_CONSTRUCTION = 80  # breadth of the search while linking: build time against graph quality
#: Breadth at query time: recall against latency; set on load too. Measured on the full Riksdagen index
#: (102,829 chunks, 200 questions, ``scripts/hnsw_sweep.py``), recall@10 / recall@100 against exact search
#: and k=100 p50: efSearch 96 0.912 / 0.784, 0.4 ms; 256 0.958 / 0.895, 0.9 ms; 512 0.980 / 0.946, 1.7 ms;
#: 768 0.987 / 0.964, 2.5 ms. Small next to the 12 ms of embedding the question, so: 512.
HNSW_EF_SEARCH = 512

#: The one order of paragraphs that BM25 rows and the query side's paragraph table share.
PARAGRAPH_ORDER = "SELECT {columns} FROM paragraphs ORDER BY doc_id, number"

SCHEMA = """
CREATE TABLE documents (doc_id TEXT PRIMARY KEY, title TEXT, text TEXT, path TEXT,
                        content_hash TEXT, meta TEXT);
CREATE TABLE paragraphs (doc_id TEXT, number INTEGER, text TEXT, start INTEGER, "end" INTEGER,
                         kind TEXT, PRIMARY KEY (doc_id, number));
CREATE TABLE chunks (row INTEGER PRIMARY KEY, doc_id TEXT, ordinal INTEGER, paragraphs TEXT,
                     text TEXT, embed_text TEXT);
CREATE INDEX chunks_doc ON chunks (doc_id);
"""


class IndexError_(RuntimeError):
    """Base for index problems; the message always says which command fixes it."""


class IndexMissing(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass


class IndexModelMismatch(IndexError_):
    pass


def rebuild_hint(index_dir: Path) -> str:
    return f"Rebuild it with: python -m index build --index-dir {index_dir}"


# ---------------------------------------------------------------- writing

def make_faiss_index(vectors: np.ndarray) -> faiss.Index:
    """Exact inner product for small corpora; HNSW once exact search gets slow."""
    dim = vectors.shape[1]
    if len(vectors) >= HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_generation(index_dir: Path, manifest: dict, vectors: np.ndarray,
                     documents: list[Document], paragraphs: list[Paragraph],
                     chunks: list[Chunk]) -> Path:
    """Write a complete generation and make it current; return its directory."""
    index_dir.mkdir(parents=True, exist_ok=True)
    gen = index_dir / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    gen.mkdir()
    index = make_faiss_index(vectors)
    faiss.write_index(index, str(gen / "vectors.faiss"))
    _write_sqlite(gen / "meta.sqlite", documents, paragraphs, chunks)
    bm25_store.write(gen, _paragraph_texts(gen / "meta.sqlite"))
    manifest = {**manifest, "format_version": FORMAT_VERSION, "index_type": type(index).__name__,
                "chunks": len(chunks), "paragraphs": len(paragraphs), "documents_count": len(documents)}
    (gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    _fsync_dir(gen)
    tmp = index_dir / f".CURRENT.{os.getpid()}"
    tmp.write_text(gen.name)
    os.replace(tmp, index_dir / "CURRENT")
    _fsync_dir(index_dir)
    remove_stale_generations(index_dir)
    return gen


def _paragraph_texts(path: Path) -> list[str]:
    """Paragraph texts in the order ``IndexReader.iter_paragraphs`` yields them: BM25 rows follow it."""
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute(PARAGRAPH_ORDER.format(columns="text"))]
    finally:
        con.close()


def _write_sqlite(path: Path, documents: list[Document], paragraphs: list[Paragraph],
                  chunks: list[Chunk]) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA)
        con.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?)",
                        [(d.doc_id, d.title, d.text, d.path, d.content_hash,
                          json.dumps(d.meta, ensure_ascii=False)) for d in documents])
        con.executemany("INSERT INTO paragraphs VALUES (?,?,?,?,?,?)",
                        [(p.doc_id, p.number, p.text, p.start, p.end, p.kind) for p in paragraphs])
        con.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?)",
                        [(row, c.doc_id, c.ordinal, json.dumps(list(c.paragraphs)), c.text, c.embed_text)
                         for row, c in enumerate(chunks)])
        con.commit()
    finally:
        con.close()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_generations(index_dir: Path) -> None:
    """Delete generations that CURRENT no longer names (left by older or killed builds)."""
    current = _current_name(index_dir)
    for child in index_dir.glob("gen-*"):
        if child.name != current and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder, or None when no build has finished there."""
    name = _current_name(index_dir)
    return index_dir / name if name else None


def _current_name(index_dir: Path) -> str | None:
    try:
        return (index_dir / "CURRENT").read_text().strip() or None
    except OSError:
        return None


# ---------------------------------------------------------------- reading

@dataclass
class ChunkRef:
    """Where a vector row points: enough to rank without reading texts."""

    row: int
    doc_id: str
    paragraphs: tuple[int, ...]


@dataclass
class IndexReader:
    """A loaded generation: the FAISS index in memory, metadata read from SQLite on demand."""

    root: Path
    generation: Path
    manifest: dict
    faiss_index: faiss.Index
    chunk_refs: list[ChunkRef]
    documents: dict[str, Document]  # metadata only: ``text`` is "" here, see document_text()
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def _db(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            uri = f"file:{self.generation / 'meta.sqlite'}?mode=ro"
            con = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._local.con = con
        return con

    @property
    def model(self) -> str:
        return self.manifest["model"]

    def document_text(self, doc_id: str) -> str:
        row = self._db().execute("SELECT text FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else ""

    def paragraph(self, doc_id: str, number: int) -> Paragraph | None:
        row = self._db().execute(
            'SELECT doc_id, number, text, start, "end", kind FROM paragraphs WHERE doc_id=? AND number=?',
            (doc_id, number)).fetchone()
        return Paragraph(*row) if row else None

    def paragraphs_of(self, doc_id: str) -> list[Paragraph]:
        rows = self._db().execute(
            'SELECT doc_id, number, text, start, "end", kind FROM paragraphs WHERE doc_id=? ORDER BY number',
            (doc_id,)).fetchall()
        return [Paragraph(*r) for r in rows]

    def iter_paragraphs(self) -> Iterator[Paragraph]:
        """Every paragraph, ordered by document id and number (the query side's lexical index)."""
        for r in self._db().execute(PARAGRAPH_ORDER.format(columns='doc_id, number, text, start, "end", kind')):
            yield Paragraph(*r)

    def iter_paragraph_keys(self) -> Iterator[tuple[str, int, str]]:
        """(doc_id, number, kind) in the order of ``iter_paragraphs``, without reading the texts."""
        yield from self._db().execute(PARAGRAPH_ORDER.format(columns="doc_id, number, kind"))

    def chunk(self, row: int) -> Chunk:
        r = self._db().execute("SELECT doc_id, ordinal, paragraphs, text, embed_text FROM chunks WHERE row=?",
                               (row,)).fetchone()
        return Chunk(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4])

    def iter_chunk_texts(self) -> Iterator[tuple[int, str]]:
        yield from self._db().execute("SELECT row, text FROM chunks ORDER BY row")

    def iter_chunk_embed_texts(self) -> Iterator[tuple[int, str]]:
        """(row, the text its vector was embedded from): what a rebuild may reuse vectors by."""
        yield from self._db().execute("SELECT row, embed_text FROM chunks ORDER BY row")

    def chunks_of(self, doc_id: str) -> list[tuple[int, Chunk]]:
        rows = self._db().execute(
            "SELECT row, doc_id, ordinal, paragraphs, text, embed_text FROM chunks WHERE doc_id=? ORDER BY row",
            (doc_id,)).fetchall()
        return [(r[0], Chunk(r[1], r[2], tuple(json.loads(r[3])), r[4], r[5])) for r in rows]

    def vectors_of_rows(self, rows: list[int]) -> np.ndarray:
        """Stored vectors, so an incremental build need not embed unchanged documents again."""
        dim = self.faiss_index.d
        out = np.empty((len(rows), dim), dtype=np.float32)
        for i, row in enumerate(rows):
            out[i] = self.faiss_index.reconstruct(int(row))
        return out


def read_manifest(index_dir: Path) -> dict | None:
    """The live generation's manifest, or None when there is no usable index."""
    name = _current_name(index_dir)
    if not name:
        return None
    try:
        return json.loads((index_dir / name / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


def open_index(index_dir: Path, expect_model: str | None = None) -> IndexReader:
    """Load the live generation, checking it is complete, consistent and built by the expected model."""
    name = _current_name(index_dir)
    if not name:
        raise IndexMissing(f"No index in {index_dir}. {rebuild_hint(index_dir)}")
    gen = index_dir / name
    try:
        manifest = json.loads((gen / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"The index manifest in {gen} is missing or unreadable ({exc}). "
                           f"{rebuild_hint(index_dir)}") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexCorrupt(f"The index in {index_dir} has format {manifest.get('format_version')}, "
                           f"this program reads {FORMAT_VERSION}. {rebuild_hint(index_dir)}")
    if expect_model and manifest.get("model") != expect_model:
        raise IndexModelMismatch(
            f"The index in {index_dir} was built with the model {manifest.get('model')!r}, "
            f"but questions would be embedded with {expect_model!r}; their vectors are not comparable. "
            f"Rebuild with: python -m index build --index-dir {index_dir} (with KALLKOLL_MODEL={expect_model}), "
            f"or query with KALLKOLL_MODEL={manifest.get('model')}")
    try:
        index = faiss.read_index(str(gen / "vectors.faiss"))
    except Exception as exc:  # faiss raises RuntimeError on a truncated or foreign file
        raise IndexCorrupt(f"The vector file in {gen} is damaged ({str(exc).splitlines()[0][:200]}). "
                           f"{rebuild_hint(index_dir)}") from exc
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    try:
        con = sqlite3.connect(f"file:{gen / 'meta.sqlite'}?mode=ro", uri=True)
        try:
            refs = [ChunkRef(r[0], r[1], tuple(json.loads(r[2])))
                    for r in con.execute("SELECT row, doc_id, paragraphs FROM chunks ORDER BY row")]
            # texts stay on disk (document_text): a 15,000-document corpus would double the memory
            documents = {r[0]: Document(r[0], r[1], "", r[2], r[3], json.loads(r[4]))
                         for r in con.execute("SELECT doc_id, title, path, content_hash, meta FROM documents")}
            n_paragraphs = con.execute("SELECT COUNT(*) FROM paragraphs").fetchone()[0]
        finally:
            con.close()
    except (sqlite3.Error, ValueError) as exc:
        raise IndexCorrupt(f"The metadata in {gen} is damaged ({exc}). {rebuild_hint(index_dir)}") from exc
    if index.ntotal != len(refs) or index.d != manifest.get("dim"):
        raise IndexCorrupt(
            f"The index in {index_dir} is out of sync: {index.ntotal} vectors of dimension {index.d} "
            f"but {len(refs)} chunks of dimension {manifest.get('dim')}. {rebuild_hint(index_dir)}")
    if [r.row for r in refs] != list(range(len(refs))):
        raise IndexCorrupt(f"The chunk table in {gen} has gaps. {rebuild_hint(index_dir)}")
    # rows deleted from documents or paragraphs would otherwise crash a question (KeyError) or
    # silently lose its answer: the counts must be what the build wrote into the manifest
    found = (len(documents), n_paragraphs)
    expected = (manifest.get("documents_count", found[0]), manifest.get("paragraphs", found[1]))
    if found != expected or not {r.doc_id for r in refs} <= documents.keys():
        raise IndexCorrupt(
            f"The metadata in {gen} is out of sync with its manifest: {found[0]} documents and {found[1]} "
            f"paragraphs, expected {expected[0]} and {expected[1]}. {rebuild_hint(index_dir)}")
    return IndexReader(index_dir, gen, manifest, index, refs, documents)
