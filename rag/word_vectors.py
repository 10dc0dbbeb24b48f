"""Single-word vectors for English questions: kept in memory, kept on disk, embedded ahead of time.

Why: an English question is matched word by word against up to 200 words of its
source paragraphs (``crosslingual``), and every word the process has not seen
costs one short encoder pass (~3 ms on two cores). Asked cold, an English question
took 150–500 ms instead of ~15 ms. Two remedies, both here:

* a per-model SQLite file in the model cache (word, float32 bytes; nothing pickled),
  so a word is embedded once per machine, not once per process;
* ``prefetch``: the app embeds the index's vocabulary, most frequent words first,
  in a background thread that steps aside while a question is being answered.

A word vector depends only on the model and the word, so every index built with
the same model shares the file. Any trouble with the file (read-only disk, damage)
turns the disk layer off with a warning; questions never fail because of it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MEMORY_WORDS = 50_000  # vectors held in memory (384 floats each: ~77 MB at most)
PREFETCH_BATCH = 64  # words per encoder call while prefetching: ~0.2 s of work between pauses
PAUSE_SECONDS = 0.05  # how often a paused prefetch looks again whether the questions are done


def store_path(cache_dir: Path, model_id: str) -> Path:
    """One file per model: the readable part of the name for people, the hash for uniqueness."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", model_id).strip("-")[:60]
    digest = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:12]
    return cache_dir / "word-vectors" / f"{slug}-{digest}.sqlite"


class _DiskStore:
    """word -> vector in SQLite; safe for several processes (WAL, busy timeout)."""

    def __init__(self, path: Path, dim: int) -> None:
        self.path = path
        self.dim = dim
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._con() as con:
            con.execute("CREATE TABLE IF NOT EXISTS words (word TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            self._local.con = con
        return con

    def load(self, words: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        con = self._con()
        for start in range(0, len(words), 500):  # SQLite's parameter limit
            part = words[start:start + 500]
            rows = con.execute(f"SELECT word, vector FROM words WHERE word IN ({','.join('?' * len(part))})",
                               part).fetchall()
            for word, blob in rows:
                if isinstance(blob, bytes) and len(blob) == 4 * self.dim:  # anything else is ignored
                    out[word] = np.frombuffer(blob, dtype=np.float32)
        return out

    def save(self, items: dict[str, np.ndarray]) -> None:
        with self._con() as con:
            con.executemany("INSERT OR REPLACE INTO words VALUES (?, ?)",
                            [(w, np.asarray(v, dtype=np.float32).tobytes()) for w, v in items.items()])


class WordVectors:
    """Vectors of single words from the question encoder: memory (LRU), then disk, then the encoder."""

    def __init__(self, encoder, store: Path | None = None, size: int = MEMORY_WORDS) -> None:
        self.encoder = encoder
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._disk: _DiskStore | None = None
        if store is not None:
            try:
                self._disk = _DiskStore(store, int(encoder.dim))
            except (sqlite3.Error, OSError) as exc:
                log.warning("word vectors are not kept on disk (%s: %s)", type(exc).__name__, exc)

    def __len__(self) -> int:
        return len(self._cache)

    def get(self, items: list[str]) -> np.ndarray:
        """One row per item, in order; each unknown word is embedded (once) and remembered."""
        self._fill(list(dict.fromkeys(items)))
        with self._lock:
            out = []
            for w in items:
                v = self._cache.get(w)
                if v is None:  # evicted by a concurrent question meanwhile: embed it again
                    v = self.encoder.encode_queries([w])[0]
                else:
                    self._cache.move_to_end(w)
                out.append(v)
        return np.asarray(out, dtype=np.float32).reshape(len(items), -1)

    def prefetch(self, words: Iterable[str], should_pause: Callable[[], bool] = lambda: False,
                 stop: threading.Event | None = None) -> int:
        """Make ``words`` (most important first) known; returns how many had to be embedded.

        Works in small batches and waits while ``should_pause()`` says a question is being
        answered, so a user's question never queues behind the vocabulary.
        """
        words = list(dict.fromkeys(words))[: self.size]
        embedded = 0
        for start in range(0, len(words), PREFETCH_BATCH):
            while should_pause() and not (stop and stop.is_set()):
                time.sleep(PAUSE_SECONDS)
            if stop and stop.is_set():
                break
            embedded += self._fill(words[start:start + PREFETCH_BATCH], touch=False)
        return embedded

    def _fill(self, words: list[str], touch: bool = True) -> int:
        """Bring ``words`` into memory from disk or the encoder; returns how many were embedded."""
        with self._lock:
            missing = [w for w in words if w not in self._cache]
        if not missing:
            return 0
        found = self._disk_load(missing)
        todo = [w for w in missing if w not in found]
        if todo:
            fresh = dict(zip(todo, self.encoder.encode_queries(todo)))
            self._disk_save(fresh)
            found.update(fresh)
        with self._lock:
            for w in missing:
                self._cache[w] = found[w]
                if not touch:
                    self._cache.move_to_end(w, last=False)  # prefetched words are evicted before used ones
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return len(todo)

    def _disk_load(self, words: list[str]) -> dict[str, np.ndarray]:
        if self._disk is None:
            return {}
        try:
            return self._disk.load(words)
        except sqlite3.Error as exc:
            self._disk_failed(exc)
            return {}

    def _disk_save(self, items: dict[str, np.ndarray]) -> None:
        if self._disk is None:
            return
        try:
            self._disk.save(items)
        except sqlite3.Error as exc:
            self._disk_failed(exc)

    def _disk_failed(self, exc: Exception) -> None:
        log.warning("word vectors on disk turned off (%s: %s)", type(exc).__name__, exc)
        self._disk = None
