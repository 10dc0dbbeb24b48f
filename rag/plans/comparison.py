"""The comparison plan: "Vad skiljer Stockholms och Huddinges syn på utsatta områden?" answered per side.

Why (issue 18): answered as one fact, the comparison quoted Huddinge's sentences and
the title of Stockholm's document, so the reader could not see what each side says
nor that one is silent. Here each side — a municipality or body, a party or a person
the index knows — is asked the same question about the subject within its own
documents (the fact step with that side's filter), and the answer has one section
per side, with its quotes, or a plain line that the side's documents say nothing
about it.

The sides are found by name in the question: the bodies of the index ("Stockholms"
names Stockholm), party names or abbreviations ("Socialdemokraterna", "S"), and the
people who wrote documents (full name or surname, "Dronjaks"). At least two are
needed; otherwise the question is not a comparison the index can make.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ..answers import abstention, verified_answer
from ..citations import set_quote, source_label
from ..retrieve import PARTY_NAMES
from ..types import Answer, Citation, Filters
from .overview import MENTION

NAME = "comparison"

_COMPARE = re.compile(
    r"^\s*(?:vad\s+skiljer|hur\s+skiljer\s+sig|jämför|vad\s+är\s+skillnaden\s+mellan|skillnaden\s+mellan|"
    r"hur\s+ser|compare|what\s+is\s+the\s+difference\s+between|how\s+do|how\s+does)\b", re.IGNORECASE)
#: the frame around the subject: "syn på", "inställning till", "view on" say how, not what
_FRAME = re.compile(r"^(?:(?:(?:deras|sin|sina|its|their)\s+)?(?:synen?|syn|inställning(?:en)?|hållning(?:en)?|"
                    r"politik(?:en)?|views?|positions?|stance)\s+(?:på|till|i\s+fråga\s+om|om|on|to|towards)|"
                    r"när\s+det\s+gäller|i\s+fråga\s+om|angående|beträffande|kring|om|på|about|regarding|on)\s+",
                    re.IGNORECASE)
_FILLER = re.compile(r"\b(?:vad\s+skiljer|hur\s+skiljer\s+sig|jämför|vad\s+är\s+skillnaden\s+mellan|"
                     r"skillnaden\s+mellan|hur\s+ser|compare|what\s+is\s+the\s+difference\s+between|how\s+do|"
                     r"how\s+does|och|samt|från|and|from|med|differ|skiljer\s+sig|åt|sig|ut|på\s+det|"
                     r"in\s+their|i\s+sin)\b", re.IGNORECASE)


@dataclasses.dataclass
class Side:
    label: str  # as shown: "Stockholm", "Socialdemokraterna (S)", "Daniel Dronjak (M)"
    filters: Filters
    spans: list[tuple[int, int]]  # where the question names it


@dataclasses.dataclass
class Comparison:
    sides: list[Side]
    topic: str


def sides_of(question: str, bodies: set[str], parties: set[str], authors: list[tuple[str, str]]) -> list[Side]:
    """The sides a question names, in the order it names them (``authors``: (name, party) pairs)."""
    found: list[Side] = []
    for body in sorted(bodies, key=len, reverse=True):
        spans = [m.span() for m in re.finditer(rf"\b{re.escape(body)}\w*", question, re.IGNORECASE)]
        if spans:
            found.append(Side(body, Filters(bodies=(body,)), spans))
    for abbrev in parties:
        name = PARTY_NAMES.get(abbrev.upper(), "")
        spans = [m.span() for m in re.finditer(rf"\b{re.escape(abbrev)}\b", question)]  # "S" only in capitals
        if len(name) > 4:  # "Socialdemokraterna", "socialdemokraternas", "Moderaternas"
            spans += [m.span() for m in re.finditer(rf"\b{re.escape(name[:-2])}\w*", question, re.IGNORECASE)]
        if spans:
            found.append(Side(f"{name} ({abbrev})" if name else abbrev, Filters(parties=(abbrev,)), spans))
    surnames: dict[str, list[tuple[str, str]]] = {}
    for name, party in authors:
        surnames.setdefault(name.split()[-1].lower(), []).append((name, party))
    for name, party in authors:
        surname = name.split()[-1]
        full = [m.span() for m in re.finditer(rf"\b{re.escape(name)}\w*", question, re.IGNORECASE)]
        alone = [] if len(surname) < 4 or len(surnames[surname.lower()]) > 1 else \
            [m.span() for m in re.finditer(rf"\b{re.escape(surname)}\w*", question, re.IGNORECASE)]
        if full or alone:
            found.append(Side(f"{name} ({party})" if party else name, Filters(authors=(name,)), full or alone))
    # a name inside a longer one found too ("Huddinge" in "Huddinge kommun") is the longer one's
    found = [s for s in found if not any(o is not s and _inside(s.spans, o.spans) for o in found)]
    return sorted(found, key=lambda s: s.spans[0][0])


def _inside(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return all(any(bs <= s and e <= be and (bs, be) != (s, e) for bs, be in b) for s, e in a)


def topic_of(question: str, sides: list[Side]) -> str:
    """The subject once the sides and the comparing words are taken out ("utsatta områden")."""
    text = question
    for s, e in sorted((span for side in sides for span in side.spans), reverse=True):
        text = text[:s] + " " + text[e:]
    text = _FILLER.sub(" ", text)
    text = re.sub(r"[?!.,:;]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return _FRAME.sub("", text).strip()


def find_sides(engine: Any, text: str) -> list[Side]:
    """The sides of the engine's index that ``text`` names (its bodies, parties, authors)."""
    from . import per_index

    def names(reader) -> tuple[set[str], set[str], list[tuple[str, str]]]:
        bodies, parties, party_of = set(), set(), {}
        for d in reader.documents.values():
            meta = d.meta or {}
            if meta.get("body"):
                bodies.add(meta["body"])
            parties.update(p.strip() for p in str(meta.get("party", "")).replace("/", ",").split(",") if p.strip())
            if meta.get("author"):
                party_of.setdefault(meta["author"], meta.get("party", ""))
        return bodies, parties, sorted(party_of.items())

    bodies, parties, authors = per_index(engine, "sides", names)
    return sides_of(text, bodies, parties, authors)


