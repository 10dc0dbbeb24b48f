"""Hybrid retrieval: dense (FAISS over chunks) + BM25 (over paragraphs), fused per paragraph.

Why fuse on paragraphs: the answer cites paragraphs. A dense hit on a chunk
lends its score to every paragraph it covers; BM25 then tells which of them
actually carries the words. Reciprocal rank fusion needs no score calibration
between the two very different scales; its constants were tuned with
``python -m rag eval`` on the gold sets (see README). The best fused candidates
are then lifted by how much of the question one of their sentences covers
(``_sentence_match``): the proximity that a bag-of-words BM25 cannot see; and by how
much of it their whole document covers (``_document_match``): the question's words
that one paragraph lacks often stand elsewhere on its page.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import faiss
import numpy as np

from index import bm25_store
from index.embedder import QueryEncoder
from index.store import HNSW_EF_SEARCH, IndexReader

from .answer_type import asked_type, asks_for_person, states
from .lexical import CoverageWeights, LexicalIndex
from .types import Filters

RRF_K = 20  # small k: only the first few ranks matter for a cited answer (measured: better than 60)
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
TYPE_PRIOR = 1.0  # bonus, in rank-fusion units, for a candidate that names the asked person or party
TYPE_CANDIDATES = 30  # only this many of the best candidates are looked at
PERSON_DOCUMENTS = 3  # "Vem besvarade …?": the asked person is looked for in this many of the best documents
PERSON_SHARE = 0.5  # a paragraph naming them starts from this share of its document's best score
# "time" and "number" priors were measured too: +1 seed question, but SweQUAD-MC recall@5 -0.004/-0.006
# ("När …?" there mostly asks for a condition); a question that asks for a calendar date is answered by one
TYPE_PRIOR_KINDS = ("party", "date")
DENSE_CANDIDATES = 100  # chunks fetched from FAISS before fusion
LEXICAL_CANDIDATES = 100  # paragraphs taken from BM25 before fusion
#: the best fused candidates re-scored by how much of the question one of their sentences covers
SENTENCE_POOL = 30
#: bonus per unit of best-sentence coverage, in fused-score units (one rank step near the top is ~0.002)
SENTENCE_WEIGHT = 0.02
#: bonus per unit of how much of the question the candidate's whole document covers (``_document_match``)
DOCUMENT_WEIGHT = 0.03


@dataclass
class Hit:
    """A paragraph found for a question, with the signals that found it."""

    pos: int  # position in ParagraphTable
    doc_id: str
    number: int
    score: float  # fused score, higher is better
    dense: float  # cosine of the best chunk covering the paragraph (0 when not in the dense list)
    lexical: float  # raw BM25 score
    dense_rank: int | None
    lexical_rank: int | None


class ParagraphTable:
    """Every paragraph of the index by position, and which positions each chunk covers."""

    def __init__(self, reader: IndexReader) -> None:
        rows = list(reader.iter_paragraph_keys())
        self.doc_ids = [r[0] for r in rows]
        self.numbers = [r[1] for r in rows]
        self.kinds = [r[2] for r in rows]
        self.pos_of = {(r[0], r[1]): i for i, r in enumerate(rows)}
        self.chunk_positions: list[tuple[int, ...]] = [
            tuple(self.pos_of[(ref.doc_id, n)] for n in ref.paragraphs if (ref.doc_id, n) in self.pos_of)
            for ref in reader.chunk_refs
        ]
        self.doc_array = np.array(self.doc_ids, dtype=object)

    def __len__(self) -> int:
        return len(self.doc_ids)


class HybridRetriever:
    """Owns the searchable state of one index generation; thread-safe for queries."""

    def __init__(self, reader: IndexReader, encoder: QueryEncoder) -> None:
        self.reader = reader
        self.encoder = encoder
        self.table = ParagraphTable(reader)
        doc_list = list(reader.documents)
        group_of = {d: i for i, d in enumerate(doc_list)}
        stored = bm25_store.read(reader.generation, len(self.table))
        texts = None if stored is not None else [p.text for p in reader.iter_paragraphs()]  # older index
        self.lexical = LexicalIndex(texts, size=len(self.table), stored=stored,
                                    groups=[group_of.get(d, -1) for d in self.table.doc_ids],
                                    contexts=[document_context(reader.documents[d]) for d in doc_list])
        self._group_of = group_of
        self._named = _name_stems(self.lexical.analyzer, reader.documents.values())
        self._mask_cache: dict[tuple, tuple[np.ndarray, np.ndarray] | None] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- filters

    def allowed_docs(self, filters: Filters) -> set[str] | None:
        """Document ids a filter admits, or None for "all"."""
        if filters.is_empty():
            return None
        out = set()
        for doc_id, doc in self.reader.documents.items():
            meta = doc.meta
            if filters.doc_ids and doc_id not in filters.doc_ids:
                continue
            if filters.bodies and meta.get("body", "") not in filters.bodies:
                continue
            if filters.parties and not (set(_split_parties(meta.get("party", ""))) & set(filters.parties)):
                continue
            if filters.authors and meta.get("author", "") not in filters.authors:
                continue
            if filters.date_from or filters.date_to:
                d = meta.get("date", "")[:10]
                if not d:
                    continue
                if filters.date_from and d < filters.date_from.isoformat():
                    continue
                if filters.date_to and d > filters.date_to.isoformat():
                    continue
            out.add(doc_id)
        return out

    def _masks(self, filters: Filters) -> tuple[np.ndarray, np.ndarray] | None:
        """(paragraph 0/1 mask, allowed chunk rows) for a filter, cached: filters repeat in a chat."""
        key = (filters.doc_ids, filters.bodies, filters.parties, filters.authors,
               filters.date_from, filters.date_to)
        with self._lock:
            if key in self._mask_cache:
                return self._mask_cache[key]
        allowed = self.allowed_docs(filters)
        if allowed is None:
            result = None
        else:
            para_mask = np.fromiter((d in allowed for d in self.table.doc_ids), dtype=np.float32,
                                    count=len(self.table))
            rows = np.array([r.row for r in self.reader.chunk_refs if r.doc_id in allowed], dtype=np.int64)
            result = (para_mask, rows)
        with self._lock:
            if len(self._mask_cache) > 64:
                self._mask_cache.clear()
            self._mask_cache[key] = result
        return result

    # ---------------------------------------------------------------- search

    def embed_query(self, question: str) -> np.ndarray:
        return self.encoder.encode_queries([question])[0]

    def search(self, question: str, k: int = 10, filters: Filters | None = None,
               query_vector: np.ndarray | None = None, compounds: bool = True,
               use_dense: bool = True, use_lexical: bool = True) -> list[Hit]:
        """The ``k`` best paragraphs for ``question`` within ``filters``."""
        masks = self._masks(filters or Filters())
        if masks is not None and not len(masks[1]):
            return []
        dense_rank: dict[int, int] = {}
        dense_score: dict[int, float] = {}
        if use_dense and self.reader.faiss_index.ntotal:
            qv = self.embed_query(question) if query_vector is None else query_vector
            for rank, (row, sim) in enumerate(self._dense(qv, masks)):
                for pos in self.table.chunk_positions[row]:
                    if pos not in dense_score:
                        dense_score[pos] = sim
                        dense_rank[pos] = rank
        lex_rank: dict[int, int] = {}
        lex = np.zeros(len(self.table), dtype=np.float32)
        if use_lexical and len(self.table):
            lex = self.lexical.scores(question, None if masks is None else masks[0], compounds)
            top = _top_positive(lex, LEXICAL_CANDIDATES)
            lex_rank = {int(pos): rank for rank, pos in enumerate(top)}
        fused: dict[int, float] = {}
        for pos, rank in dense_rank.items():
            fused[pos] = fused.get(pos, 0.0) + DENSE_WEIGHT / (RRF_K + rank + 1)
        for pos, rank in lex_rank.items():
            fused[pos] = fused.get(pos, 0.0) + LEXICAL_WEIGHT / (RRF_K + rank + 1)
        texts: dict[int, str] = {}  # paragraph texts read for this question, by position
        if TYPE_PRIOR:
            self._type_prior(question, fused, texts)
        # within one chunk, paragraphs share a dense rank: BM25 breaks the tie, then order
        order = sorted(fused, key=lambda p: (-fused[p], -float(lex[p]), p))[:max(k, SENTENCE_POOL)]
        if use_lexical and order and (SENTENCE_WEIGHT or DOCUMENT_WEIGHT):
            weights = self.lexical.coverage_weights(question)  # what both steps measure against
            if SENTENCE_WEIGHT:
                self._sentence_match(weights, order, fused, texts)
            if DOCUMENT_WEIGHT:
                self._document_match(question, weights, order, fused)
            order.sort(key=lambda p: (-fused[p], -float(lex[p]), p))
        order = order[:k]
        return [Hit(pos=p, doc_id=self.table.doc_ids[p], number=self.table.numbers[p], score=fused[p],
                    dense=float(dense_score.get(p, 0.0)), lexical=float(lex[p]),
                    dense_rank=dense_rank.get(p), lexical_rank=lex_rank.get(p)) for p in order]

    def _text(self, pos: int, texts: dict[int, str]) -> str:
        """A candidate's paragraph text, read from the index once per question."""
        if pos not in texts:
            para = self.reader.paragraph(self.table.doc_ids[pos], self.table.numbers[pos])
            texts[pos] = para.text if para is not None else ""
        return texts[pos]

    def _sentence_match(self, weights: CoverageWeights, order: list[int], fused: dict[int, float],
                        texts: dict[int, str]) -> None:
        """Lift candidates with one sentence that covers the question (``LexicalIndex.best_sentence_coverage``).

        Measured with ``python -m rag eval`` (weight 0 -> 0.02): SweQUAD-MC recall@5
        0.913 -> 0.925, MRR 0.817 -> 0.831; seed gold recall@3 unchanged at 0.935, MRR
        0.818 -> 0.826. Weights 0.015 / 0.025 / 0.03 and pools of 20 / 40 / 80 were no better;
        rank fusion of the same signal did worse (its many ties); so did adding the title,
        the heading or the next sentence to what one sentence covers. Sentence-level dense
        vectors (every sentence embedded at build time) added at most +0.001 on top: not worth
        a second, larger set of vectors.
        """
        found = self.lexical.best_sentence_coverage(weights, [self._text(pos, texts) for pos in order])
        for pos, cov in zip(order, found):
            fused[pos] += SENTENCE_WEIGHT * cov

    def _document_match(self, question: str, weights: CoverageWeights, order: list[int],
                        fused: dict[int, float]) -> None:
        """Lift candidates whose document as a whole covers the question (``LexicalIndex.document_coverage``).

        Not for a question that names an author, a party or an addressee of the documents:
        those names already choose the documents (``LexicalIndex._context_scores``), and counted
        again here the longest document named won ("Vilka problem gör att kommunens
        brottsförebyggande arbete måste trappas upp enligt Socialdemokraterna?" lost its gold
        paragraph from the top 3 to the long answer of the other party).
        Measured with ``python -m rag eval`` (weight 0 / 0.01 / 0.02 / 0.03 / 0.04 / 0.06):
        SweQUAD-MC recall@5 0.928 / 0.931 / 0.931 / 0.932 / 0.935 / 0.936, MRR 0.834 / 0.836 /
        0.837 / 0.838 / 0.839 / 0.840; seed gold recall@3 0.957 at 0.03 and 0.04 (recall@1 0.742
        / 0.731, MRR 0.841 / 0.836), 0.946 at every weight without the name rule. Measured and
        not taken: the paragraph's neighbours (±1 to ±6) instead of the whole document (seeds
        0.925–0.935), only the best-covering document lifted (seeds 0.925–0.935), document-level
        BM25 (SweQUAD recall@1 0.757 against 0.768), the title counted in (no difference).
        On the full Riksdagen index, 300 question sentences of its interpellations: their own
        document first 0.950 -> 0.960, in the first 5 0.993 either way; 9 of the 300 name a
        person or party of the documents (``_name_stems``; with every metadata word, 219 did).
        """
        if self._named and not self._named.isdisjoint(_proper_name_stems(self.lexical.analyzer, question)):
            return
        groups = [self._group_of.get(self.table.doc_ids[pos], -1) for pos in order]
        for pos, cov in zip(order, self.lexical.document_coverage(weights, groups)):
            fused[pos] += DOCUMENT_WEIGHT * cov

    def _type_prior(self, question: str, fused: dict[int, float], texts: dict[int, str]) -> None:
        """Lift candidates that can state the kind of fact asked: a person of the document, a party.

        The fused list ranks by topic; "Vem besvarade interpellationen om Flemingsberg?" is
        answered by the signature line, which shares no topic word with the question. One
        rank-fusion step's worth of bonus, for the first ``TYPE_CANDIDATES`` candidates only.
        """
        person = asks_for_person(question)
        kind, focus = ("", []) if person else asked_type(question)
        if kind not in TYPE_PRIOR_KINDS:
            kind = ""
        if not person and not kind:
            return
        bonus = TYPE_PRIOR / (RRF_K + 1)
        ranked = sorted(fused, key=lambda p: -fused[p])
        if person:
            # a signature shares no word with the question: look in the best documents, not the best paragraphs
            best: dict[str, float] = {}
            for pos in ranked:
                best.setdefault(self.table.doc_ids[pos], fused[pos])
            for doc_id in list(best)[:PERSON_DOCUMENTS]:
                meta = self.reader.documents[doc_id].meta
                if person == "signer":
                    names = signature_lines(meta)
                else:
                    names = ([meta.get("author", "")] if person != "asker" else []) + \
                        (_names(meta.get("interpellant", "")) if person != "author" else [])
                names = [n for n in names if n]
                for para in self.reader.paragraphs_of(doc_id) if names else []:
                    if any(n in para.text for n in names):
                        pos = self.table.pos_of[(doc_id, para.number)]
                        fused[pos] = max(fused.get(pos, 0.0), PERSON_SHARE * best[doc_id]) + bonus
            return
        focus_stems = {self.lexical.analyzer.stem(w) for w in focus}
        for pos in ranked[:TYPE_CANDIDATES]:
            text = self._text(pos, texts)
            if text and states(kind, focus_stems, text, set(self.lexical.analyzer.terms(text))):
                fused[pos] += bonus

    def _dense(self, qv: np.ndarray, masks: tuple[np.ndarray, np.ndarray] | None) -> list[tuple[int, float]]:
        index = self.reader.faiss_index
        k = min(DENSE_CANDIDATES, index.ntotal if masks is None else len(masks[1]))
        if k <= 0:
            return []
        params = None
        if masks is not None:
            selector = faiss.IDSelectorBatch(masks[1])
            params = (faiss.SearchParametersHNSW(sel=selector, efSearch=max(k, HNSW_EF_SEARCH))
                      if isinstance(index, faiss.IndexHNSW) else faiss.SearchParameters(sel=selector))
        sims, rows = index.search(qv.reshape(1, -1).astype(np.float32), k, params=params)
        return [(int(r), float(s)) for r, s in zip(rows[0], sims[0]) if r >= 0]


