"""The summary plan: "Sammanfatta protokollsanteckningen." answered with the document's main points.

Why (issue 18): answered as a fact, "Sammanfatta protokollsanteckningen." quoted
"Huddinge kommun" and "2021-05-05" — the lines that share a word with the question.
A summary is the document's own most central sentences, in the order the document
makes them, each cited.

Which document: the one the scope names, else the one whose title, type, author,
body and date cover the question's remaining words best ("protokollsanteckningen",
"Dronjaks svar", "interpellationen om Flemingsberg"); when none covers more than
half of them, the best-ranked paragraph's document, if its paragraph covers more
than half. Otherwise: "not found", since summarising the wrong document is worse.

Which sentences: each content sentence scored by the cosine between its stems and
the whole document's (TF-IDF over the index's BM25 idf), the classic centroid
summary: a sentence that says what the document keeps saying scores high; a
letterhead, a signature or an aside does not. The best ``points`` of them,
shown in document order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from index.sentences import sentence_spans

from .. import crosslingual
from ..answers import abstention, verified_answer
from ..citations import make_citation, set_quote, source_label
from ..content_lines import is_content
from ..lexical import words
from ..retrieve import Hit, document_context
from ..types import Answer, Citation

NAME = "summary"
MAX_POINTS = 5
MIN_POINTS = 2
SENTENCES_PER_POINT = 6  # a point per this many sentences of the document, between MIN_ and MAX_POINTS
MAX_CHARS = 1200
REPEAT = 0.8  # stems shared with a chosen sentence (Jaccard) above which a sentence repeats it
MATCH = 0.5  # share of the question's weight a document's details (or best paragraph) must cover

_SUMMARY = re.compile(
    r"^\s*(?:sammanfatta|summera|ge\s+(?:mig\s+)?en\s+sammanfattning\s+av|sammanfattning\s+av|"
    r"vad\s+är\s+huvudpunkterna\s+i|summari[sz]e|give\s+(?:me\s+)?a\s+summary\s+of|"
    r"what\s+are\s+the\s+main\s+points\s+of)\s+(?P<what>.+?)\s*[?.!]*\s*$|"
    r"^\s*vad\s+handlar\s+(?P<what2>.+?)\s+om\s*\??\s*$|^\s*what\s+is\s+(?P<what3>.+?)\s+about\s*\??\s*$",
    re.IGNORECASE)


def what_of(question: str) -> str:
    """What a summary question asks to summarise ("protokollsanteckningen"), or ""."""
    m = _SUMMARY.match(question)
    if not m:
        return ""
    return next((g for g in (m.group("what"), m.group("what2"), m.group("what3")) if g), "").strip()


def match(asked: Any) -> str | None:
    """The document a summary question names; None (the fact plan answers) when no document is clearly meant."""
    from . import in_source_words

    what = what_of(asked.question)
    return _document(asked.engine, asked.engine.retriever, in_source_words(asked, what)[0], asked.filters) \
        if what else None


def answer(doc_id: str, asked: Any) -> Answer:
    retriever = asked.engine.retriever
    text, used, points = compose(retriever, doc_id)
    if not used:  # a document of headings and signatures only
        hits = retriever.search(asked.question, k=3, filters=asked.filters)
        return abstention(asked.shown, [make_citation(retriever.reader, h, i + 1) for i, h in enumerate(hits)])
    out = verified_answer(asked.shown, text, used, points, used)
    if crosslingual.is_foreign(asked.question):
        out.notice = "Frågan är på engelska; svaret citerar svenska källor."
    return out


def _details(engine: Any, retriever) -> dict[str, frozenset[str]]:
    """Per document, the stems of its title, type, people, body and reference (once per index)."""
    from . import per_index

    def build(reader) -> dict[str, frozenset[str]]:
        terms = retriever.lexical.analyzer.terms
        return {doc_id: frozenset(terms(" ".join([doc.title or "", document_context(doc),
                                                  str(doc.meta.get("doc_type", "")),
                                                  str(doc.meta.get("reference", ""))])))
                for doc_id, doc in reader.documents.items()}

    return per_index(engine, "summary-details", build)


def _document(asked_engine: Any, retriever, what: str, filters) -> str | None:
    """The document the question names, or the scope's only one; None when no document is clearly meant."""
    allowed = retriever.allowed_docs(filters) if filters and not filters.is_empty() else None
    if filters and len(filters.doc_ids) == 1 and (allowed is None or filters.doc_ids[0] in allowed):
        return filters.doc_ids[0]
    lexical = retriever.lexical
    weights = lexical.coverage_weights(what)
    if not weights.total:
        return next(iter(allowed)) if allowed and len(allowed) == 1 else None
    best, best_cov = None, 0.0
    for doc_id, stems in _details(asked_engine, retriever).items():
        if allowed is not None and doc_id not in allowed:
            continue
        cov = weights.cover(stems)
        if cov > best_cov:
            best, best_cov = doc_id, cov
    if best is not None and best_cov > MATCH:
        return best
    hits: list[Hit] = retriever.search(what, k=1, filters=filters)
    if hits:
        para = retriever.reader.paragraph(hits[0].doc_id, hits[0].number)
        doc = retriever.reader.documents[hits[0].doc_id]
        if para and lexical.coverage(what, para.text, f"{doc.title}\n{document_context(doc)}") > MATCH:
            return hits[0].doc_id
    return None