def match(asked: Any) -> Comparison | None:
    if not _COMPARE.match(asked.question):
        return None
    sides = find_sides(asked.engine, asked.question)
    if len(sides) < 2:
        return None
    topic = topic_of(asked.question, sides)
    return Comparison(sides, topic) if topic else None


def side_says(engine: Any, side: Side, topic: str, scope: Filters | None, asked_as: str = "") -> list[Citation]:
    """What one side's documents say about ``topic``: the fact step's citations whose quotes name it.

    A sentence names the subject when it covers more than half of the subject's weight, as in
    an overview ("trygghet" is not "trygghetskameror"); the quotes that do not are dropped.
    ``asked_as``: an English question, asked as it is (the fact step matches its words itself,
    to more Swedish words than one), its quotes not held to one translated word.
    """
    lexical = engine.retriever.lexical
    weights = lexical.coverage_weights(topic)
    question = asked_as or f"Vad säger {side.label.split(' (')[0]} om {topic}?"
    got = engine.ask(question, filters=_merge(scope, side.filters), plans_=False)
    if got.abstained:
        return []
    return [c for c in got.citations if asked_as or _mentioning(c, weights, lexical)]


def silent_line(side: Side, topic: str) -> str:
    return f"{_genitive(side.label.split(' (')[0])} dokument säger inget om {topic}."


def answer(comparison: Comparison, asked: Any) -> Answer:
    """One section per side: the fact step's quotes within that side's documents, or that it says nothing."""
    lines: list[str] = []
    used: list[Citation] = []
    silent: list[str] = []
    for side in comparison.sides:
        lines.append(f"**{side.label}**")
        kept = side_says(asked.engine, side, comparison.topic, asked.filters)
        if not kept:
            lines.append(silent_line(side, comparison.topic))
            silent.append(side.label)
            continue
        lines += numbered_lines(kept, used)
    if not used:
        return abstention(asked.shown, [])
    out = verified_answer(asked.shown, "\n".join(lines), used, sum(len(c.quote_spans) for c in used), used)
    if silent and not out.abstained:
        out.notice = "Tyst om ämnet: " + ", ".join(silent) + "."
    return out


def numbered_lines(citations: list[Citation], used: list[Citation]) -> list[str]:
    """One line per citation, numbered after those already ``used`` (which it extends)."""
    lines = []
    for c in citations:
        c.n = len(used) + 1
        used.append(c)
        quoted = " ".join(f"”{c.text[s:e]}”" for s, e in c.quote_spans)
        lines.append(f"{source_label(c)}: {quoted} [{c.n}]")
    return lines


def _mentioning(c: Citation, weights, lexical) -> bool:
    """Keep only the quoted sentences of ``c`` that mention the subject; whether any is left."""
    spans = [(s, e) for s, e in c.quote_spans if weights.cover(set(lexical.analyzer.terms(c.text[s:e]))) > MENTION]
    if spans:
        set_quote(c, spans)
    return bool(spans)


def _merge(scope: Filters | None, side: Filters) -> Filters:
    """The user's scope narrowed to one side."""
    if scope is None or scope.is_empty():
        return side
    return dataclasses.replace(scope, bodies=side.bodies or scope.bodies, parties=side.parties or scope.parties,
                               authors=side.authors or scope.authors)


def _genitive(name: str) -> str:
    return name if name.endswith(("s", "x", "z")) else f"{name}s"
