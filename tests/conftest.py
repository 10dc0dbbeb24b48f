"""Shared fixtures for the whole test suite.

* ``REPO``, ``SEEDS``, ``SWEQUAD_DIR``: paths every test module may use.
* ``encoder``: the bundled e5 encoder, loaded once per session (~10 s).
* ``seed_index``: the four seed documents built once per session into a temp
  directory with ``index.build.build_index``; treat it as read-only.
* ``seed_index_copy``: a private copy of ``seed_index`` for a test that
  rebuilds, edits or damages an index (copying is instant, re-embedding is not).
* ``seed_docs``: the seeds loaded and parsed (no model needed).

Set ``KALLKOLL_CACHE`` to reuse an already converted e5 model; without it the
first model test converts it into ``~/.cache/kallkoll`` (takes a while once).
Markers: ``model`` (needs the embedding model), ``slow`` (tens of seconds);
deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
#: shared/ lies beside the clone (CI lays a copy there); /work/shared is where a developer's machine has it
SWEQUAD_DIR = next((p for p in (REPO.parent / "shared" / "eval" / "swequad-mc", Path("/work/shared/eval/swequad-mc"))
                    if (p / "corpus.jsonl").is_file()), Path("/work/shared/eval/swequad-mc"))

if str(REPO) not in sys.path:  # so `pytest` works as well as `python -m pytest`
    sys.path.insert(0, str(REPO))

#: doc_id of each seed, by its number.
SEED_IDS = {
    0: "000_04c7834298639c64",
    1: "001_6c659c7e673ea40f",
    2: "002_bb365fe829f3e044",
    3: "003_3519de24d65e4ca9",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "model: needs the embedding model (loads it once per session)")
    config.addinivalue_line("markers", "slow: takes tens of seconds")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def seeds() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seed_docs():
    """``{doc_id: ParsedDocument}`` for the four seeds, loaded and parsed as a build would."""
    from index.build import read_documents

    parsed, skipped = read_documents([SEEDS])
    assert not skipped, skipped
    return {p.document.doc_id: p for p in parsed}


@pytest.fixture(scope="module")
def encoder():
    """The torch encoder (~1.0-1.5 GB), for the modules that compare another engine with it."""
    from index.embedder import load_encoder

    return load_encoder()


@pytest.fixture(scope="module")
def passage_encoder():
    """The encoder a build uses (OpenVINO by default): token counts, model id, passage vectors."""
    from index.embedder import load_passage_encoder

    return load_passage_encoder()


@pytest.fixture(scope="module", autouse=True)
def _release_build_encoders():
    """After each module, drop the torch and OpenVINO encoders and give their memory back.

    Why: each holds 1.0-1.9 GB once it has embedded long texts, and a module that
    loads another kind (or precision) used to keep every earlier one alive to the end:
    the suite peaked at 8.9 GB. Reloading costs ~5 s (OpenVINO) or ~13 s (torch) in the
    few modules that need one; the question encoder (ONNX, ~0.4 GB) is kept.
    """
    yield
    release_build_encoders()


def release_build_encoders(torch: bool = True) -> None:
    """Forget the loaded OpenVINO (and torch) encoders and hand their memory back to the system.

    ``torch=False`` after a build in a fixture: a module may hold the torch encoder through
    the ``encoder`` fixture, and forgotten by the cache it would be loaded a second time.
    """
    import ctypes
    import gc

    from index import embedder

    embedder.clear_cache(torch=torch, query=False)
    gc.collect()
    try:  # glibc keeps freed arenas mapped; trimming returns them (no-op elsewhere)
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@pytest.fixture(scope="session")
def seed_index_build(tmp_path_factory):
    """``(index_dir, BuildSummary)`` of the one session build of the seeds."""
    from index.build import build_index

    index_dir = tmp_path_factory.mktemp("seed-index") / "index"
    summary = build_index(paths=[SEEDS], index_dir=index_dir, show_progress=False)
    release_build_encoders(torch=False)  # the module that happened to need the index first need not hold it
    as_on_another_cpu(index_dir)
    return index_dir, summary


@pytest.fixture(scope="session")
def seed_index(seed_index_build) -> Path:
    """Directory of an index of the four seeds (read-only: copy it before changing anything)."""
    return seed_index_build[0]


@pytest.fixture
def seed_index_copy(seed_index, tmp_path) -> Path:
    """A private, writable copy of the seed index."""
    target = tmp_path / "index-copy"
    shutil.copytree(seed_index, target)
    return target


@pytest.fixture(scope="session")
def swequad_dir() -> Path:
    if not (SWEQUAD_DIR / "corpus.jsonl").is_file():
        pytest.skip(f"SweQUAD-MC corpus not found in {SWEQUAD_DIR}")
    return SWEQUAD_DIR


def as_on_another_cpu(index_dir: Path) -> None:
    """Under ``KALLKOLL_TEST_VECTOR_NOISE=<seed>``, the index's vectors as another CPU might round them."""
    from vector_noise import move_index_vectors, noise_seed

    seed = noise_seed()
    if seed is not None:
        move_index_vectors(index_dir, seed)


def assert_vectors_match(ours, reference, min_cosine: float, label: str):
    """Another encoder's vectors against torch's, row by row: same shape, unit length, close cosine."""
    import numpy as np

    cosines = (ours * reference).sum(axis=1)
    print(f"\n{label} vs torch over {len(ours)} texts: min cosine {cosines.min():.7f}")
    assert ours.shape == reference.shape == (len(reference), 384)
    assert cosines.min() >= min_cosine
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    return cosines


def assert_verified(answer) -> None:
    """What a reader of an answer can check: every [n] resolves, every quote is in the answer verbatim,
    and a marked exact answer lies inside its quoted sentence."""
    from rag.citations import dangling_markers

    assert not dangling_markers(answer.answer, answer.citations)
    for c in answer.citations:
        assert c.quote_spans and all(f"”{c.text[s:e]}”" in answer.answer for s, e in c.quote_spans)
        for a, b in c.answer_spans:
            assert any(s <= a < b <= e for s, e in c.quote_spans)

