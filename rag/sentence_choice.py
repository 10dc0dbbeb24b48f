"""The fitted answer step: which retrieved sentence answers, and whether any does, learned from data.

Why (issue 17): the rule-based step chose sentences with weights set by hand
(coverage against rank 0.65/0.35, a 0.3 bonus for a stated number, keep sentences
within 0.7 of the best) and decided "not found" with thresholds set by hand on
the project's own 119 questions (coverage 0.3, cosine 0.80/0.86). Those did not
carry over to questions nobody here wrote. Here the same cheap signals become
features of every candidate sentence, and one logistic regression, fitted by
``scripts/fit_sentence_choice.py`` on SweQUAD-MC questions run through the whole
pipeline, turns them into P(this sentence holds the answer):

* the best sentence is quoted first, further ones only if they pass too;
* no sentence passing the fitted threshold means "not found".

The threshold is fitted on the same training questions, each asked twice: once as
is, and once with every paragraph that holds its answer taken out of the results
(the realistic unanswerable question: on the subject, the answer not there).

Kept as rules, because they are about trust, not about scoring: a non-content line
never answers a content question (``content_lines``), a question naming a
municipality is answered from that municipality's documents (``engine``), and
every quote is a verbatim span, verified by the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from index.sentences import sentence_spans

from .answer_type import asked_type, states
from .citations import comparable
from .content_lines import ASKS_WHO_WHEN, quotable
from .lexical import LexicalIndex, words
from .logistic import Logistic
from .types import Citation

WEIGHTS = Path(__file__).resolve().parent / "weights" / "sentence_choice.json"
CANDIDATE_PARAGRAPHS = 4  # how deep in the ranking sentences are taken from
FEATURES = (
    "coverage",  # share of the question's IDF weight in the sentence
    "coverage_gap",  # that, minus the best candidate's (how it stands among the others)
    "paragraph_coverage",  # the same for its paragraph with the document's title and names
    "dense",  # cosine of the paragraph (its best chunk) to the question
    "dense_gap",  # that, minus the best paragraph's
    "prior",  # fused retrieval score over the best one's
    "first_paragraph",  # the paragraph ranked first
    "inverse_rank",  # 1 / (rank + 1)
    "opening",  # the paragraph's first sentence
    "typed",  # the question asks for a number, time, date or party
    "states_type",  # ... and this sentence states one (about the asked thing)
    "pairs",  # share of the question's adjacent word pairs that stand adjacent in the sentence (a paraphrase
    #           keeps some phrases; a sentence that merely shares words does not)
    "novel",  # share of the sentence's words the question does not have (an answer adds something)
    "log_words",  # length of the sentence
    "crosslingual",  # an English question, matched through translated words
)


@dataclass
class Candidate:
    """One sentence that may be quoted, with what the model sees of it."""

    citation: Citation
    span: tuple[int, int]
    rank: int  # of its paragraph
    values: list[float]
    probability: float = 0.0


class SentenceChoice(Logistic):
    """P(sentence answers) = logistic(w · standardised features + b), and the threshold to quote."""

    @classmethod
    def load(cls, path: Path | None = None) -> "SentenceChoice | None":
        """The fitted model, or None when the file is absent (the hand-set rules then answer)."""
        return cls.read(path or WEIGHTS, FEATURES, "scripts/fit_sentence_choice.py")


def candidates(question: str, citations: list[Citation], dense: list[float], lexical: LexicalIndex,
               contexts: list[str] | None = None, crosslingual: bool = False,
               headed: set[str] | None = None) -> list[Candidate]:
    """Every quotable sentence of the best paragraphs, with its feature values (no probability yet).

    ``question`` is in the sources' words (an English one already rewritten); ``dense``
    the cosine of each citation's paragraph; ``contexts`` each document's title and names.
    """
    citations = citations[:CANDIDATE_PARAGRAPHS]
    if not citations:
        return []
    ctx = list(contexts or [])[:len(citations)]
    ctx += [""] * (len(citations) - len(ctx))
    dense = list(dense[:len(citations)]) + [0.0] * (len(citations) - len(dense))
    top_score = max((c.score for c in citations), default=1.0) or 1.0
    top_dense = max(dense) if dense else 0.0
    kind, focus = asked_type(question)
    focus_stems = {lexical.analyzer.stem(w) for w in focus}
    who_when = bool(ASKS_WHO_WHEN.search(question))
    weights = lexical.coverage_weights(question)
    question_terms = lexical.analyzer.terms(question)
    question_stems = set(question_terms)
    question_pairs = set(zip(question_terms, question_terms[1:]))
    rows: list[tuple[Citation, tuple[int, int], int, list[float]]] = []
    for rank, (c, d, context) in enumerate(zip(citations, dense, ctx)):
        paragraph_cov = lexical.coverage(question, c.text, context)
        for span in sentence_spans(c.text):
            sentence = c.text[span[0]:span[1]]
            title = c.title if headed is None or c.doc_id in headed else ""
            if not quotable(sentence, question, title, who_when):
                continue  # a quoted question, a title, signature, date or heading line (content_lines)
            stems = lexical.analyzer.terms(sentence)
            stem_set = set(stems)
            cov = weights.cover(stem_set)
            novel = len(stem_set - question_stems) / (len(stem_set) or 1)
            pairs = len(question_pairs & set(zip(stems, stems[1:]))) / (len(question_pairs) or 1)
            said = bool(kind) and states(kind, focus_stems, sentence, stem_set)
            rows.append((c, span, rank, [cov, 0.0, paragraph_cov, d, d - top_dense, c.score / top_score,
                                         float(rank == 0), 1.0 / (rank + 1), float(span[0] == 0),
                                         float(bool(kind)), float(said), pairs, novel,
                                         math.log1p(len(words(sentence))), float(crosslingual)]))
    best_cov = max((v[0] for *_, v in rows), default=0.0)
    out = []
    for c, span, rank, values in rows:
        values[1] = values[0] - best_cov
        out.append(Candidate(c, span, rank, values))
    return out


def score(found: list[Candidate], model: SentenceChoice) -> list[Candidate]:
    """The candidates with their probabilities, best first."""
    for k in found:
        k.probability = model.probability(k.values)
    return sorted(found, key=lambda k: -k.probability)


MAX_SENTENCES = 4  # an answer, not a page
MAX_CHARS = 700  # quoted characters in all; a long first sentence is still kept


def choose(found: list[Candidate], model: SentenceChoice) -> list[Candidate]:
    """The sentences to quote, best first: the best if it passes the threshold, then others that pass.

    Empty means "not found". A sentence repeated verbatim in another document
    (interpellations quote each other) is quoted once.
    """
    ranked = score(found, model)
    if not ranked or ranked[0].probability < model.threshold:
        return []
    chosen, used = [ranked[0]], ranked[0].span[1] - ranked[0].span[0]
    seen = {_text(ranked[0])}
    for k in ranked[1:]:
        if len(chosen) >= MAX_SENTENCES or k.probability < model.threshold:
            break
        length = k.span[1] - k.span[0]
        if _text(k) in seen or used + length > MAX_CHARS:
            continue
        seen.add(_text(k))
        chosen.append(k)
        used += length
    return chosen


def _text(k: Candidate) -> str:
    return comparable(k.citation.text[k.span[0]:k.span[1]])
