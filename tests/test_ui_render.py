"""ui.render and ui.uploads: pure functions, no model, no browser (milliseconds)."""

from __future__ import annotations

import html
import json
import re

import pytest

from index.types import Document, Paragraph
from rag.types import Answer, Citation, Filters
from ui import render, uploads
from ui_helpers import NASTY

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
PARA = f"Första meningen. Kommunen ska sätta upp 300 kameror {SCRIPT}. Sista {IMG} meningen."


def cite(n=1, text=PARA, spans=None, **meta) -> Citation:
    if spans is None:
        spans = [(text.index("Kommunen"), text.index(". Sista") + 1)]
    meta = meta or {"doc_type": "Svar på interpellation", "author": "Daniel Dronjak", "party": "M",
                    "role": "Kommunstyrelsens ordförande", "body": "Huddinge", "date": "2021-05-05"}
    return Citation(n, "003_abc", f"Titel {SCRIPT}", 17, text, " ".join(text[s:e] for s, e in spans), 0.5,
                    meta, list(spans))


def answer(citations=None, text=None, **kw) -> Answer:
    citations = [cite()] if citations is None else citations
    text = text if text is not None else f"Svar på interpellation, Huddinge: ”{citations[0].quote}” [1]"
    return Answer("Hur många kameror?", text, False, citations, **kw)


def md_unescape(md: str) -> str:
    """What a CommonMark renderer shows for text that contains only escapes and entities."""
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", md))


