"""Who wrote a document, for which body, when, and what kind it is: read from the text itself.

A citation is only checkable when it says whose words these are. Municipal
documents carry that in their letterhead and signature, not in any field, so
we read it from there. A value the text does not state stays empty: a guessed
party or date on a political quote is worse than none.
"""

from __future__ import annotations

import re
from collections import Counter

from .names import normalise_people, parse_person
from .sentences import split_sentences
from .types import Paragraph

#: Party names and the abbreviations used in signatures, "(S)", "(M)".
PARTIES = {
    "socialdemokraterna": "S", "moderaterna": "M", "sverigedemokraterna": "SD",
    "centerpartiet": "C", "vänsterpartiet": "V", "kristdemokraterna": "KD",
    "liberalerna": "L", "folkpartiet": "FP", "miljöpartiet": "MP",
}
PARTY_CODES = {"S", "M", "SD", "C", "V", "KD", "L", "FP", "MP", "NYD", "KDS"}

#: Sweden's 290 municipalities: a name in this list that the text keeps returning to is its body.
MUNICIPALITIES = """
Ale Alingsås Alvesta Aneby Arboga Arjeplog Arvidsjaur Arvika Askersund Avesta Bengtsfors Berg
Bjurholm Bjuv Boden Bollebygd Bollnäs Borgholm Borlänge Borås Botkyrka Boxholm Bromölla Bräcke
Burlöv Båstad Dals-Ed Danderyd Degerfors Dorotea Eda Ekerö Eksjö Emmaboda Enköping Eskilstuna
Eslöv Essunga Fagersta Falkenberg Falköping Falun Filipstad Finspång Flen Forshaga Färgelanda
Gagnef Gislaved Gnesta Gnosjö Gotland Grums Grästorp Gullspång Gällivare Gävle Göteborg Götene
Habo Hagfors Hallsberg Hallstahammar Halmstad Hammarö Haninge Haparanda Heby Hedemora Helsingborg
Herrljunga Hjo Hofors Huddinge Hudiksvall Hultsfred Hylte Håbo Hällefors Härjedalen Härnösand
Härryda Hässleholm Höganäs Högsby Hörby Höör Jokkmokk Järfälla Jönköping Kalix Kalmar Karlsborg
Karlshamn Karlskoga Karlskrona Karlstad Katrineholm Kil Kinda Kiruna Klippan Knivsta Kramfors
Kristianstad Kristinehamn Krokom Kumla Kungsbacka Kungsör Kungälv Kävlinge Köping Laholm
Landskrona Laxå Lekeberg Leksand Lerum Lessebo Lidingö Lidköping Lilla-Edet Lindesberg Linköping
Ljungby Ljusdal Ljusnarsberg Lomma Ludvika Luleå Lund Lycksele Lysekil Malmö Malung-Sälen Malå
Mariestad Mark Markaryd Mellerud Mjölby Mora Motala Mullsjö Munkedal Munkfors Mölndal Mönsterås
Mörbylånga Nacka Nora Norberg Nordanstig Nordmaling Norrköping Norrtälje Norsjö Nybro Nykvarn
Nyköping Nynäshamn Nässjö Ockelbo Olofström Orsa Orust Osby Oskarshamn Ovanåker Oxelösund Pajala
Partille Perstorp Piteå Ragunda Robertsfors Ronneby Rättvik Sala Salem Sandviken Sigtuna Simrishamn
Sjöbo Skara Skellefteå Skinnskatteberg Skurup Skövde Smedjebacken Sollefteå Sollentuna Solna
Sorsele Sotenäs Staffanstorp Stenungsund Stockholm Storfors Storuman Strängnäs Strömstad Strömsund
Sundbyberg Sundsvall Sunne Surahammar Svalöv Svedala Svenljunga Säffle Säter Sävsjö Söderhamn
Söderköping Södertälje Sölvesborg Tanum Tibro Tidaholm Tierp Timrå Tingsryd Tjörn Tomelilla Torsby
Torsås Tranemo Tranås Trelleborg Trollhättan Trosa Tyresö Täby Töreboda Uddevalla Ulricehamn Umeå
Upplands-Bro Upplands-Väsby Uppsala Uppvidinge Vadstena Vaggeryd Valdemarsvik Vallentuna Vansbro
Vara Varberg Vaxholm Vellinge Vetlanda Vilhelmina Vimmerby Vindeln Vingåker Vårgårda Vänersborg
Vännäs Värmdö Värnamo Västervik Västerås Växjö Ydre Ystad Åmål Ånge Åre Årjäng Åsele Åstorp
Åtvidaberg Älmhult Älvdalen Älvkarleby Älvsbyn Ängelholm Öckerö Ödeshög Örebro Örkelljunga
Örnsköldsvik Östersund Österåker Östhammar Östra-Göinge Överkalix Övertorneå
""".split()

