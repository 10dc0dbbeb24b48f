"""Answer plans: how a question of each kind is answered, one module per kind.

Why: "Vad har riksdagsledamöter frågat om X?" wants a list of documents, "Sammanfatta
X" a document's main points, "Vad skiljer A och B …" one section per side; answered
as one fact, each got the three best sentences of any paragraph (issue 18). The
engine resolves the question, then asks each plan here in turn whether the question
is of its kind (``match``); the first that says so answers it (``answer``), and a
question none claims is a fact question, answered by the engine's own fact step.
Every plan ships its answer through ``rag.answers``: verbatim verified quotes, every
[n] resolving, a coverage line, "not found" when nothing answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..types import Filters
from . import comparison, multipart, overview, stance, summary

#: in the order they are asked; each module has NAME, match(asked) -> matched | None, answer(matched, asked)
PLANS = (multipart, overview, summary, comparison, stance)


@dataclass
class Asked:
    """A question as a plan sees it."""

    engine: Any  # rag.engine.Engine: its retriever, search_words (English), places
    shown: str  # as the user asked it
    question: str  # resolved (a follow-up made self-contained)
    filters: Filters | None


def in_source_words(asked: Asked, text: str) -> tuple[str, Any]:
    """``text`` (a part of the question) in the sources' words, and the translation (None for Swedish).

    The language is told from the whole question ("security cameras" alone is too short to
    tell), then the part's words are looked up as the whole question's were.
    """
    engine = asked.engine
    translation = engine.search_words(asked.question, engine.retriever.embed_query(asked.question), asked.filters)
    if not translation:
        return text, None
    lexical = engine.retriever.lexical  # "the", "about": English words no source has are dropped
    swedish = [translation.matches.get(w.lower(), w) for w in re.findall(r"\w+", text)
               if w.lower() in translation.matches or lexical.knows(w)]
    return " ".join(dict.fromkeys(swedish)), translation


def per_index(engine: Any, key: str, build) -> Any:
    """``build(reader)`` once per index generation: what a plan reads of every document (names, details)
    costs a pass over 15,000 documents, and must not be paid again by every question."""
    reader = engine.retriever.reader
    store = engine.__dict__.setdefault("_plan_cache", {})
    if key not in store or store[key][0] is not reader:
        store[key] = (reader, build(reader))
    return store[key][1]


def choose(asked: Asked) -> tuple[Any, Any] | None:
    """(plan module, what it matched) for the first plan that claims the question; None: a fact question."""
    for plan in PLANS:
        matched = plan.match(asked)
        if matched is not None:
            return plan, matched
    return None
