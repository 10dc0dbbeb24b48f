"""Follow-up questions: "Och i Stockholm?", "Vem skrev det?", "Vad mer gör de?".

Why rules and not a model: no LLM ships offline, and a follow-up in a chat about
documents takes few shapes. Each is resolved against the previous turn into a
question that stands on its own, and that resolved question is shown to the
user, so a wrong resolution is visible instead of silently answering something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexical import words
from .types import Turn

_AUTHOR = re.compile(r"^(vem|vilka)\s+(har\s+)?(skrev|skrivit|har skrivit|undertecknade|står bakom|"
                     r"författade|svarade|lämnade)\b|^who\s+(wrote|signed|answered|authored)\b|"
                     r"^vems?\s+(text|svar|dokument)\b", re.IGNORECASE)
_MORE = re.compile(r"\b(mer|mera|annat|övrigt|fler|ytterligare|more|else|other)\b", re.IGNORECASE)
_CONTINUATION = re.compile(r"^(och|men|samt|även|också|and|but|what about|how about|hur är det med|"
                           r"vad gäller|gäller det)\b", re.IGNORECASE)
_PRONOUN = {"det", "den", "de", "dem", "deras", "dess", "detta", "denna", "dessa", "där", "dit",
            "it", "they", "them", "their", "that", "this", "there", "those"}
_PLACE = re.compile(r"\b(i|in|för|for)\s+([A-ZÅÄÖ][\wåäöéü-]+)")


@dataclass
class Resolution:
    question: str  # what is searched
    kind: str = "new"  # "new" | "continuation" | "author" | "more"
    exclude: set[tuple[str, int]] = field(default_factory=set)  # (doc_id, paragraph) already shown
    previous: Turn | None = None
    place: str = ""  # the place a continuation switched to ("Stockholm"): a body filter when it is one


def resolve(question: str, history: list[Turn]) -> Resolution:
    """A self-contained version of ``question`` given the conversation so far."""
    if not history:
        return Resolution(question)
    prev = history[-1]
    ws = words(question)
    if _AUTHOR.search(question) and len(ws) <= 6 and prev.answer.citations:
        return Resolution(prev.question, "author", previous=prev)
    content = [w for w in ws if w not in _PRONOUN and len(w) > 2]
    short = len(ws) <= 6
    refers_back = any(w in _PRONOUN for w in ws) or _CONTINUATION.search(question)
    if not (short and (refers_back or len(content) <= 2)):
        return Resolution(question)
    if _MORE.search(question):
        seen = {(c.doc_id, c.paragraph) for c in prev.answer.citations}
        return Resolution(f"{prev.question} {_strip_continuation(question)}", "more", seen, prev)
    place = _PLACE.search(question)
    if place:
        return Resolution(_replace_place(prev.question, place.group(0)), "continuation", previous=prev,
                          place=place.group(2))
    return Resolution(f"{prev.question} {_strip_continuation(question)}", "continuation", previous=prev)


def _strip_continuation(question: str) -> str:
    return _CONTINUATION.sub("", question).strip(" ?,.")


def _replace_place(previous: str, new_place: str) -> str:
    """Swap the place in the previous question ("i Huddinge" -> "i Stockholm"), or add it."""
    if _PLACE.search(previous):
        return _PLACE.sub(new_place, previous, count=1)
    return f"{previous.rstrip(' ?')} {new_place}?"
