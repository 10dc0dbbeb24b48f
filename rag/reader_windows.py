"""(question, paragraph) → the token windows the reader reads, with each token's characters.

Why one module for training and question time: the reader learns positions in
exactly these windows; if the question side cut them differently (other special
tokens, another question length, another overlap), its spans would land beside the
answer. The layout is XLM-R's pair template, as e5's tokenizer defines it:
``<s> question </s></s> passage-window </s>``. Position 0 (``<s>``) is "no answer"
(SQuAD 2.0's convention). A paragraph longer than one window is read in
overlapping windows, so an answer near a cut is whole in one of them.

Only ``tokenizers`` is needed: the query side never imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_TOKENS = 256  # a window, question and special tokens included: SweQUAD/SQuAD paragraphs fit whole
MAX_QUESTION_TOKENS = 48  # a longer question is cut (its last words rarely carry what is asked)
STRIDE = 64  # tokens two consecutive windows of one paragraph share
CLS_ID, PAD_ID, SEP_ID = 0, 1, 2  # <s>, <pad>, </s> of multilingual-e5 (XLM-R vocabulary)


@dataclass(frozen=True)
class Window:
    """One window: its token ids and, for each passage token, its characters in the paragraph."""

    input_ids: list[int]
    passage_start: int  # index in ``input_ids`` of the first passage token
    offsets: list[tuple[int, int]]  # (start, end) characters of passage token i (at passage_start + i)

    @property
    def passage_end(self) -> int:
        """One past the last passage token (the closing ``</s>`` sits here)."""
        return self.passage_start + len(self.offsets)


def load_tokenizer(model_dir: Path) -> Any:
    """e5's fast tokenizer without its template: windows are assembled here, token by token."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


@dataclass(frozen=True)
class Encoded:
    """A text's tokens without special tokens, with character offsets (reused for every question on it)."""

    ids: list[int]
    offsets: list[tuple[int, int]]


def encode(tokenizer: Any, text: str) -> Encoded:
    enc = tokenizer.encode(text, add_special_tokens=False)
    # SentencePiece's "▁word" token starts at the space before the word: start at the word itself
    offsets = []
    for start, end in enc.offsets:
        while start < end and text[start].isspace():
            start += 1
        offsets.append((start, end))
    return Encoded(list(enc.ids), offsets)


def windows(question: Encoded, passage: Encoded, max_tokens: int = MAX_TOKENS,
            stride: int = STRIDE) -> list[Window]:
    """The windows over ``passage`` for ``question``: every passage token is in at least one."""
    q = question.ids[:MAX_QUESTION_TOKENS]
    head = [CLS_ID, *q, SEP_ID, SEP_ID]
    room = max_tokens - len(head) - 1
    out: list[Window] = []
    start = 0
    n = len(passage.ids)
    while True:
        end = min(n, start + room)
        out.append(Window(head + passage.ids[start:end] + [SEP_ID], len(head), passage.offsets[start:end]))
        if end >= n:
            return out
        start = end - stride


def char_span_to_tokens(window: Window, start: int, end: int) -> tuple[int, int] | None:
    """Input positions of the first and last passage token covering characters [start, end), if whole here."""
    first = last = None
    for i, (s, e) in enumerate(window.offsets):
        if first is None and e > start:
            if s > start and i == 0:
                return None  # the answer starts before this window
            first = i
        if s < end:
            last = i
    if first is None or last is None or last < first:
        return None
    if window.offsets[-1][1] < end:
        return None  # the answer runs past this window
    return window.passage_start + first, window.passage_start + last
