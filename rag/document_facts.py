"""Questions about a document itself — its date, who signed or answered it and for whom — answered from its own lines.

Why: "Vilket datum är protokollsanteckningen daterad?" and "För vilket styre undertecknades
svaret?" are answered by the letterhead ("2021-05-05") and the signature block ("För
Mittenstyret," / "Sara Heelge Vikmång (S)"), lines that share no word with the question, so
the quoting rules of ``rag.extractive`` would never pick them. Like "Vem skrev det?", such a
question gets an answer that states the fact from the document's metadata and quotes,
verbatim, the lines of the document that hold it.

Which document: the one whose best paragraph among the first found covers most of the
question's other words (its title, type, author and party counting half). A question
about a document that has no date or signature, about another municipality, or that
names no document well enough, falls through to the ordinary answer or abstention.
"""

from __future__ import annotations

import re

from index.sentences import sentence_spans

from .answer_type import asks_for_person
from .citations import make_citation, set_quote, source_label
from .lexical import LexicalIndex
from .retrieve import Hit, HybridRetriever, signature_lines
from .types import Citation

#: asks when the document is dated, not for a date in its content ("Vilket datum stänger e-tjänsten?")
_DOCUMENT_DATE_Q = re.compile(r"\bdater(?:ad|at|ade)\w*|\bdated\b", re.IGNORECASE)
#: the words that ask for the fact; the rest of the question says which document it is about
_FACT_WORDS = re.compile(r"\b(datum|dater(?:ad|at|ade)\w*|dated|date|undertecknade?s?|signerade?s?|signed|skrevs?\s+under|"
                         r"besvarade?s?|svarade|skrev|wrote|answered|parti|party|roll|role|tillhör|personen)\b",
                         re.IGNORECASE)
LOOKED_AT = 3  # the best paragraphs that may name the document
#: share of the question's other words found in a paragraph of the document or its title and metadata
#: (these count half, so a question naming the document only by them needs 60 % of its words there)
MIN_DOCUMENT_COVERAGE = 0.3
LETTERHEAD_CHARS = 60  # a date on a line this short is the document's date line, not a date in a sentence


#: asks who answered: only a document that is an answer ("Svar på interpellation") is signed by its answerer
_ANSWERED_Q = re.compile(r"\b(besvarade?s?|svarade|answered)\b", re.IGNORECASE)


def asked_fact(question: str) -> str:
    """"date", "signer", "answerer" or "" for a question that does not ask about the document itself."""
    if _DOCUMENT_DATE_Q.search(question):
        return "date"
    person = asks_for_person(question)
    if person == "author" and _ANSWERED_Q.search(question):
        return "answerer"
    return "signer" if person in ("signer", "author") else ""


def fact_answer(kind: str, question: str, citations: list[Citation], contexts: list[str],
                retriever: HybridRetriever, places_named: set[str]) -> tuple[str, list[Citation]] | None:
    """The answer text and its citations (quotes set, verbatim); None when the question names no document.

    When it names one whose text and metadata both lack the fact, the text says so and the
    citations are empty: "Dokumentet ”…” anger inget datum." is the honest answer, not another
    document's date. When only the metadata has it (a JSONL field, no line of the text), or the
    question asks who answered a document that is no answer, the ordinary answer is given.
    ``citations`` are the paragraphs found, ``contexts`` what each one's document says of
    itself (``retrieve.document_context``), ``places_named`` the index's municipalities
    that the question names.
    """
    doc_id = _document_asked(question, citations, contexts, retriever.lexical, places_named)
    doc = retriever.reader.documents.get(doc_id) if doc_id else None
    if doc is None:
        return None
    if kind == "answerer":
        if not doc.meta.get("doc_type", "").lower().startswith("svar"):
            return None  # an interpellation is signed by the one who asks; who answered is not in it
        kind = "signer"
    found = document_fact(kind, doc.doc_id, retriever)
    if found:
        return found
    meta = doc.meta
    if kind == "date" and not meta.get("date"):
        return f"Dokumentet ”{doc.title}” anger inget datum.", []
    if kind == "signer" and not meta.get("author") and not meta.get("on_behalf_of"):
        return f"Dokumentet ”{doc.title}” anger inte vem som undertecknat det.", []
    return None  # its metadata knows, but no line of its text says it: nothing to quote


def document_fact(kind: str, doc_id: str, retriever: HybridRetriever) -> tuple[str, list[Citation]] | None:
    """The fact stated for one document ("Vem skrev det?" names it by the previous answer), or None."""
    doc = retriever.reader.documents.get(doc_id)
    if doc is None:
        return None
    lines = _fact_lines(kind, doc.meta, retriever.reader.paragraphs_of(doc.doc_id))
    if not lines:
        return None
    used = []
    for number, spans in lines:
        hit = Hit(retriever.table.pos_of.get((doc.doc_id, number), -1), doc.doc_id, number, 1.0, 0.0, 0.0, None, None)
        c = make_citation(retriever.reader, hit, len(used) + 1)
        set_quote(c, spans)
        used.append(c)
    quotes = " ".join(" ".join(f"”{c.text[s:e]}”" for s, e in c.quote_spans) + f" [{c.n}]" for c in used)
    return f"{_statement(kind, used[0])} {source_label(used[0])}: {quotes}", used


def _document_asked(question: str, citations: list[Citation], contexts: list[str], lexical: LexicalIndex,
                    places_named: set[str]) -> str | None:
    """The document whose paragraph among the first found covers most of the question's other words."""
    topic = _FACT_WORDS.sub(" ", question)
    best_doc, best = None, 0.0
    for c, context in list(zip(citations, contexts))[:LOOKED_AT]:
        if places_named and c.meta.get("body", "") not in places_named:
            continue
        cov = lexical.coverage(topic, c.text, f"{c.title}\n{context}")
        if cov >= MIN_DOCUMENT_COVERAGE and cov > best:
            best_doc, best = c.doc_id, cov
    return best_doc


def _fact_lines(kind: str, meta: dict[str, str], paragraphs) -> list[tuple[int, list[tuple[int, int]]]]:
    """(paragraph number, line spans) that state the fact, in document order."""
    out = []
    if kind == "date":
        date = meta.get("date", "")
        for para in paragraphs if date else []:
            spans = [(s, e) for s, e in sentence_spans(para.text)
                     if date in para.text[s:e] and e - s <= LETTERHEAD_CHARS]
            if spans:
                return [(para.number, spans[:1])]
        return []
    markers = signature_lines(meta)
    if not markers:
        return []
    markers += [meta["role"]] if meta.get("role") else []
    missing = set(markers)
    for para in reversed(paragraphs):  # the signature closes the document: its last lines naming them
        spans = []
        for s, e in sentence_spans(para.text):
            found = {m for m in missing if para.text[s:e].startswith(m)}
            if found:
                spans.append((s, e))
                missing -= found
        if spans:
            out.insert(0, (para.number, spans))
        if not missing:
            break
    return out


def _statement(kind: str, c: Citation) -> str:
    meta = c.meta
    if kind == "date":
        return f"”{c.title}” är daterad {meta['date']}."
    who = meta.get("author", "")
    if who and meta.get("party"):
        who += f" ({meta['party']})"
    if who and meta.get("role"):
        who += f", {meta['role'].lower()}"
    group = meta.get("on_behalf_of", "")
    if group and who:
        return f"”{c.title}” är undertecknat för {group} av {who}."
    return f"”{c.title}” är undertecknat {'för ' + group if group else 'av ' + who}."
