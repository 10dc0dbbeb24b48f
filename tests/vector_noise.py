"""Another CPU, simulated: every vector of an index moved by a small random step.

Why: passage vectors differ from one CPU to the next (bf16 kernels round
differently per CPU family, and even f32 kernels sum in another order), so a
ranking assertion that holds only for the exact vectors of the machine it was
written on is a red suite elsewhere. Measured on the seed index (74 chunks): f32
OpenVINO against torch, min cosine 0.9999998; torch under bf16 autocast against
f32, min 0.99999; the docstring of ``index/openvino_encoder.py`` gives native bf16
against torch, min 0.99998. ``CPU_COSINE`` moves every vector five times further
than that worst bf16 case, in a random direction, so an assertion that holds on
several such copies keeps a margin that no real CPU's rounding crosses.

Set ``KALLKOLL_TEST_VECTOR_NOISE=<seed>`` and the suite's seed and SweQUAD-MC
indexes are built, then moved like this (``.ci/run`` runs the ranking tests so).
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

#: cosine between a vector and its moved copy: 1 - 1e-4, five times bf16's worst 1 - 2e-5
CPU_COSINE = 0.9999


def noise_seed() -> int | None:
    """The seed asked for by ``KALLKOLL_TEST_VECTOR_NOISE``, or None for the vectors as built."""
    value = os.environ.get("KALLKOLL_TEST_VECTOR_NOISE", "").strip()
    return int(value) if value else None


def move_vectors(vectors: np.ndarray, seed: int, cosine: float = CPU_COSINE) -> np.ndarray:
    """Each unit vector moved to ``cosine`` (within float rounding) of itself, in a random direction."""
    rng = np.random.default_rng(seed)
    step = rng.standard_normal(vectors.shape).astype(np.float32)
    step -= (step * vectors).sum(axis=1, keepdims=True) * vectors  # orthogonal: the cosine is exact
    step /= np.linalg.norm(step, axis=1, keepdims=True)
    moved = vectors + np.float32(np.sqrt(1.0 / cosine**2 - 1.0)) * step
    return np.ascontiguousarray(moved / np.linalg.norm(moved, axis=1, keepdims=True), dtype=np.float32)


def move_index_vectors(index_dir: Path, seed: int, cosine: float = CPU_COSINE) -> None:
    """Rewrite the live generation's FAISS file of ``index_dir`` with every vector moved."""
    from index.store import current_generation, make_faiss_index

    path = current_generation(index_dir) / "vectors.faiss"
    index = faiss.read_index(str(path))
    vectors = index.reconstruct_n(0, index.ntotal)
    faiss.write_index(make_faiss_index(move_vectors(vectors, seed, cosine)), str(path))
