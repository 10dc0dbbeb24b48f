"""BM25 scoring over paragraphs with Swedish stemming and compound matching (query side).

Why paragraphs and not chunks: the paragraph is what gets cited, so the lexical
score should say which paragraph matches, not which group of paragraphs.

The index itself is built with the index (``index.bm25_store``) and the text
analysis, compound splitting included, is ``index.analysis``. Expansion terms
are scored separately and weighted down (``EXPANSION_WEIGHT``), so an exact
match still ranks first. ``evaluate`` measures both on the gold sets.
"""

from __future__ import annotations

from collections.abc import Iterable

import bm25s
import numpy as np

from index import bm25_store
from index.analysis import Analyzer, words  # noqa: F401  (words: what the sentence scorers tokenise with)
from index.sentences import sentence_spans

EXPANSION_WEIGHT = 0.5  # an expansion term counts half an exact term: measured on the gold sets
#: a question word found only in the document's metadata counts this much toward coverage (measured on the
#: gold set's unanswerables: at 1.0 "Vad kostar skolmaten … i Huddinges skolor?" passes on "Huddinge" alone)
CONTEXT_COVERAGE_WEIGHT = 0.5


class LexicalIndex:
    """bm25s over a list of texts (paragraphs), addressed by position."""

    def __init__(self, texts: list[str] | None = None, *, size: int | None = None,
                 stored: bm25s.BM25 | None = None,
                 groups: list[int] | None = None, contexts: list[str] | None = None) -> None:
        """Over ``texts``, or over a ``stored`` index of ``size`` texts (``index.bm25_store.read``)."""
        self.analyzer = Analyzer()
        if stored is None:
            texts = texts or []
            stored = bm25_store.build(texts, self.analyzer)
            size = len(texts)
        self.size = int(size or 0)
        self._bm25 = stored
        self._vocab_ids: dict[str, int] = self._bm25.vocab_dict
        self.analyzer.fit_vocabulary(self._vocab_ids)
        self._context = _ContextTerms(self.analyzer, groups, contexts) if groups is not None and contexts else None
        self._groups = np.asarray(groups if groups is not None else range(self.size), dtype=np.int64)
        df = np.diff(self._bm25.scores["indptr"]).astype(np.float64)  # texts per term (CSC columns)
        self._idf = np.log(1.0 + (max(self.size, 1) - df + 0.5) / (df + 0.5))
        self._max_idf = float(self._idf.max()) if len(self._idf) else 1.0

    def idf(self, stem: str) -> float:
        """BM25 idf of a stem; an unseen stem weighs as the rarest seen one (it cannot match)."""
        i = self._vocab_ids.get(stem)
        return float(self._idf[i]) if i is not None else self._max_idf

    def knows(self, word: str) -> bool:
        """Whether any paragraph of the index has this word (by its stem)."""
        return any(t in self._vocab_ids for t in self.analyzer.terms(word))

    def coverage(self, question: str, text: str, context: str = "") -> float:
        """Share of the question's IDF weight whose stems (or compound parts) occur in ``text``.

        ``context`` (the document's title, author, party, body) counts as found: in
        "Vad vill Dronjak …?" the name says which document, not what the paragraph must say.
        """
        context_stems = set(self.analyzer.terms(context)) if context else set()
        return self.coverage_weights(question).cover(set(self.analyzer.terms(text)), context_stems)

    def best_sentence_coverage(self, weights: CoverageWeights, texts: list[str]) -> list[float]:
        """Per text, the coverage of its best-covered single sentence (``weights``: ``coverage_weights``).

        Why: BM25 scores a paragraph as a bag of words, so a long paragraph that scatters
        the question's words over five sentences can outrank the one sentence that says
        what was asked. A question is usually a paraphrase of one sentence; how much of it
        one sentence covers is the proximity signal BM25 lacks (measured in ``rag.retrieve``).
        """
        out = []
        for text in texts:
            best = 0.0
            for s, e in sentence_spans(text):
                best = max(best, weights.cover(set(self.analyzer.terms(text[s:e]))))
            out.append(best)
        return out

    def document_coverage(self, weights: CoverageWeights, groups: list[int]) -> list[float]:
        """Per group (document), the share of the question's IDF weight found anywhere in its paragraphs.

        Read off BM25's posting lists (which paragraphs hold a stem), so no text is read.
        Why: a question is usually written about one document, and its words that one paragraph
        lacks often stand elsewhere in that document ("Vad är de vanligaste materialen smeder
        arbetar med?": "smeder" is in the page's other paragraphs, not in the one that lists the
        materials). Measured in ``rag.retrieve`` (``DOCUMENT_WEIGHT``).
        """
        if not weights.total or not groups:
            return [0.0] * len(groups)
        wanted = np.asarray(groups, dtype=np.int64)
        got = np.zeros(len(wanted))
        for stem, w, related in weights.terms:
            here = np.isin(wanted, self._groups_with([stem]))
            got += w * here
            if related:
                got += EXPANSION_WEIGHT * w * (~here & np.isin(wanted, self._groups_with(related)))
        return list(got / weights.total)

    def _groups_with(self, stems: Iterable[str]) -> np.ndarray:
        """The groups of the texts that contain any of ``stems``."""
        scores = self._bm25.scores
        ids = [self._vocab_ids[t] for t in stems if t in self._vocab_ids]
        if not ids:
            return np.zeros(0, dtype=np.int64)
        indptr, indices = scores["indptr"], scores["indices"]
        positions = np.concatenate([indices[indptr[i]:indptr[i + 1]] for i in ids])
        return self._groups[positions[positions < len(self._groups)]]

    def coverage_weights(self, question: str) -> CoverageWeights:
        """What the coverage scorers measure a text against; work it out once per question (a Riksdagen
        question's ~140 compound expansions make it ~1 ms) and pass it to each of them."""
        q = self.analyzer.query_terms(question)
        expanded = set(q.expanded)
        return CoverageWeights([(s, self.idf(s), frozenset(e for e in expanded
                                                          if e.endswith(s) or s.startswith(e) or s.endswith(e)))
                                for s in q.exact])

    def scores(self, question: str, mask: np.ndarray | None = None, compounds: bool = True) -> np.ndarray:
        """BM25 score of every text; ``mask`` (0/1 per text) restricts to a filter."""
        q = self.analyzer.query_terms(question, compounds)
        if self._context is not None:
            total = self._context_scores(q.exact)
            if q.expanded:
                total = total + EXPANSION_WEIGHT * self._context_scores(q.expanded)
        else:
            total = self._scores(q.exact)
            if q.expanded:
                total = total + EXPANSION_WEIGHT * self._scores(q.expanded)
        if mask is not None:
            total = total * mask
        return total[: self.size]

    def _context_scores(self, terms: list[str]) -> np.ndarray:
        """BM25, except that a term naming a document's context scores alike in all its paragraphs.

        Why: in "Vilka frivilliga insatser stöder kommunen enligt Dronjak?" the name picks the
        document, not the paragraph; scored plainly it makes the signature line
        ("Daniel Dronjak (M)") the best match. Flattened, the name still lifts every
        paragraph of Dronjak's documents, and the other words choose among them.
        Measured: seed gold recall@3 0.860 -> 0.903 with the person/party prior; SweQUAD-MC,
        which has no such metadata, unchanged.
        """
        ctx = self._context
        plain = [t for t in terms if not ctx.groups_of.get(t)]
        # terms naming no document's details score as plain BM25, all in one pass (a question's compound
        # expansions run to ~140 terms on the Riksdagen corpus: one pass each took ~7 ms a question)
        total = self._scores(plain).astype(np.float32, copy=True) if plain else \
            np.zeros(max(self.size, 1), dtype=np.float32)
        for t in terms:
            groups = ctx.groups_of.get(t)
            if not groups:
                continue
            s = self._scores([t]).copy()
            fallback = self.idf(t)  # what one occurrence in an average-length paragraph scores
            for g in groups:
                pos = ctx.positions[g]
                if len(pos):
                    s[pos] = max(float(s[pos].max()), fallback)
            total += s
        return total

    def _scores(self, terms: list[str]) -> np.ndarray:
        ids = [self._vocab_ids[t] for t in terms if t in self._vocab_ids]
        if not ids:
            return np.zeros(max(self.size, 1), dtype=np.float32)
        return self._bm25.get_scores_from_ids(ids)



