"""The fitted answer step on the seeds: the sentence the fitted model picks, and when it says "not found".

What a reader of an answer checks: the quote holds the answer, a signature or date
line is never quoted for a content question, a question the seeds do not answer gets
"not found", and a missing or damaged weights file costs nothing but the fitted step.
"""

from __future__ import annotations

import json
import logging
import math

import pytest

from conftest import assert_verified
from rag import sentence_choice

pytestmark = pytest.mark.model

CAMERAS = "Hur många trygghetskameror ska Huddinge sätta upp?"


@pytest.fixture(scope="module")
def engine(seed_index):
    from rag.engine import Engine

    e = Engine(seed_index, answer_step="fitted")
    assert e.answer_step == "fitted", "the committed weights load"
    return e


def test_the_committed_card_says_what_it_was_fitted_on():
    card = json.loads(sentence_choice.WEIGHTS.read_text(encoding="utf-8"))
    assert card["features"] == list(sentence_choice.FEATURES)
    assert "SweQUAD-MC" in card["fitted_on"] and 0.0 < card["threshold"] < 1.0
    # the fit's own held-out half, printed by scripts/fit_sentence_choice.py and kept beside the weights
    assert set(card["held_out_figures"]) == {"swequad-mc", "squad-v2-sv"}
    assert card["held_out_figures"]["swequad-mc"]["not_found"] < 0.1


def test_the_camera_question_quotes_the_number(engine):
    a = engine.ask(CAMERAS)
    assert not a.abstained
    assert_verified(a)
    assert "300" in a.citations[0].quote


def test_an_english_question_is_answered_from_the_swedish_paragraph(engine):
    a = engine.ask("How many security cameras will Huddinge install?")
    assert not a.abstained
    assert "300" in a.citations[0].quote


def test_a_stance_question_never_quotes_the_signature_line(engine):
    a = engine.ask("Vad säger Dronjak om kameror?")
    if a.abstained:
        pytest.xfail("the fitted step says not found to paraphrasing questions (README Quality; issue 17 open)")
    assert_verified(a)
    assert all("Daniel Dronjak (M)" != c.quote.strip() for c in a.citations)
    assert any("kamer" in c.quote for c in a.citations)


@pytest.mark.parametrize("question", [
    "Vilket år grundades Huddinge kommun?",
    "Hur många elever går i Huddinges skolor?",
    "Vad kostar en ny simhall i Stockholm?",
])
def test_questions_the_seeds_do_not_answer_get_not_found(engine, question):
    a = engine.ask(question)
    assert a.abstained, a.answer


def test_the_probability_follows_the_weights():
    """The card's arithmetic: standardised features, a dot product, a logistic."""
    n = len(sentence_choice.FEATURES)
    model = sentence_choice.SentenceChoice([1.0] + [0.0] * (n - 1), 0.0, [0.5] * n, [0.25] * n, 0.5)
    assert model.probability([0.5] * n) == pytest.approx(0.5)
    assert model.probability([1.0] + [0.5] * (n - 1)) == pytest.approx(1 / (1 + math.exp(-2)))


def test_without_weights_the_rules_answer_with_a_warning(seed_index, monkeypatch, tmp_path, caplog):
    from rag.engine import Engine

    monkeypatch.setattr(sentence_choice, "WEIGHTS", tmp_path / "absent.json")
    with caplog.at_level(logging.WARNING):
        e = Engine(seed_index, answer_step="fitted")
    assert e.answer_step == "rules"
    assert "fitted answer step has no weights" in caplog.text
    assert "300" in e.ask(CAMERAS).citations[0].quote


def test_a_damaged_weights_file_falls_back_to_the_rules(seed_index, monkeypatch, tmp_path, caplog):
    from rag.engine import Engine

    bad = tmp_path / "sentence_choice.json"
    bad.write_bytes(b"\x00\xff not json")
    monkeypatch.setattr(sentence_choice, "WEIGHTS", bad)
    with caplog.at_level(logging.WARNING):
        e = Engine(seed_index, answer_step="fitted")
    assert e.answer_step == "rules"
    assert "fitted answer step unavailable" in caplog.text
