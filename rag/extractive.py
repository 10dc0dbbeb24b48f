"""The default answer: a few sentences quoted verbatim from the best paragraphs, each cited.

Why extractive: no LLM ships offline, and a quoted sentence cannot misquote its
source. The work is in choosing: sentences are scored by how much of the
question's weight (IDF of its stems, compound parts included) they cover, plus
the rank of their paragraph, so the first sentence answers and the rest add to it.
Quotes are taken as character spans of the paragraph, never retyped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from index.sentences import sentence_spans

from .citations import comparable, set_quote, source_label
from .continuation import widened
from .content_lines import ASKS_WHO_WHEN, quotable
from .answer_type import asked_type, states
from .lexical import LexicalIndex
from .types import Citation

MAX_SENTENCES = 4  # an answer, not a page
MAX_CHARS = 700  # quoted characters in all; a long first sentence is still kept
CANDIDATE_PARAGRAPHS = 4  # how deep in the ranking sentences are taken from
KEEP_RATIO = 0.7  # a further sentence must score at least this share of the best one
RANK_WEIGHT = 0.35  # how much the paragraph's retrieval rank counts against word coverage
TYPE_BONUS = 0.3  # a sentence stating the asked kind of fact (a number for "hur många") goes first


@dataclass
class ScoredSentence:
    citation: Citation
    span: tuple[int, int]
    coverage: float  # share of the question's term weight found in the sentence, 0..1
    score: float
    rank: int  # of its paragraph


def choose_sentences(lexical: LexicalIndex, question: str, citations: list[Citation],
                     headed: set[str] | None = None) -> list[ScoredSentence]:
    """The sentences to quote, best first by score, then put in reading order by the caller.

    ``headed``: the documents whose title heads more text (a sentence repeating it is no content);
    None means all. A one-line note titled by its only sentence is headed by nothing.
    """
    scored: list[ScoredSentence] = []
    top = max((c.score for c in citations), default=1.0) or 1.0
    kind, focus = asked_type(question)
    focus_stems = {lexical.analyzer.stem(w) for w in focus}
    who_when = bool(ASKS_WHO_WHEN.search(question))
    for rank, c in enumerate(citations[:CANDIDATE_PARAGRAPHS]):
        for span in sentence_spans(c.text):
            sentence = c.text[span[0]:span[1]]
            title = c.title if headed is None or c.doc_id in headed else ""
            if not quotable(sentence, question, title, who_when):
                continue  # a quoted question, a title, signature, date or heading line (content_lines)
            cov = lexical.coverage(question, sentence)
            prior = c.score / top
            position_bonus = 0.05 if span[0] == 0 else 0.0  # a paragraph's opening sentence states its point
            score = (1 - RANK_WEIGHT) * cov + RANK_WEIGHT * prior + position_bonus
            if kind and states(kind, focus_stems, sentence, set(lexical.analyzer.terms(sentence))):
                score += TYPE_BONUS
            scored.append(ScoredSentence(c, span, cov, score, rank))
    if not scored:
        return []
    scored.sort(key=lambda s: -s.score)
    best = scored[0]
    chosen = [best]
    used = best.span[1] - best.span[0]
    seen = {_same_text(best)}
    for s in scored[1:]:
        if len(chosen) >= MAX_SENTENCES:
            break
        if s.score < KEEP_RATIO * best.score or (best.coverage > 0 and s.coverage == 0):
            continue
        if _same_text(s) in seen:  # the same sentence in another document (interpellations repeat themselves)
            continue
        seen.add(_same_text(s))
        length = s.span[1] - s.span[0]
        if used + length > MAX_CHARS:
            continue
        chosen.append(s)
        used += length
    return chosen


def _same_text(s: ScoredSentence) -> str:
    return comparable(s.citation.text[s.span[0]:s.span[1]])


def compose(question: str, lexical: LexicalIndex, citations: list[Citation],
            headed: set[str] | None = None) -> tuple[str, list[Citation], int]:
    """Answer text with ``[n]`` markers, the citations it uses (quotes set), and the sentence count."""
    return compose_chosen(choose_sentences(lexical, question, citations, headed), citations,
                          widener(lexical, question, headed))


Widen = Callable[[Citation, list[tuple[int, int]]], list[tuple[int, int]]]


def widener(lexical: LexicalIndex, question: str, headed: set[str] | None = None) -> Widen:
    """How a paragraph's chosen sentences grow to the sentences they lean on (``rag.continuation``)."""
    stems = set(lexical.analyzer.terms(question))
    who_when = bool(ASKS_WHO_WHEN.search(question))

    def widen(c: Citation, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        title = c.title if headed is None or c.doc_id in headed else ""
        return widened(c.text, spans, stems, lexical.analyzer.terms,
                       lambda sentence: quotable(sentence, question, title, who_when))
    return widen


def compose_chosen(chosen: list, citations: list[Citation], widen: Widen | None = None
                   ) -> tuple[str, list[Citation], int]:
    """The answer text for sentences already chosen (best first; each has ``citation`` and ``span``).

    ``widen``: adds to each paragraph's chosen sentences those they lean on (``widener``); the
    sentence count returned is of the sentences quoted, added ones included.
    """
    if not chosen:
        return "", [], 0
    by_citation: dict[int, list[tuple[int, int]]] = {}
    for s in chosen:
        by_citation.setdefault(s.citation.n, []).append(s.span)
    by_number = {c.n: c for c in citations}  # looked up before any is renumbered below
    if widen is not None:
        by_citation = {n: widen(by_number[n], spans) for n, spans in by_citation.items()}
    # reading order: the citation holding the best sentence first, then by retrieval rank
    order = [chosen[0].citation.n] + sorted({s.citation.n for s in chosen[1:]} - {chosen[0].citation.n},
                                             key=lambda n: next(c.score for c in citations if c.n == n),
                                             reverse=True)
    used: list[Citation] = []
    lines: list[str] = []
    for new_n, old_n in enumerate(order, start=1):
        c = by_number[old_n]
        spans = sorted(by_citation[old_n])
        set_quote(c, spans)
        c.n = new_n
        used.append(c)
        quoted = " ".join(f"”{c.text[s:e]}”" for s, e in spans)
        lines.append(f"{source_label(c)}: {quoted} [{new_n}]")
    return "\n".join(lines), used, sum(len(spans) for spans in by_citation.values())
