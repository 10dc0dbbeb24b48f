"""Bytes to text for plain-text files, without mangling Swedish.

Municipal exports still arrive as cp1252 or latin-1. Decoding those as UTF-8
with ``errors="replace"`` silently turns "Järva" into "J�rva", which then never
matches a question; so we try UTF-8 strictly, then cp1252, and refuse files
that look binary instead of indexing garbage.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes


class UndecodableFile(ValueError):
    """The bytes are not text in any encoding we trust."""


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters mean an image, archive or executable."""
    sample = data[:8192]
    if not sample:
        return False
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(sample) > 0.05


def decode_text(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise UndecodableFile when no encoding fits."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise UndecodableFile(f"broken UTF-16: {exc}") from exc
    if looks_binary(data):
        raise UndecodableFile("binary content (NUL or control bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # cp1252 is what Swedish Windows software writes; it is a superset of the
    # printable part of latin-1, and leaves only five bytes undefined.
    try:
        text = data.decode("cp1252")
        if _plausible(text):
            return text, "cp1252"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is not None and best.encoding:
        text = str(best)
        if _plausible(text):
            return text, best.encoding
    raise UndecodableFile("not valid UTF-8, cp1252 or any detectable text encoding")


def _plausible(text: str) -> bool:
    """Mostly letters, digits, spaces and punctuation: real prose, not decoded noise."""
    if not text:
        return True
    # any printable ASCII counts: HTML and Markdown are full of <>="#[] that prose lacks
    ok = sum(1 for c in text if c.isalnum() or c.isspace() or (c.isascii() and c.isprintable())
             or c in "–—”“’§•«»…€")
    return ok / len(text) > 0.85
