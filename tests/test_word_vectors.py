"""Word vectors for English questions: embedded once per machine, prefetched by the app, never in the way.

A first English question used to embed up to 200 source words on the spot
(150–500 ms). These tests check the three things that remove that cost without
changing any answer: vectors come back from disk identical, a prefetched index
leaves only the question's own words to embed, and the prefetch waits while a
question is being answered. A damaged file costs speed, not answers.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from conftest import SEED_IDS

pytestmark = pytest.mark.model

WORDS = ["kameror", "invånare", "trygghet", "skolor", "polisen"]


class Counting:
    """The question encoder, counting the texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.texts: list[str] = []

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode_queries(texts)


@pytest.fixture(scope="module")
def query_encoder():
    from index.embedder import load_query_encoder

    return load_query_encoder()


def test_vectors_come_back_from_disk_identical(query_encoder, tmp_path):
    from rag.word_vectors import WordVectors

    store = tmp_path / "words.sqlite"
    first = Counting(query_encoder)
    vectors = WordVectors(first, store).get(WORDS)
    assert first.texts == WORDS
    second = Counting(query_encoder)
    again = WordVectors(second, store).get(list(reversed(WORDS)))
    assert second.texts == []  # nothing embedded: all read from the file
    np.testing.assert_array_equal(again, vectors[::-1])
    np.testing.assert_allclose(vectors, query_encoder.encode_queries(WORDS), atol=1e-6)


def test_damaged_store_costs_speed_not_answers(query_encoder, tmp_path, caplog):
    from rag.word_vectors import WordVectors

    store = tmp_path / "words.sqlite"
    store.write_bytes(b"this is not a database" * 50)
    counting = Counting(query_encoder)
    with caplog.at_level(logging.WARNING, logger="rag.word_vectors"):
        vectors = WordVectors(counting, store).get(WORDS)
    assert "word vectors" in caplog.text
    np.testing.assert_allclose(vectors, query_encoder.encode_queries(WORDS), atol=1e-6)


def test_rows_of_another_dimension_are_embedded_again(query_encoder, tmp_path):
    import sqlite3

    from rag.word_vectors import WordVectors

    store = tmp_path / "words.sqlite"
    WordVectors(query_encoder, store).get(WORDS[:1])
    con = sqlite3.connect(store)
    con.execute("UPDATE words SET vector = ?", (np.zeros(8, dtype=np.float32).tobytes(),))
    con.commit()
    con.close()
    counting = Counting(query_encoder)
    vector = WordVectors(counting, store).get(WORDS[:1])
    assert counting.texts == WORDS[:1]
    assert abs(float(np.linalg.norm(vector[0])) - 1.0) < 1e-3


def test_prefetch_waits_while_questions_run(query_encoder, tmp_path):
    from rag.word_vectors import WordVectors

    counting = Counting(query_encoder)
    words = WordVectors(counting, None)
    busy = threading.Event()
    busy.set()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(words.prefetch(WORDS * 2, should_pause=busy.is_set)))
    thread.start()
    time.sleep(0.4)
    assert counting.texts == [] and thread.is_alive()  # paused: no encoder work while "a question runs"
    busy.clear()
    thread.join(timeout=30)
    assert result == [len(WORDS)] and sorted(counting.texts) == sorted(WORDS)  # each word once


def test_after_warm_up_an_english_question_embeds_only_its_own_words(seed_index):
    from rag import crosslingual
    from rag.engine import Engine

    engine = Engine(seed_index)
    engine.warm_word_vectors(wait=True)
    assert len(engine.word_vectors) > 800  # the seeds' document words
    counting = Counting(engine.word_vectors.encoder)
    engine.word_vectors.encoder = counting
    question = "How many inhabitants does Huddinge have according to Dronjak's answer?"
    answer = engine.ask(question)
    assert not answer.abstained and "113 000 invånare" in answer.answer
    assert any(c.doc_id == SEED_IDS[3] and c.paragraph == 7 for c in answer.citations)
    own = set(crosslingual.words(question))
    assert set(counting.texts) <= own, counting.texts  # no source word embedded on the spot


def test_a_new_warm_up_stops_the_one_for_the_previous_index(seed_index):
    """After an upload the app warms up again; the first warm-up's words are stale and it must end."""
    from rag.engine import Engine

    engine = Engine(seed_index)
    engine._asking = 1  # a question "runs": both warm-ups pause before their first batch
    first = engine.warm_word_vectors()
    time.sleep(0.2)
    second = engine.warm_word_vectors()
    first.join(timeout=5)
    assert not first.is_alive(), "the replaced warm-up still runs beside the new one"
    assert second.is_alive()  # still waiting for the question
    engine._asking = 0
    second.join(timeout=60)
    assert not second.is_alive() and len(engine.word_vectors) > 800
