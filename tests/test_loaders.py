"""Loading every supported format, and skipping every unreadable file with a reason a person can act on."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest

from index import loaders
from index.build import parse, read_documents
from index.decode import UndecodableFile, decode_text
from index.loaders import load_file, load_paths

SWEDISH = ("Järva och Skärholmen är stadsdelar i Stockholm – åtgärder mot otrygghet "
           "behövs, sade borgarrådet. ”Vi ökar närvaron”, säger Åsa Öberg.")

PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
             + bytes(range(256)) * 4)


def make_pdf(pages: list[list[str] | None], title: str | None = None) -> bytes:
    """A minimal, valid PDF written by hand: Helvetica/WinAnsi text lines, one list per page.

    ``None`` for a page gives a page with a drawing but no text, like a scan.
    """
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_obj = add(b"")  # filled in once the page ids are known
    page_ids = []
    for lines in pages:
        if lines is None:
            stream = b"0 0 1 rg 100 100 300 400 re f"
        else:
            ops = [b"BT /F1 11 Tf 14 TL 72 770 Td"]
            for line in lines:
                escaped = (line.encode("cp1252").replace(b"\\", b"\\\\")
                           .replace(b"(", b"\\(").replace(b")", b"\\)"))
                ops.append(b"(" + escaped + b") Tj T*")
            ops.append(b"ET")
            stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                            % (pages_obj, font, content)))
    objects[pages_obj - 1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % i for i in page_ids)
                              + b"] /Count %d >>" % len(page_ids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj)
    info = add(b"<< /Title (" + title.encode("cp1252") + b") >>") if title else None
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _one(path: Path):
    texts, skipped = load_file(path)
    assert not skipped, skipped
    assert len(texts) == 1
    return texts[0]


def _skipped(path: Path) -> str:
    texts, skipped = load_file(path)
    assert texts == []
    assert len(skipped) == 1
    assert skipped[0].path == str(path)
    return skipped[0].reason


# ---------------------------------------------------------------- plain text and encodings

def test_cp1252_text_decoded(tmp_path):
    path = tmp_path / "cp1252.txt"
    path.write_bytes(SWEDISH.encode("cp1252"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    loaded = _one(path)
    assert loaded.text == SWEDISH
    assert "\ufffd" not in loaded.text and "Ã" not in loaded.text
    assert decode_text(path.read_bytes())[1] == "cp1252"
    assert loaded.doc_id == "cp1252"


@pytest.mark.parametrize("encoded, encoding", [
    (SWEDISH.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + SWEDISH.encode("utf-8"), "utf-8-sig"),
    (SWEDISH.encode("utf-16"), "utf-16"),
    (SWEDISH.encode("latin-1", errors="replace"), "cp1252"),
])
def test_decode_text_encodings(encoded, encoding):
    text, used = decode_text(encoded)
    assert used == encoding
    assert "Järva och Skärholmen" in text and "Åsa Öberg" in text
    assert not text.startswith("\ufeff")


def test_binary_file_is_skipped_with_a_reason(tmp_path):
    path = tmp_path / "bild.txt"
    path.write_bytes(PNG_BYTES)
    reason = _skipped(path)
    assert "binary" in reason
    with pytest.raises(UndecodableFile):
        decode_text(PNG_BYTES)


def test_empty_file_is_skipped(tmp_path):
    path = tmp_path / "tom.txt"
    path.write_bytes(b"")
    assert _skipped(path) == "empty file"


def test_whitespace_only_file_is_skipped(tmp_path):
    path = tmp_path / "blank.md"
    path.write_text(" \n\n\t\n", encoding="utf-8")
    assert _skipped(path) == "no text in the file"


def test_unsupported_extension_is_skipped(tmp_path):
    path = tmp_path / "budget.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    reason = _skipped(path)
    assert "unsupported file type .xlsx" in reason
    assert ".pdf" in reason and ".docx" in reason  # says what would work


def test_missing_file_is_skipped(tmp_path):
    assert _skipped(tmp_path / "finns-inte.txt") == "no such file or folder"


def test_oversized_document_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(loaders, "MAX_DOCUMENT_BYTES", 100)
    path = tmp_path / "stor.txt"
    path.write_text("Trygghet i Huddinge. " * 20, encoding="utf-8")
    assert "KALLKOLL_MAX_DOC_MB" in _skipped(path)


# ---------------------------------------------------------------- JSONL

def test_jsonl_bad_lines_skipped_rest_loaded(tmp_path):
    path = tmp_path / "samling.jsonl"
    lines = [
        json.dumps({"id": "ip-1", "title": "Interpellation om Järva", "text": "Vad gör staden i Järva?",
                    "author": "Katarina Luhr (MP)", "date": "2023-03-30", "source": "riksdagen",
                    "empty": "", "none": None}, ensure_ascii=False),
        "{this is not json",
        json.dumps({"id": "ip-2", "title": "Utan text"}),
        "",
        json.dumps(["a", "list"]),
        json.dumps({"title": "Utan id", "text": "Svar om Skärholmen och tryggheten där."}, ensure_ascii=False),
        json.dumps({"id": "ip-4", "text": "   "}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    texts, skipped = load_file(path)

    assert [(s.path, s.reason) for s in skipped] == [
        (f"{path}:2", "line is not JSON (JSONDecodeError)"),
        (f"{path}:3", 'record has no "text"'),
        (f"{path}:5", "line is not a JSON object"),
        (f"{path}:7", 'record has no "text"'),
    ]
    assert [t.doc_id for t in texts] == ["ip-1", "samling-6"]
    first = texts[0]
    assert first.title == "Interpellation om Järva"
    assert first.text == "Vad gör staden i Järva?"
    assert first.path == f"{path}:1"
    assert first.fields == {"author": "Katarina Luhr (MP)", "date": "2023-03-30", "source": "riksdagen"}
    assert texts[1].title == "Utan id" and texts[1].fields == {}


def test_jsonl_gz_and_metadata_kept_through_parse(tmp_path):
    path = tmp_path / "riksdagen.jsonl.gz"
    record = {"id": "H901123", "title": "Kameraövervakning", "source": "Riksdagen",
              "text": "Fråga om kameror.\n\nJag vill fråga ministern om fler kameror i Järva.",
              "author": "Anna Svensson (S)"}
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    (loaded,) = _one_list(path)
    doc = parse(loaded).document
    assert doc.doc_id == "H901123" and doc.title == "Kameraövervakning"
    assert doc.meta["author"] == "Anna Svensson" and doc.meta["party"] == "S"
    assert doc.meta["body"] == "Riksdagen" and doc.meta["source"] == "Riksdagen"


def _one_list(path: Path):
    texts, skipped = load_file(path)
    assert not skipped
    return texts


# ---------------------------------------------------------------- DOCX

def test_docx_made_with_python_docx(tmp_path):
    import docx

    document = docx.Document()
    document.core_properties.title = "Motion om fritidsgårdar"
    document.add_heading("Motion om fritidsgårdar i Rågsved", 1)
    document.add_paragraph("Vi föreslår att fritidsgården i Rågsved får utökade öppettider under sommarlovet.")
    document.add_paragraph("   ")
    document.add_paragraph("Fritidsledarna når unga som annars hänger i centrum på kvällarna.")
    table = document.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "Område", (0, 1): "Kostnad", (1, 0): "Rågsved", (1, 1): "2 mkr"}.items():
        table.cell(r, c).text = value
    path = tmp_path / "motion.docx"
    document.save(str(path))

    loaded = _one(path)
    assert loaded.title == "Motion om fritidsgårdar"
    assert loaded.text.split("\n\n") == [
        "Motion om fritidsgårdar i Rågsved",
        "Vi föreslår att fritidsgården i Rågsved får utökade öppettider under sommarlovet.",
        "Fritidsledarna når unga som annars hänger i centrum på kvällarna.",
        "Område | Kostnad",
        "Rågsved | 2 mkr",
    ]
    parsed = parse(loaded)
    assert parsed.document.title == "Motion om fritidsgårdar"
    assert parsed.document.meta["doc_type"] == "Motion"
    assert parsed.paragraphs[1].text.startswith("Vi föreslår att fritidsgården")


def test_corrupt_docx_is_skipped(tmp_path):
    path = tmp_path / "trasig.docx"
    path.write_bytes(b"PK\x03\x04" + b"garbage" * 50)
    assert _skipped(path).startswith("could not read .docx file:")


# ---------------------------------------------------------------- PDF

def test_pdf_made_in_the_test(tmp_path):
    path = tmp_path / "svar.pdf"
    path.write_bytes(make_pdf([
        ["Trygghet i Järva", "Förvaltningarna arbetar även med kartläggning och analyser för"],
        ["att kommunens insatser ska bli mer kompensatoriska i de mest utsatta områdena.",
         "Åtgärder – ”Sluta skjut” prövas."],
    ], title="Svar om Järva"))
    loaded = _one(path)
    assert loaded.title == "Svar om Järva"
    assert "Förvaltningarna arbetar även med kartläggning och analyser för" in loaded.text
    assert "Åtgärder – ”Sluta skjut” prövas." in loaded.text
    parsed = parse(loaded)
    texts = [p.text for p in parsed.paragraphs]
    # the sentence cut by the page break is one paragraph again
    assert texts == [
        "Trygghet i Järva",
        "Förvaltningarna arbetar även med kartläggning och analyser för att kommunens insatser "
        "ska bli mer kompensatoriska i de mest utsatta områdena.",
        "Åtgärder – ”Sluta skjut” prövas.",
    ]


def test_pdf_without_text_layer_is_skipped(tmp_path):
    path = tmp_path / "skannad.pdf"
    path.write_bytes(make_pdf([None, None]))
    reason = _skipped(path)
    assert "no text layer" in reason and "OCR" in reason


def test_corrupt_pdf_is_skipped(tmp_path):
    path = tmp_path / "trasig.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00\x01garbage" * 100)
    assert _skipped(path).startswith("could not read .pdf file:")


# ---------------------------------------------------------------- HTML

HTML = """<!doctype html>
<html><head><title>Trygghet i Skärholmen</title>
<style>body { color: red }</style>
<script>var hemlig = "SKRIPTTEXT"; console.log(hemlig);</script></head>
<body><h1>Trygghet i Skärholmen</h1>
<p>Stadsdelen arbetar med platssamverkan.</p><p>Fältassistenter besöker skolorna varje vecka.</p>
<ul><li>Nattvandring</li><li>Trygghetsvandring</li></ul>
<script>document.write("MERSKRIPT")</script></body></html>"""


def test_html_script_and_style_not_in_output(tmp_path):
    path = tmp_path / "sida.html"
    path.write_text(HTML, encoding="utf-8")
    loaded = _one(path)
    assert loaded.layout == "lines"
    assert loaded.title == "Trygghet i Skärholmen"
    for hidden in ("SKRIPTTEXT", "hemlig", "MERSKRIPT", "color: red", "<p>"):
        assert hidden not in loaded.text
    parsed = parse(loaded)
    assert [(p.kind, p.text) for p in parsed.paragraphs] == [
        ("heading", "Trygghet i Skärholmen"),
        ("text", "Stadsdelen arbetar med platssamverkan."),
        ("text", "Fältassistenter besöker skolorna varje vecka."),
        ("bullet", "Nattvandring"),
        ("bullet", "Trygghetsvandring"),
    ]


def test_cp1252_html(tmp_path):
    """An old municipal export: cp1252 bytes, and more markup than prose."""
    path = tmp_path / "gammal.htm"
    path.write_bytes((
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        '<title>Åtgärder i Järva – 2023</title></head><body>'
        '<ul class="nav"><li><a href="/">Start</a></li><li><a href="/press">Press</a></li></ul>'
        '<p class="ingress">Fältassistenterna i Järva får fler tjänster.</p>'
        '<table class="data"><tr><th>Område</th><th>Antal</th></tr><tr><td>Rinkeby</td><td>4</td></tr>'
        '<tr><td>Tensta</td><td>3</td></tr></table></body></html>').encode("cp1252"))
    loaded = _one(path)
    assert loaded.title == "Åtgärder i Järva – 2023"
    lines = [line.strip() for line in loaded.text.splitlines() if line.strip()]
    assert lines[2] == "Fältassistenterna i Järva får fler tjänster."
    assert "Område" in lines[3] and "Rinkeby" in lines[4]
    assert "<" not in loaded.text and "Ã" not in loaded.text


def test_cp1252_markdown_table(tmp_path):
    path = tmp_path / "motion.md"
    text = ("# Motion om fältassistenter – Järva\n\n|Område|Antal|\n|:--|--:|\n|Rinkeby|4|\n|Tensta|3|\n"
            "|Husby|2|\n|Kista|1|\n\n[Läs mer](<https://start.stockholm/?q=fält>)\n")
    path.write_bytes(text.encode("cp1252"))
    assert _one(path).text == text


# ---------------------------------------------------------------- folders

def test_folder_walk_mixed(tmp_path):
    (tmp_path / "a.txt").write_text("Första dokumentet om Huddinge och tryggheten där.", encoding="utf-8")
    sub = tmp_path / "under"
    sub.mkdir()
    (sub / "b.md").write_text("# Rubrik\n\nAndra dokumentet om Botkyrka.", encoding="utf-8")
    (sub / "bild.png").write_bytes(PNG_BYTES)
    (tmp_path / ".dold.txt").write_text("gömd", encoding="utf-8")
    hidden_dir = tmp_path / ".git"
    hidden_dir.mkdir()
    (hidden_dir / "c.txt").write_text("gömd", encoding="utf-8")
    texts, skipped = load_paths([tmp_path])
    assert [t.doc_id for t in texts] == ["a", "b"]
    assert [(Path(s.path).name, s.reason.split(";")[0]) for s in skipped] == [
        ("bild.png", "unsupported file type .png")]


def test_duplicates_are_skipped_with_reason(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    text = "Svar på interpellation om badhuset i Vårby. Kommunen bygger ett nytt badhus."
    (tmp_path / "one" / "svar.txt").write_text(text, encoding="utf-8")
    (tmp_path / "two" / "svar.txt").write_text("Annan text om skolan.", encoding="utf-8")
    (tmp_path / "two" / "kopia.txt").write_text(text, encoding="utf-8")
    parsed, skipped = read_documents([tmp_path])
    assert [p.document.doc_id for p in parsed] == ["svar"]
    reasons = sorted(s.reason for s in skipped)
    assert reasons[0].startswith("duplicate document id 'svar'")
    assert reasons[1] == "same text as svar"
