"""What a question may look like before it is searched, and the message when it may not.

Why here and not in the UI: the CLI, the Python API, the LangChain retriever and
the app all take questions from people; each must get the same clear answer to
an empty, huge or garbled input, never a traceback.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 1000  # longer input is cut here; a question is a sentence or two, not a document


class BadQuestion(ValueError):
    """The input cannot be searched; ``str(exc)`` is the message to show the user (Swedish)."""


# lone surrogates (\ud800-\udfff) arrive from undecodable bytes in argv/stdin (surrogateescape);
# the tokenizer rejects them with a TypeError, so they are blanked like control characters
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def clean_question(raw: object) -> tuple[str, str]:
    """The question to search and a notice for the user ("" when nothing was changed)."""
    if raw is None:
        raise BadQuestion("Skriv en fråga först.")
    if not isinstance(raw, str):
        raise BadQuestion("Frågan måste vara text.")
    notice = ""
    text = raw
    if len(text) > MAX_QUESTION_CHARS:
        text = text[:MAX_QUESTION_CHARS]
        notice = (f"Frågan var {len(raw):,} tecken lång; bara de första {MAX_QUESTION_CHARS} "
                  "tecknen söktes.").replace(",", " ")
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))
    text = " ".join(text.split())
    if not text:
        raise BadQuestion("Skriv en fråga först.")
    if not any(ch.isalnum() for ch in text):
        raise BadQuestion("Frågan innehåller inga ord att söka på. Skriv en fråga med ord, "
                          "till exempel ”Hur många trygghetskameror ska Huddinge sätta upp?”.")
    return text, notice
