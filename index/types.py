"""The build side's data types, defined once and used by index/, rag/ and ui/.

A paragraph of the cleaned source text is the unit of citation: every answer
points at ``doc_id#number`` and at the exact characters ``start:end`` of the
document's cleaned text, so a reader can open the paragraph and check it.
A chunk is only the unit of embedding; it remembers which paragraphs it covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Metadata keys the extractor fills from the text itself when a file gives none.
META_KEYS = (
    "doc_type",      # "Svar på interpellation", "Protokollsanteckning", "Interpellation", ...
    "body",          # municipality or body: "Huddinge", "Stockholm", "Riksdagen"
    "author",        # person who signed: "Daniel Dronjak"
    "party",         # party abbreviation of the author: "M", "S"
    "role",          # "Kommunstyrelsens ordförande"
    "on_behalf_of",  # "Mittenstyret", "Socialdemokraterna"
    "interpellant",  # who put the interpellation: "Bo Källström (L)"
    "recipient",     # to whom it was put: "kommunstyrelsens ordförande Sara Heelge Vikmång"
    "date",          # ISO date, only when the text or the record states one
    "source",        # collection or origin, from a JSONL record
    "reference",     # the document's number where its record's title was only that: "Interpellation 2010/11:1"
    "title_raw",     # that record title: "Interpellation 2010/11:1 av Green, Monica (S)"
    # the record's own spelling where index.names changed it: "Ask, Beatrice (m)" beside author "Beatrice Ask"
    "author_raw",
    "interpellant_raw",
    "recipient_raw",
)


@dataclass(frozen=True)
class Document:
    """One source document after loading and cleaning.

    ``text`` is the cleaned text that paragraph offsets point into; ``meta``
    holds the fields of META_KEYS that are known (never guessed) plus any
    extra fields a JSONL record carried.
    """

    doc_id: str
    title: str
    text: str
    path: str
    content_hash: str
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a document: the unit a citation opens."""

    doc_id: str
    number: int  # 1-based, stable for the same document text
    text: str  # exactly ``document.text[start:end]``
    start: int
    end: int
    kind: str = "text"  # "text" | "heading" | "bullet"

    @property
    def pid(self) -> str:
        return f"{self.doc_id}#{self.number}"


@dataclass(frozen=True)
class Chunk:
    """What gets embedded: one or a few neighbouring paragraphs, or a part of a long one."""

    doc_id: str
    ordinal: int  # position of the chunk within its document, 0-based
    paragraphs: tuple[int, ...]  # the paragraph numbers it covers
    text: str  # the paragraph text it covers, as BM25 and readers see it
    embed_text: str  # ``text`` with the document title in front, as the encoder sees it

    @property
    def cid(self) -> str:
        return f"{self.doc_id}:{self.ordinal}"


@dataclass
class SkippedFile:
    """A file that was not indexed, and why: shown in the build summary."""

    path: str
    reason: str
