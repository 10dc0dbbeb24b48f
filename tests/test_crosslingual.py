"""English questions over the Swedish seeds: answered with Swedish quotes when the sources hold the
answer, "not found" when they do not — the same evidence checks as for Swedish questions."""

from __future__ import annotations

import json

import pytest

from conftest import REPO, SEED_IDS
from rag import crosslingual

GOLD = REPO / "tests" / "gold" / "seeds_gold.jsonl"


def _gold() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_language_detection_on_the_gold_set_and_corpus_titles(swequad_dir):
    gold = _gold()
    english = [g["question"] for g in gold if g.get("lang") == "en"]
    swedish = [g["question"] for g in gold if g.get("lang") != "en"]
    assert len(english) >= 12 and len(swedish) >= 80
    assert all(crosslingual.is_foreign(q) for q in english), [q for q in english if not crosslingual.is_foreign(q)]
    assert not any(crosslingual.is_foreign(q) for q in swedish), [q for q in swedish if crosslingual.is_foreign(q)]
    swequad = [json.loads(line)["question"] for line in
               (swequad_dir / "questions-train.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert not any(crosslingual.is_foreign(q) for q in swequad)
    # Swedish text with English-looking stubs ("m.m." is two m's) stays Swedish
    assert not crosslingual.is_foreign("Vad kostar soppkök, fritidsgårdar m.m. i Huddinge?")


@pytest.fixture(scope="module")
def engine(seed_index):
    from rag.engine import Engine

    return Engine(seed_index)


def test_words_are_translated_from_the_sources(engine):
    paragraph = engine.reader.paragraph(SEED_IDS[3], 7).text
    assert "invånare" in paragraph
    t = crosslingual.translate("How many inhabitants does Huddinge have?", [paragraph], engine.word_vectors)
    assert t.matches["inhabitants"] == "invånare"
    assert t.matches["huddinge"] == "huddinge"  # a name matches itself
    assert t.rewritten == "hur många invånare huddinge"  # the question phrase too, for the answer-type check
    # a word with no counterpart in the text stays English and so counts as missing evidence
    t2 = crosslingual.translate("How many bicycles does Huddinge have?", [paragraph], engine.word_vectors)
    assert "bicycles" in t2.missing and "bicycles" in t2.rewritten.split()


def test_english_question_answered_with_a_swedish_quote(engine):
    answer = engine.ask("How many inhabitants does Huddinge have according to Dronjak's answer?")
    assert not answer.abstained, answer.answer
    first = answer.citations[0]
    assert (first.doc_id, first.paragraph) == (SEED_IDS[3], 7)
    assert "invånare" in first.quote and any(ch.isdigit() for ch in first.quote)
    assert first.quote in first.text  # verbatim Swedish source
    assert "inhabitants → invånare" in answer.notice


def test_english_camera_question(engine):
    """The question's meaning finds Dronjak's camera paragraph first, but BM25 over its English words matches
    only "Huddinge" and ranked it 8th: its words ("trygghetskameror") were not looked up, and the answer cited
    Huddinge's camera surveillance paragraph (000 ¶14, no number). The first paragraphs by meaning are now
    always looked in, and "security cameras" is the compound "trygghetskameror"."""
    answer = engine.ask("How many security cameras will Huddinge install?")
    assert not answer.abstained, answer.answer
    assert "300 kameror" in answer.answer
    assert answer.citations[0].doc_id == SEED_IDS[3]
    assert "security cameras → trygghetskameror" in answer.notice  # the two words, one compound


@pytest.mark.parametrize("question", [
    "How much does the Group Violence Intervention programme cost Huddinge per year?",
    "On what date did the fatal shooting in Skogås happen?",
    "What traffic safety measures is Huddinge planning around Flemingsberg station?",
    "How many bicycle lanes will Stockholm build next year?",
])
def test_english_question_without_answer_abstains(engine, question):
    answer = engine.ask(question)
    assert answer.abstained, answer.answer
    assert answer.related  # the closest paragraphs are still offered, as "possibly related"


def test_english_answers_on_the_gold_set(engine):
    """Most English gold questions are answered now (all 10 abstained before), and answered ones cite the gold."""
    english = [g for g in _gold() if g.get("lang") == "en" and g["answerable"]]
    answered = citing = citing_document = 0
    for g in english:
        a = engine.ask(g["question"])
        if not a.abstained:
            answered += 1
            citing += any(c.doc_id == g["doc_id"] and c.paragraph in g["paragraphs"] for c in a.citations)
            citing_document += any(c.doc_id == g["doc_id"] for c in a.citations)
    print(f"\nEnglish answerable: {answered}/{len(english)} answered, {citing} of them cite the gold paragraph")
    # measured 9 of 10 (7 before two question words could be one Swedish compound; 4 before English
    # questions got their own cosine threshold)
    assert answered >= 8
    # measured: 8 of the 9 cite their gold paragraph; the ninth ("How has Stockholm stepped up safety work
    # in schools …?", answered since the renumbering fix in rag.extractive) quotes two other paragraphs of
    # Stockholm's answer about schools and gang recruitment, not its gold paragraph 10
    assert citing >= answered - 1
    assert citing_document == answered  # and every one quotes the document the question is about


def test_two_question_words_can_be_one_swedish_compound(engine):
    """"field secretaries" is "fältsekreterare", "prevention team" "förebyggarteamets": each word alone lies
    too far from the compound (0.84–0.87), so the question abstained. As pairs they translate, and the answer
    quotes the paragraph about the field secretaries."""
    question = "What do the field secretaries in Huddinge's prevention team do?"
    paragraph = engine.reader.paragraph(SEED_IDS[3], 20).text
    t = crosslingual.translate(question, [paragraph], engine.word_vectors)
    assert t.matches["field"] == t.matches["secretaries"] == "fältsekreterare"
    assert t.matches["prevention"] == t.matches["team"] == "förebyggarteamets"
    assert t.missing == ["huddinge"]  # not in this one paragraph's words; the engine also gives it the title
    answer = engine.ask(question)
    assert not answer.abstained, answer.answer
    assert (answer.citations[0].doc_id, answer.citations[0].paragraph) == (SEED_IDS[3], 20)
    # a pair is taken only when it means the compound better than one of its words alone: "schools" is
    # "skolorna" by itself, so "compare" next to it stays a word of its own (and missing)
    school = next(p.text for p in engine.reader.paragraphs_of(SEED_IDS[2]) if "skolorna" in p.text)
    t2 = crosslingual.translate("How does the funding for schools compare?", [school], engine.word_vectors)
    assert t2.matches.get("compare") != t2.matches.get("schools")


def test_compound_of_needs_the_compound_to_look_like_one_of_the_words():
    assert crosslingual._compound_of("security", "cameras", "trygghetskameror")
    assert crosslingual._compound_of("social", "services", "socialtjänsten")
    assert crosslingual._compound_of("field", "secretaries", "fältsekreterare")
    assert not crosslingual._compound_of("leave", "crime", "avhopparverksamhet")
    assert not crosslingual._compound_of("security", "cameras", "kameror")  # not longer than the word: no compound


def test_one_source_word_does_not_translate_two_question_words(engine):
    """"gang" and "members" both lay next to "group" (of "Group Violence Intervention"): a vague match,
    which made "Does Huddinge help gang members …?" quote the GVI paragraph instead of abstaining."""
    question = "Does Huddinge help gang members who want to leave crime behind?"
    gvi = next(p.text for p in engine.reader.paragraphs_of(SEED_IDS[0]) if "Group Violence Intervention" in p.text)
    t = crosslingual.translate(question, [gvi], engine.word_vectors)
    targets = [t.matches[w] for w in ("gang", "members") if w in t.matches]
    assert len(targets) == len(set(targets)), t.matches
    answer = engine.ask(question)
    assert answer.abstained or any((c.doc_id, c.paragraph) == (SEED_IDS[3], 23) for c in answer.citations)
    assert "Group Violence Intervention" not in answer.answer


def test_every_english_unanswerable_gold_question_abstains(engine):
    """15 English questions the seeds cannot answer, 12 of them the Swedish unanswerables asked in English.

    "What does school lunch cost per pupil in Huddinge's schools?" was answered before "per" stopped
    counting as a word found in the sources ("lärare per barn").
    """
    english = [g for g in _gold() if g.get("lang") == "en" and not g["answerable"]]
    assert len(english) >= 15
    answered = [g["question"] for g in english if not engine.ask(g["question"]).abstained]
    assert not answered, answered
