"""Documents to a searchable index, incrementally, without ever leaving a broken one behind.

Embedding is the only expensive step (about 50 paragraphs a second on two
cores), so a rebuild embeds only documents that are new or changed and copies
the vectors of the rest from the live index. The whole result is written as a
new generation and swapped in (see store.py); a lock makes concurrent builds
wait their turn instead of interleaving.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock
from tqdm import tqdm

from . import settings
from .chunking import ChunkSettings, chunk_document
from .loaders import LoadedText, load_paths
from .metadata import extract_metadata
from .paragraphs import split_paragraphs
from .resources import peak_rss_mb
from .store import IndexError_, IndexReader, open_index, read_manifest, write_generation
from .types import Chunk, Document, Paragraph, SkippedFile

log = logging.getLogger(__name__)

#: Bump when cleaning, splitting or metadata extraction changes: every document is then re-read.
PARSER_VERSION = 4  # 2: PDF soft wraps (a newline with spaces around it, mid-sentence) joined;
#                     3: people's names in one form (index.names);
#                     4: a title that only identifies names its member in that form too
EMBED_BLOCK = 256  # texts per encoder call: large enough to batch well, small enough for a live progress bar

Progress = Callable[[float, str], None]


@dataclass
class BuildSummary:
    index_dir: str
    documents: int = 0
    paragraphs: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    reused_chunks: int = 0  # chunks of new or changed documents whose text the index had embedded already
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    index_type: str = ""
    model: str = ""
    encoder_backend: str = ""
    precision: str = ""  # of the vectors this build computes: "f32" or "bf16"
    #: the previous index's precision when this build could not reuse its vectors for that reason
    replaced_precision: str = ""

    def lines(self) -> list[str]:
        """The closing summary a person reads after a build."""
        rate = self.embedded_chunks / self.embed_seconds if self.embed_seconds else 0.0
        out = [
            f"Index: {self.index_dir} ({self.index_type}, model {self.model})",
            f"Documents: {self.documents} ({len(self.new)} new, {len(self.changed)} changed, "
            f"{self.unchanged} unchanged, {len(self.removed)} removed)",
            f"Paragraphs: {self.paragraphs}  Chunks: {self.chunks}  Embedded now: {self.embedded_chunks}"
            + (f" (vectors of {self.reused_chunks} kept: same text)" if self.reused_chunks else ""),
            f"Time: {self.seconds:.1f} s ("
            + (f"embedding {self.embed_seconds:.1f} s, {rate:.1f} chunks/s by {self.encoder_backend}; "
               if self.embedded_chunks else "nothing embedded; ")
            + f"{self.paragraphs / self.seconds if self.seconds else 0:.0f} paragraphs/s overall)  "
            f"Peak memory: {self.peak_rss_mb:.0f} MB",
        ]
        if self.replaced_precision:
            out.append(f"The index held {self.replaced_precision} vectors and this build computes {self.precision}: "
                       "every chunk was embedded again (one index never mixes precisions)")
        if self.skipped:
            out.append(f"Skipped {len(self.skipped)} file(s) or record(s):")
            out.extend(f"  - {s.path}: {s.reason}" for s in self.skipped[:50])
            if len(self.skipped) > 50:
                out.append(f"  ... and {len(self.skipped) - 50} more")
        return out


@dataclass
class ParsedDocument:
    document: Document
    paragraphs: list[Paragraph]


def content_hash(loaded: LoadedText) -> str:
    """Everything that decides the paragraphs and metadata of a document."""
    payload = json.dumps([PARSER_VERSION, loaded.text, loaded.layout, loaded.title, loaded.fields],
                         ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def parse(loaded: LoadedText) -> ParsedDocument:
    """Clean, split and describe one loaded text."""
    clean, paragraphs = split_paragraphs(loaded.doc_id, loaded.text, loaded.layout)
    title, meta = extract_metadata(paragraphs, loaded.fields, loaded.title)
    doc = Document(loaded.doc_id, title or loaded.doc_id, clean, loaded.path, content_hash(loaded), meta)
    return ParsedDocument(doc, paragraphs)


def read_documents(paths: list[Path]) -> tuple[list[ParsedDocument], list[SkippedFile]]:
    """Load and parse; duplicates (same id, or same text under another name) are skipped with a reason."""
    loaded, skipped = load_paths(paths)
    parsed: list[ParsedDocument] = []
    by_id: dict[str, str] = {}
    by_hash: dict[str, str] = {}
    for item in loaded:
        if item.doc_id in by_id:
            skipped.append(SkippedFile(item.path, f"duplicate document id {item.doc_id!r} "
                                                  f"(already taken by {by_id[item.doc_id]})"))
            continue
        doc = parse(item)
        if not doc.paragraphs:
            skipped.append(SkippedFile(item.path, "no paragraphs after cleaning"))
            continue
        text_key = hashlib.sha256(doc.document.text.encode("utf-8")).hexdigest()
        if text_key in by_hash:
            skipped.append(SkippedFile(item.path, f"same text as {by_hash[text_key]}"))
            continue
        by_id[item.doc_id] = item.path
        by_hash[text_key] = item.doc_id
        parsed.append(doc)
    return parsed, skipped


def build_index(paths: list[Path], index_dir: Path | None = None, model: str | None = None,
                progress: Progress | None = None, show_progress: bool = True) -> BuildSummary:
    """Build or update the index at ``index_dir`` so that it holds exactly the documents under ``paths``."""
    from .embedder import load_passage_encoder  # a model is loaded only when a build really runs

    started = time.perf_counter()
    index_dir = settings.index_dir(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda fraction, message: None)
    lock = FileLock(str(index_dir / ".build.lock"))
    if show_progress:
        try:
            lock.acquire(timeout=0)
        except Exception:
            print(f"Another build of {index_dir} is running; waiting for it to finish ...", flush=True)
            lock.acquire()
    else:
        lock.acquire()
    try:
        report(0.0, "Läser dokument ...")
        encoder = load_passage_encoder(model)
        chunk_settings = ChunkSettings(max_tokens=encoder.max_tokens)
        parsed, skipped = read_documents([Path(p) for p in paths])
        summary = BuildSummary(str(index_dir), skipped=skipped, model=encoder.model_id,
                               encoder_backend=encoder.backend, precision=encoder.precision)

        previous = _reusable_previous(index_dir, encoder.model_id, encoder.dim, encoder.precision)
        old_manifest = read_manifest(index_dir)
        if previous is None and old_manifest and manifest_precision(old_manifest) != encoder.precision:
            summary.replaced_precision = manifest_precision(old_manifest)
        same_split = previous is not None and _same_split(previous.manifest, chunk_settings)
        old_hashes: dict[str, str] = previous.manifest.get("documents", {}) if previous else {}

        all_chunks: list[Chunk] = []
        vectors: list[np.ndarray | None] = []
        to_embed: list[int] = []
        for item in parsed:
            doc = item.document
            if same_split and old_hashes.get(doc.doc_id) == doc.content_hash:
                rows_chunks = previous.chunks_of(doc.doc_id)
                old_vectors = previous.vectors_of_rows([row for row, _ in rows_chunks])
                all_chunks.extend(chunk for _, chunk in rows_chunks)
                vectors.extend(old_vectors)
                summary.unchanged += 1
                continue
            (summary.changed if doc.doc_id in old_hashes else summary.new).append(doc.doc_id)
            for chunk in chunk_document(doc.title, item.paragraphs, encoder.count_tokens, chunk_settings):
                to_embed.append(len(all_chunks))
                all_chunks.append(chunk)
                vectors.append(None)
        current_ids = {p.document.doc_id for p in parsed}
        summary.removed = sorted(set(old_hashes) - current_ids)
        if previous is not None and to_embed:
            waiting = len(to_embed)
            to_embed = _reuse_vectors(previous, all_chunks, vectors, to_embed)
            summary.reused_chunks = waiting - len(to_embed)

        embed_started = time.perf_counter()
        if to_embed:
            report(0.05, f"Bäddar in {len(to_embed)} textavsnitt ...")
            new_vectors = _embed(encoder, [all_chunks[i].embed_text for i in to_embed], report, show_progress)
            for i, vector in zip(to_embed, new_vectors):
                vectors[i] = vector
        summary.embed_seconds = time.perf_counter() - embed_started
        summary.embedded_chunks = len(to_embed)

        matrix = (np.vstack(vectors).astype(np.float32) if vectors
                  else np.zeros((0, encoder.dim), dtype=np.float32))
        report(0.95, "Skriver index ...")
        manifest = {
            "model": encoder.model_id,
            "dim": encoder.dim,
            "passage_encoder": encoder.backend,  # informative: torch and OpenVINO f32 agree to cosine 0.9999998
            # part of the index: bf16 vectors lie within cosine 0.99998 of f32's, and are never mixed with them
            "passage_precision": encoder.precision,
            "chunking": chunk_settings.as_dict(),
            "parser_version": PARSER_VERSION,
            "documents": {p.document.doc_id: p.document.content_hash for p in parsed},
            "sources": [str(Path(p).resolve()) for p in paths],
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        if previous is not None:
            previous = None  # release the old generation's files before they are removed
        gen = write_generation(index_dir, manifest, matrix, [p.document for p in parsed],
                               [para for p in parsed for para in p.paragraphs], all_chunks)
        final = json.loads((gen / "manifest.json").read_text())
        summary.index_type = final["index_type"]
        summary.documents = len(parsed)
        summary.paragraphs = sum(len(p.paragraphs) for p in parsed)
        summary.chunks = len(all_chunks)
        summary.seconds = time.perf_counter() - started
        summary.peak_rss_mb = peak_rss_mb()
        final["build_seconds"] = round(summary.seconds, 2)
        (gen / "manifest.json").write_text(json.dumps(final, ensure_ascii=False, indent=1))
        report(1.0, "Klart")
        return summary
    finally:
        lock.release()


def _reusable_previous(index_dir: Path, model_id: str, dim: int, precision: str) -> IndexReader | None:
    """The live index, if its vectors can be reused: same model, dimensions and precision.

    Why the precision: an index is one precision's vectors (the manifest says which), so
    a build in f32 over a bf16 index embeds everything again instead of mixing the two.
    """
    manifest = read_manifest(index_dir)
    if not manifest or manifest.get("model") != model_id or manifest.get("dim") != dim:
        return None
    if manifest_precision(manifest) != precision:
        log.info("The index in %s holds %s vectors; embedding everything again in %s",
                 index_dir, manifest_precision(manifest), precision)
        return None
    try:
        return open_index(index_dir, expect_model=model_id)
    except IndexError_ as exc:  # a damaged index is simply rebuilt from scratch
        log.warning("Not reusing the existing index: %s", exc)
        return None


def manifest_precision(manifest: dict) -> str:
    """The precision of an index's vectors; older manifests name it only in ``passage_encoder``."""
    if manifest.get("passage_precision"):
        return str(manifest["passage_precision"])
    return "bf16" if str(manifest.get("passage_encoder", "")).endswith("bf16") else "f32"


