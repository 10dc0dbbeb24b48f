"""Citations: build them from retrieval hits, and verify an answer against them.

Why one module for both: the promise "every [n] opens a paragraph that contains
the quoted words" is kept in exactly one place, for extractive and generative
answers alike. Verification is the last step before anything leaves ``rag``.
"""

from __future__ import annotations

import re

from index.store import IndexReader

from .retrieve import Hit
from .types import Citation

MARKER = re.compile(r"\[(\d{1,3})\]")

#: Metadata keys shown with a citation, in display order.
CITATION_META = ("doc_type", "reference", "author", "party", "role", "on_behalf_of", "body", "date",
                 "interpellant", "recipient", "source")


def comparable(text: str | None) -> str:
    """Text as two copies of it are compared: soft hyphens dropped, whitespace and case evened.

    Used where "the same sentence" matters: a sentence several documents repeat is quoted once
    (``extractive``), and a gold passage counts wherever the corpus repeats it (``evaluate``).
    """
    return " ".join((text or "").replace("\xad", "").split()).lower()


def make_citation(reader: IndexReader, hit: Hit, n: int) -> Citation:
    doc = reader.documents[hit.doc_id]
    para = reader.paragraph(hit.doc_id, hit.number)
    meta = {k: v for k, v in doc.meta.items() if v and isinstance(v, str)}
    return Citation(n=n, doc_id=hit.doc_id, title=doc.title, paragraph=hit.number,
                    text=para.text if para else "", quote="", score=hit.score, meta=meta)


def source_label(c: Citation) -> str:
    """"Svar på interpellation, Daniel Dronjak (M), Huddinge": whose words, in one phrase."""
    meta = c.meta
    who = meta.get("author", "")
    if who and meta.get("party"):
        who += f" ({meta['party']})"
    elif not who and meta.get("on_behalf_of"):
        who = meta["on_behalf_of"]
    parts = [meta.get("doc_type") or c.title, who, meta.get("body", ""), meta.get("date", "")]
    return ", ".join(p for p in parts if p)


def set_quote(c: Citation, spans: list[tuple[int, int]]) -> None:
    """Record quoted sentence spans (merged, in paragraph order) and the quote text."""
    spans = sorted(set(spans))
    c.quote_spans = spans
    c.quote = " ".join(c.text[s:e] for s, e in spans)


def quote_is_verbatim(c: Citation) -> bool:
    """Every quoted span is really in the paragraph and the quote is made of exactly them."""
    if not c.quote_spans:
        return False
    pieces = []
    for s, e in c.quote_spans:
        if not (0 <= s < e <= len(c.text)):
            return False
        pieces.append(c.text[s:e])
    return " ".join(pieces) == c.quote and all(p in c.text for p in pieces)


def markers_in(text: str) -> list[int]:
    return [int(m) for m in MARKER.findall(text)]


def dangling_markers(text: str, citations: list[Citation]) -> list[int]:
    """Numbers used as ``[n]`` in the text that no citation carries."""
    valid = {c.n for c in citations}
    return sorted({n for n in markers_in(text) if n not in valid})


def renumber(text: str, citations: list[Citation]) -> tuple[str, list[Citation]]:
    """Keep only cited citations, numbered 1.. in order of first mention; rewrite the markers."""
    order: list[int] = []
    for n in markers_in(text):
        if n not in order:
            order.append(n)
    by_n = {c.n: c for c in citations}
    mapping = {old: new for new, old in enumerate((n for n in order if n in by_n), start=1)}
    text = MARKER.sub(lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping else "", text)
    kept = []
    for old, new in mapping.items():
        c = by_n[old]
        c.n = new
        kept.append(c)
    return text, kept