DOC_TYPES = (
    (re.compile(r"\bsvar (?:på|till) interpellation", re.I), "Svar på interpellation"),
    (re.compile(r"\bprotokollsanteckning\b", re.I), "Protokollsanteckning"),
    (re.compile(r"\breservation\b", re.I), "Reservation"),
    (re.compile(r"\bsärskilt yttrande\b", re.I), "Särskilt yttrande"),
    (re.compile(r"\bskrivelse\b", re.I), "Skrivelse"),
    (re.compile(r"\bmotion\b", re.I), "Motion"),
    (re.compile(r"\binterpellation\b", re.I), "Interpellation"),
)
ROLE = re.compile(r"^(?:[A-ZÅÄÖ][\w-]*s )?(?:ordförande|vice ordförande|borgarråd|kommunalråd|"
                  r"oppositionsråd|gruppledare|statsråd|minister|ledamot|riksdagsledamot)\b.*$|"
                  r"^[A-ZÅÄÖ]\w*(?:råd|ordförande|minister)$", re.I)
NAME_PARTY = re.compile(r"^(?P<name>[A-ZÅÄÖÜÉ][\w'’.-]+(?: [A-ZÅÄÖÜÉ][\w'’.-]+){1,3})\s*"
                        r"(?:\((?P<party>[A-Za-zÅÄÖåäö]{1,4})\))?$")
ON_BEHALF = re.compile(r"^För (?P<group>[A-ZÅÄÖ][\w -]+?),?$")
ASKED_BY = re.compile(r"ställd av (?P<who>.+?)(?= till | om |$)", re.I)
ASKED_TO = re.compile(r" till (?P<to>(?:[a-zåäö]+s )?[a-zåäö]+ .+?)(?= om |$)")
ISO_DATE = re.compile(r"\b(20\d\d|19\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")
MUNICIPALITY_LINE = re.compile(r"^(?P<name>[A-ZÅÄÖ][\w-]+) (?:kommun|stad)$")
#: A title that only identifies: "Interpellation 2017/18:446 av Beatrice Ask (M)" (half of Riksdagen's records).
IDENTIFIER_TITLE = re.compile(r"^(?P<reference>(?:Interpellation|Fråga|Motion) \d{4}/\d{2}:\d+)(?: av .+)?$")
TITLE_CHARS = 160
LEAD_IN = re.compile(r"^[^:?]*\bfråg\w*[^:?]*:\s*", re.I)


def extract_metadata(paragraphs: list[Paragraph], fields: dict[str, str],
                     given_title: str = "") -> tuple[str, dict[str, str]]:
    """Return ``(title, meta)`` from the record's fields first, then from the text."""
    meta: dict[str, str] = {k: v for k, v in fields.items() if v}
    head = [p.text for p in paragraphs[:4]]
    title = given_title.strip() or _title(paragraphs)
    identifier = IDENTIFIER_TITLE.match(title)
    if identifier:  # a real title from the text: the question the interpellation closes with
        question = _closing_question(paragraphs)
        if question:
            meta.setdefault("reference", identifier.group("reference"))
            meta.setdefault("title_raw", title)
            title = question
        else:  # no question to title it by: the identifier stays, with the person's name in one form
            named = _identifier_with_name(title)
            if named != title:
                meta.setdefault("reference", identifier.group("reference"))
                meta.setdefault("title_raw", title)
                title = named

    if "doc_type" not in meta:
        meta_type = _doc_type(" ".join([title, *head, meta.get("source", "")]))
        if meta_type:
            meta["doc_type"] = meta_type
    if "author" not in meta:
        meta.update(_signature(paragraphs))
    if "interpellant" not in meta or "recipient" not in meta:
        meta.update({k: v for k, v in _interpellation_parties(title).items() if k not in meta})
    if "date" not in meta:
        date = _date(head)
        if date:
            meta["date"] = date
    if "body" not in meta:
        body = _body(paragraphs, meta)
        if body:
            meta["body"] = body
    # "Ask, Beatrice (m)" in a record, "Beatrice Ask (M)" in the next: one name, one party code
    return title, normalise_people(meta)


