"""Text analysis shared by the BM25 index and the questions: Snowball stems, mended where they split a word."""

from __future__ import annotations

import json
import re

import pytest
import Stemmer

from index.analysis import Analyzer


@pytest.mark.parametrize("inflected, base", [
    ("tandteknikers", "tandtekniker"),  # genitive -s of an -er noun: Snowball gives "tandtekniker" / "tandteknik"
    ("organisationers", "organisationer"),
    ("tränares", "tränare"),  # genitive of an -are noun: "tränar" / "trän"
    ("pizzabagares", "pizzabagare"),
    ("revisorn", "revisor"),  # definite -n after -or: "revisorn" / "revis"
    ("sektorn", "sektor"),
])
def test_mended_endings_stem_like_their_base_form(inflected, base):
    analyzer, snowball = Analyzer(), Stemmer.Stemmer("swedish")
    assert snowball.stemWord(inflected) != snowball.stemWord(base)  # the gap being mended is real
    assert analyzer.stem(inflected) == analyzer.stem(base) == snowball.stemWord(base)


def test_only_the_mended_endings_differ_from_snowball(swequad_dir):
    """Over every word of the SweQUAD-MC corpus the mend touches nothing but -ers, -ares and -orn words."""
    analyzer, snowball = Analyzer(), Stemmer.Stemmer("swedish")
    words = set()
    for line in (swequad_dir / "corpus.jsonl").open(encoding="utf-8"):
        words.update(w.lower() for w in re.findall(r"[^\W\d_]+", json.loads(line)["text"]))
    changed = {w for w in words if analyzer.stem(w) != snowball.stemWord(w)}
    assert changed and all(w.endswith(("ers", "ares", "orn")) for w in changed)
    assert len(changed) < 0.01 * len(words)
    # the question that found its paragraph by BM25 only after the mend
    question, answer = "Vad är en tandteknikers uppgift?", "Tandteknikerns jobb är att tillverka"
    assert set(analyzer.terms(question)) & set(analyzer.terms(answer))
