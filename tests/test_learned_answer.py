"""The learned answer step on the seeds: the reader's span, the fitted decision, verified quotes.

What a reader of an answer checks: the quote holds the answer and marks it, a
signature or date line is never quoted as the answer to a content question, a
question the documents do not answer gets "not found", and the ONNX graph the
product runs computes what the trained torch model computes.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from conftest import assert_verified
from rag import learned_answer, reader

pytestmark = pytest.mark.model

CAMERAS = "Hur många trygghetskameror ska Huddinge sätta upp?"


@pytest.fixture(scope="module")
def engine(seed_index):
    from rag.engine import Engine

    e = Engine(seed_index, answer_step="learned")
    assert e.answer_step == "learned", "the committed weights and decision load"
    return e


def test_the_camera_question_quotes_and_marks_the_number(engine):
    a = engine.ask(CAMERAS)
    assert not a.abstained
    assert_verified(a)
    first = a.citations[0]
    assert "300" in first.quote
    (s, e), = first.answer_spans
    assert "300" in first.text[s:e] and e - s < 40, first.text[s:e]


@pytest.mark.parametrize("step", ["rules", "learned"])
def test_a_stance_question_never_quotes_the_signature_line(seed_index, step):
    from rag.engine import Engine

    a = Engine(seed_index, answer_step=step).ask("Vad säger Dronjak om kameror?")
    if step == "learned" and a.abstained:
        pytest.xfail("the learned decision still says not found here (README Quality; issue 17 open)")
    assert_verified(a)
    assert not a.abstained
    for c in a.citations:
        assert learned_answer.is_content(c.quote), c.quote
        assert "Dronjak (M)" not in c.quote


@pytest.mark.parametrize("question", ["Hur många trygghetskameror ska Stockholm sätta upp i Rinkeby?",
                                      "Vad kostar en ny simhall i Huddinge?",
                                      "How many police officers will Huddinge hire in 2030?"])
def test_questions_the_seeds_do_not_answer_get_not_found(engine, question):
    a = engine.ask(question)
    assert a.abstained and not a.citations, a.answer


def test_an_english_question_is_read_as_asked(engine):
    a = engine.ask("How many security cameras will Huddinge install?")
    assert not a.abstained and "300" in a.citations[0].quote


def test_the_rules_are_the_default(seed_index):
    from rag.engine import Engine

    rules = Engine(seed_index)
    assert rules.answer_step == "rules" and rules.answer_reader is None, "the rules load no reader"
    a = rules.ask(CAMERAS)
    assert not a.abstained and "300" in a.answer and not any(c.answer_spans for c in a.citations)


def test_without_weights_the_rules_answer_with_a_warning(seed_index, monkeypatch, tmp_path, caplog):
    from rag.engine import Engine

    monkeypatch.setattr(reader, "WEIGHTS", tmp_path / "missing.safetensors")
    monkeypatch.setattr(learned_answer, "DECISION", tmp_path / "missing.json")
    with caplog.at_level(logging.WARNING):
        e = Engine(seed_index, answer_step="learned")
    assert e.answer_step == "rules" and "rules" in caplog.text
    assert not e.ask(CAMERAS).abstained


def test_the_onnx_reader_computes_what_the_trained_torch_model_computes(engine):
    """The graph ONNX Runtime runs is the committed weights: same logits as torch, to float tolerance."""
    import torch

    from index import model_convert
    from rag import reader_windows as rw
    from rag.reader_model import trained_reader

    onnx = reader.load_reader()
    paragraph = next(p.text for p in engine.reader.iter_paragraphs() if "300 kameror" in p.text)  # the seed's
    w = rw.windows(rw.encode(onnx.tokenizer, CAMERAS), rw.encode(onnx.tokenizer, paragraph))[0]
    ids = np.array([w.input_ids], dtype=np.int64)
    mask = np.ones_like(ids)
    start, end, answerable = onnx.session.run(None, {"input_ids": ids, "attention_mask": mask})
    model = trained_reader(model_convert.ensure_bundled_model())
    with torch.no_grad():
        t_start, t_end, t_answerable = model(torch.tensor(ids), torch.tensor(mask))
    assert np.abs(start - t_start.numpy()).max() < 1e-3 and np.abs(end - t_end.numpy()).max() < 1e-3
    assert np.abs(answerable - t_answerable.numpy()).max() < 1e-3
    found = onnx.read(CAMERAS, [paragraph])
    assert found and "300" in paragraph[found[0].span[0]:found[0].span[1]]


def test_a_damaged_reader_export_is_made_again(engine, monkeypatch):
    """A truncated graph in the cache (a kill mid-copy, a full disk) is exported again, not a crash."""
    from index.model_convert import ensure_bundled_model

    graph = reader.export_dir(ensure_bundled_model()) / reader.GRAPH
    assert graph.exists()
    graph.write_bytes(graph.read_bytes()[:4096])
    monkeypatch.setattr(reader, "_loaded", {})
    again = reader.load_reader()
    assert again is not None and graph.stat().st_size > 1_000_000
    text = "Kommunen ska sätta upp ungefär 300 kameror i de utsatta områdena."
    found = again.read(CAMERAS, [text])
    assert found and "300" in text[found[0].span[0]:found[0].span[1]]
