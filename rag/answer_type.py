"""What kind of fact a question asks for, and whether a sentence states one.

Why: an on-topic paragraph that lacks the asked-for fact is the typical near
miss ("Hur många ledamöter har referensgruppen?" over a paragraph about the
reference group without a number). A question asking "how many" or "when" is
only answered by a sentence with a quantity or a time in it, near the thing
asked about. Cheap, transparent, and measured on the gold set's unanswerables.
"""

from __future__ import annotations

import re

from .lexical import words

_NUMBER_Q = re.compile(r"\b(hur\s+många|hur\s+mycket|hur\s+stor[at]?|hur\s+lång[at]?|hur\s+gamla?|"
                       r"vilket\s+antal|hur\s+hög[at]?|how\s+many|how\s+much|how\s+large|how\s+big|"
                       r"what\s+percentage)\s+(\w+(?:\s+\w+)?)?", re.IGNORECASE)
_TIME_Q = re.compile(r"^(när|vilket\s+(datum|år)|vilken\s+(dag|månad|tid)|what\s+date|when|which\s+year|"
                     r"in\s+what\s+year)\b|\b(vilket\s+datum|vilket\s+år|what\s+date|which\s+year)\b",
                     re.IGNORECASE)
#: asks for a calendar date, not just "when" ("När kan tillståndet återkallas?" asks for a condition)
_DATE_Q = re.compile(r"\b(vilket|vilka)\s+datum\b|\bdater(?:ad|at|ade)\w*|\bwhat\s+date\b|\bdated\b", re.IGNORECASE)
_NUMBER_WORDS = {"två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva", "tolv", "femton",
                 "tjugo", "trettio", "fyrtio", "femtio", "hundra", "tusen", "miljon", "miljoner", "miljard",
                 "miljarder", "dubbelt", "hälften", "procent", "halva", "tredjedel", "fjärdedel", "ett par"}
_QUANTITY = re.compile(r"\d")
_YEAR_ONLY = re.compile(r"^(19|20)\d\d$")
_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
           "oktober", "november", "december")
_DATE = re.compile(r"\b\d{4}-\d\d-\d\d\b|\b\d{1,2}(:e|:a)?\s+(" + "|".join(_MONTHS) + r")\b", re.IGNORECASE)
_TIME = re.compile(r"\b(19|20)\d\d\b|\d{4}-\d\d-\d\d|\b(" + "|".join(_MONTHS) +
                   r")\b|\b(måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag|våren|hösten|sommaren|"
                   r"vintern|nästa år|i år|i fjol|kvartal)\b", re.IGNORECASE)


_PERSON_Q = re.compile(r"^(vem|vilka\s+personer|vilken\s+person|vilken\s+politiker|who|which\s+politician)\b|"
                       r"\b(vem|who)\s+(som\s+)?(skrev|besvarade|svarade|undertecknade|ställde|wrote|answered|"
                       r"signed|asked)\b", re.IGNORECASE)


_ANSWERER_Q = re.compile(r"\b(besvarade|svarade|skrev|undertecknade|signerade|answered|wrote|signed)\b", re.IGNORECASE)
_ASKER_Q = re.compile(r"\b(ställde|interpellerade|frågade|asked)\b", re.IGNORECASE)


#: asks who signed, or for whom: "För vilket styre undertecknades svaret?" is answered by "För Mittenstyret,"
_SIGNED_Q = re.compile(r"\b(undertecknade?s?|signerade?s?|skrevs?\s+under|signed)\b", re.IGNORECASE)


def asks_for_person(question: str) -> str:
    """Which person a question asks for: "author" (who answered/wrote), "asker", "signer", "any" or "".

    "Vem besvarade …?" is answered by the signature, "Vem ställde …?" by the opening line
    that names the interpellant; "… undertecknades …?" without a "who" by the signature
    block, which also names the group signed for ("För Mittenstyret,").
    """
    if not _PERSON_Q.search(question.strip()):
        return "signer" if _SIGNED_Q.search(question) else ""
    if _ANSWERER_Q.search(question):
        return "author"
    if _ASKER_Q.search(question):
        return "asker"
    return "any"


_PARTY_Q = re.compile(r"\b(vilka\s+partier|vilket\s+parti|vilka\s+politiska\s+partier|which\s+part(y|ies)|"
                      r"what\s+part(y|ies))\b", re.IGNORECASE)
_PARTY = re.compile(r"\((S|M|L|C|KD|V|MP|SD|FP)\)|\b(socialdemokrat\w*|moderat\w*|liberal\w*|centerpartiet\w*|"
                    r"kristdemokrat\w*|vänsterpartiet\w*|miljöpartiet\w*|sverigedemokrat\w*|folkpartiet\w*)",
                    re.IGNORECASE)
#: a number right after these words names something ("Ärende 22", "§ 5") rather than counting it
_IDENTIFIER_BEFORE = {"ärende", "paragraf", "punkt", "nr", "nummer", "bilaga", "kapitel", "kap", "dnr", "sida"}


def asked_type(question: str) -> tuple[str, list[str]]:
    """("number", focus words) | ("date", []) | ("time", []) | ("party", []) | ("", [])."""
    if _DATE_Q.search(question):
        return "date", []
    if _TIME_Q.search(question.strip()):
        return "time", []
    m = _NUMBER_Q.search(question)
    if m:
        focus = [w for w in words(m.group(2) or "") if len(w) > 3]
        return "number", focus
    if _PARTY_Q.search(question):
        return "party", []
    return "", []


def states(kind: str, focus_stems: set[str], sentence: str, sentence_stems: set[str]) -> bool:
    """Whether ``sentence`` states a fact of the asked kind (about the focus, for quantities)."""
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "time":
        return bool(_TIME.search(sentence))
    if kind == "party":
        return bool(_PARTY.search(sentence))
    if kind == "number":
        tokens = words(sentence)
        has_quantity = any(_QUANTITY.search(t) and not _YEAR_ONLY.match(t)
                           and not (i and tokens[i - 1] in _IDENTIFIER_BEFORE) for i, t in enumerate(tokens)) or \
            any(t in _NUMBER_WORDS for t in tokens)
        if not has_quantity:
            return False
        # the focus may be a compound and the sentence use its tail ("trygghetskameror" / "kameror")
        return not focus_stems or bool(focus_stems & sentence_stems) or any(
            s.endswith(f) or (len(s) >= 4 and f.endswith(s)) for s in sentence_stems for f in focus_stems)
    return True
