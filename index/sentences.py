"""Swedish sentence boundaries as character spans, so a quote is always a verbatim slice.

Used twice: to split a paragraph too long for the encoder, and to pick the
sentences an extractive answer quotes. Spans (not strings) make "this quote
occurs verbatim in its paragraph" true by construction.
"""

from __future__ import annotations

import re

#: Abbreviations after which a period does not end a sentence (lower-cased, without the final period).
ABBREVIATIONS = {
    "bl.a", "t.ex", "dvs", "d.v.s", "m.m", "m.fl", "s.k", "o.s.v", "osv", "ca", "jfr", "resp",
    "fr.o.m", "t.o.m", "kap", "nr", "st", "kr", "mkr", "mdkr", "milj", "prop", "bet", "skr",
    "dnr", "ang", "enl", "exkl", "inkl", "tel", "e.d", "e.dyl", "p.g.a", "pga", "f.d", "d.ä",
    "s", "sid", "ff", "vol", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "okt", "nov", "dec", "ex", "bla", "etc", "mr", "dr", "prof", "e.g", "i.e", "vs", "fig",
}
#: A candidate end: terminal punctuation, optional closing quotes/brackets, then white space.
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s+)")
_NEXT_STARTS = re.compile(r"\s+[\"'“”«(\[]?[A-ZÅÄÖÜÉ0-9•]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence in ``text``, white space trimmed, covering all words."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _END.finditer(text):
        end = match.end()
        if not _NEXT_STARTS.match(text, end):
            continue
        if match.group(0).startswith(".") and _is_abbreviation(text, match.start()):
            continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    # a line break inside a paragraph (letterhead, signature) also ends a "sentence"
    final: list[tuple[int, int]] = []
    for s, e in out:
        pos = s
        for m in re.finditer(r"\n", text[s:e]):
            cut = s + m.start()
            if cut > pos:
                final.append((pos, cut))
            pos = s + m.end()
        if e > pos:
            final.append((pos, e))
    return final


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def _is_abbreviation(text: str, dot: int) -> bool:
    """The word before ``dot`` is a known abbreviation or a single-letter initial ("B. Ask")."""
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lower().lstrip("(\"'“")
    if not word:
        return False
    if word in ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isalpha()
