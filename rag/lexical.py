"""BM25 over paragraphs with Swedish stemming and compound matching.

Why paragraphs and not chunks: the paragraph is what gets cited, so the lexical
score should say which paragraph matches, not which group of paragraphs.

Why compound matching: Swedish writes "trygghetskameror" where a reader asks
about "kameror", and "brottsförebyggande" where a text says "förebygga brott".
Two query-side expansions (the index itself stays plain BM25, bm25s + PyStemmer):

* a query word is split into two parts when both parts are words of the corpus
  ("brottsförebyggande" -> "brott" + "förebyggande", a linking -s dropped);
* a query stem also matches the corpus stems that end with it
  ("kamer" -> "trygghetskamer"), found by binary search over reversed stems.

Expansion terms are scored separately and weighted down (``EXPANSION_WEIGHT``),
so an exact match still ranks first. ``evaluate`` measures both on the gold sets.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG

#: Words: numbers (with inner separators: 2 500, 2021-05-05 splits), letters with inner hyphens.
_WORD = re.compile(r"\d+(?:[.,:]\d+)*|[^\W\d_]+", re.UNICODE)
_STOP = frozenset(STOPWORDS_SWEDISH) | {"ska", "skall", "finns", "många", "hur", "vad", "vilka", "vilken",
                                         "vilket", "varför", "när", "var", "vem", "kommer", "också"}
#: BM25 term-frequency saturation and length normalisation. Paragraphs are short and a repeated word
#: says little more than one mention, so both are low. Measured (SweQUAD-MC recall@5 / MRR; seed gold
#: recall@3 / MRR): k1 1.2, b 0.75 (the common default) 0.900 / 0.800, 0.935 / 0.818; k1 0.9, b 0.4
#: 0.913 / 0.808; k1 0.5, b 0.5 0.915 / 0.812; k1 0.4, b 0.4 0.915 / 0.818, 0.935 / 0.819; k1 0.3,
#: b 0.3 0.912 / 0.813, 0.914 / 0.811; k1 1.2, b 0.9 0.895 / 0.791. RRF k 10/40 and dense weight
#: 0.8/1.2 re-checked with k1 0.4, b 0.4: no better than k 20, weight 1.0 on both sets.
BM25_K1 = 0.4
BM25_B = 0.4
EXPANSION_WEIGHT = 0.5  # an expansion term counts half an exact term: measured on the gold sets
#: a question word found only in the document's metadata counts this much toward coverage (measured on the
#: gold set's unanswerables: at 1.0 "Vad kostar skolmaten … i Huddinges skolor?" passes on "Huddinge" alone)
CONTEXT_COVERAGE_WEIGHT = 0.5
MIN_PART = 3  # shortest compound part, in characters (stems like "brott", "kamer")
MIN_SUFFIX_STEM = 4  # a query stem shorter than this is not matched as the tail of compounds
MAX_SUFFIX_MATCHES = 40  # per query stem; beyond that the tail is too generic to help


def words(text: str) -> list[str]:
    """Lower-cased word tokens; what the stemmer and the sentence scorer both start from."""
    return [w.lower() for w in _WORD.findall(text)]


@dataclass
class QueryTerms:
    exact: list[str]  # stems of the query words
    expanded: list[str]  # compound parts and compounds ending in a query stem


class Analyzer:
    """Stemming plus the corpus vocabulary that compound matching needs."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("swedish")
        self._cache: dict[str, str] = {}
        self.vocab: set[str] = set()  # stems of the corpus
        self._reversed: list[str] = []  # the same, reversed and sorted, for suffix lookup

    def stem(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is None:
            cached = self._stemmer.stemWord(word)
            if len(self._cache) < 500_000:
                self._cache[word] = cached
        return cached

    def terms(self, text: str) -> list[str]:
        """Index terms of a text: stems of the non-stopwords."""
        return [self.stem(w) for w in words(text) if w not in _STOP]

    def fit_vocabulary(self, stems: Iterable[str]) -> None:
        self.vocab = set(stems)
        self._reversed = sorted(s[::-1] for s in self.vocab)

    def query_terms(self, question: str, compounds: bool = True) -> QueryTerms:
        ws = [w for w in words(question) if w not in _STOP]
        exact = [self.stem(w) for w in ws]
        if not compounds:
            return QueryTerms(exact, [])
        expanded: list[str] = []
        seen = set(exact)
        for w, s in zip(ws, exact):
            for part in self._split_compound(w):
                if part not in seen:
                    seen.add(part)
                    expanded.append(part)
            for longer in self._compounds_ending_with(s):
                if longer not in seen:
                    seen.add(longer)
                    expanded.append(longer)
        return QueryTerms(exact, expanded)

    def _split_compound(self, word: str) -> list[str]:
        """Head and tail stems when both are corpus words; the longest tail wins."""
        if len(word) < 2 * MIN_PART + 1 or not word.isalpha():
            return []
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            tail = self.stem(word[i:])
            if tail not in self.vocab or len(tail) < MIN_PART:
                continue
            head = word[:i]
            for candidate in (head, head[:-1] if head.endswith("s") else None):
                if candidate and len(candidate) >= MIN_PART:
                    h = self.stem(candidate)
                    if h in self.vocab:
                        return [h, tail]
        return []

    def _compounds_ending_with(self, stem: str) -> list[str]:
        if len(stem) < MIN_SUFFIX_STEM:
            return []
        key = stem[::-1]
        lo = bisect.bisect_left(self._reversed, key)
        out = []
        for rev in self._reversed[lo:lo + MAX_SUFFIX_MATCHES + 1]:
            if not rev.startswith(key):
                break
            if len(rev) >= len(key) + MIN_PART:  # a real head in front, not an inflection
                out.append(rev[::-1])
        return out if len(out) <= MAX_SUFFIX_MATCHES else []


class LexicalIndex:
    """bm25s over a list of texts (paragraphs), addressed by position."""

    def __init__(self, texts: list[str], analyzer: Analyzer | None = None,
                 groups: list[int] | None = None, contexts: list[str] | None = None) -> None:
        self.analyzer = analyzer or Analyzer()
        corpus = [self.analyzer.terms(t) for t in texts]
        self._context = _ContextTerms(self.analyzer, groups, contexts) if groups is not None and contexts else None
        self.analyzer.fit_vocabulary(s for terms in corpus for s in terms)
        self.size = len(texts)
        self._bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        # an empty paragraph list still needs a valid (empty) index
        self._bm25.index(corpus if corpus else [[""]], show_progress=False)
        self._vocab_ids: dict[str, int] = self._bm25.vocab_dict
        df = np.diff(self._bm25.scores["indptr"]).astype(np.float64)  # texts per term (CSC columns)
        self._idf = np.log(1.0 + (max(self.size, 1) - df + 0.5) / (df + 0.5))
        self._max_idf = float(self._idf.max()) if len(self._idf) else 1.0

    def idf(self, stem: str) -> float:
        """BM25 idf of a stem; an unseen stem weighs as the rarest seen one (it cannot match)."""
        i = self._vocab_ids.get(stem)
        return float(self._idf[i]) if i is not None else self._max_idf

    def coverage(self, question: str, text: str, context: str = "") -> float:
        """Share of the question's IDF weight whose stems (or compound parts) occur in ``text``.

        ``context`` (the document's title, author, party, body) counts as found: in
        "Vad vill Dronjak …?" the name says which document, not what the paragraph must say.
        """
        q = self.analyzer.query_terms(question)
        if not q.exact:
            return 0.0
        stems = set(self.analyzer.terms(text))
        context_stems = set(self.analyzer.terms(context)) if context else set()
        expansions = set(q.expanded) & stems
        total = got = 0.0
        for s in q.exact:
            w = self.idf(s)
            total += w
            if s in stems:
                got += w
            elif any(e.endswith(s) or s.startswith(e) or s.endswith(e) for e in expansions):
                got += EXPANSION_WEIGHT * w
            elif s in context_stems:
                got += CONTEXT_COVERAGE_WEIGHT * w
        return got / total if total else 0.0

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
        total = np.zeros(max(self.size, 1), dtype=np.float32)
        for t in terms:
            groups = ctx.groups_of.get(t)
            s = self._scores([t])
            if groups:
                s = s.copy()
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
