"""Metadata read from the seed texts themselves: every value checked, and every absent value absent.

Each expected value below was read off the seed text (quoted in the comments);
a value the text does not state must not be there, because a guessed party or
date on a political quote is worse than none.
"""

from __future__ import annotations

import pytest

from conftest import SEED_IDS
from index.metadata import extract_metadata
from index.paragraphs import split_paragraphs
from index.types import META_KEYS


def _meta(seed_docs, number: int) -> tuple[str, dict[str, str]]:
    doc = seed_docs[SEED_IDS[number]].document
    assert set(doc.meta) <= set(META_KEYS)
    return doc.title, doc.meta


def _check_in_text(seed_docs, number: int, meta: dict[str, str]) -> None:
    """Every extracted value except normalised ones (doc_type, party) occurs verbatim in the text."""
    text = seed_docs[SEED_IDS[number]].document.text
    for key, value in meta.items():
        if key not in ("doc_type", "party"):
            assert value in text, f"{key}={value!r} is not in the text"


def test_seed_000(seed_docs):
    title, meta = _meta(seed_docs, 0)
    # first line: "Svar på interpellation ställd av Bo Källström (L) till kommunstyrelsens ordförande ..."
    assert title == ("Svar på interpellation ställd av Bo Källström (L) till kommunstyrelsens ordförande "
                     "Sara Heelge Vikmång om ett Huddinge utan utanförskapsområden")
    # signature: "För Mittenstyret," / "Sara Heelge Vikmång (S)" / "Kommunstyrelsens ordförande"
    assert meta == {
        "doc_type": "Svar på interpellation",
        "body": "Huddinge",
        "author": "Sara Heelge Vikmång",
        "party": "S",
        "role": "Kommunstyrelsens ordförande",
        "on_behalf_of": "Mittenstyret",
        "interpellant": "Bo Källström (L)",
        "recipient": "kommunstyrelsens ordförande Sara Heelge Vikmång",
    }
    assert "date" not in meta  # "2030", "2023–2024" are in the prose, no date in a letterhead
    _check_in_text(seed_docs, 0, meta)


def test_seed_001(seed_docs):
    title, meta = _meta(seed_docs, 1)
    # letterhead "Huddinge kommun / Kommunstyrelsen / 2021-05-05", then "PROTOKOLLSANTECKNING", then the item
    assert title == ("Ärende 22: Huddinge kommuns preventionsarbete - beslut om instruktioner för "
                     "referensgrupp samt val av ledamöter till densamma")
    # signature "För Socialdemokraterna" / "Sara Heelge Vikmång": no role line, no party in brackets
    assert meta == {
        "doc_type": "Protokollsanteckning",
        "body": "Huddinge",
        "author": "Sara Heelge Vikmång",
        "party": "S",  # from "För Socialdemokraterna"
        "on_behalf_of": "Socialdemokraterna",
        "date": "2021-05-05",
    }
    for absent in ("role", "interpellant", "recipient", "source"):
        assert absent not in meta
    _check_in_text(seed_docs, 1, meta)


def test_seed_002(seed_docs):
    title, meta = _meta(seed_docs, 2)
    # "## Svar till interpellation om stadens utsatta områden utanför Järva"; the answer is unsigned
    assert title == "Svar till interpellation om stadens utsatta områden utanför Järva"
    assert meta == {"doc_type": "Svar på interpellation", "body": "Stockholm"}
    for absent in ("author", "party", "role", "on_behalf_of", "interpellant", "recipient", "date"):
        assert absent not in meta
    _check_in_text(seed_docs, 2, meta)


def test_seed_003(seed_docs):
    title, meta = _meta(seed_docs, 3)
    # "Svar på Interpellation ställd av Sara Heelge Vikmång (S) och Rasmus Lenefors (S) om att ..."
    # (no "till ...": the recipient is not named); signature "Daniel Dronjak (M)" / "Kommunstyrelsens ordförande"
    assert title == ("Svar på Interpellation ställd av Sara Heelge Vikmång (S) och Rasmus Lenefors (S) om att "
                     "Flemingsberg klassas som ett utsatt område och om åtgärder för att öka tryggheten i Huddinge")
    assert meta == {
        "doc_type": "Svar på interpellation",
        "body": "Huddinge",
        "author": "Daniel Dronjak",
        "party": "M",
        "role": "Kommunstyrelsens ordförande",
        "interpellant": "Sara Heelge Vikmång (S) och Rasmus Lenefors (S)",
    }
    for absent in ("on_behalf_of", "recipient", "date"):
        assert absent not in meta
    _check_in_text(seed_docs, 3, meta)


def test_every_seed_has_a_title_from_its_text(seed_docs):
    for parsed in seed_docs.values():
        doc = parsed.document
        assert doc.title != doc.doc_id
        assert doc.title in doc.text


# ---------------------------------------------------------------- record fields and edge cases