PARTY_NAMES = {"S": "Socialdemokraterna", "M": "Moderaterna", "L": "Liberalerna", "C": "Centerpartiet",
               "KD": "Kristdemokraterna", "V": "Vänsterpartiet", "MP": "Miljöpartiet", "SD": "Sverigedemokraterna",
               "FP": "Folkpartiet"}
CONTEXT_KEYS = ("author", "party", "role", "interpellant", "recipient", "on_behalf_of", "body", "doc_type")


def document_context(doc) -> str:
    """What a question may say about a document rather than about one of its paragraphs.

    The title is left out: flattening its words hurt SweQUAD-MC (recall@5 0.900 -> 0.881),
    whose titles name what the right paragraph is about; counting them toward abstention
    coverage made no difference on the gold set.
    """
    meta = doc.meta or {}
    parts = [str(meta.get(k, "")) for k in CONTEXT_KEYS]
    parts += [PARTY_NAMES.get(p.upper(), "") for p in _split_parties(str(meta.get("party", "")))]
    return "\n".join(p for p in parts if p)


def signature_lines(meta: dict) -> list[str]:
    """How a document's signature lines begin: "För Mittenstyret," and the author's name."""
    return [m for m in (f"För {meta['on_behalf_of']}" if meta.get("on_behalf_of") else "",
                        meta.get("author", "")) if m]


