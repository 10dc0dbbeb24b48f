"""The multi-part plan: "Vad säger Dronjak om kameror och vem ställde interpellationen?" answered part by part.

Why (issue 18): answered as one fact, the two questions' words were pooled and the
answer quoted two document titles, answering neither. Here the question is split
where a new question word follows "och"/"samt"/"and", each part is answered on its
own (by whichever plan it is; a part about "the interpellation", "the answer" — "vem
ställde interpellationen?" — is asked of the documents the previous part cited first,
and of all when they do not answer it), and
the answer has one numbered section per part, "not found" for a part said so.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ..answers import abstention, verified_answer
from ..citations import source_label
from ..types import Answer, Citation, Filters
from .comparison import numbered_lines

NAME = "multipart"
MAX_PARTS = 4

_SPLIT = re.compile(r"\s*,?\s+(?:och|samt|and)\s+(?=(?:vem|vilka|vilken|vilket|vad|när|hur|var|varför|"
                    r"who|what|when|how|why|which)\b)", re.IGNORECASE)
#: "interpellationen", "svaret": a part about the document the previous part answered from
_THE_DOCUMENT = re.compile(r"\b(interpellationen|frågan|frågorna|interpellanten|svaret|dokumentet|protokollet|protokollsanteckningen|motionen|"
                           r"anteckningen|the\s+(?:interpellation|answer|document))\b", re.IGNORECASE)
#: "den", "personen", "it": a part that speaks of what the previous part asked about
_BACK = re.compile(r"\b(den|det|dem|de|denna|detta|han|hon|personen|gruppen|metoden|arbetet|där|it|its|they|them|"
                   r"he|she|there)\b", re.IGNORECASE)


def parts_of(question: str) -> list[str]:
    """The questions a question asks, each ending in "?"; one part when it asks one."""
    parts = [p.strip(" ?.!") for p in _SPLIT.split(question.strip())]
    parts = [p for p in parts if len(p.split()) >= 2]
    return [p[0].upper() + p[1:] + "?" for p in parts[:MAX_PARTS]]


def match(asked: Any) -> list[str] | None:
    """The parts, when there are two or more and each names its own subject.

    A part that speaks of the previous one's ("… och hur långt har Huddinge kommit med att
    införa den?") makes one question with two sides of one subject: the fact step, reading
    it whole, answers it from the paragraph that has both (the seed set: 2 of 10 such
    questions lost their answer when split).
    """
    parts = parts_of(asked.question)
    if len(parts) < 2 or any(_BACK.search(p) for p in parts[1:]):
        return None
    return parts


def answer(parts: list[str], asked: Any) -> Answer:
    engine = asked.engine
    lines: list[str] = []
    used: list[Citation] = []
    previous_docs: tuple[str, ...] = ()
    for i, part in enumerate(parts, start=1):
        lines.append(f"**{i}. {part}**")
        scope = asked.filters
        if i > 1 and previous_docs and _THE_DOCUMENT.search(part):
            scope = dataclasses.replace(scope or Filters(), doc_ids=previous_docs)
        got = engine.ask(part, filters=scope)
        if got.abstained and scope is not asked.filters:  # "protokollsanteckningen" was another document
            got = engine.ask(part, filters=asked.filters)
        if got.abstained or not got.citations:
            lines.append("Inget svar i dokumenten på den här delen.")
            continue
        if got.mode == "metadata":  # the stated fact first ("Svaret är daterat …"), then the lines stating it
            lines.append(got.answer.split(f" {source_label(got.citations[0])}:")[0].strip())
        previous_docs = tuple(dict.fromkeys(c.doc_id for c in got.citations))
        lines += numbered_lines([c for c in got.citations if c.quote_spans], used)
    if not used:
        return abstention(asked.shown, [])
    return verified_answer(asked.shown, "\n".join(lines), used, sum(len(c.quote_spans) for c in used), used)
