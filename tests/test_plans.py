"""The answer plans (rag/plans/): overview, summary, comparison, stance and multi-part questions on the seeds."""

from __future__ import annotations

import re

import pytest

from rag.plans import overview


@pytest.mark.parametrize("question, topic", [
    ("Vad har riksdagsledamöter frågat om trygghetskameror?", "trygghetskameror"),
    ("Vad har politikerna sagt om segregation", "segregation"),
    ("Vem har tagit upp psykisk ohälsa bland unga?", "psykisk ohälsa bland unga"),
    ("Vilka interpellationer handlar om vargen?", "vargen"),
    ("Who has asked about security cameras?", "security cameras"),
    ("What have MPs asked about youth crime?", "youth crime"),
    # questions about one thing, not a survey: the fact plan answers them
    ("Vad säger Dronjak om kameror?", ""),
    ("Hur många trygghetskameror ska Huddinge sätta upp?", ""),
    ("Vem svarade på interpellationen om Flemingsberg?", ""),
])
def test_which_questions_ask_for_an_overview(question, topic):
    assert overview.topic_of(question) == topic



@pytest.fixture(scope="module")
def engine(seed_index):
    from rag.engine import Engine

    return Engine(seed_index)


def _checked(answer, one_per_document: bool = True):
    from rag.citations import dangling_markers, quote_is_verbatim

    assert not answer.abstained
    assert not dangling_markers(re.sub(r"”[^”]*”", "", answer.answer), answer.citations)
    assert all(quote_is_verbatim(c) for c in answer.citations)
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    if one_per_document:  # an overview cites each document once
        assert len({c.doc_id for c in answer.citations}) == len(answer.citations)


@pytest.mark.model
def test_who_raised_a_subject_lists_each_document_that_mentions_it(engine):
    from conftest import SEED_IDS

    a = engine.ask("Vem har tagit upp segregation?")
    _checked(a)
    assert a.answer.startswith("2 dokument tar upp ”segregation”")
    assert {c.doc_id for c in a.citations} == {SEED_IDS[0], SEED_IDS[2]}
    assert all("egregation" in c.quote for c in a.citations)
    assert "Per parti (alla 2): S 1" in a.answer


@pytest.mark.model
def test_only_sentences_that_name_the_subject_are_quoted(engine):
    from conftest import SEED_IDS

    a = engine.ask("Vad har politikerna sagt om trygghetskameror?")
    _checked(a)
    # Stockholm's answer speaks of "trygghet" (half of the compound), never of cameras: it is not listed
    assert [c.doc_id for c in a.citations] == [SEED_IDS[3]]
    assert "trygghetskameror" in a.citations[0].quote


@pytest.mark.model
def test_an_english_overview_question_searches_the_swedish_words(engine):
    a = engine.ask("Who has asked about security cameras?")
    _checked(a)
    assert "trygghetskameror" in a.citations[0].quote and "trygghetskameror" in a.notice


@pytest.mark.model
def test_a_subject_no_document_names_gets_not_found(engine):
    a = engine.ask("Vilka dokument handlar om simhallar?")
    assert a.abstained and not a.citations


@pytest.mark.model
def test_the_scope_limits_the_overview(engine):
    from conftest import SEED_IDS
    from rag.types import Filters

    a = engine.ask("Vem har tagit upp segregation?", filters=Filters(bodies=("Stockholm",)))
    _checked(a)
    assert [c.doc_id for c in a.citations] == [SEED_IDS[2]] and a.answer.startswith("1 dokument")


# ---------------------------------------------------------------- who said what (sources grouped)

