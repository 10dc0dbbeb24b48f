"""What every answer plan ships: a verified extractive answer, a stated fact, or "not found".

Why one module: whatever plan composed the text (one fact, a list of documents, a
summary, sections per side), the same checks decide whether it ships: every ``[n]``
resolves to a citation, every quote is a verbatim span of its paragraph, and a
coverage line says how much was quoted from how many documents. Nothing composed
is "not found", with the closest paragraphs as "possibly related".
"""

from __future__ import annotations

from .citations import dangling_markers, quote_is_verbatim
from .types import Answer, Citation

RELATED_SHOWN = 3  # "possibly related" paragraphs listed with an abstention
RELATED_NOTE = "De stycken som ligger närmast visas nedan som möjligen relaterade, inte som svar."
NOT_FOUND = f"Jag hittar inget svar på frågan i dokumenten. {RELATED_NOTE}"


def verified_answer(question: str, text: str, used: list[Citation], sentences: int,
                     citations: list[Citation]) -> Answer:
    """A composed extractive answer, shipped only if every marker resolves and every quote is verbatim.

    Nothing composed (``used`` empty) is "not found"; a failed check is unreachable by
    construction, and still never ships an unchecked quote.
    """
    unquoted = text  # a footnote "[12]" inside a quoted sentence is the document's text, not a marker
    for c in used:
        for s, e in c.quote_spans:
            unquoted = unquoted.replace(f"”{c.text[s:e]}”", "", 1)
    if not used or dangling_markers(unquoted, used) or not all(quote_is_verbatim(c) for c in used):
        return abstention(question, citations)
    coverage = coverage_line(sentences, len({c.doc_id for c in used}))
    return Answer(question=question, answer=f"{text}\n\n{coverage}", abstained=False, citations=used,
                  coverage=coverage, mode="extractive")


def stated_answer(question: str, stated: str, used: list[Citation]) -> Answer:
    """A fact about one document (``document_facts``), with the lines of it that state the fact."""
    return Answer(question=question, answer=stated, abstained=False, citations=used, mode="metadata",
                  coverage=coverage_line(sum(len(c.quote_spans) for c in used), 1))


def coverage_line(sentences: int, documents: int) -> str:
    """The closing line: how many sentences are quoted from how many documents."""
    return f"{sentences} {'mening citerad' if sentences == 1 else 'meningar citerade'} ur {documents} dokument."


def abstention(question: str, citations: list[Citation]) -> Answer:
    related = citations[:RELATED_SHOWN]
    for i, c in enumerate(related, start=1):
        c.n = i
        c.quote, c.quote_spans, c.answer_spans = "", [], []
    return Answer(question=question, answer=NOT_FOUND, abstained=True, related=related, mode="extractive")