def _identifier_with_name(title: str) -> str:
    """"Interpellation 2012/13:452 av Heydari, Shadiye (S)" → "… av Shadiye Heydari (S)"; else unchanged."""
    reference, sep, who = title.partition(" av ")
    person = parse_person(who) if sep else None
    if person is None:
        return title
    return f"{reference} av {person.name}" + (f" ({person.party})" if person.party else "")


def _title(paragraphs: list[Paragraph]) -> str:
    """The first paragraph that reads as a title: skip letterheads, dates and all-caps type labels."""
    for para in paragraphs[:4]:
        text = para.text
        if "\n" in text or text.isupper() or ISO_DATE.fullmatch(text.strip()):
            continue
        if len(text) <= 250 and not re.search(r"[.!]$", text):
            return text
    return paragraphs[0].text.split("\n")[0][:200] if paragraphs else ""


def _closing_question(paragraphs: list[Paragraph]) -> str:
    """The first question of the closing paragraphs ("Vad avser ministern att göra för att …?"), as a title.

    An interpellation ends with the question(s) it puts to the minister, which say what it is
    about better than its number does. Cut to ``TITLE_CHARS`` at a word, with "…".
    """
    for para in paragraphs[-3:]:
        for sentence in split_sentences(para.text):
            sentence = " ".join(sentence.lstrip("–-•* ").split())
            lead_in = LEAD_IN.match(sentence)  # "… vill jag fråga statsrådet: Vilka åtgärder …?"
            if lead_in:
                sentence = sentence[lead_in.end():].lstrip("–-•* ")
            if sentence.endswith("?") and len(sentence) >= 25 and sentence[0].isupper():
                if len(sentence) <= TITLE_CHARS:
                    return sentence
                return sentence[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return ""


def _doc_type(text: str) -> str:
    for pattern, name in DOC_TYPES:
        if pattern.search(text):
            return name
    return ""


def _signature(paragraphs: list[Paragraph]) -> dict[str, str]:
    """Read the closing lines: "För Mittenstyret," / "Sara Heelge Vikmång (S)" / "Kommunstyrelsens ordförande"."""
    lines = [line.strip() for p in paragraphs[-3:] for line in p.text.split("\n")]
    lines = [line for line in lines if line and len(line) <= 80]
    found: dict[str, str] = {}
    for line in lines[-5:]:
        behalf = ON_BEHALF.match(line)
        if behalf and "author" not in found:
            group = behalf.group("group").strip()
            found["on_behalf_of"] = group
            party = PARTIES.get(group.lower())
            if party:
                found["party"] = party
            continue
        if ROLE.match(line) and "author" in found:
            found["role"] = line
            continue
        person = NAME_PARTY.match(line)
        if person and not ROLE.match(line) and not line.isupper():
            found["author"] = person.group("name")
            if person.group("party"):
                found["party"] = person.group("party").upper()
    return found if "author" in found else {}


def _interpellation_parties(title: str) -> dict[str, str]:
    """From "Svar på interpellation ställd av X (L) till Y om …": who asked, and whom."""
    found: dict[str, str] = {}
    asked = ASKED_BY.search(title)
    if asked:
        found["interpellant"] = asked.group("who").strip()
        rest = title[asked.end():]
        to = ASKED_TO.match(rest)
        if to:
            found["recipient"] = to.group("to").strip()
    return found


def _date(head: list[str]) -> str:
    """A date standing in the letterhead, never one mentioned in the prose."""
    for text in head:
        for line in text.split("\n"):
            match = ISO_DATE.fullmatch(line.strip())
            if match:
                return match.group(0)
    return ""


def _body(paragraphs: list[Paragraph], meta: dict[str, str]) -> str:
    """The municipality named in the letterhead, else the one the text keeps naming."""
    if "riksdag" in meta.get("source", "").lower():
        return "Riksdagen"
    for para in paragraphs[:3]:
        for line in para.text.split("\n"):
            match = MUNICIPALITY_LINE.match(line.strip())
            if match and match.group("name") in MUNICIPALITIES:
                return match.group("name")
    counts: Counter[str] = Counter()
    known = set(MUNICIPALITIES)
    for para in paragraphs:
        for word in re.findall(r"[A-ZÅÄÖ][\wåäö-]+", para.text):
            if word in known:
                counts[word] += 1
            elif word.endswith("s") and word[:-1] in known:  # "Huddinges", "Stockholms"
                counts[word[:-1]] += 1
    if not counts:
        return ""
    (best, n), *rest = counts.most_common(2) + [("", 0)]
    runner_up = rest[0][1] if rest else 0
    return best if n >= 3 and n >= 2 * runner_up else ""