def visible(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


# ---------------------------------------------------------------- markdown escaping

@pytest.mark.parametrize("text", [
    NASTY, SCRIPT, IMG, "# rubrik\n- punkt\n+ punkt\n12. tolv\n3) tre\n===\n> citat",
    "*fet* **fet** _k_ `kod` ~~s~~ | t | [l](u) ![b](i) <https://x.se> $x$ \\[1\\] &amp; &lt;",
    "https://example.com www.example.com WWW.EXAMPLE.COM info@kommun.se", "Dronjak (M): ”300 kameror.” 2021-05-05",
])
def test_md_escape_shows_exactly_the_text(text):
    md = render.md_escape(text)
    assert md_unescape(md) == text
    assert "<" not in md and ">" not in md  # no HTML and no blockquote survive
    for syntax in ("*", "_", "`", "[", "]", "~", "|", "$"):
        assert re.search(rf"(?<!\\){re.escape(syntax)}", md) is None, syntax
    assert re.search(r"(?<!\\)(://|@)", md) is None and re.search(r"(?i)www\.", md) is None  # no autolinks
    assert not re.search(r"^\s*(#|-|\+|=|\d+[.)])", md, re.MULTILINE)


def test_answer_markdown_links_markers_of_this_answer_only():
    a = answer(text=f"Huddinge: ”{cite().quote}” [1] och [7]")
    md = render.answer_markdown(a, turn=3)
    assert "[\\[1\\]](#kk-cite-3-1)" in md
    assert "#kk-cite-3-7" not in md and "\\[7\\]" in md  # not a citation of this answer: stays text
    assert SCRIPT not in md and "&lt;script&gt;" in md
    assert md.count("](") == 1  # the only link is ours


def test_answer_markdown_coverage_notice_and_scope():
    a = answer(coverage="1 mening citerad ur 1 dokument.", notice="Tolkad som: ”kameror <b>”")
    a.answer += "\n\n1 mening citerad ur 1 dokument."
    scope = render.scope_text(Filters(doc_ids=("003_abc",), bodies=("Huddinge",), parties=("M",)),
                              {"003_abc": "Kamerasvaret"})
    md = render.answer_markdown(a, 0, scope)
    assert md.count("1 mening citerad") == 1 and md.rstrip().endswith("\n\n*1 mening citerad ur 1 dokument.*")
    assert "Tolkad som" in md and "<b>" not in md
    assert "Kamerasvaret" in md and "Huddinge" in md and "parti: M" in md
    assert render.scope_text(Filters()) == ""


def test_abstention_is_shown_as_such_and_related_are_folded():
    related = [cite(1, spans=[]), cite(2, text="Annat <img src=y onerror=z> stycke.", spans=[])]
    a = Answer("Hur många elefanter?", "Jag hittar inget svar.", True, related=related)
    md = render.answer_markdown(a, 2)
    assert md.startswith("**Inget svar i dokumenten.**")
    before, details = md.split("<details>", 1)
    assert "#kk-cite" not in before  # nothing looks like an answer
    assert "<summary>Möjligen relaterade stycken" in details and details.rstrip().endswith("</details>")
    assert "#kk-cite-2-1" in details and "#kk-cite-2-2" in details
    assert "<img" not in md and "<script" not in md


def test_error_answer_is_a_plain_message():
    md = render.answer_markdown(Answer("", "Skriv en fråga först.", True, mode="error"), 0)
    assert md == "⚠️ Skriv en fråga först."
    assert render.user_markdown("   ") == "*(tom fråga)*"
    assert render.user_markdown("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"


# ---------------------------------------------------------------- HTML: sources panel, document view

def test_highlight_marks_quote_spans_and_escapes_everything():
    c = cite()
    out = render.highlighted(c.text, c.quote_spans)
    assert "<script" not in out and "<img" not in out
    marks = re.findall(r"<mark class='kk-quote'>(.*?)</mark>", out)
    assert [html.unescape(m) for m in marks] == [c.quote] and "300 kameror" in marks[0]
    assert visible(out) == c.text


@pytest.mark.parametrize("spans", [[(5, 2)], [(0, 10_000)], [(0, 8), (4, 12)], [(-3, 4)], []])
def test_bad_spans_never_garble_the_text(spans):
    assert visible(render.highlighted(PARA, spans)) == PARA


def test_neighbouring_sentences_are_one_highlight():
    text = "Ett. Två.  Tre. Fyra."
    out = render.highlighted(text, [(0, 4), (5, 9), (16, 21)])
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", out) == ["Ett. Två.", "Fyra."] and visible(out) == text


def test_sources_panel_shows_every_citation_with_its_metadata():
    c1 = cite(1)
    c2 = cite(2, text="Ett <b>annat</b> stycke.", spans=[(0, 3)], doc_type="Protokollsanteckning",
              author="Sara <i>Heelge</i>", party="S", body="Huddinge", date="2021-05-05", on_behalf_of="S-gruppen")
    out = render.sources_html(answer([c1, c2], coverage="2 meningar"), turn=4, selected=2)
    assert out.count("<article") == 2
    for value in ("Svar på interpellation", "Daniel Dronjak (M)", "Kommunstyrelsens ordförande", "Huddinge",
                  "2021-05-05", "Protokollsanteckning", "S-gruppen", "Stycke", "17", "2 meningar"):
        assert value in out, value
    assert "<script" not in out and "<img" not in out and "<b>" not in out and "<i>" not in out
    assert "Sara &lt;i&gt;Heelge&lt;/i&gt; (S)" in out and "Titel &lt;script&gt;" in out
    selected = re.findall(r"<article class='([^']*)' id='kk-source-(\d)'", out)
    assert selected == [("kk-card", "1"), ("kk-card kk-selected kk-scroll", "2")]
    assert "data-kk-action='open' data-turn='4' data-n='2'" in out


def test_sources_panel_for_abstention_and_nothing():
    out = render.sources_html(Answer("q", "inget", True, related=[cite(1, spans=[])]), 0)
    assert "Inget svar i dokumenten" in out and "kk-related" in out and "<mark" not in out
    assert "Ställ en fråga" in render.sources_html(None, 0)


def test_document_view_highlights_one_paragraph_and_escapes():
    doc = Document("003_abc", f"Dokument {SCRIPT}", "", "", "", {"author": IMG, "body": "Huddinge"})
    paragraphs = [Paragraph(doc.doc_id, 1, "Rubrik <u>", 0, 0, "heading"), Paragraph(doc.doc_id, 2, "Inledning.", 0, 0),
                  Paragraph(doc.doc_id, 17, PARA, 0, 0)]
    c = cite()
    out = render.document_html(doc, paragraphs, 17, c.quote_spans, turn=1, n=1)
    assert "<script" not in out and "<img" not in out and "<u>" not in out
    hits = re.findall(r"<p class='([^']*)' id='kk-doc-p(\d+)'", out)
    assert hits == [("kk-p kk-heading", "1"), ("kk-p", "2"), ("kk-p kk-hit kk-scroll", "17")]
    assert out.count("<mark") == 1 and "300 kameror" in out and "stycke 17 markerat" in out
    assert "data-kk-action='back' data-turn='1' data-n='1'" in out
    assert "<mark" not in render.document_html(doc, paragraphs, None)


def test_citation_of_finds_cited_or_related():
    a, b = answer(), Answer("q", "inget", True, related=[cite(1, spans=[]), cite(2, spans=[])])
    assert render.citation_of([a, b], 1, 2).n == 2
    assert render.citation_of([a, b], 2, 1) is None and render.citation_of([a, b], 0, 9) is None


# ---------------------------------------------------------------- export, feedback, upload report

def test_conversation_markdown_has_questions_answers_and_checkable_sources():
    a1 = answer(coverage="1 mening citerad ur 1 dokument.")
    a2 = Answer("Elefanter <img src=x>?", "Jag hittar inget svar.", True, related=[cite(1, spans=[])])
    a3 = Answer("", "Skriv en fråga först.", True, mode="error")
    md = render.conversation_markdown([a1, a2, a3], "2026-01-01 12:00")
    assert md.startswith("# Källkoll – samtal") and "2026-01-01 12:00" in md
    assert "## 1. Hur många kameror?" in md and "## 2. Elefanter &lt;img src=x&gt;?" in md
    assert "### Källor" in md and "**[1] Titel &lt;script&gt;" in md
    assert "Daniel Dronjak (M)" in md and "stycke 17" in md and "`003_abc`" in md
    assert "> ”Kommunen ska sätta upp 300 kameror &lt;script&gt;" in md
    assert "Inget svar i dokumenten" in md and "Möjligen relaterade stycken" in md and "⚠️ Skriv" in md
    assert "<script" not in md and "<img" not in md


def test_feedback_record_is_json_with_question_answer_and_citations():
    rec = render.feedback_record(answer(), False, "2026-01-01T00:00:00", 2)
    rec = json.loads(json.dumps(rec, ensure_ascii=False))
    assert rec["feedback"] == "down" and rec["liked"] is False and rec["turn"] == 2
    assert rec["question"] == "Hur många kameror?" and rec["citations"][0]["paragraph"] == 17
    assert set(answer().to_dict()) <= set(rec)


def test_build_report_names_added_and_skipped_files(tmp_path):
    from index.build import BuildSummary
    from index.types import SkippedFile

    good, bad = tmp_path / "rapport.txt", tmp_path / "trasig.pdf"
    summary = BuildSummary(str(tmp_path), documents=5, paragraphs=90, new=["rapport"],
                           skipped=[SkippedFile(str(bad), "no text layer (scanned PDF?)"),
                                    SkippedFile("/elsewhere/x.txt", "empty")])
    report = render.build_report(summary, [good, bad], ["virus.exe: filtypen stöds inte"])
    assert "rapport.txt (ny)" in report and "Hoppade över trasig.pdf: no text layer" in report
    assert "x.txt" not in report and "5 dokument" in report and "Avvisade virus.exe" in report


# ---------------------------------------------------------------- uploads

@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.txt", "passwd.txt"), ("/abs/path/x y.PDF", "x_y.pdf"), ("..\\..\\evil.md", "evil.md"),
    ("Tyresö brand <rapport>.txt", "Tyresö_brand_rapport.txt"), ("..", "dokument"), (".bashrc", "dokument.bashrc"),
    ("a..b..txt", "a.b.txt"), ("rapport", "rapport"), ("ü€$.docx", "dokument.docx"),
])
def test_safe_upload_name(name, expected):
    assert uploads.safe_upload_name(name) == expected
    assert re.fullmatch(r"[A-Za-z0-9åäöÅÄÖ._-]+", expected) and ".." not in expected


