"""One name per person: the spellings Riksdagen's records use for one member become one name and party.

Every raw form below is copied from ../shared/corpora/riksdagen-interpellations.jsonl.gz.
"""

from __future__ import annotations

import pytest

from index.metadata import extract_metadata
from index.names import Person, normalise_people, parse_person
from index.paragraphs import split_paragraphs


@pytest.mark.parametrize("raw, name, party", [
    ("Ask, Beatrice (m)", "Beatrice Ask", "M"),
    ("Ask , Beatrice (m)", "Beatrice Ask", "M"),
    ("Beatrice Ask (M)", "Beatrice Ask", "M"),
    ("Jonsson, Elver (fp)", "Elver Jonsson", "FP"),
    ("Nylund Watz, Ingela (S)", "Ingela Nylund Watz", "S"),  # a double surname stays whole
    ("Wittgren-Ahl, Siw (s)", "Siw Wittgren-Ahl", "S"),
    ("de Pourbaix-Lundin, Marietta (m)", "Marietta de Pourbaix-Lundin", "M"),
    ("Marietta de Pourbaix-Lundin (m)", "Marietta de Pourbaix-Lundin", "M"),
    ("Persson i Simrishamn, Göran (s)", "Göran Persson i Simrishamn", "S"),  # two members named Göran Persson
    ("Mattias Karlsson i Luleå (M)", "Mattias Karlsson i Luleå", "M"),
    ("andre vice talman Görel Thurdin (c)", "Görel Thurdin", "C"),
    ("Heinemann, andre vice talman Kerstin (fp)", "Kerstin Heinemann", "FP"),
    ("Stalin, Kerstin-Maria ( mp)", "Kerstin-Maria Stalin", "MP"),
    ("Carl Fredrik Graf(m)", "Carl Fredrik Graf", "M"),
    ("Sten Andersson (-)", "Sten Andersson", ""),  # outside any party: no party, not "-"
    ("Daniel Dronjak", "Daniel Dronjak", ""),
])
def test_spellings_of_one_member_become_one_name(raw, name, party):
    assert parse_person(raw) == Person(name, party)


@pytest.mark.parametrize("raw", ["statsministern", "justitieministern", "Riksdagen", "UlfMelin (m)",
                                 "Grönlund Krantz, Luleå, Anna (fp)", ""])
def test_what_is_not_a_name_is_left_alone(raw):
    assert parse_person(raw) is None
    assert normalise_people({"recipient": raw}) == {"recipient": raw}


def test_a_riksdagen_record_gets_the_normalised_author_and_keeps_its_own_spelling():
    text = "Jag vill fråga justitieministern om polisens närvaro i glesbygden under sommaren."
    _, paragraphs = split_paragraphs("ipq-1", text)
    title, meta = extract_metadata(paragraphs, {"author": "Ask, Beatrice (m)", "recipient": "justitieministern",
                                                "date": "2005-03-01"}, "polisen i glesbygden")
    assert meta["author"] == "Beatrice Ask" and meta["party"] == "M"
    assert meta["author_raw"] == "Ask, Beatrice (m)"
    assert meta["recipient"] == "justitieministern" and "recipient_raw" not in meta


def test_an_interpellant_keeps_the_party_beside_the_name():
    meta = normalise_people({"author": "Sara Heelge Vikmång", "party": "S", "interpellant": "Källström, Bo (l)"})
    assert meta == {"author": "Sara Heelge Vikmång", "party": "S", "interpellant": "Bo Källström (L)",
                    "interpellant_raw": "Källström, Bo (l)"}
