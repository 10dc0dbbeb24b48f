"""Chunks: what the encoder sees, while every chunk still names the paragraphs it covers."""

from __future__ import annotations

import pytest

from conftest import SEED_IDS
from index.chunking import ChunkSettings, chunk_document
from index.sentences import sentence_spans
from index.types import Paragraph


def words(text: str) -> int:
    return len(text.split())


def para(number: int, text: str, kind: str = "text", doc_id: str = "d") -> Paragraph:
    return Paragraph(doc_id, number, text, 0, len(text), kind)


LONG_SENTENCES = [
    "Kommunen har under lång tid prioriterat arbetet i Vårby och Skogås.",
    "Listan över särskilda åtgärder för barnen i dessa områden är mycket lång.",
    "År 2019 fick förvaltningen ett uppdrag att tillsätta en operativ samordnare.",
    "Detta arbete har varit framgångsrikt, t.ex. genom samverkan med fastighetsägare.",
    "Samordnaren har flyttats till föreningen Samverkan Huddinge.",
    "Vi behöver fler poliser, men kommunen gör vad den kan.",
]


def _check_cover(chunks, paragraphs):
    """Every paragraph is covered, in order; merged chunks are whole paragraphs joined by blank lines."""
    by_number = {p.number: p for p in paragraphs}
    covered = [n for c in chunks for n in c.paragraphs]
    assert sorted(set(covered)) == [p.number for p in paragraphs]
    assert covered == sorted(covered)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert list(c.paragraphs) == list(range(c.paragraphs[0], c.paragraphs[-1] + 1))
        if len(c.paragraphs) > 1:
            assert c.text == "\n\n".join(by_number[n].text for n in c.paragraphs)
        else:
            assert c.text in by_number[c.paragraphs[0]].text


# ---------------------------------------------------------------- on the seeds, with the real tokenizer

@pytest.mark.model
def test_seed_chunks_list_their_paragraphs(seed_docs, passage_encoder):
    expected_groups = {
        0: [(21, 22, 23)],  # "För Mittenstyret," and the signature join the last paragraph
        1: [(2, 3), (9, 10)],  # heading PROTOKOLLSANTECKNING joins the item; the signature joins before
        2: [(1, 2)],  # the "## Svar till interpellation ..." heading joins the first paragraph
        3: [(29, 30)],  # the signature joins the closing paragraph
    }
    for number, doc_id in SEED_IDS.items():
        parsed = seed_docs[doc_id]
        chunks = chunk_document(parsed.document.title, parsed.paragraphs, passage_encoder.count_tokens)
        _check_cover(chunks, parsed.paragraphs)
        assert [c.paragraphs for c in chunks if len(c.paragraphs) > 1] == expected_groups[number]
        assert all(c.doc_id == doc_id and c.cid == f"{doc_id}:{c.ordinal}" for c in chunks)
        for c in chunks:
            assert passage_encoder.count_tokens(c.embed_text) <= passage_encoder.max_tokens


@pytest.mark.model
def test_bullets_are_chunks_of_their_own(seed_docs, passage_encoder):
    parsed = seed_docs[SEED_IDS[3]]
    chunks = chunk_document(parsed.document.title, parsed.paragraphs, passage_encoder.count_tokens)
    bullet_numbers = [p.number for p in parsed.paragraphs if p.kind == "bullet"]
    assert [c.paragraphs for c in chunks if c.paragraphs[0] in bullet_numbers] == [(n,) for n in bullet_numbers]


def test_embed_text_starts_with_the_title(seed_docs):
    for parsed in seed_docs.values():
        title = parsed.document.title
        for c in chunk_document(title, parsed.paragraphs, words):
            assert c.embed_text.startswith(title[:200] + "\n")
            assert c.embed_text == f"{title[:200].strip()}\n{c.text}"


def test_long_title_is_cut_and_empty_title_adds_nothing():
    paragraphs = [para(1, "Kommunen bygger ett nytt badhus i Flemingsberg under nästa mandatperiod.")]
    long_title = "Svar på interpellation " + "om badhus " * 40
    (chunk,) = chunk_document(long_title, paragraphs, words, ChunkSettings(title_chars=50))
    assert chunk.embed_text == long_title[:50].strip() + "\n" + paragraphs[0].text
    (bare,) = chunk_document("", paragraphs, words)
    assert bare.embed_text == bare.text == paragraphs[0].text


# ---------------------------------------------------------------- grouping rules