@pytest.mark.model
def test_an_overview_past_its_listed_documents_keeps_the_rest_as_further_sources(engine, monkeypatch):
    from rag.citations import quote_is_verbatim

    listed_all = {c.doc_id for c in engine.ask("Vad har politiker sagt om utsatta områden?").citations}
    monkeypatch.setattr(overview, "SHOWN", 1)
    a = engine.ask("Vad har politiker sagt om utsatta områden?")
    _checked(a)
    assert a.plan == "overview" and a.answer.startswith("3 dokument tar upp ”utsatta områden”; de 1 senaste")
    assert len(a.citations) == 1 and [c.n for c in a.more] == [2, 3]  # numbered after the citations
    assert {c.doc_id for c in a.citations + a.more} == listed_all and len(listed_all) == 3
    assert all(quote_is_verbatim(c) and "utsatt" in c.quote for c in a.more)
    assert a.to_dict()["plan"] == "overview" and len(a.to_dict()["more"]) == 2


@pytest.mark.model
def test_the_sources_of_an_overview_grouped_by_person_and_party(engine):
    from rag.source_groups import group_sources, sources_of, worth_grouping

    a = engine.ask("Vad har politiker sagt om utsatta områden?")
    _checked(a)
    assert worth_grouping(a)
    people = {g.name: len(g.documents) for g in group_sources(sources_of(a), "person")}
    # names as the index normalised them; Stockholm's answer names no author
    assert people == {"Daniel Dronjak (M)": 1, "Sara Heelge Vikmång (S)": 1, "Okänd": 1}
    parties = group_sources(sources_of(a), "party")
    assert [g.name for g in parties][-1] == "Okänd"  # the unnamed come last, whatever their count
    assert sorted(n for g in parties for n in g.numbers) == [c.n for c in a.citations]


@pytest.mark.model
def test_a_document_counts_once_per_group_and_a_cosigned_one_for_each_party(engine):
    import dataclasses

    from rag.source_groups import group_sources

    a = engine.ask("Vad har politiker sagt om utsatta områden?")
    first = a.citations[0]
    again = dataclasses.replace(first, n=9, paragraph=first.paragraph + 1)  # a second paragraph, same document
    cosigned = dataclasses.replace(a.citations[1], meta={**a.citations[1].meta, "party": "S, V"})
    groups = {g.name: g for g in group_sources([first, again, cosigned], "party")}
    assert len(groups[first.meta.get("party") or "Okänd"].documents) == 1
    assert groups[first.meta.get("party") or "Okänd"].numbers == (first.n, 9)
    assert "S" in groups and "V" in groups and groups["V"].documents == (cosigned.doc_id,)
    with pytest.raises(ValueError):
        group_sources([first], "kommun")


@pytest.mark.model
def test_one_fact_from_one_document_offers_no_grouping(engine):
    from rag.source_groups import worth_grouping

    a = engine.ask("Hur många trygghetskameror ska Huddinge sätta upp?")
    assert a.plan == "" and not worth_grouping(a)


# ---------------------------------------------------------------- the summary plan

@pytest.mark.parametrize("question, what", [
    ("Sammanfatta protokollsanteckningen.", "protokollsanteckningen"),
    ("Vad handlar interpellationen om Flemingsberg om?", "interpellationen om Flemingsberg"),
    ("Ge en sammanfattning av Stockholms svar", "Stockholms svar"),
    ("Summarize the answer about Järva", "the answer about Järva"),
    ("Vad säger Dronjak om kameror?", ""),
])
def test_which_questions_ask_for_a_summary(question, what):
    from rag.plans import summary

    assert summary.what_of(question) == what


@pytest.mark.model
def test_a_summary_quotes_the_named_documents_own_points_in_its_order(engine):
    from conftest import SEED_IDS

    a = engine.ask("Sammanfatta protokollsanteckningen.")
    _checked(a, one_per_document=False)
    assert {c.doc_id for c in a.citations} == {SEED_IDS[1]}  # the protokollsanteckning, nothing else
    quotes = [c.quote for c in a.citations]
    assert all("2021-05-05" != q.strip() and "Huddinge kommun" != q.strip() for q in quotes)
    assert len(a.answer.split("\n- ")) >= 3  # a heading line and at least two points
    numbers = [c.paragraph for c in a.citations]
    assert numbers == sorted(numbers)  # in the document's own order