class CoverageWeights:
    """Coverage of one question: (stem, idf, the expansion stems that stand for it), per question term."""

    def __init__(self, terms: list[tuple[str, float, frozenset[str]]]) -> None:
        self.terms = terms
        self.total = sum(w for _, w, _ in terms)

    def cover(self, stems: set[str], context_stems: frozenset[str] | set[str] = frozenset()) -> float:
        """Share of the question's IDF weight found in ``stems``: an exact stem fully, a compound part or
        longer compound (``EXPANSION_WEIGHT``) or a word of the document's details (``CONTEXT_COVERAGE_WEIGHT``)
        in part."""
        if not self.total:
            return 0.0
        got = 0.0
        for s, w, related in self.terms:
            if s in stems:
                got += w
            elif related and not related.isdisjoint(stems):
                got += EXPANSION_WEIGHT * w
            elif s in context_stems:
                got += CONTEXT_COVERAGE_WEIGHT * w
        return got / self.total


class _ContextTerms:
    """Which documents (groups of paragraphs) each stem describes: author, party, role, body, type."""

    def __init__(self, analyzer: Analyzer, groups: list[int], contexts: list[str]) -> None:
        order = np.argsort(np.asarray(groups, dtype=np.int64), kind="stable")
        sorted_groups = np.asarray(groups, dtype=np.int64)[order]
        bounds = np.searchsorted(sorted_groups, np.arange(len(contexts) + 1))
        self.positions = [order[bounds[g]:bounds[g + 1]] for g in range(len(contexts))]
        self.groups_of: dict[str, list[int]] = {}
        for g, text in enumerate(contexts):
            for stem in set(analyzer.terms(text)):
                self.groups_of.setdefault(stem, []).append(g)
