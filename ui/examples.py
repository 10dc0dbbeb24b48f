"""The example questions under the chat: questions the index in use answers, not fixed Huddinge ones.

Why (issue 18): on a Riksdagen index the app offered "Hur många trygghetskameror ska
Huddinge sätta upp?" — a question that collection cannot answer. The examples are now
the built-in ones the index answers, then questions drawn from the index itself: the
newest documents whose title is a question (Riksdagen's interpellations are titled by
the question they close with), and who has raised the subject of the newest one.
Each is asked once when the app starts, and only those answered are offered.
"""

from __future__ import annotations

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


def for_engine(engine: Any) -> list[str]:
    """The examples for the app's engine; the built-in ones if asking fails (they are only suggestions)."""
    documents = [(d.title, d.meta or {}) for d in engine.reader.documents.values()]
    try:
        return example_questions(documents, lambda q: not engine.ask(q).abstained)
    except Exception:  # an example is a convenience: never a reason for the app not to start
        return list(BUILT_IN)
