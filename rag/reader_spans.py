"""The reader's logits → the best answer span of one window, in the paragraph's characters.

Shared by training (held-out figures) and the product, so both read the same way:
a span starts and ends inside the passage, ends at or after its start, and is at
most ``MAX_ANSWER_TOKENS`` long; its score is start + end logit, compared with the
no-answer score at position 0 (``<s>``), as in SQuAD 2.0's reference readers.
"""

from __future__ import annotations

import numpy as np

from collections.abc import Hashable, Iterable

from .reader_windows import Window

MAX_ANSWER_TOKENS = 30
TOP = 20  # start and end candidates looked at per window


def best_span(start: np.ndarray, end: np.ndarray, window: Window,
              null: float | None = None) -> tuple[float, tuple[int, int], float] | None:
    """(span score, (first char, end char), no-answer score), or None if the window has no passage."""
    lo, hi = window.passage_start, window.passage_end
    if hi <= lo:
        return None
    s, e = start[lo:hi], end[lo:hi]
    starts = np.argsort(-s)[:TOP]
    ends = np.argsort(-e)[:TOP]
    best: tuple[float, int, int] | None = None
    for i in starts:
        for j in ends:
            if j < i or j - i + 1 > MAX_ANSWER_TOKENS:
                continue
            score = float(s[i] + e[j])
            if best is None or score > best[0]:
                best = (score, int(i), int(j))
    if best is None:
        return None
    score, i, j = best
    return score, (window.offsets[i][0], window.offsets[j][1]), float(start[0] + end[0] if null is None else null)


def best_per_passage(read: Iterable[tuple[Hashable, Window, np.ndarray, np.ndarray, float | None]]
                     ) -> dict[Hashable, tuple[float, tuple[int, int], float]]:
    """Over all windows of each passage: its best span and score, and its lowest no-answer score.

    ``read`` yields (passage key, window, start logits, end logits, no-answer score or None).
    The lowest null over a
    passage's windows is SQuAD 2.0's reference convention: one window that sees the
    whole answer context should not be outvoted by windows that see none of it.
    """
    out: dict[Hashable, tuple[float, tuple[int, int], float]] = {}
    for key, window, start, end, null in read:
        found = best_span(start, end, window, null)
        if found is None:
            continue
        old = out.get(key)
        if old is None:
            out[key] = found
        else:
            best = found if found[0] > old[0] else old
            out[key] = (best[0], best[1], min(found[2], old[2]))
    return out
