"""The example questions under the chat: questions the index in use answers, not fixed Huddinge ones.

Why (issue 18): on a Riksdagen index the app offered "Hur många trygghetskameror ska
Huddinge sätta upp?" — a question that collection cannot answer. The examples are now
the built-in ones the index answers, then questions drawn from the index itself: the
newest documents whose title is a question (Riksdagen's interpellations are titled by
the question they close with), and who has raised the subject of the newest one.
Each is asked once when the app starts, and only those answered are offered.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

BUILT_IN = (
    "Hur många trygghetskameror ska Huddinge sätta upp?",
    "Vad gör Stockholm mot segregation?",
    "Vem svarade på interpellationen om Flemingsberg?",
    "What does Huddinge do against youth crime?",
)
SHOWN = 4
MAX_TITLE = 110  # a longer title is a paragraph, not a question to click
MAX_ASKED = 12  # questions tried at start-up at most


def drawn_questions(documents: Iterable[tuple[str, dict[str, str]]]) -> list[str]:
    """Questions from the documents (title, meta): the newest titles that are questions, newest first."""
    rows = sorted(documents, key=lambda d: str(d[1].get("date", "")), reverse=True)
    out = []
    for title, _ in rows:
        title = " ".join(str(title or "").split())
        if title.endswith("?") and 4 <= len(title.split()) and len(title) <= MAX_TITLE and title not in out:
            out.append(title)
    return out


def example_questions(documents: Iterable[tuple[str, dict[str, str]]], answers: Callable[[str], bool],
                      built_in: tuple[str, ...] = BUILT_IN, shown: int = SHOWN) -> list[str]:
    """Up to ``shown`` questions that ``answers`` (asks the engine: not "not found"?) says are answered."""
    chosen: list[str] = []
    tried = 0
    for question in [*built_in, *drawn_questions(documents)]:
        if len(chosen) >= shown or tried >= MAX_ASKED:
            break
        tried += 1
        if answers(question):
            chosen.append(question)
    return chosen


def names_in(question: str) -> list[str]:
    """The proper names a question is about: its capitalised words after the first ("Huddinge", "Stockholm")."""
    tokens = re.findall(r"[\wÅÄÖåäö-]+", question)
    return [t for t in tokens[1:] if t[:1].isupper() and not t.isupper()]


def about_its_names(question: str, answer: Any) -> bool:
    """An example must be answered by documents of the places and people it names.

    Why: on a Riksdagen index "Vad gör Stockholm mot segregation?" is "answered" by a member's
    sentence that mentions Stockholm in passing; offered as an example it promises what the
    collection is not about. A name counts when a cited document's title, body or author holds it.
    """
    if answer.abstained:
        return False
    names = names_in(question)
    if not names:
        return True
    cited = " ".join(" ".join([c.title, c.meta.get("body", ""), c.meta.get("author", "")])
                     for c in answer.citations).lower()
    return all(n.lower() in cited for n in names)


def for_engine(engine: Any) -> list[str]:
    """The examples for the app's engine; the built-in ones if asking fails (they are only suggestions)."""
    documents = [(d.title, d.meta or {}) for d in engine.reader.documents.values()]
    try:
        return example_questions(documents, lambda q: about_its_names(q, engine.ask(q)))
    except Exception:  # an example is a convenience: never a reason for the app not to start
        return list(BUILT_IN)
