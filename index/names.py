"""One name per person: "Ask, Beatrice (m)" and "Beatrice Ask (M)" are the same member.

Why: Riksdagen's records spell 360 members two to four ways (surname first with a comma
in some sessions, first name first in others; party codes in lower or upper case; 1,613
spellings of 1,149 people). A
citation, a facet or an author filter that shows the raw form splits one person in two,
and "who said what" can be neither filtered nor counted. The build normalises the
author, the interpellant and the recipient once; the raw form is kept beside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: "Name (party)" with the party in brackets at the end; a party of "-" is a member without one.
_WITH_PARTY = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<party>[A-Za-zÅÄÖåäö-]{1,5})\s*\)\s*$")
#: What a person's name is made of: capitalised words, hyphens, apostrophes, initials.
_NAME_WORD = re.compile(r"^[A-ZÅÄÖÜÉÈÓÁØÆ][\w'’.-]*$")
#: Lower-case words inside a name: nobiliary particles ("de Pourbaix-Lundin") and Riksdagen's
#: "i <place>" that tells two members of one name apart ("Mattias Karlsson i Luleå").
_PARTICLES = {"af", "av", "de", "del", "der", "di", "du", "la", "le", "van", "von", "i"}
#: A title before the name in some records: "andre vice talman Görel Thurdin (c)".
_TITLE_PREFIX = re.compile(r"^(?:(?:förste|andre|tredje|vice|ålders)\s+)*talman(?:\s+|$)", re.I)


@dataclass(frozen=True)
class Person:
    name: str  # "Beatrice Ask"
    party: str  # "M"; "" when the text gives none (or "-", a member outside any party)


def parse_person(raw: str) -> Person | None:
    """``raw`` as a person's name and party, or None when it does not read as one ("statsministern").

    "Surname, Given names (p)" becomes "Given names Surname"; a double surname stays whole
    ("Nylund Watz, Ingela (S)" → "Ingela Nylund Watz"); whitespace is collapsed and the
    party code upper-cased.
    """
    text = " ".join(raw.split())
    party = ""
    match = _WITH_PARTY.match(text)
    if match:
        text, party = match.group("name").strip(), match.group("party").upper()
        if party == "-":
            party = ""
    text = _TITLE_PREFIX.sub("", text)
    if text.count(",") == 1:
        surname, given = (part.strip() for part in text.split(","))
        given = _TITLE_PREFIX.sub("", given)
        place = ""
        if " i " in f" {given} ":  # "Carlsson, Gunilla i Tyresö": the place follows the whole name
            given, _, rest = f" {given} ".partition(" i ")
            given, place = given.strip(), f" i {rest.strip()}"
        if not surname or not given:
            return None
        text = f"{given} {surname}{place}"
    elif "," in text:
        return None
    words = text.split()
    capitalised = [w for w in words if _NAME_WORD.match(w)]
    if (not 2 <= len(capitalised) <= 6 or not _NAME_WORD.match(words[-1])
            or any(not _NAME_WORD.match(w) and w not in _PARTICLES for w in words)):
        return None
    return Person(text, party)


def normalise_people(meta: dict[str, str]) -> dict[str, str]:
    """``meta`` with author, interpellant and recipient in one form; each changed raw form kept as ``<field>_raw``.

    The author's party goes to ``party`` (unless another field already set it), so facets
    and filters count by name and by party apart; an interpellant or recipient keeps the
    party beside the name, "Beatrice Ask (M)", since one document has one ``party``.
    """
    out = dict(meta)
    for field in ("author", "interpellant", "recipient"):
        raw = out.get(field, "")
        person = parse_person(raw) if raw else None
        if person is None:
            continue
        if field == "author":
            value = person.name
            if person.party and not out.get("party"):
                out["party"] = person.party
        else:
            value = f"{person.name} ({person.party})" if person.party else person.name
        if value != raw:
            out[f"{field}_raw"] = raw
            out[field] = value
    return out