def compose(retriever, doc_id: str) -> tuple[str, list[Citation], int]:
    """The document's most central sentences, in its own order, each paragraph cited once."""
    lexical = retriever.lexical
    paragraphs = [p for p in retriever.reader.paragraphs_of(doc_id) if p.kind != "heading"]
    sentences = []  # (paragraph, span, stem counts)
    for p in paragraphs:
        for s, e in sentence_spans(p.text):
            sentence = p.text[s:e]
            if len(words(sentence)) < 5 or not (is_content(sentence) or sentence.rstrip("”\"' )").endswith("?")):
                continue  # a letterhead, date, signature or fragment is no point of the document
            sentences.append((p, (s, e), Counter(lexical.analyzer.terms(sentence))))
    if not sentences:
        return "", [], 0
    whole = Counter()
    for *_, counts in sentences:
        whole.update(counts)
    centre = _weighted(whole, lexical)
    scored = [(_cosine(_weighted(counts, lexical), centre), i) for i, (*_, counts) in enumerate(sentences)]
    points = max(MIN_POINTS, min(MAX_POINTS, len(sentences) // SENTENCES_PER_POINT))
    chosen, used_chars = [], 0
    for _, i in sorted(scored, reverse=True):
        length = sentences[i][1][1] - sentences[i][1][0]
        if chosen and used_chars + length > MAX_CHARS:
            continue
        stems = set(sentences[i][2])
        if any(len(stems & set(sentences[j][2])) > REPEAT * len(stems | set(sentences[j][2])) for j in chosen):
            continue  # the document says it twice ("År 2019 fick …", "2019 fick …"): once is a point
        chosen.append(i)
        used_chars += length
        if len(chosen) >= points:
            break
    chosen.sort()  # the document's own order
    doc = retriever.reader.documents[doc_id]
    by_paragraph: dict[int, list[tuple[int, int]]] = {}
    for i in chosen:
        by_paragraph.setdefault(sentences[i][0].number, []).append(sentences[i][1])
    citations: dict[int, Citation] = {}
    meta = {k: v for k, v in doc.meta.items() if v and isinstance(v, str)}
    for number, spans in by_paragraph.items():
        para = retriever.reader.paragraph(doc_id, number)
        c = Citation(n=len(citations) + 1, doc_id=doc_id, title=doc.title, paragraph=number, text=para.text,
                     quote="", score=0.0, meta=dict(meta))
        set_quote(c, spans)
        citations[number] = c
    first = next(iter(citations.values()))
    lines = [f"Huvudpunkterna i ”{doc.title}” ({source_label(first)}), i dokumentets ordning:"]
    for i in chosen:
        p, (s, e), _ = sentences[i]
        lines.append(f"- ”{p.text[s:e]}” [{citations[p.number].n}]")
    return "\n".join(lines), list(citations.values()), len(chosen)


def _weighted(counts: Counter, lexical) -> dict[str, float]:
    return {t: (1 + math.log(n)) * lexical.idf(t) for t, n in counts.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    na, nb = math.sqrt(sum(w * w for w in a.values())), math.sqrt(sum(w * w for w in b.values()))
    return dot / (na * nb) if na and nb else 0.0
