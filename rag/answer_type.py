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
_NUMBER_WORDS = {"två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva", "tolv", "femton",
                 "tjugo", "trettio", "fyrtio", "femtio", "hundra", "tusen", "miljon", "miljoner", "miljard",
                 "miljarder", "dubbelt", "hälften", "procent", "halva", "tredjedel", "fjärdedel", "ett par"}
_QUANTITY = re.compile(r"\d")
_YEAR_ONLY = re.compile(r"^(19|20)\d\d$")
_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
           "oktober", "november", "december")
_TIME = re.compile(r"\b(19|20)\d\d\b|\d{4}-\d\d-\d\d|\b(" + "|".join(_MONTHS) +
                   r")\b|\b(måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag|våren|hösten|sommaren|"
                   r"vintern|nästa år|i år|i fjol|kvartal)\b", re.IGNORECASE)


def asked_type(question: str) -> tuple[str, list[str]]:
    """("number", focus words) | ("time", []) | ("", [])."""
    if _TIME_Q.search(question.strip()):
        return "time", []
    m = _NUMBER_Q.search(question)
    if m:
        focus = [w for w in words(m.group(2) or "") if len(w) > 3]
        return "number", focus
    return "", []


def states(kind: str, focus_stems: set[str], sentence: str, sentence_stems: set[str]) -> bool:
    """Whether ``sentence`` states a fact of the asked kind (about the focus, for quantities)."""
    if kind == "time":
        return bool(_TIME.search(sentence))
    if kind == "number":
        tokens = words(sentence)
        has_quantity = any(_QUANTITY.search(t) and not _YEAR_ONLY.match(t) for t in tokens) or \
            any(t in _NUMBER_WORDS for t in tokens)
        if not has_quantity:
            return False
        # the focus may be a compound and the sentence use its tail ("trygghetskameror" / "kameror")
        return not focus_stems or bool(focus_stems & sentence_stems) or any(
            s.endswith(f) or (len(s) >= 4 and f.endswith(s)) for s in sentence_stems for f in focus_stems)
    return True
