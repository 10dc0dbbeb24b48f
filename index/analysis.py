"""How text becomes lexical terms: words, Swedish stopwords, Snowball stems, compound parts.

Why in ``index/``: the BM25 index is built with these terms (``bm25_store``) and
questions are searched with them (``rag.lexical``); both sides must analyse
text identically, so the one definition lives on the build side, which the
query side already depends on. ``ANALYZER_VERSION`` is recorded with a stored
BM25 index: change the analysis and bump it, and old indexes are re-analysed
in memory instead of being searched with mismatched terms.

Why compound matching: Swedish writes "trygghetskameror" where a reader asks
about "kameror", and "brottsförebyggande" where a text says "förebygga brott".
Two query-side expansions (the index itself stays plain BM25, bm25s + PyStemmer):

* a query word is split into two parts when both parts are words of the corpus
  ("brottsförebyggande" -> "brott" + "förebyggande", a linking -s dropped);
* a query stem also matches the corpus stems that end with it
  ("kamer" -> "trygghetskamer"), found by binary search over reversed stems.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH

ANALYZER_VERSION = 2  # 2: genitive -ers and definite -orn stemmed like their base form

#: Words: numbers (with inner separators: 2 500, 2021-05-05 splits), letters with inner hyphens.
_WORD = re.compile(r"\d+(?:[.,:]\d+)*|[^\W\d_]+", re.UNICODE)
STOPWORDS = frozenset(STOPWORDS_SWEDISH) | {"ska", "skall", "finns", "många", "hur", "vad", "vilka", "vilken",
                                            "vilket", "varför", "när", "var", "vem", "kommer", "också"}
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
        """Snowball's Swedish stem, mended where it leaves a word apart from its base form.

        Snowball strips only the genitive -s of "tandteknikers" ("tandtekniker", while
        "tandtekniker" itself stems to "tandteknik"), only -es of "tränares" ("tränar";
        "tränare": "trän") and nothing of "revisorn" (while "revisor" stems to "revis"):
        those endings are stemmed as the base form is.
        Measured: SweQUAD-MC recall@5 0.925 -> 0.929 ("Vad är en tandteknikers uppgift?"
        found its paragraph by BM25 at all only after this); the seed gold set unchanged.
        """
        cached = self._cache.get(word)
        if cached is None:
            cached = self._stemmer.stemWord(word)
            if (word.endswith("ers") and cached == word[:-1]) or \
                    (word.endswith("ares") and cached == word[:-2]) or \
                    (len(word) >= 6 and word.endswith("orn") and cached == word):
                cached = self._stemmer.stemWord(word[:-1])
            if len(self._cache) < 500_000:
                self._cache[word] = cached
        return cached

    def terms(self, text: str) -> list[str]:
        """Index terms of a text: stems of the non-stopwords."""
        return [self.stem(w) for w in words(text) if w not in STOPWORDS]

    def fit_vocabulary(self, stems: Iterable[str]) -> None:
        self.vocab = set(stems)
        self.vocab.discard("")  # bm25s's placeholder token of an empty index
        self._reversed = sorted(s[::-1] for s in self.vocab)

    def query_terms(self, question: str, compounds: bool = True) -> QueryTerms:
        ws = [w for w in words(question) if w not in STOPWORDS]
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
