"""The reader's windows, span decoding and content filter, on real text, without the trained model.

If windows dropped a token, training labels and question-time spans would drift from
the answer; if a span could start in the question or run backwards, the quote could
hold words the paragraph does not say.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from index import model_convert
from rag import reader_windows as rw
from rag.learned_answer import is_content
from rag.reader_spans import best_span
from rag.types import Citation
from ui import render

pytestmark = pytest.mark.model  # needs the converted model's tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return rw.load_tokenizer(model_convert.ensure_bundled_model())


@pytest.fixture(scope="module")
def swequad_rows(swequad_dir):
    rows = [json.loads(line) for line in (swequad_dir / "questions-train.jsonl").open(encoding="utf-8")]
    return [r for r in rows if r.get("gold_paragraph") and r["answer"] in r["gold_paragraph"]][:120]


def test_windows_cover_every_token_and_keep_the_layout(tokenizer, swequad_dir):
    corpus = [json.loads(line) for line in (swequad_dir / "corpus.jsonl").open(encoding="utf-8")]
    long_text = max((d["text"] for d in corpus), key=len)  # several windows
    passage = rw.encode(tokenizer, long_text)
    question = rw.encode(tokenizer, "Vad gäller för uppehållstillstånd när man studerar i Sverige?")
    ws = rw.windows(question, passage)
    assert len(ws) > 3
    covered = set()
    for w in ws:
        assert len(w.input_ids) <= rw.MAX_TOKENS
        assert w.input_ids[0] == rw.CLS_ID and w.input_ids[-1] == rw.SEP_ID
        assert w.input_ids[w.passage_start - 2:w.passage_start] == [rw.SEP_ID, rw.SEP_ID]
        assert w.input_ids[w.passage_start:w.passage_end] == [passage.ids[passage.offsets.index(o)]
                                                              for o in w.offsets]
        covered.update(w.offsets)
    assert covered == set(passage.offsets), "a token of the paragraph is in no window"
    for a, b in zip(ws, ws[1:]):  # consecutive windows overlap by STRIDE tokens
        assert a.offsets[-rw.STRIDE:] == b.offsets[:rw.STRIDE]


def test_an_answer_span_maps_to_tokens_and_back_to_its_characters(tokenizer, swequad_rows):
    whole = 0
    for r in swequad_rows:
        text, answer = r["gold_paragraph"], r["answer"].strip()
        start = text.index(answer)
        w = rw.windows(rw.encode(tokenizer, r["question"]), rw.encode(tokenizer, text))[0]
        found = rw.char_span_to_tokens(w, start, start + len(answer))
        if found is None:  # beyond the first window
            continue
        first, last = found
        s, e = w.offsets[first - w.passage_start][0], w.offsets[last - w.passage_start][1]
        assert s <= start and e >= start + len(answer), (answer, text[s:e])
        assert len(text[s:e]) <= len(answer) + 12, "the tokens reach far beyond the answer"
        whole += 1
    assert whole >= 100


def test_best_span_stays_in_the_passage_and_runs_forward(tokenizer):
    text = "Kommunen ska sätta upp ungefär 300 kameror under året."
    w = rw.windows(rw.encode(tokenizer, "Hur många kameror?"), rw.encode(tokenizer, text))[0]
    start = np.zeros(len(w.input_ids))
    end = np.zeros(len(w.input_ids))
    start[1] = end[1] = 50.0  # the question's own token: never an answer
    three = next(i for i, (s, e) in enumerate(w.offsets) if text[s:e].startswith("300"))
    cams = next(i for i, (s, e) in enumerate(w.offsets) if text[s:e].startswith("kam"))
    start[w.passage_start + three] = 5.0
    end[w.passage_start + cams] = 4.0
    end[w.passage_start + three - 2] = 4.5  # an end before the start: not a span
    start[0] = end[0] = 1.0
    score, (s, e), null = best_span(start, end, w)
    assert text[s:e].startswith("300 kam") and score == 9.0 and null == 2.0


@pytest.mark.parametrize("line", ["Daniel Dronjak (M)", "Huddinge kommun", "2021-05-05", "5 maj 2021",
                                  "Protokollsanteckning", "Vad tänker ministeren göra åt detta?",
                                  "Sara Heelge Vikmång (S)"])
def test_non_content_lines_are_not_answers(line):
    assert not is_content(line)


@pytest.mark.parametrize("line", ["Kommunen planerar att sätta upp ungefär 300 kameror.",
                                  "Det gäller Fullersta, Vårby gård och Skogås."])
def test_content_sentences_are(line):
    assert is_content(line)


def _cited(text: str, quote: tuple[int, int], answer: tuple[int, int]) -> Citation:
    return Citation(n=1, doc_id="d", title="T", paragraph=1, text=text, quote=text[quote[0]:quote[1]], score=1.0,
                    quote_spans=[quote], answer_spans=[answer])


def test_the_answer_words_are_marked_inside_the_quote():
    text = "Inledning. Kommunen ska sätta upp ungefär 300 kameror <i>snart</i>. Slut."
    s = text.index("Kommunen")
    e = text.index(". Slut") + 1
    a = text.index("300")
    c = _cited(text, (s, e), (a, a + len("300 kameror")))
    html = render.highlighted(c.text, c.quote_spans, c.answer_spans)
    assert "<mark class='kk-quote'>Kommunen ska sätta upp ungefär <strong class='kk-answer'>300 kameror</strong>" in html
    assert "&lt;i&gt;snart" in html and "<i>" not in html
    plain, bold = render.answer_in_bold(c)
    assert "**300 kameror**" in bold and bold.replace("**", "") == plain
    from rag.types import Answer

    answer = Answer(question="q", answer=f"T: ”{c.quote}” [1]", abstained=False, citations=[c])
    assert "ungefär **300 kameror**" in render.answer_markdown(answer, 0)


def test_an_answer_span_outside_the_quote_is_not_marked():
    text = "Kommunen ska sätta upp 300 kameror. Det kostar 5 miljoner."
    c = _cited(text, (0, text.index(".") + 1), (text.index("5 milj"), len(text) - 1))
    assert "kk-answer" not in render.highlighted(c.text, c.quote_spans, c.answer_spans)
    assert render.answer_in_bold(c) is None