@pytest.mark.model
def test_a_summary_never_quotes_the_same_point_twice(engine):
    from conftest import SEED_IDS

    a = engine.ask("Sammanfatta Dronjaks svar")
    _checked(a, one_per_document=False)
    assert {c.doc_id for c in a.citations} == {SEED_IDS[3]}
    points = [line for line in a.answer.splitlines() if line.startswith("- ")]
    assert len(points) == 5
    # the answer says "År 2019 fick Kommunstyrelsens förvaltning ett uppdrag …" twice, once without "År"
    assert sum("fick Kommunstyrelsens förvaltning ett uppdrag" in p for p in points) <= 1


@pytest.mark.model
def test_a_summary_of_no_clear_document_is_left_to_the_fact_step(engine):
    from rag.plans import Asked, summary

    assert summary.match(Asked(engine, "x", "Sammanfatta budgeten för simhallar", None)) is None


# ---------------------------------------------------------------- the comparison plan

def test_the_sides_and_the_subject_of_a_comparison():
    from rag.plans import comparison

    authors = [("Daniel Dronjak", "M"), ("Sara Heelge Vikmång", "S"), ("Bo Källström", "L")]
    q = "Vad skiljer Stockholms och Huddinges syn på utsatta områden?"
    sides = comparison.sides_of(q, {"Stockholm", "Huddinge"}, {"S", "M"}, authors)
    assert [s.label for s in sides] == ["Stockholm", "Huddinge"]
    assert comparison.topic_of(q, sides) == "utsatta områden"
    q = "Hur ser S och M på trygghetskameror?"
    sides = comparison.sides_of(q, {"Stockholm", "Huddinge"}, {"S", "M"}, authors)
    assert [s.filters.parties for s in sides] == [("S",), ("M",)]
    assert comparison.topic_of(q, sides) == "trygghetskameror"
    q = "Jämför Dronjaks och Källströms syn på fritidsgårdar"
    sides = comparison.sides_of(q, set(), {"S", "M"}, authors)
    assert [s.filters.authors for s in sides] == [("Daniel Dronjak",), ("Bo Källström",)]
    assert comparison.topic_of(q, sides) == "fritidsgårdar"
    # "s" in "Hur ser Stockholm …" is no party: abbreviations count only in capitals
    assert [s.label for s in comparison.sides_of("hur ser stockholm och huddinge på skolan", {"Stockholm"},
                                                 {"S"}, authors)] == ["Stockholm"]


@pytest.mark.model
def test_a_comparison_answers_each_side_from_its_own_documents(engine):
    from conftest import SEED_IDS

    a = engine.ask("Vad skiljer Stockholms och Huddinges syn på utsatta områden?")
    _checked(a, one_per_document=False)
    text = a.answer
    assert text.index("**Stockholm**") < text.index("**Huddinge**")
    stockholm = text[text.index("**Stockholm**"):text.index("**Huddinge**")]
    huddinge = text[text.index("**Huddinge**"):]
    by_n = {c.n: c for c in a.citations}
    assert {by_n[int(n)].doc_id for n in re.findall(r"\[(\d+)\]", stockholm)} == {SEED_IDS[2]}
    assert {by_n[int(n)].doc_id for n in re.findall(r"\[(\d+)\]", huddinge)} <= {SEED_IDS[0], SEED_IDS[1], SEED_IDS[3]}
    # no document title is quoted as what a side says
    assert all(c.quote.strip() != c.title.strip() for c in a.citations)


@pytest.mark.model
def test_a_side_that_is_silent_is_named_as_such(engine):
    a = engine.ask("Hur ser Stockholm och Huddinge på trygghetskameror?")
    _checked(a, one_per_document=False)
    assert "Stockholms dokument säger inget om trygghetskameror." in a.answer
    assert "trygghetskameror" in " ".join(c.quote for c in a.citations)
    assert "Tyst om ämnet: Stockholm." in a.notice


# ---------------------------------------------------------------- the stance plan

