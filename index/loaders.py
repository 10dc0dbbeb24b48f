"""Files to raw text: one loader per format, and a walker that never gives up.

A corpus is messy; one broken file must not stop the other ten thousand. Every
file that cannot be read becomes a SkippedFile with a reason a person can act
on, and the build summary prints them.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .decode import UndecodableFile, decode_text
from .types import SkippedFile

#: Formats we read; anything else in a folder is reported, not guessed at.
SUPPORTED = (".txt", ".md", ".pdf", ".docx", ".html", ".htm", ".jsonl", ".jsonl.gz")

#: A single document larger than this is almost always a dump or a mistake;
#: embedding it would take the machine for an hour. JSONL collections are exempt.
MAX_DOCUMENT_BYTES = int(os.environ.get("KALLKOLL_MAX_DOC_MB", "20")) * 1024 * 1024


@dataclass
class LoadedText:
    """A document's text as the file gives it, before cleaning.

    ``layout`` tells the paragraph splitter what a newline means: "auto" lets it
    decide from the text, "lines" says every line is a paragraph (HTML, web text).
    """

    doc_id: str
    path: str
    text: str
    layout: str = "auto"
    title: str = ""
    fields: dict[str, str] = field(default_factory=dict)


def suffix_of(path: Path) -> str:
    name = path.name.lower()
    return ".jsonl.gz" if name.endswith(".jsonl.gz") else path.suffix.lower()


def doc_id_for(path: Path) -> str:
    """The file name without extension: what citations and the CLI's JSON call ``doc_id``."""
    name = path.name
    suffix = suffix_of(path)
    return name[: -len(suffix)] if suffix and name.lower().endswith(suffix) else path.stem


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Files under the given paths, sorted, skipping hidden files and folders."""
    for root in paths:
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if not name.startswith("."):
                        yield Path(dirpath) / name
        else:
            yield root


def load_paths(paths: list[Path]) -> tuple[list[LoadedText], list[SkippedFile]]:
    """Load every supported file under ``paths``; return texts and what was skipped, with why."""
    texts: list[LoadedText] = []
    skipped: list[SkippedFile] = []
    for path in iter_files(paths):
        got, skip = load_file(path)
        texts.extend(got)
        skipped.extend(skip)
    return texts, skipped


def load_file(path: Path) -> tuple[list[LoadedText], list[SkippedFile]]:
    """Dispatch on the file type; every failure becomes a SkippedFile naming the file."""
    suffix = suffix_of(path)
    if not path.exists():
        return [], [SkippedFile(str(path), "no such file or folder")]
    if suffix not in SUPPORTED:
        return [], [SkippedFile(str(path), f"unsupported file type {suffix or '(none)'}; "
                                           f"supported: {', '.join(SUPPORTED)}")]
    try:
        size = path.stat().st_size
        if size == 0:
            return [], [SkippedFile(str(path), "empty file")]
        if suffix in (".jsonl", ".jsonl.gz"):
            return load_jsonl(path)
        if size > MAX_DOCUMENT_BYTES:
            return [], [SkippedFile(str(path), f"{size / 1e6:.0f} MB is over the "
                                               f"{MAX_DOCUMENT_BYTES // 2**20} MB limit for one document "
                                               "(raise KALLKOLL_MAX_DOC_MB to index it)")]
        loader = {".txt": load_plain, ".md": load_plain, ".pdf": load_pdf,
                  ".docx": load_docx, ".html": load_html, ".htm": load_html}[suffix]
        loaded = loader(path)
    except UndecodableFile as exc:
        return [], [SkippedFile(str(path), str(exc))]
    except Exception as exc:  # a corrupt PDF or DOCX raises anything; report it, go on
        return [], [SkippedFile(str(path), f"could not read {suffix} file: {type(exc).__name__}: {exc}")]
    if not loaded.text.strip():
        reason = ("no text layer (a scanned PDF needs OCR first)" if suffix == ".pdf"
                  else "no text in the file")
        return [], [SkippedFile(str(path), reason)]
    return [loaded], []


def load_plain(path: Path) -> LoadedText:
    text, _encoding = decode_text(path.read_bytes())
    return LoadedText(doc_id_for(path), str(path), text)


def load_pdf(path: Path) -> LoadedText:
    """Page by page; a blank line between pages lets the splitter rejoin a paragraph cut by the break."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    pages = [(page.extract_text() or "") for page in reader.pages]
    title = ""
    if reader.metadata is not None and reader.metadata.title:
        title = str(reader.metadata.title).strip()
    return LoadedText(doc_id_for(path), str(path), "\n\n".join(pages), title=title)


def load_docx(path: Path) -> LoadedText:
    """Word paragraphs are real paragraphs; tables are read row by row."""
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                parts.append(" | ".join(dict.fromkeys(cells)))
    title = (document.core_properties.title or "").strip()
    return LoadedText(doc_id_for(path), str(path), "\n\n".join(parts), title=title)


def load_html(path: Path) -> LoadedText:
    """inscriptis renders block elements as lines, so every line is a paragraph."""
    from inscriptis import get_text
    from lxml import html as lxml_html

    raw, _encoding = decode_text(path.read_bytes())
    text = get_text(raw)
    title = ""
    try:
        # raw is already decoded: say so, or lxml reads the bytes as latin-1 ("SkÃ¤rholmen")
        tree = lxml_html.fromstring(raw.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))
        found = tree.findtext(".//title")
        title = (found or "").strip()
    except Exception:  # a fragment without <html> has no title; that is fine
        title = ""
    return LoadedText(doc_id_for(path), str(path), text, layout="lines", title=title)


def load_jsonl(path: Path) -> tuple[list[LoadedText], list[SkippedFile]]:
    """One document per line: ``id``, ``title``, ``text``; every other field is kept as metadata."""
    texts: list[LoadedText] = []
    skipped: list[SkippedFile] = []
    opener = gzip.open if suffix_of(path) == ".jsonl.gz" else open
    with opener(path, "rb") as raw:
        stream = io.BufferedReader(raw) if opener is gzip.open else raw
        for number, line in enumerate(stream, 1):
            where = f"{path}:{number}"
            if not line.strip():
                continue
            try:
                record = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                skipped.append(SkippedFile(where, f"line is not JSON ({exc.__class__.__name__})"))
                continue
            if not isinstance(record, dict):
                skipped.append(SkippedFile(where, "line is not a JSON object"))
                continue
            try:  # a "\ud800" escape decodes to a lone surrogate that hashing and SQLite cannot encode
                json.dumps(record, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                skipped.append(SkippedFile(where, "record has invalid Unicode (a lone surrogate escape "
                                                  "such as \\ud800)"))
                continue
            text = record.get("text")
            if not isinstance(text, str) or not text.strip():
                skipped.append(SkippedFile(where, "record has no \"text\""))
                continue
            doc_id = str(record.get("id") or f"{doc_id_for(path)}-{number}")
            fields = {k: str(v) for k, v in record.items()
                      if k not in ("id", "title", "text") and v not in (None, "")}
            texts.append(LoadedText(doc_id, where, text, title=str(record.get("title") or ""),
                                    fields=fields))
    return texts, skipped
