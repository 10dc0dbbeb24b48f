"""The learned answer step: the reader's spans, a fitted answer-or-not decision, verbatim quotes.

Why: the rule-based step (``abstain`` + ``extractive``) decided with ~40 constants set
by hand on this project's own questions, and did not carry over to questions nobody
here wrote. Here both decisions are learned:

* **which words answer**: the reader (``rag.reader``) finds the best span in each of
  the top paragraphs;
* **whether they answer**: ``Decision`` turns the reader's margin (span vs. "no
  answer") and retrieval's signals (cosine, word coverage, rank) into a probability
  with a logistic regression fitted on squad-v2-sv's training articles run through
  the whole pipeline (``scripts/fit_answer_decision.py``), never on a gold set.

The quote is the sentence holding the span, verbatim, as character spans of the
paragraph (verified by the engine as before); the span itself is kept in
``Citation.answer_spans`` so the chat and the sources panel can mark it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from index.sentences import sentence_spans

from .citations import comparable, set_quote, source_label
from .content_lines import ASKS_WHO_WHEN, is_content
from .lexical import LexicalIndex
from .logistic import Logistic
from .reader import WEIGHTS_DIR, AnswerReader, Reading
from .types import Citation

DECISION = WEIGHTS_DIR / "answer_decision.json"
READ_PARAGRAPHS = 4  # the reader reads this many of the best paragraphs
MAX_QUOTES = 3  # the answering sentence and at most two that answer too, from other paragraphs
MAX_CHARS = 700
FEATURES = ("margin", "null", "dense", "coverage", "first")


class Decision(Logistic):
    """P(the span answers) = logistic(w · standardised features + b), fitted on training data."""

    @classmethod
    def load(cls, path: Path | None = None) -> "Decision | None":
        return cls.read(path or DECISION, FEATURES, "scripts/fit_answer_decision.py")


def features(reading: Reading, dense: float, coverage: float, rank: int) -> list[float]:
    """What the decision sees of one reading: the reader's belief and retrieval's."""
    return [reading.margin, reading.null, dense, coverage, 1.0 if rank == 0 else 0.0]


@dataclass
class Candidate:
    citation: Citation
    reading: Reading
    sentence: tuple[int, int]  # the quoted characters: the sentence(s) holding the span
    probability: float
    feature_values: list[float] = field(default_factory=list)


def _sentence_of(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The sentence(s) of ``text`` that hold ``span`` whole."""
    covering = [(s, e) for s, e in sentence_spans(text) if s < span[1] and e > span[0]]
    if not covering:
        return span
    return covering[0][0], covering[-1][1]


def candidates(question: str, citations: list[Citation], dense: list[float], reader: AnswerReader,
               decision: Decision, lexical: LexicalIndex, words: str | None = None) -> list[Candidate]:
    """One candidate per read paragraph, most probable first.

    The reader reads ``question`` as asked (an English one too: the model is multilingual);
    word coverage is counted with ``words``, the question in the sources' words when it was
    translated (``rag.crosslingual``).
    """
    top = citations[:READ_PARAGRAPHS]
    readings = reader.read(question, [c.text for c in top])
    who_when = bool(ASKS_WHO_WHEN.search(question))
    out = []
    for r in readings:
        c = top[r.index]
        sentence = _sentence_of(c.text, r.span)
        if not who_when and not is_content(c.text[sentence[0]:sentence[1]]):
            continue
        values = features(r, dense[r.index] if r.index < len(dense) else 0.0,
                          lexical.coverage(words or question, c.text), r.index)
        out.append(Candidate(c, r, sentence, decision.probability(values), values))
    out.sort(key=lambda k: -k.probability)
    return out


def compose(found: list[Candidate], decision: Decision) -> tuple[str, list[Citation], int]:
    """Answer text with ``[n]`` markers and the citations it uses; ("", [], 0) when nothing answers."""
    chosen = [k for k in found if k.probability >= decision.threshold]
    if not chosen:
        return "", [], 0
    picked: list[Candidate] = []
    seen: set[str] = set()
    used_chars = 0
    for k in chosen:
        quote = comparable(k.citation.text[k.sentence[0]:k.sentence[1]])
        length = k.sentence[1] - k.sentence[0]
        if quote in seen or (picked and used_chars + length > MAX_CHARS):
            continue  # interpellations repeat themselves: one copy of a sentence is enough
        seen.add(quote)
        picked.append(k)
        used_chars += length
        if len(picked) >= MAX_QUOTES:
            break
    used: list[Citation] = []
    lines: list[str] = []
    for n, k in enumerate(picked, start=1):
        c = k.citation
        set_quote(c, [k.sentence])
        c.answer_spans = [k.reading.span]
        c.n = n
        used.append(c)
        lines.append(f"{source_label(c)}: ”{c.text[k.sentence[0]:k.sentence[1]]}” [{n}]")
    return "\n".join(lines), used, len(picked)
