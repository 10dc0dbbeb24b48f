"""Who said what: an answer's source documents grouped by person or by party, with counts.

Why (issue 18): a journalist who asks "Vem har tagit upp trygghetskameror?" wants to see at a
glance that Beatrice Ask wrote four of the 23 documents and the Moderates nine, and to take
that table with them in the export. The names are the index's normalised ones (built by
``index/names.py``), so "Ask, Beatrice (m)" and "Beatrice Ask (M)" are one person here.

A document counts once per group however many of its paragraphs are cited; a document signed
by several parties ("S, V") counts for each. Groups are ordered by how many documents they
have, then by name, so equal counts come out the same on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence

from .types import Answer, Citation, SourceGroup

BY = ("person", "party")
UNKNOWN = "Okänd"  # a document whose metadata names no author (or no party)


def sources_of(answer: Answer) -> list[Citation]:
    """The documents an answer rests on: its citations and the further documents (never "related")."""
    return list(answer.citations) + list(answer.more)


def person_of(c: Citation) -> str:
    """"Beatrice Ask (M)": the author with party, as the citations show them."""
    who = c.meta.get("author", "").strip()
    party = c.meta.get("party", "").strip()
    if who and party:
        return f"{who} ({party})"
    return who or UNKNOWN


def parties_of(c: Citation) -> list[str]:
    """The party abbreviations of a citation's document ("S, V" → S and V)."""
    parties = [p.strip() for p in c.meta.get("party", "").split(",") if p.strip()]
    return parties or [UNKNOWN]


def group_sources(citations: Sequence[Citation], by: str) -> list[SourceGroup]:
    """Groups of ``citations`` by ``by`` ("person" or "party"), the largest first."""
    if by not in BY:
        raise ValueError(f"group by one of {BY}, not {by!r}")
    docs: dict[str, list[str]] = {}
    numbers: dict[str, list[int]] = {}
    for c in citations:
        for name in ([person_of(c)] if by == "person" else parties_of(c)):
            if c.doc_id not in docs.setdefault(name, []):
                docs[name].append(c.doc_id)
            numbers.setdefault(name, []).append(c.n)
    order = sorted(docs, key=lambda name: (name == UNKNOWN, -len(docs[name]), name))
    return [SourceGroup(name, tuple(docs[name]), tuple(numbers[name])) for name in order]


#: the plans whose answers are about who says what: grouped as soon as two documents name someone
GROUPED_PLANS = ("overview", "stance", "comparison")


def worth_grouping(answer: Answer) -> bool:
    """Offer the grouped view when it tells something: an overview, stance or comparison resting on two or
    more documents that name an author or party, or any answer resting on three or more."""
    named = {c.doc_id for c in sources_of(answer) if c.meta.get("author") or c.meta.get("party")}
    return not answer.abstained and len(named) >= (2 if answer.plan in GROUPED_PLANS else 3)
