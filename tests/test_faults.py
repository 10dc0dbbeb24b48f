"""Faults: a missing or damaged index is refused with the command that fixes it; builds never break it.

Every damage is applied to a private copy of the session's seed index. The Python API
raises the ``IndexError_`` subclass naming ``python -m index build``; the CLI turns the
same into ``error: ...`` on stderr and exit code 2, with no traceback. A build killed
with SIGKILL while embedding leaves the previous index in service; two builds started
at once into the same folder take turns (the lock) and leave one valid index.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, SEED_IDS
from index.store import current_generation

pytestmark = pytest.mark.model

CAMERAS = "Hur många trygghetskameror ska Huddinge sätta upp?"
HINT = "python -m index build"



def _sql(index_dir: Path, statement: str) -> None:
    con = sqlite3.connect(current_generation(index_dir) / "meta.sqlite")
    con.execute(statement)
    con.commit()
    con.close()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _edit_manifest(index_dir: Path, **changes) -> None:
    path = current_generation(index_dir) / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


#: name -> (how to damage a copy of the seed index, the exception class name, a phrase of its message)
DAMAGES = {
    "missing-dir": (lambda d: d.rename(d.with_name("moved-away")), "IndexMissing", "No index in"),
    "empty-dir": (lambda d: [p.unlink() if p.is_file() else __import__("shutil").rmtree(p) for p in d.iterdir()],
                  "IndexMissing", "No index in"),
    "current-points-nowhere": (lambda d: (d / "CURRENT").write_text("gen-does-not-exist"),
                               "IndexCorrupt", "missing or unreadable"),
    "truncated-vectors": (lambda d: _truncate(current_generation(d) / "vectors.faiss"), "IndexCorrupt", "vector file"),
    "deleted-vectors": (lambda d: (current_generation(d) / "vectors.faiss").unlink(), "IndexCorrupt", "vector file"),
    "deleted-sqlite": (lambda d: (current_generation(d) / "meta.sqlite").unlink(), "IndexCorrupt", "metadata"),
    "garbage-sqlite": (lambda d: (current_generation(d) / "meta.sqlite").write_bytes(b"not a database" * 100),
                       "IndexCorrupt", "metadata"),
    "chunk-rows-deleted": (lambda d: _sql(d, "DELETE FROM chunks WHERE row >= 70"), "IndexCorrupt", "out of sync"),
    "document-row-deleted": (lambda d: _sql(d, f"DELETE FROM documents WHERE doc_id = '{SEED_IDS[3]}'"),
                             "IndexCorrupt", "out of sync"),
    "paragraph-rows-deleted": (lambda d: _sql(d, f"DELETE FROM paragraphs WHERE doc_id = '{SEED_IDS[3]}'"),
                               "IndexCorrupt", "out of sync"),
    "garbage-manifest": (lambda d: (current_generation(d) / "manifest.json").write_text("{not json"),
                         "IndexCorrupt", "manifest"),
    "future-format": (lambda d: _edit_manifest(d, format_version=99), "IndexCorrupt", "has format 99"),
    "other-model": (lambda d: _edit_manifest(d, model="sentence-transformers/all-MiniLM-L6-v2", dim=384),
                    "IndexModelMismatch", "all-MiniLM-L6-v2"),
}


@pytest.fixture(scope="module")
def damaged(seed_index, tmp_path_factory) -> dict[str, Path]:
    """One damaged copy of the seed index per entry of DAMAGES (the index dir as the user names it)."""
    import shutil

    root = tmp_path_factory.mktemp("damaged")
    out = {}
    for name, (damage, _, _) in DAMAGES.items():
        index_dir = root / name / "index"
        shutil.copytree(seed_index, index_dir)
        damage(index_dir)
        out[name] = index_dir
    return out


@pytest.mark.parametrize("name", sorted(DAMAGES))
def test_engine_refuses_a_damaged_index_with_the_fix(damaged, name):
    from index import store
    from rag.engine import Engine

    _, kind, phrase = DAMAGES[name]
    with pytest.raises(store.IndexError_) as info:
        Engine(damaged[name], generator=None)
    assert type(info.value) is getattr(store, kind)
    message = str(info.value)
    assert HINT in message and phrase in message and str(damaged[name]) in message


def test_cli_reports_every_damage_as_error_exit_2_without_traceback(damaged):
    procs = {name: subprocess.Popen([sys.executable, "-m", "rag", "ask", "--json", "--index-dir", str(d), CAMERAS],
                                    cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, d in damaged.items()}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 2, (name, err)
        assert err.startswith("error: ") and HINT in err, (name, err)
        assert "Traceback" not in err and out == "", (name, err)


def test_cli_reports_a_missing_model_as_error_exit_2(seed_index_copy):
    """An index built with a model that is not on this machine: the encoder cannot load."""
    _edit_manifest(seed_index_copy, model="/nonexistent/model-folder")
    env = dict(os.environ, KALLKOLL_MODEL="/nonexistent/model-folder")
    out = subprocess.run([sys.executable, "-m", "rag", "ask", "--index-dir", str(seed_index_copy), CAMERAS],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and out.stderr.startswith("error: ") and "Traceback" not in out.stderr
    assert "/nonexistent/model-folder" in out.stderr


def test_debris_of_a_killed_build_does_not_confuse_the_reader(seed_index_copy):
    """A half-written generation and a temp CURRENT (what SIGKILL during the write leaves)."""
    from rag.engine import Engine

    half = seed_index_copy / "gen-20990101T000000-99999-1"
    half.mkdir()
    (half / "vectors.faiss").write_bytes(b"\x00" * 100)
    (seed_index_copy / ".CURRENT.99999").write_text(half.name)
    a = Engine(seed_index_copy, generator=None).ask(CAMERAS)
    assert (a.citations[0].doc_id, a.citations[0].paragraph) == (SEED_IDS[3], 17)


# ---------------------------------------------------------------- builds under stress

def _build_cmd(index_dir: Path, *paths: Path, quiet: bool = False) -> list[str]:
    return [sys.executable, "-m", "index", "build", *map(str, paths), "--index-dir", str(index_dir),
            *(["--quiet"] if quiet else [])]


def _swequad_subset(swequad_dir: Path, target: Path, n: int) -> Path:
    lines = (swequad_dir / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:n]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


@pytest.mark.slow
def test_kill_9_while_embedding_leaves_the_previous_index_answering(seed_index_copy, swequad_dir, tmp_path):
    from filelock import FileLock

    from index.store import open_index
    from rag.engine import Engine

    before = (seed_index_copy / "CURRENT").read_text()
    corpus = _swequad_subset(swequad_dir, tmp_path / "swequad-300.jsonl", 300)
    log = tmp_path / "build.log"
    with open(log, "w") as sink:
        proc = subprocess.Popen(_build_cmd(seed_index_copy, corpus), cwd=REPO, stdout=sink, stderr=sink)
    try:
        deadline = time.time() + 240
        while "Embedding" not in log.read_text(errors="replace"):  # tqdm's bar: the build is embedding
            assert proc.poll() is None, f"build ended before embedding:\n{log.read_text()}"
            assert time.time() < deadline, f"build never started embedding:\n{log.read_text()}"
            time.sleep(0.2)
        time.sleep(1.0)
        assert proc.poll() is None, "the build finished before it could be killed; use a larger corpus"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (seed_index_copy / "CURRENT").read_text() == before
    reader = open_index(seed_index_copy)
    assert set(reader.documents) == set(SEED_IDS.values())
    a = Engine(seed_index_copy, generator=None).ask(CAMERAS)
    assert (a.citations[0].doc_id, a.citations[0].paragraph) == (SEED_IDS[3], 17)
    lock = FileLock(str(seed_index_copy / ".build.lock"))
    lock.acquire(timeout=5)  # the kernel released the dead build's lock
    lock.release()


@pytest.mark.slow
def test_two_builds_at_once_are_serialized_by_the_lock(tmp_path):
    from index.store import open_index
    from rag.engine import Engine

    a_docs, b_docs = tmp_path / "a", tmp_path / "b"
    a_docs.mkdir()
    b_docs.mkdir()
    (a_docs / "a1.txt").write_text("Kommunen bygger en ny förskola i Vallentuna under 2026.", encoding="utf-8")
    (a_docs / "a2.txt").write_text("Biblioteket i Vallentuna får längre öppettider.", encoding="utf-8")
    (b_docs / "b1.txt").write_text("Ishallen i Täby renoveras och öppnar igen i oktober.", encoding="utf-8")
    (b_docs / "b2.txt").write_text("Täby kommun planterar tusen nya träd längs stråken.", encoding="utf-8")
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    # debris of an earlier killed build, which a finished build must clean up
    (index_dir / "gen-20000101T000000-1-1").mkdir()

    first = subprocess.Popen(_build_cmd(index_dir, a_docs), cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (index_dir / ".build.lock").exists():  # the first build holds the lock (while loading the model)
        assert first.poll() is None and time.time() < deadline, first.communicate()
        time.sleep(0.05)
    second = subprocess.Popen(_build_cmd(index_dir, b_docs), cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    out1, err1 = first.communicate(timeout=600)
    out2, err2 = second.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0, (err1, err2)
    assert "Traceback" not in err1 + err2
    assert "Another build of" in out2 and "waiting" in out2  # the second waited its turn ...
    assert "Another build of" not in out1
    # ... and then started from the first one's finished index: it removed the first build's documents
    assert "Documents: 2 (2 new, 0 changed, 0 unchanged, 0 removed)" in out1
    assert "Documents: 2 (2 new, 0 changed, 0 unchanged, 2 removed)" in out2
    reader = open_index(index_dir)
    assert set(reader.documents) == {"b1", "b2"}
    assert [p.name for p in index_dir.glob("gen-*")] == [reader.generation.name]
    assert not list(index_dir.glob(".CURRENT.*"))
    answer = Engine(index_dir, generator=None).ask("När öppnar ishallen i Täby igen?")
    assert answer.citations and answer.citations[0].doc_id == "b1"