def _same_split(manifest: dict, chunk_settings: ChunkSettings) -> bool:
    """Whether an unchanged document still splits into the very chunks the live index holds."""
    return manifest.get("chunking") == chunk_settings.as_dict() and manifest.get("parser_version") == PARSER_VERSION


def _reuse_vectors(previous: IndexReader, chunks: list[Chunk], vectors: list[np.ndarray | None],
                   to_embed: list[int]) -> list[int]:
    """Fill in the vectors of chunks whose text the live index has embedded already; return the rest.

    Why: a vector depends only on the model and the text it was given. When one paragraph
    of a long document changes, or the splitting improves (a new ``PARSER_VERSION``), most
    chunks come out exactly as before; embedding them again took ~10 minutes for the
    Riksdagen corpus on two cores, for vectors the index already holds.
    """
    wanted = {i: _text_key(chunks[i].embed_text) for i in to_embed}
    keys = set(wanted.values())
    rows: dict[bytes, int] = {}
    for row, text in previous.iter_chunk_embed_texts():
        key = _text_key(text)
        if key in keys:
            rows.setdefault(key, row)
    found = [i for i in to_embed if wanted[i] in rows]
    for i, vector in zip(found, previous.vectors_of_rows([rows[wanted[i]] for i in found])):
        vectors[i] = vector
    return [i for i in to_embed if vectors[i] is None]


def _text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _embed(encoder, texts: list[str], report: Progress, show_progress: bool) -> np.ndarray:
    """Embed in length-sorted blocks: similar lengths pad less, and the bar moves."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.empty((len(texts), encoder.dim), dtype=np.float32)
    bar = tqdm(total=len(texts), unit="chunk", desc="Embedding", disable=not show_progress)
    for start in range(0, len(order), EMBED_BLOCK):
        block = order[start:start + EMBED_BLOCK]
        out[block] = encoder.encode_passages([texts[i] for i in block])
        bar.update(len(block))
        report(0.05 + 0.9 * min(1.0, (start + len(block)) / len(texts)),
               f"Bäddar in textavsnitt {start + len(block)}/{len(texts)}")
    bar.close()
    return out
