"""The overview plan: "Vad har riksdagsledamöter frågat om X?" answered with the documents, not one sentence.

Why (issue 18): a journalist asking who has raised a subject wants the list — who,
party, date, title — with one quote each, newest first, and how many there are in
all. The fact plan answered it with the three best sentences of any paragraph,
two of them not about the subject at all.

How: the subject (``topic``) is what follows "om"/"about"; the paragraphs the hybrid
search finds for it and those BM25 scores highest are read, and a document counts
when one of its sentences *mentions the subject*: covers more than half of the
subject's IDF weight (so "trygghet" alone, half of the compound
"trygghetskameror", does not). Each document is cited once, with its
best-ranked mentioning sentence, verbatim; a quoted question is kept here, since
what members asked is the answer. Nothing mentioning the subject is "not found".
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from dataclasses import dataclass

from index.sentences import sentence_spans

from ..answers import RELATED_SHOWN, abstention, verified_answer
from ..citations import make_citation, quote_is_verbatim, set_quote, source_label
from ..content_lines import is_content
from ..crosslingual import notice
from ..lexical import words
from ..retrieve import HybridRetriever
from ..types import Answer, Citation, Filters

SHOWN = 8  # documents listed; the count says how many there are in all
HYBRID_DEPTH = 120  # paragraphs of the hybrid search read for the subject
LEXICAL_DEPTH = 400  # and of BM25 alone: what mentions the subject by name, however far down
MENTION = 0.5  # a sentence mentions the subject when it covers more than this share of its weight

_OVERVIEW = re.compile(
    r"^\s*(?:"
    r"vad\s+har\s+(?:\w+\s+){0,2}?(?:ledamöter(?:na)?|riksdagsledamöter(?:na)?|politiker(?:na)?|partier(?:na)?|"
    r"ministrar(?:na)?|man|någon|de)\s+(?:frågat|skrivit|sagt|interpellerat|tagit\s+upp|tyckt)\s+om|"
    r"vem\s+har\s+(?:frågat|skrivit|interpellerat|sagt\s+något)\s+om|vem\s+har\s+tagit\s+upp|"
    r"vilka\s+har\s+(?:frågat|skrivit|interpellerat)\s+om|vilka\s+har\s+tagit\s+upp|"
    r"vilka\s+(?:interpellationer|dokument|frågor)\s+(?:handlar\s+om|finns\s+om|tar\s+upp|nämner|gäller)|"
    r"who\s+(?:has|have)\s+(?:asked|written|raised|interpellated)(?:\s+(?:about|on))?|"
    r"what\s+have\s+(?:mps|members(?:\s+of\s+parliament)?|politicians|parties)\s+(?:asked|said|written)\s+about|"
    r"which\s+(?:interpellations|documents)\s+(?:are\s+about|mention|discuss|concern)"
    r")\s+(?P<topic>.+?)\s*[?.!]*\s*$", re.IGNORECASE)


NAME = "overview"


def match(asked: Any) -> str | None:
    """The subject, when the question asks which documents raise one."""
    return topic_of(asked.question) or None


def answer(topic: str, asked: Any) -> Answer:
    """Every document that mentions ``topic``, newest first, one verified quote each."""
    engine, filters = asked.engine, asked.filters
    retriever = engine.retriever
    from . import in_source_words

    vector = retriever.embed_query(topic)
    searched, translation = in_source_words(asked, topic)  # "security cameras" -> trygghetskameror
    found = mentions(retriever, searched, filters, vector)
    if not found:
        hits = retriever.search(searched, k=RELATED_SHOWN, filters=filters, query_vector=vector)
        return abstention(asked.shown, [make_citation(retriever.reader, h, i + 1) for i, h in enumerate(hits)])
    text, used, sentences = compose(topic, found)
    out = verified_answer(asked.shown, text, used, sentences, used)
    if not out.abstained:
        out.more = [c for c in further(found, used) if quote_is_verbatim(c)]  # shown only if verbatim
    if translation:
        out.notice = notice(translation)
    return out


def topic_of(question: str) -> str:
    """The subject of an overview question ("trygghetskameror"), or "" when it is not one."""
    m = _OVERVIEW.match(question)
    topic = m.group("topic").strip() if m else ""
    return topic if len(words(topic)) >= 1 else ""


@dataclass
class Mention:
    citation: Citation
    span: tuple[int, int]
    rank: int  # of the paragraph in what was read


def mentions(retriever: HybridRetriever, topic: str, filters: Filters | None, query_vector=None) -> list[Mention]:
    """Per document, its best-ranked sentence that mentions ``topic``; in the order they were found."""
    lexical = retriever.lexical
    weights = lexical.coverage_weights(topic)
    if not weights.total:
        return []
    hits = retriever.search(topic, k=HYBRID_DEPTH, filters=filters, query_vector=query_vector)
    order = [(h.doc_id, h.number) for h in hits]
    masks = retriever._masks(filters or Filters())
    scores = lexical.scores(topic, None if masks is None else masks[0])
    positive = [int(p) for p in scores.argsort()[::-1][:LEXICAL_DEPTH] if scores[p] > 0]
    order += [(retriever.table.doc_ids[p], retriever.table.numbers[p]) for p in positive]
    by_hit = {(h.doc_id, h.number): h for h in hits}
    found: dict[str, Mention] = {}
    title_only: dict[str, Mention] = {}  # a document whose only mention read so far is its own title repeated
    for rank, key in enumerate(dict.fromkeys(order)):
        doc_id, number = key
        if doc_id in found or doc_id not in retriever.reader.documents:
            continue
        para = retriever.reader.paragraph(doc_id, number)
        if para is None:
            continue
        title = retriever.reader.documents[doc_id].title
        for s, e in sentence_spans(para.text):
            sentence = para.text[s:e]
            if not sentence.rstrip("”\"' )").endswith("?") and not is_content(sentence):
                continue  # a signature or date line names the subject only by accident
            if weights.cover(set(lexical.analyzer.terms(sentence))) > MENTION:
                hit = by_hit.get(key)
                c = make_citation(retriever.reader, hit, 0) if hit else _citation(retriever, doc_id, number)
                if not is_content(sentence, title) and not sentence.rstrip("”\"' )").endswith("?"):
                    title_only.setdefault(doc_id, Mention(c, (s, e), rank))  # quoted only if nothing better
                    continue
                found[doc_id] = Mention(c, (s, e), rank)
                break
    for doc_id, m in title_only.items():  # the title names the subject: the document counts, quoting it
        found.setdefault(doc_id, m)
    return list(found.values())


def _citation(retriever: HybridRetriever, doc_id: str, number: int) -> Citation:
    doc = retriever.reader.documents[doc_id]
    para = retriever.reader.paragraph(doc_id, number)
    meta = {k: v for k, v in doc.meta.items() if v and isinstance(v, str)}
    return Citation(n=0, doc_id=doc_id, title=doc.title, paragraph=number, text=para.text if para else "",
                    quote="", score=0.0, meta=meta)


def compose(topic: str, found: list[Mention]) -> tuple[str, list[Citation], int]:
    """The list, newest first: "N dokument tar upp …", one cited quote per document, who and party counts."""
    if not found:
        return "", [], 0
    shown = _newest(found)[:SHOWN]
    lines = [f"{len(found)} dokument tar upp ”{topic}”" +
             (f"; de {len(shown)} senaste visas, nyast först:" if len(found) > len(shown) else ", nyast först:")]
    used: list[Citation] = []
    for n, m in enumerate(shown, start=1):
        c = m.citation
        c.n = n
        set_quote(c, [m.span])
        used.append(c)
        title = f" – {c.title}" if c.title and c.title not in source_label(c) else ""
        lines.append(f"- {source_label(c)}{title}: ”{c.text[m.span[0]:m.span[1]]}” [{n}]")
    parties = Counter(p.strip() for m in found for p in m.citation.meta.get("party", "").split(",") if p.strip())
    if parties:
        lines.append(f"Per parti (alla {len(found)}): " + " · ".join(f"{p} {k}" for p, k in parties.most_common()))
    people = Counter(_who(m.citation) for m in found if m.citation.meta.get("author"))
    if people and people.most_common(1)[0][1] > 1:  # someone raised it more than once: who, how often
        lines.append("Flest dokument: " + " · ".join(f"{p} {k}" for p, k in people.most_common(5) if k > 1))
    return "\n".join(lines), used, len(shown)


def further(found: list[Mention], used: list[Citation]) -> list[Citation]:
    """The documents past the listed ones, newest first, each with its mentioning sentence quoted.

    The count says "23 dokument"; these are the other 15, so the sources panel and the export can
    show and count all of them (who said what), numbered after the answer's own citations.
    """
    listed = {c.doc_id for c in used}
    rest = [m for m in _newest(found) if m.citation.doc_id not in listed]
    for n, m in enumerate(rest, start=len(used) + 1):
        m.citation.n = n
        set_quote(m.citation, [m.span])
    return [m.citation for m in rest]


def _newest(found: list[Mention]) -> list[Mention]:
    return sorted(found, key=lambda m: (m.citation.meta.get("date", ""), -m.rank), reverse=True)


def _who(c: Citation) -> str:
    who = c.meta.get("author", "")
    return f"{who} ({c.meta['party']})" if c.meta.get("party") else who
