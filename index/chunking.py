"""Paragraphs to chunks: what the encoder sees, while citations stay on paragraphs.

A chunk is normally one paragraph. A heading or a very short paragraph
("För Mittenstyret,") carries too little meaning to embed alone, so it rides
along with a neighbour. A paragraph longer than the encoder's window would be
silently truncated, so it is split at sentence boundaries into parts that all
point back to the same paragraph. The document title is put in front of the
embedded text because "Hur många kameror?" is only answerable knowing the
paragraph is about Huddinge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from .sentences import sentence_spans
from .types import Chunk, Paragraph


@dataclass(frozen=True)
class ChunkSettings:
    """Recorded in the manifest: an index built with other settings is rebuilt, not mixed."""

    max_tokens: int = 512  # the encoder's window, prompt and special tokens included
    short_chars: int = 80  # a paragraph shorter than this joins a neighbour
    title_chars: int = 200  # how much of the title goes in front of the embedded text
    version: int = 1

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def chunk_document(title: str, paragraphs: list[Paragraph], count_tokens: Callable[[str], int],
                   settings: ChunkSettings = ChunkSettings()) -> list[Chunk]:
    """Chunks covering every paragraph of one document, in order."""
    if not paragraphs:
        return []
    prefix = title[: settings.title_chars].strip()
    groups = _group(paragraphs, settings)
    doc_id = paragraphs[0].doc_id
    chunks: list[Chunk] = []
    for group in groups:
        text = "\n\n".join(p.text for p in group)
        numbers = tuple(p.number for p in group)
        if len(group) > 1 and count_tokens(_embed_text(prefix, text)) > settings.max_tokens:
            # a merge that overflows is undone: each paragraph goes alone
            for para in group:
                chunks.extend(_fit(prefix, para, count_tokens, settings, len(chunks), doc_id))
            continue
        if len(group) == 1:
            chunks.extend(_fit(prefix, group[0], count_tokens, settings, len(chunks), doc_id))
        else:
            chunks.append(Chunk(doc_id, len(chunks), numbers, text, _embed_text(prefix, text)))
    return [Chunk(c.doc_id, i, c.paragraphs, c.text, c.embed_text) for i, c in enumerate(chunks)]


def _embed_text(prefix: str, text: str) -> str:
    return f"{prefix}\n{text}" if prefix else text


def _group(paragraphs: list[Paragraph], settings: ChunkSettings) -> list[list[Paragraph]]:
    """Headings join the paragraph after them; short paragraphs join the one before."""
    groups: list[list[Paragraph]] = []
    pending: list[Paragraph] = []  # headings waiting for their paragraph
    for para in paragraphs:
        if para.kind == "heading":
            pending.append(para)
            continue
        if pending:
            groups.append([*pending, para])
            pending = []
        elif len(para.text) < settings.short_chars and groups and groups[-1][-1].kind != "bullet":
            groups[-1].append(para)
        else:
            groups.append([para])
    if pending:  # a trailing heading joins what came before
        if groups:
            groups[-1].extend(pending)
        else:
            groups.append(pending)
    return groups


def _fit(prefix: str, para: Paragraph, count_tokens: Callable[[str], int],
         settings: ChunkSettings, ordinal: int, doc_id: str) -> list[Chunk]:
    """One chunk for the paragraph, or several sentence-aligned parts when it is too long."""
    embed = _embed_text(prefix, para.text)
    if count_tokens(embed) <= settings.max_tokens:
        return [Chunk(doc_id, ordinal, (para.number,), para.text, embed)]
    parts: list[str] = []
    current = ""
    for s, e in sentence_spans(para.text):
        sentence = para.text[s:e]
        candidate = f"{current} {sentence}".strip()
        if current and count_tokens(_embed_text(prefix, candidate)) > settings.max_tokens:
            parts.append(current)
            current = sentence
        else:
            current = candidate
    if current:
        parts.append(current)
    out = []
    for part in parts:
        # a single sentence longer than the window is cut by words; the encoder would truncate it anyway
        while count_tokens(_embed_text(prefix, part)) > settings.max_tokens and " " in part:
            words = part.split(" ")
            head = " ".join(words[: max(1, len(words) * 3 // 4)])
            while count_tokens(_embed_text(prefix, head)) > settings.max_tokens and " " in head:
                head = head.rsplit(" ", 1)[0]
            out.append(head)
            part = part[len(head):].strip()
        out.append(part)
    return [Chunk(doc_id, ordinal + i, (para.number,), part, _embed_text(prefix, part))
            for i, part in enumerate(out)]