def _extract(raw: str, fields: dict[str, str] | None = None, title: str = ""):
    _, paragraphs = split_paragraphs("d", raw)
    return extract_metadata(paragraphs, fields or {}, title)


def test_record_fields_win_and_author_party_is_split():
    raw = ("Interpellation om kameraövervakning i Järva\n\n"
           "Jag vill fråga borgarrådet om hur många kameror staden planerar att sätta upp i Järva i år.\n\n"
           "Stockholm 2023-04-01")
    title, meta = _extract(raw, {"author": "Katarina Luhr (MP)", "date": "2023-03-30",
                                 "source": "Riksdagens öppna data", "riksmote": "2022/23"},
                           title="Ett givet namn")
    assert title == "Ett givet namn"
    assert meta["author"] == "Katarina Luhr" and meta["party"] == "MP"
    assert meta["date"] == "2023-03-30"  # the record's date, not one from the text
    assert meta["body"] == "Riksdagen"
    assert meta["doc_type"] == "Interpellation"
    assert meta["riksmote"] == "2022/23"  # extra fields are kept


def test_date_only_from_a_letterhead_line():
    prose = ("Motion om badhus\n\n"
             "Beslutet fattades 2022-06-15 men har ännu inte verkställts i kommunen trots löften.\n\n"
             "Vi föreslår att kommunen bygger ett nytt badhus i centrum under mandatperioden.")
    assert "date" not in _extract(prose)[1]
    letterhead = "Uppsala kommun\nKommunfullmäktige\n2022-06-15\n\n" + prose
    title, meta = _extract(letterhead)
    assert meta["date"] == "2022-06-15"
    assert meta["body"] == "Uppsala"
    assert title == "Motion om badhus"


def test_no_signature_means_no_author_or_party():
    raw = ("Reservation angående budgeten\n\n"
           "Socialdemokraterna och Vänsterpartiet reserverar sig mot beslutet om nedskärningar i skolan.\n\n"
           "Vi anser att resurserna borde ha fördelats efter behov.")
    title, meta = _extract(raw)
    assert meta == {"doc_type": "Reservation"}
    assert title == "Reservation angående budgeten"


def test_body_needs_a_clear_majority():
    raw = ("Skrivelse om samarbete\n\n"
           "Solna, Sundbyberg och Stockholm samarbetar om kollektivtrafiken. Solna och Sundbyberg "
           "vill också samordna skolskjutsar med Stockholm.")
    assert "body" not in _extract(raw)[1]


@pytest.mark.parametrize("line, author, party", [
    ("Anna Andersson (V)", "Anna Andersson", "V"),
    ("Per-Olof Ek Lind (kd)", "Per-Olof Ek Lind", "KD"),
])
def test_signature_name_and_party(line, author, party):
    raw = ("Motion om cykelbanor\n\n"
           "Vi föreslår att kommunen bygger fler säkra cykelbanor mellan skolor och bostadsområden.\n\n" + line)
    meta = _extract(raw)[1]
    assert (meta["author"], meta["party"]) == (author, party)


def test_a_title_that_is_only_a_number_becomes_the_question_the_interpellation_puts():
    """Half of Riksdagen's records are titled "Interpellation 2014/15:172 av …"; the text (this one's closing
    paragraph, copied from the corpus) says what it is about."""
    text = ("FN:s tortyrkommitté har riktat kritik mot Sverige för användningen av restriktioner i häkten.\n\n"
            "Med anledning av vad som anförts ovan vill jag fråga ansvarigt statsråd:\n\n"
            "Vilka åtgärder avser statsrådet att vidta för att möta kritiken från FN:s tortyrkommitté?")
    _, paragraphs = split_paragraphs("ipq-201415--0172", text)
    title, meta = extract_metadata(paragraphs, {"author": "Linda Snecker (V)"},
                                   "Interpellation 2014/15:172 av Linda Snecker (V)")
    assert title == "Vilka åtgärder avser statsrådet att vidta för att möta kritiken från FN:s tortyrkommitté?"
    assert meta["reference"] == "Interpellation 2014/15:172"
    assert meta["title_raw"] == "Interpellation 2014/15:172 av Linda Snecker (V)"
    # a question put in indirect speech, no question mark: the number stays the title
    _, plain = split_paragraphs("ipq-2", "Min fråga till statsministern blir därför vad det är för jobb som ska komma.")
    # ... with the member's name in the one form citations use ("Johansson, Lars (S)" is the record's)
    title, meta = extract_metadata(plain, {}, "Interpellation 2012/13:266 av Johansson, Lars (S)")
    assert title == "Interpellation 2012/13:266 av Lars Johansson (S)"
    assert meta["title_raw"] == "Interpellation 2012/13:266 av Johansson, Lars (S)"
    assert meta["reference"] == "Interpellation 2012/13:266"
    assert extract_metadata(plain, {}, "Interpellation 2012/13:267 av statsministern")[0] == \
        "Interpellation 2012/13:267 av statsministern"  # not a name: left as it is