def test_save_uploads_checks_type_size_and_place(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    ok = src / "Rapport om bränder.txt"
    ok.write_text("Text.", encoding="utf-8")
    exe = src / "virus.exe"
    exe.write_bytes(b"MZ")
    big = src / "stor.pdf"
    with big.open("wb") as f:
        f.truncate(uploads.MAX_UPLOAD_BYTES + 1)
    empty = src / "tom.md"
    empty.write_bytes(b"")
    target = tmp_path / "uploads"
    result = uploads.save_uploads([ok, exe, big, empty], target, ["../../" + ok.name, exe.name, big.name, empty.name])
    assert result.saved == [(target / "Rapport_om_bränder.txt").resolve()]
    assert result.saved[0].read_text(encoding="utf-8") == "Text."
    assert [p.split(":")[0] for p in result.problems] == ["virus.exe", "stor.pdf", "tom.md"]
    assert "20 MB" in result.problems[1]
    uploads.discard(result.saved + [ok], target)
    assert not result.saved[0].exists() and ok.exists()  # only files inside the upload folder are removed


def test_upload_and_feedback_locations(tmp_path, monkeypatch):
    monkeypatch.delenv("KALLKOLL_UPLOAD_DIR", raising=False)
    monkeypatch.delenv("KALLKOLL_FEEDBACK_LOG", raising=False)
    assert uploads.upload_dir(tmp_path / "index") == (tmp_path / "uploads").resolve()
    assert uploads.feedback_log(tmp_path / "index") == (tmp_path / "feedback.jsonl").resolve()
    monkeypatch.setenv("KALLKOLL_UPLOAD_DIR", str(tmp_path / "u"))
    monkeypatch.setenv("KALLKOLL_FEEDBACK_LOG", str(tmp_path / "f.jsonl"))
    assert uploads.upload_dir(tmp_path) == (tmp_path / "u").resolve()
    assert uploads.feedback_log(tmp_path) == (tmp_path / "f.jsonl").resolve()


def test_scope_dates_authors_and_what_a_typo_gets():
    from datetime import date

    f = render.scope_filters([], [], ["M"], ["Beatrice Ask"], " 2017-01-01 ", "2018-06-30")
    assert f == Filters(parties=("M",), authors=("Beatrice Ask",), date_from=date(2017, 1, 1),
                        date_to=date(2018, 6, 30))
    assert render.scope_text(f).endswith("författare: Beatrice Ask; datum: 2017-01-01 – 2018-06-30.")
    assert render.scope_filters(None, None, None, None, "", None).is_empty()
    with pytest.raises(render.BadScope, match="Från-datumet ”5 maj 2021” är inget datum.*ÅÅÅÅ-MM-DD"):
        render.scope_filters([], [], [], [], "5 maj 2021", "")
    with pytest.raises(render.BadScope, match="ligger efter"):
        render.scope_filters([], [], [], [], "2021-05-05", "2020-01-01")
    with pytest.raises(render.BadScope):
        render.scope_filters([], [], [], [], "", "x" * 1_000_000)  # a megabyte pasted: a message, short


def test_the_library_is_searchable_and_draws_at_most_its_share():
    docs = [(f"d{i:05d}", f"Interpellation om {'skolan' if i % 3 else 'polisen'} {i}",
             {"author": "Beatrice Ask" if i % 2 else "Elver Jonsson", "party": "M" if i % 2 else "L",
              "date": f"20{10 + i % 10}-01-01"}) for i in range(15_000)]
    page = render.library_html(docs)
    assert page.count("<li>") == render.LIBRARY_SHOWN
    assert f"Visar {render.LIBRARY_SHOWN} av 15000 dokument" in page
    found = render.library_html(docs, "polisen ask")  # every word, in title or person
    assert found.count("<li>") == render.LIBRARY_SHOWN and "träffar bland 15000 dokument" in found
    assert all("polisen" in t and "Beatrice Ask" in m["author"] for _, t, m in render.library_matches(docs, "polisen ask"))
    one = render.library_html(docs, "d00003")
    assert one.count("<li>") == 1 and "1 av 15000 dokument." in one and "Beatrice Ask (M)" in one
    none = render.library_html(docs, f"nothing {SCRIPT}")
    assert "<li>" not in none and "Inget av 15000 dokument matchar" in none and "<script>" not in none


def test_a_plans_sections_and_items_render_as_such_and_nothing_of_the_document_does():
    c = cite(1, text="Kommunen **ska** - enligt planen - sätta upp kameror.", spans=[(0, 53)])
    text = f"**Huddinge**\n- Svar på interpellation: ”{c.text}” [1]\n**Stockholm**\nStockholms dokument säger inget."
    a = answer([c], text=text)
    md = render.answer_markdown(a, 0)
    assert "\n**Huddinge**\n" in f"\n{md}\n" and "\n**Stockholm**\n" in md
    assert "\n- Svar på interpellation" in md
    assert "\\*\\*ska\\*\\*" in md  # the document's own asterisks stay text


def test_examples_are_questions_the_index_answers():
    from ui import examples

    docs = [("Interpellation 2019/20:1 av X", {"date": "2019-10-01"}),
            ("Vilka åtgärder avser ministern att vidta för att minska köerna till BUP?", {"date": "2020-02-03"}),
            ("Hur avser statsrådet att stärka polisen i glesbygden?", {"date": "2021-05-01"}),
            ("Kort?", {"date": "2022-01-01"}), ("Vad? " + "lång " * 40 + "?", {"date": "2023-01-01"})]
    assert examples.drawn_questions(docs) == ["Hur avser statsrådet att stärka polisen i glesbygden?",
                                              "Vilka åtgärder avser ministern att vidta för att minska köerna till BUP?"]
    # a Riksdagen index answers none of the Huddinge questions: its own newest questions are offered
    riksdagen = examples.example_questions(docs, lambda q: "Huddinge" not in q and "Stockholm" not in q
                                           and "Flemingsberg" not in q)
    assert riksdagen == ["Hur avser statsrådet att stärka polisen i glesbygden?",
                         "Vilka åtgärder avser ministern att vidta för att minska köerna till BUP?"]
    assert examples.example_questions(docs, lambda q: True) == list(examples.BUILT_IN)
    assert examples.example_questions(docs, lambda q: False) == []


def _who_said_what() -> Answer:
    a = cite(1, author="Beatrice Ask", party="M", date="2010-01-01")
    b = cite(2, author="Luciano Astudillo", party="S", date="2009-11-18")
    b.doc_id = "doc-b"
    c = cite(3, author="Beatrice Ask", party="M", date="2008-02-07")
    c.doc_id = "doc-c"
    return answer([a, b], text=f"- ”{a.quote}” [1]\n- ”{b.quote}” [2]", plan="overview", more=[c])


def test_sources_panel_groups_by_person_with_counts_and_escapes():
    a = _who_said_what()
    plain = render.sources_html(a, 0)
    assert "data-kk-action='view-person'" in plain and "data-kk-action='view-party'" in plain
    assert "Fler dokument som tar upp samma sak (1)" in plain and "id='kk-source-3'" in plain
    grouped = render.sources_html(a, 0, view="person")
    table = grouped[grouped.index("<table"):grouped.index("</table>")]
    rows = re.findall(r"<tr><td>(.*?)</td><td class='kk-count'>(\d+)</td>", table)
    assert rows == [("Beatrice Ask (M)", "2"), ("Luciano Astudillo (S)", "1")]
    assert SCRIPT not in grouped and html.escape(SCRIPT) in grouped  # the cards' text stays escaped
    assert grouped.count("<article") == 3  # every source once, under its group
    parties = render.sources_html(a, 0, view="party")
    assert re.findall(r"<tr><td>(.*?)</td>", parties) == ["M", "S"]
    assert render.citation_of([a], 0, 3).doc_id == "doc-c"  # a further document opens like a citation


def test_a_single_source_answer_has_no_grouping_toggle():
    plain = render.sources_html(answer(), 0)
    assert "view-person" not in plain and "<table" not in render.sources_html(answer(), 0, view="person")


def test_export_carries_the_who_said_what_table():
    md = render.conversation_markdown([_who_said_what()], "2026-12-04")
    assert "### Vem sa vad – per person" in md and "### Per parti" in md
    assert "| Beatrice Ask (M) | 2 | [1] [3] |" in md and "| Luciano Astudillo (S) | 1 | [2] |" in md
    assert "| M | 2 | [1] [3] |" in md
    assert "### Fler dokument som tar upp samma sak (1)" in md and "**[3]" in md


def test_the_document_dropdown_offers_the_newest_and_follows_the_library_search():
    rows = [(f"doc-{i:04d}", f"Interpellation {i} om {'vargen' if i % 7 == 0 else 'skolan'}", {"date": f"{2000 + i // 100}-01-01"})
            for i in range(1000, 0, -1)]  # newest first, as the app sorts them
    offered = render.document_choices(rows, limit=50)
    assert [d for _, d in offered] == [f"doc-{i:04d}" for i in range(1000, 950, -1)]
    wolves = render.document_choices(rows, "vargen", limit=50)
    assert wolves and all("vargen" in label for label, _ in wolves) and len(wolves) == 50
    # a document already chosen stays offered whatever the search, or the dropdown would drop it
    kept = render.document_choices(rows, "vargen", selected=["doc-0001"], limit=50)
    assert kept[-1] == ("Interpellation 1 om skolan", "doc-0001")
    assert "av 1000" in render.document_label(1000, 50) and render.document_label(40, 50) == "Dokument"


def test_an_example_is_offered_only_when_documents_of_the_names_it_asks_about_answer_it():
    from ui import examples

    huddinge = answer([cite(1)])  # Huddinge's reply, body "Huddinge"
    riksdagen = answer([cite(1, author="Ann Linde", party="S", body="Riksdagen")])
    assert examples.about_its_names("Hur många trygghetskameror ska Huddinge sätta upp?", huddinge)
    # a Riksdagen sentence that mentions Stockholm does not make Stockholm's example a good one
    assert not examples.about_its_names("Vad gör Stockholm mot segregation?", riksdagen)
    assert examples.about_its_names("Vilka åtgärder avser ministern att vidta mot köerna?", riksdagen)
    assert not examples.about_its_names("Vad gör Huddinge?", Answer("q", "Inget svar", True))
