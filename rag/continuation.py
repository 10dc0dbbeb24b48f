"""Quotes widened to the sentences they lean on, so a quote reads as the passage it comes from.

Why (issue 17): on the seed gold set, 18 of the 30 answers that missed their key terms cited
the right paragraph but quoted only the sentence that matched the question's words, and the
answer stood in the next one: "Utöver Samverkan Huddinge anordnar … Huge Fastigheter … olika
projekt" quoted, "Exempel på detta är … Talangakademin och Unga för orten …" not; "Föreningen
Samverkan Huddinge … genomför trygghetsskapande åtgärder" quoted, "Syftet är att göra områdena
mer attraktiva …" not. Swedish carries such a sentence on with a word that points back
("Detta", "De", "Bland dem", "Exempel på detta", "Inte minst", "Därför"); a quote that stops
before it cuts the passage where the point is made, and a quote that starts with it ("Detta
arbete har varit framgångsrikt …") cannot be read without the sentence before.

So, within one quoted paragraph (nothing here is fitted; the rules are Swedish grammar, and the
figures they move are measured by ``python -m rag eval`` on the seed, SweQUAD-MC and Riksdagen sets):

* the sentence after a run of quoted sentences is added when it points back, or when it holds a
  word of the question (by stem) that none of the quoted sentences holds;
* the sentence before a run is added when the run's first sentence points back;
* a single sentence between two quoted ones is added, so no hole hides inside a quote.

One sentence is added at most on each side of a run, and only a sentence that may be quoted
at all (``content_lines.quotable``: no quoted question, title, date or signature line).
"""

from __future__ import annotations

import re

from index.sentences import sentence_spans

#: the opening of a sentence that continues the one before it: a pronoun or demonstrative pointing
#: back, or a connective that carries the argument on
REFERS_BACK = re.compile(
    r"^\W*(?:det|detta|dessa|denna|den|de|dem|deras|dess|där|då|därför|dessutom|därmed|därtill|"
    r"sådana|sådan|sådant|han|hon|hans|hennes|syftet|målet|tanken|avsikten|"
    r"exempel\s+på\s+(?:detta|det|dessa|sådana)|bland\s+(?:dem|dessa|annat)|inte\s+minst|"
    r"utöver\s+(?:detta|det|dessa)|samtidigt|men|också|även)\b", re.IGNORECASE)


def refers_back(sentence: str) -> bool:
    return bool(REFERS_BACK.match(sentence))


def widened(text: str, spans: list[tuple[int, int]], question_stems: set[str], terms, quotable) -> list[tuple[int, int]]:
    """``spans`` (sentences of ``text`` chosen to quote) with the sentences they lean on added, sorted.

    ``terms``: a text's analysed stems (``Analyzer.terms``); ``quotable``: whether a sentence may be
    quoted at all. Spans that are not whole sentences of ``text`` are kept as they are.
    """
    sentences = sentence_spans(text)
    index = {span: i for i, span in enumerate(sentences)}
    chosen = {index[s] for s in spans if s in index}
    if not chosen:
        return sorted(spans)

    def sentence(i: int) -> str:
        s, e = sentences[i]
        return text[s:e]

    def may(i: int) -> bool:
        return 0 <= i < len(sentences) and i not in chosen and quotable(sentence(i))

    covered = set().union(*(set(terms(sentence(i))) & question_stems for i in chosen))
    added: set[int] = set()
    for i in sorted(chosen):
        if i + 2 in chosen and may(i + 1):  # a hole of one sentence inside the quote
            added.add(i + 1)
    runs = _runs(chosen | added)
    for first, last in runs:
        after = last + 1
        if may(after) and (refers_back(sentence(after)) or set(terms(sentence(after))) & question_stems - covered):
            added.add(after)
        before = first - 1
        if may(before) and refers_back(sentence(first)):
            added.add(before)
    extra = [sentences[i] for i in added]
    return sorted(set(spans) | set(extra))


def _runs(numbers: set[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sentence numbers, as (first, last)."""
    runs: list[tuple[int, int]] = []
    for i in sorted(numbers):
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs
