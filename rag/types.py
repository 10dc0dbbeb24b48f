"""The query side's data types: what an answer is and what each citation carries.

Defined once: the CLI's JSON, the LangChain retriever, the Gradio app and the
tests all read these. ``Answer.to_dict`` is the stable CLI/API contract
(issue 3): change it only by adding keys.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass(frozen=True)
class Filters:
    """Which part of the index a question searches; empty fields mean "no restriction"."""

    doc_ids: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()  # municipality / body, e.g. "Huddinge", "Riksdagen"
    parties: tuple[str, ...] = ()  # party abbreviations, e.g. "S", "M"
    authors: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

    def is_empty(self) -> bool:
        return not (self.doc_ids or self.bodies or self.parties or self.authors
                    or self.date_from or self.date_to)


@dataclass
class Citation:
    """One cited source paragraph, with everything a reader needs to check the claim."""

    n: int  # the number in the answer's ``[n]`` markers
    doc_id: str
    title: str
    paragraph: int  # 1-based paragraph number within the document
    text: str  # the full paragraph, as the reader sees it
    quote: str  # the sentence(s) quoted from it, verbatim; "" for a "possibly related" paragraph
    score: float  # retrieval score of the paragraph (fused rank score, higher is better)
    meta: dict[str, str] = field(default_factory=dict)  # doc_type, author, party, role, body, date, ...
    quote_spans: list[tuple[int, int]] = field(default_factory=list)  # character spans of quote in text
    #: the exact answer the reader found, inside a quoted span ("ungefär **300 kameror**"); may be empty
    answer_spans: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"n": self.n, "doc_id": self.doc_id, "title": self.title, "paragraph": self.paragraph,
                "text": self.text, "quote": self.quote, "score": round(float(self.score), 4),
                "meta": dict(self.meta), "quote_spans": [list(s) for s in self.quote_spans],
                "answer_spans": [list(s) for s in self.answer_spans]}


@dataclass
class Answer:
    """An answer in which every ``[n]`` resolves to a citation whose paragraph contains the quote."""

    question: str  # as the user asked it (possibly truncated, see ``notice``)
    answer: str  # text with ``[n]`` markers; for an abstention, the plain "not found" message
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)  # "possibly related", never cited as an answer
    coverage: str = ""  # "3 meningar citerade ur 2 dokument"
    notice: str = ""  # anything the user should know about their input (truncated, resolved follow-up, ...)
    resolved_question: str = ""  # the question actually searched, after follow-up resolution
    mode: str = "extractive"  # "extractive" | "generative" | "metadata" | "error"
    flagged: list[str] = field(default_factory=list)  # generative sentences that had no valid citation
    timings_ms: dict[str, float] = field(default_factory=dict)
    plan: str = ""  # the answer plan that composed it (rag/plans/: "overview", "stance", ...); "" for a fact
    #: further documents that answer the same way and are not quoted in ``answer`` (an overview's
    #: documents past the listed ones), each with its verbatim quote, numbered after the citations
    more: list[Citation] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The CLI ``--json`` object and the app's ``/ask`` result."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "related": [c.to_dict() for c in self.related],
            "coverage": self.coverage,
            "notice": self.notice,
            "resolved_question": self.resolved_question,
            "mode": self.mode,
            "flagged": list(self.flagged),
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "plan": self.plan,
            "more": [c.to_dict() for c in self.more],
        }


@dataclass(frozen=True)
class SourceGroup:
    """The documents of one person or party among an answer's sources (who said what, issue 18)."""

    name: str  # "Beatrice Ask (M)", "M", or "Okänd" when the documents name nobody
    documents: tuple[str, ...]  # doc ids, each once, in the order the answer cites them
    numbers: tuple[int, ...]  # the [n] of this group's citations (and further documents)

    def to_dict(self) -> dict:
        return {"name": self.name, "documents": len(self.documents), "doc_ids": list(self.documents),
                "numbers": list(self.numbers)}


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, as follow-up resolution needs it."""

    question: str  # the resolved question that was searched
    answer: Answer


def asdict_filters(f: Filters) -> dict:
    d = asdict(f)
    d["date_from"] = f.date_from.isoformat() if f.date_from else None
    d["date_to"] = f.date_to.isoformat() if f.date_to else None
    return d