_PROPER = re.compile(r"\b[A-ZÅÄÖÉ][\w-]+")


def _name_stems(analyzer, documents) -> frozenset[str]:
    """Stems of the names of the people and parties the documents are by or to.

    Only capitalised words count, and a recipient's topic is left out: older Riksdagen
    records read "statsministern om Sveriges agerande i frågan".
    """
    names: list[str] = []
    for doc in documents:
        meta = doc.meta
        for key in ("author", "interpellant", "recipient", "on_behalf_of"):
            names += _PROPER.findall(str(meta.get(key, "")).split(" om ")[0])
        names += [PARTY_NAMES[p] for p in _split_parties(str(meta.get("party", ""))) if p in PARTY_NAMES]
    return frozenset(t for t in analyzer.terms(" ".join(names)) if len(t) > 1)


def _proper_name_stems(analyzer, question: str) -> set[str]:
    """Stems of the capitalised words of a question after its first word: the names it may mention."""
    rest = question.split(maxsplit=1)[1:]
    return set(analyzer.terms(" ".join(_PROPER.findall(rest[0])))) if rest else set()


def _top_positive(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest positive scores, best first."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        part = np.argpartition(-scores[positive], k)[:k]
        positive = positive[part]
    return positive[np.argsort(-scores[positive], kind="stable")]


def _names(value: str) -> list[str]:
    """Person names in "Sara Heelge Vikmång (S) och Rasmus Lenefors (S)"."""
    return [n.strip() for n in re.split(r"\(.*?\)|,| och ", value) if len(n.strip()) > 3]


def _split_parties(value: str) -> list[str]:
    return [p.strip() for p in value.replace("/", ",").split(",") if p.strip()]
