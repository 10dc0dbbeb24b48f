"""Lines of a document that are not content: they never answer a content question.

Why (issue 17): "Vad säger Dronjak om kameror?" was answered with the signature line
"Daniel Dronjak (M)", "Sammanfatta protokollsanteckningen." with "Huddinge kommun" and
"2021-05-05". A date, a name or role line, a heading-like fragment or a question quoted
from an interpellation says nothing about the subject; it may answer only a question
that asks who, when or which document (those go through ``document_facts`` or keep
such lines on purpose).
"""

from __future__ import annotations

import re

from .lexical import words

#: a line that is not content: a date, a signature or role line, a heading-like fragment
_DATE = re.compile(r"^\W*\d{1,4}[-./ ]\d{1,2}[-./ ]\d{1,4}\W*$|^\W*\d{1,2} \w+ \d{4}\W*$")
ASKS_WHO_WHEN = re.compile(r"\b(vem|vilka personer|vilken minister|vilket parti|när|vilket datum|vilket år|"
                           r"who|whom|when|which minister|which party)\b", re.IGNORECASE)


def is_content(sentence: str) -> bool:
    """A sentence that can answer a content question: not a bare date, name line, heading or quoted question."""
    text = sentence.strip()
    if _DATE.match(text) or text.rstrip("”\"' )").endswith("?"):
        return False
    tokens = words(text)
    if len(tokens) < 4:  # "Daniel Dronjak (M)", "Huddinge kommun", "Protokollsanteckning"
        return False
    # a signature or role line: mostly capitalised words and a party in parentheses, no sentence end
    capitalised = sum(t[:1].isupper() for t in text.split())
    return not (re.search(r"\([A-ZÅÄÖ]{1,3}\)\s*$", text) and capitalised >= len(text.split()) - 1)