@pytest.mark.model
def test_a_stance_is_answered_from_the_persons_own_documents(engine):
    from conftest import SEED_IDS

    a = engine.ask("Vad säger Dronjak om kameror?")
    _checked(a, one_per_document=False)
    assert {c.doc_id for c in a.citations} == {SEED_IDS[3]}
    assert "300 kameror" in a.citations[0].quote
    assert all(c.quote.strip() != "Daniel Dronjak (M)" for c in a.citations)


@pytest.mark.model
def test_a_person_silent_on_a_subject_is_said_to_be(engine):
    a = engine.ask("Vad tycker Heelge Vikmång om simhallar?")
    assert a.abstained and a.answer == "Sara Heelge Vikmångs dokument säger inget om simhallar."


@pytest.mark.model
def test_an_english_stance_question_reads_the_persons_documents(engine):
    from conftest import SEED_IDS

    a = engine.ask("What does Dronjak say about cameras?")
    _checked(a, one_per_document=False)
    assert {c.doc_id for c in a.citations} == {SEED_IDS[3]} and "engelska" in a.notice


# ---------------------------------------------------------------- the multi-part plan

def test_a_question_of_two_questions_is_split_where_the_second_begins():
    from rag.plans import multipart

    assert multipart.parts_of("Vad säger Dronjak om kameror och vem ställde interpellationen?") == [
        "Vad säger Dronjak om kameror?", "Vem ställde interpellationen?"]
    assert multipart.parts_of("Vad gör Huddinge och Stockholm mot segregation?") == [
        "Vad gör Huddinge och Stockholm mot segregation?"]  # "och" between two names is one question


@pytest.mark.model
def test_each_part_is_answered_on_its_own(engine):
    from conftest import SEED_IDS

    a = engine.ask("Vad säger Dronjak om kameror och vem ställde interpellationen?")
    _checked(a, one_per_document=False)
    first, second = a.answer.split("**2. Vem ställde interpellationen?**")
    assert "**1. Vad säger Dronjak om kameror?**" in first and "300 kameror" in first
    # "interpellationen" is the one the first part answered from: its title names who asked
    assert "Sara Heelge Vikmång (S) och Rasmus Lenefors (S)" in second
    assert {c.doc_id for c in a.citations} == {SEED_IDS[3]}


@pytest.mark.model
def test_a_part_about_another_document_is_asked_of_all(engine):
    a = engine.ask("Vad säger Dronjak om kameror och när är protokollsanteckningen daterad?")
    _checked(a, one_per_document=False)
    assert "är daterad 2021-05-05." in a.answer.split("**2.")[1]


# ---------------------------------------------------------------- the plans' gold set

@pytest.mark.model
def test_the_plan_gold_set_floors(engine):
    """tests/gold/seeds_plans.jsonl: 28 plan questions (overview, summary, comparison, stance, multi-part, list)
    and 4 the seeds do not answer; terms written from the documents, not from the answers."""
    from pathlib import Path

    from rag.evaluate import evaluate_gold

    m = evaluate_gold(engine, Path(__file__).parent / "gold" / "seeds_plans.jsonl")
    print("plans:", m)
    assert m["unanswerable_abstained"] == 1.0  # measured 4/4
    # measured (2026-12-04, EPYC bf16): cites gold 0.786, terms 0.429, "not found" 0.107; floors 2-3 questions below
    assert m["answer_cites_gold"] >= 0.70
    assert m["answer_has_terms"] >= 0.35
    assert m["false_not_found"] <= 0.20


@pytest.mark.model
def test_the_cli_prints_who_said_what_for_an_overview(engine):
    from rag.__main__ import _plain

    text = _plain(engine.ask("Vad har politiker sagt om utsatta områden?"))
    assert "Per person: Daniel Dronjak (M) 1 · Sara Heelge Vikmång (S) 1 · Okänd 1" in text
    assert "Per parti: M 1 · S 1 · Okänd 1" in text
    assert "Per parti" not in _plain(engine.ask("Hur många trygghetskameror ska Huddinge sätta upp?"))
