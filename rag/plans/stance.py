"""The stance plan: "Vad tycker Dronjak om kameror?" answered from that person's (party's, body's) documents.

Why (issue 18): answered as one fact, a stance question took the best sentences of
any document, so "what X thinks" could be what someone else wrote, and "Vad säger
Dronjak om kameror?" quoted his signature line. Here the side the question names
(a person who wrote documents, a party, a body; ``comparison.sides_of``) restricts
the search to its own documents, the quotes must name the subject, and when they
do not there is a plain answer saying so: "Daniel Dronjaks dokument säger inget
om simhallar."
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..answers import verified_answer
from ..types import Answer, Citation
from .comparison import Side, find_sides, numbered_lines, side_says, silent_line

NAME = "stance"

_STANCE = re.compile(
    r"^\s*(?:vad|hur)\s+(?:tycker|säger|anser|vill|tänker|skriver|menar|ser)\s+(?P<who>.+?)\s+"
    r"(?:om|på|kring|angående|när\s+det\s+gäller|i\s+fråga\s+om)\s+(?P<topic>.+?)\s*[?.!]*\s*$|"
    r"^\s*what\s+(?:does|do)\s+(?P<who2>.+?)\s+(?:think|say|want|write)\s+(?:about|on|regarding)\s+"
    r"(?P<topic2>.+?)\s*[?.!]*\s*$", re.IGNORECASE)


@dataclass
class Stance:
    side: Side
    topic: str  # in the sources' words
    english: str = ""  # the question as asked, when it is English


def match(asked: Any) -> Stance | None:
    """One named side and a subject; a question naming no side the index knows is a fact question."""
    m = _STANCE.match(asked.question)
    if not m:
        return None
    who, topic = (m.group("who"), m.group("topic")) if m.group("who") else (m.group("who2"), m.group("topic2"))
    sides = find_sides(asked.engine, who)
    if len(sides) != 1:
        return None
    from . import in_source_words

    words, translation = in_source_words(asked, topic)
    return Stance(sides[0], words, asked.question if translation else "")


def answer(stance: Stance, asked: Any) -> Answer:
    kept = side_says(asked.engine, stance.side, stance.topic, asked.filters, stance.english)
    if not kept:
        return Answer(question=asked.shown, answer=silent_line(stance.side, stance.topic), abstained=True,
                      mode="extractive")
    used: list[Citation] = []
    lines = numbered_lines(kept, used)
    out = verified_answer(asked.shown, "\n".join(lines), used, sum(len(c.quote_spans) for c in used), used)
    if stance.english and not out.abstained:
        out.notice = "Frågan är på engelska; svaret citerar svenska källor."
    return out