def test_heading_joins_the_next_paragraph():
    paragraphs = [
        para(1, "Trygghet i centrum", "heading"),
        para(2, "Kommunen har satt upp fler kameror i centrum och ökat antalet ordningsvakter på kvällarna."),
        para(3, "Skolan", "heading"),
        para(4, "Fler lärare per elev är den viktigaste satsningen för att bryta utanförskapet i kommunen."),
    ]
    chunks = chunk_document("T", paragraphs, words)
    assert [c.paragraphs for c in chunks] == [(1, 2), (3, 4)]
    assert chunks[0].text == "Trygghet i centrum\n\n" + paragraphs[1].text


def test_short_paragraph_joins_the_one_before_but_never_a_bullet():
    body = "Kommunen satsar 15 miljoner kronor på ett särskilt trygghetspaket under nästa år."
    paragraphs = [
        para(1, body),
        para(2, "För Mittenstyret,"),
        para(3, "Några exempel på insatser som kommunen gör i år och nästa år i hela kommunen är:"),
        para(4, "Fler nattvandrare", "bullet"),
        para(5, "Fler kameror", "bullet"),
        para(6, "Och fler fältassistenter."),
    ]
    chunks = chunk_document("T", paragraphs, words)
    # 2 joins 1; the first short bullet joins its lead-in; nothing joins a bullet, so 5 and 6 stay alone
    assert [c.paragraphs for c in chunks] == [(1, 2), (3, 4), (5,), (6,)]
    assert chunks[0].text == body + "\n\nFör Mittenstyret,"


def test_trailing_heading_joins_what_came_before():
    paragraphs = [para(1, "Kommunen bygger ett nytt badhus i Flemingsberg under nästa mandatperiod."),
                  para(2, "Bilagor", "heading")]
    assert [c.paragraphs for c in chunk_document("T", paragraphs, words)] == [(1, 2)]


def test_merge_that_overflows_is_undone():
    first = para(1, "Rubrik om trygghet", "heading")
    second = para(2, " ".join(["ord"] * 20) + ".")
    chunks = chunk_document("T", [first, second], words, ChunkSettings(max_tokens=22))
    assert [c.paragraphs for c in chunks] == [(1,), (2,)]
    assert all(words(c.embed_text) <= 22 for c in chunks)


def test_no_paragraphs_no_chunks():
    assert chunk_document("T", [], words) == []


# ---------------------------------------------------------------- splitting a paragraph over the limit

def test_long_paragraph_split_at_sentence_boundaries_word_counter():
    text = " ".join(LONG_SENTENCES)
    paragraphs = [para(1, "Kort inledning om arbetet i kommunen och dess samarbete med polisen."),
                  para(2, text)]
    settings = ChunkSettings(max_tokens=30)
    chunks = chunk_document("Svar om Huddinge", paragraphs, words, settings)
    parts = [c for c in chunks if c.paragraphs == (2,)]
    assert len(parts) >= 3
    for c in parts:
        assert words(c.embed_text) <= 30
        assert c.text in text  # a verbatim slice of the paragraph
        assert any(c.text.startswith(s) for s in LONG_SENTENCES)
        assert any(c.text.endswith(s) for s in LONG_SENTENCES)
    # together the parts are the paragraph, sentence by sentence, nothing lost or repeated
    assert " ".join(c.text for c in parts) == text
    # "t.ex." is an abbreviation, not a sentence end
    assert any("t.ex. genom samverkan" in c.text for c in parts)
    _check_cover(chunks, paragraphs)


@pytest.mark.model
def test_long_seed_paragraph_split_with_real_tokenizer(seed_docs, passage_encoder):
    parsed = seed_docs[SEED_IDS[2]]
    longest = max(parsed.paragraphs, key=lambda p: len(p.text))
    assert passage_encoder.count_tokens(longest.text) > 200
    settings = ChunkSettings(max_tokens=96)
    chunks = chunk_document(parsed.document.title, [longest], passage_encoder.count_tokens, settings)
    assert len(chunks) >= 3
    sentences = [longest.text[s:e] for s, e in sentence_spans(longest.text)]
    rebuilt = []
    for c in chunks:
        assert c.paragraphs == (longest.number,)
        assert passage_encoder.count_tokens(c.embed_text) <= 96
        assert c.embed_text.startswith(parsed.document.title + "\n")
        assert c.text in longest.text
        rebuilt.extend(s for s in sentences if s in c.text)
    assert rebuilt == sentences  # every sentence in exactly one part, in order
    assert " ".join(c.text for c in chunks) == longest.text


def test_single_sentence_longer_than_the_window_is_cut_by_words():
    text = " ".join(f"ord{i}" for i in range(50)) + "."
    chunks = chunk_document("T", [para(1, text)], words, ChunkSettings(max_tokens=12))
    assert len(chunks) > 4
    assert all(words(c.embed_text) <= 12 for c in chunks)
    assert " ".join(c.text for c in chunks) == text
    assert all(c.paragraphs == (1,) for c in chunks)
