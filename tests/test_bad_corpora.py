"""Bad corpora: every file that cannot be indexed is skipped with a reason, everything else is indexed.

One build of one messy folder (a binary file, a cp1252 file, an empty file, a 50 MB
file, duplicates, a JSONL with broken lines, a PDF without a text layer, a corrupt PDF,
an unsupported type, hostile file names and ids) checks all of it at once: embedding is
the slow part, and only the few good documents are embedded.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from index.store import current_generation

pytestmark = pytest.mark.model

LATIN = ("Kommunfullmäktige i Järfälla beslutade att öka antalet fritidsgårdar i Skärholmen.\n\n"
         "Åtgärden kostar två miljoner kronor och ska vara klar år 2026. Ärendet bereddes av "
         "Ödegårdsnämnden.")
LIBRARY = ("Nämnden föreslår att bibliotekets öppettider förlängs till klockan 21 på vardagar.\n\n"
           "Förslaget finansieras inom befintlig ram.")
SQL_NAME = "x'); DROP TABLE documents; --"

#: file (relative to the corpus) -> a phrase its skip reason must contain
EXPECTED_SKIPS = {
    "binary.txt": "binary content",
    "empty.txt": "empty file",
    "huge.txt": "MB limit for one document",
    "records.jsonl:2": "line is not JSON",
    "records.jsonl:3": 'record has no "text"',
    "records.jsonl:4": "line is not a JSON object",
    "records.jsonl:5": 'record has no "text"',
    "records.jsonl:6": "invalid Unicode",
    "scanned.pdf": "no text layer",
    "broken.pdf": "could not read .pdf file",
    "image.png": "unsupported file type .png",
    "original.txt": "same text as copy",  # copy.txt comes first in the walk
    "same.txt": "duplicate document id 'same'",  # same.md comes first
    "fake.docx": "could not read .docx file",
}
#: doc_id -> a phrase of its text, for every document that must be indexed
EXPECTED_DOCS = {
    "latin": "Skärholmen",
    "copy": "bibliotekets öppettider",
    "same": "snöröjning",
    "rec-ok": "Simhallen i Valsta",
    "../../../etc/passwd": "Sophämtningen",
    SQL_NAME: "Gatubelysningen",
    "utf16": "Vårdcentralen",
}


def make_bad_corpus(folder: Path) -> Path:
    from pypdf import PdfWriter

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    (folder / "latin.txt").write_bytes(LATIN.encode("cp1252"))
    (folder / "utf16.txt").write_bytes("Vårdcentralen i Märsta får förlängda öppettider.".encode("utf-16"))
    (folder / "empty.txt").write_bytes(b"")
    line = ("Det här är en mycket lång rad text om budgeten för kommunen. " * 16 + "\n").encode()
    with open(folder / "huge.txt", "wb") as f:  # 50 MB of real text, over the 20 MB default limit
        block = line * 1000
        for _ in range(50 * 2**20 // len(block) + 1):
            f.write(block)
    (folder / "original.txt").write_text(LIBRARY, encoding="utf-8")
    (folder / "copy.txt").write_text(LIBRARY, encoding="utf-8")
    (folder / "same.txt").write_text("Parkeringsavgifterna i centrum höjs med tio procent.", encoding="utf-8")
    (folder / "same.md").write_text("Helt annan text om snöröjning av cykelbanor under vintern.", encoding="utf-8")
    (folder / f"{SQL_NAME}.txt").write_text("Gatubelysningen byts till LED-lampor under hösten.",
                                            encoding="utf-8")
    lines = [
        json.dumps({"id": "rec-ok", "title": "Bra post",
                    "text": "Simhallen i Valsta renoveras under våren och öppnar igen i augusti."}, ensure_ascii=False),
        "{not json at all",
        json.dumps({"id": "rec-notext", "title": "Ingen text"}),
        "[1, 2, 3]",
        json.dumps({"id": "rec-blank", "text": "   "}),
        '{"id": "rec-surrogate", "text": "Hej \\ud800 d\\u00e4r, en text om kollektivtrafiken i Sigtuna."}',
        json.dumps({"id": "../../../etc/passwd", "text": "Sophämtningen i Knivsta sker varannan vecka."},
                   ensure_ascii=False),
    ]
    (folder / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with open(folder / "scanned.pdf", "wb") as f:
        writer.write(f)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage, not a PDF")
    (folder / "fake.docx").write_text("This is plain text pretending to be Word.", encoding="utf-8")
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / ".hidden.txt").write_text("Dolda filer indexeras inte.", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory):
    """``(corpus, index_dir, BuildSummary)`` of one build of the bad corpus."""
    from index.build import build_index

    root = tmp_path_factory.mktemp("bad-corpus")
    corpus = make_bad_corpus(root / "corpus")
    index_dir = root / "index"
    with pytest.MonkeyPatch.context() as mp:  # the default limit, whatever KALLKOLL_MAX_DOC_MB says here
        mp.setattr("index.loaders.MAX_DOCUMENT_BYTES", 20 * 2**20)
        summary = build_index([corpus], index_dir, show_progress=False)
    return corpus, index_dir, summary


@pytest.fixture(scope="module")
def bad_engine(bad_build):
    from rag.engine import Engine

    return Engine(bad_build[1])


def _skips(summary, corpus: Path) -> dict[str, str]:
    return {str(Path(s.path).relative_to(corpus)): s.reason for s in summary.skipped}


@pytest.mark.parametrize("name", sorted(EXPECTED_SKIPS))
def test_bad_file_is_skipped_with_its_reason(bad_build, name):
    corpus, _, summary = bad_build
    skips = _skips(summary, corpus)
    assert name in skips, f"{name} not reported as skipped; skipped: {skips}"
    assert EXPECTED_SKIPS[name] in skips[name]


def test_nothing_else_is_skipped_and_every_good_document_is_indexed(bad_build):
    from index.store import open_index

    corpus, index_dir, summary = bad_build
    assert set(_skips(summary, corpus)) == set(EXPECTED_SKIPS)
    reader = open_index(index_dir)
    assert set(reader.documents) == set(EXPECTED_DOCS)
    assert summary.documents == len(EXPECTED_DOCS) and sorted(summary.new) == sorted(EXPECTED_DOCS)
    for doc_id, phrase in EXPECTED_DOCS.items():
        assert phrase in reader.document_text(doc_id)
    assert all(".hidden" not in d.path for d in reader.documents.values())
    # the summary a person reads names every skipped file with its reason
    text = "\n".join(summary.lines())
    assert f"Skipped {len(EXPECTED_SKIPS)} file(s) or record(s)" in text
    assert all(f"{Path(s.path).name}: {s.reason}" in text for s in summary.skipped if "jsonl" not in s.path)


def test_the_50_mb_file_is_refused_by_size_before_it_is_read(bad_build):
    corpus, _, summary = bad_build
    reason = _skips(summary, corpus)["huge.txt"]
    assert (corpus / "huge.txt").stat().st_size > 50 * 2**20
    assert "over the 20 MB limit" in reason and "KALLKOLL_MAX_DOC_MB" in reason
    assert reason.startswith(f"{(corpus / 'huge.txt').stat().st_size / 1e6:.0f} MB")


def test_cp1252_swedish_is_decoded_right_and_searchable(bad_build, bad_engine):
    from index.store import open_index

    _, index_dir, _ = bad_build
    text = open_index(index_dir).document_text("latin")
    for word in ("Järfälla", "Skärholmen", "Åtgärden", "två miljoner", "Ödegårdsnämnden"):
        assert word in text
    assert "\ufffd" not in text and "Ã" not in text
    lexical = bad_engine.retriever.search("Skärholmen", k=3, use_dense=False)
    assert lexical and lexical[0].doc_id == "latin"
    a = bad_engine.ask("Vad kostar fritidsgårdarna i Skärholmen?")
    assert not a.abstained, a.answer
    assert any(c.doc_id == "latin" and "två miljoner kronor" in c.quote for c in a.citations)


def test_utf16_with_bom_is_read(bad_engine):
    a = bad_engine.ask("Vad händer med vårdcentralen i Märsta?")
    assert any(c.doc_id == "utf16" for c in a.citations + a.related)


def test_hostile_ids_and_file_names_are_just_data(bad_build, bad_engine):
    """A file named like SQL and a JSONL id like a path are stored verbatim and write nothing elsewhere."""
    corpus, index_dir, _ = bad_build
    gen = current_generation(index_dir)
    con = sqlite3.connect(f"file:{gen / 'meta.sqlite'}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        ids = {r[0] for r in con.execute("SELECT doc_id FROM documents")}
    finally:
        con.close()
    assert tables == {"documents", "paragraphs", "chunks"}
    assert {SQL_NAME, "../../../etc/passwd"} <= ids
    assert sorted(p.name for p in gen.iterdir()) == ["bm25", "manifest.json", "meta.sqlite", "vectors.faiss"]
    assert sorted(p.name for p in (gen / "bm25").iterdir()) == [
        "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy", "params.index.json",
        "stamp.json", "vocab.index.json"]
    assert not (index_dir.parent / "etc").exists() and not (corpus.parent.parent / "etc").exists()
    a = bad_engine.ask("När byts gatubelysningen till LED-lampor?")
    assert a.citations and a.citations[0].doc_id == SQL_NAME


def test_a_corpus_of_only_bad_files_builds_an_empty_index_that_answers(tmp_path):
    from index.build import build_index
    from rag.engine import Engine

    corpus = tmp_path / "only-bad"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (corpus / "broken.jsonl").write_text("{oops\n", encoding="utf-8")
    summary = build_index([corpus], tmp_path / "index", show_progress=False)
    assert summary.documents == 0 and len(summary.skipped) == 3
    engine = Engine(tmp_path / "index")
    a = engine.ask("Hur många kameror?")
    assert a.abstained and a.mode == "extractive" and not a.citations and not a.related


def test_raising_the_size_limit_is_an_environment_setting():
    """``KALLKOLL_MAX_DOC_MB`` is read when index.loaders is imported (documented in the skip reason)."""
    import subprocess
    import sys

    from conftest import REPO

    out = subprocess.run([sys.executable, "-c", "from index.loaders import MAX_DOCUMENT_BYTES as m; print(m)"],
                         cwd=REPO, env=dict(os.environ, KALLKOLL_MAX_DOC_MB="64"), capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == str(64 * 2**20), out.stderr
