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


#: a question about the document itself (its number, what it is about, who filed it): its title may answer it
ABOUT_DOCUMENT = re.compile(r"\b(interpellation\w*|interpellera\w*|ärende\w*|dokument\w*|protokoll\w*|motion\w*|"
                            r"beteckning\w*|rubrik\w*|titel\w*|title|document\w*)\b", re.IGNORECASE)


def title_rule(question: str, title: str) -> str:
    """The title a content sentence must not merely repeat; "" when the question is about the document."""
    return "" if ABOUT_DOCUMENT.search(question) else title


def is_content(sentence: str, title: str = "") -> bool:
    """A sentence that can answer a content question: not a bare date, name line, heading or quoted question.

    ``title``: the document's; a sentence that is only the title repeated (the first line of most
    answers: "Svar till interpellation om stadens utsatta områden utanför Järva") names the subject
    and says nothing about it.
    """
    text = sentence.strip()
    if title and _bare(text) == _bare(title):
        return False
    if _DATE.match(text) or text.rstrip("”\"' )").endswith("?"):
        return False
    tokens = words(text)
    if len(tokens) < 4:  # "Daniel Dronjak (M)", "Huddinge kommun", "Protokollsanteckning"
        return False
    # a signature or role line: mostly capitalised words and a party in parentheses, no sentence end
    capitalised = sum(t[:1].isupper() for t in text.split())
    return not (re.search(r"\([A-ZÅÄÖ]{1,3}\)\s*$", text) and capitalised >= len(text.split()) - 1)


def _bare(text: str) -> str:
    return " ".join(words(text))


def quotable(sentence: str, question: str, title: str, who_when: bool) -> bool:
    """Whether a sentence may be quoted as the answer: two words at least, no question quoted from an
    interpellation, and for a content question no title, signature, date or heading line."""
    if len(words(sentence)) < 2 or sentence.rstrip("”\"' )").endswith("?"):
        return False
    return who_when or is_content(sentence, title_rule(question, title))

