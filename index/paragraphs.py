"""Raw text to clean paragraphs: the unit every citation points at.

Three kinds of text reach us, and a newline means something different in each:

* blank-line paragraphs (word processors, the Riksdagen corpus): a single
  newline inside a block is a deliberate line break (letterhead, signature);
* hard-wrapped PDF extractions (seed 003): a newline is where the line ran out
  of width, so lines are rejoined, and a short line ending a sentence closes
  its paragraph;
* web text (SweQUAD): a single newline separates paragraphs.

Whatever the layout, a newline with spaces on both sides inside a sentence
("…bedriva exportrelaterad verksamhet \n inom försvarssektorn.") is how PDF
extraction marks a soft wrap: it is joined before anything else, else a
line-per-paragraph page cuts that sentence in two.

On top of that a page break can cut a paragraph in two ("…analyser för" /
"att kommunens insatser…"): a block that stops mid-sentence followed by one
that starts in lower case is one paragraph. Bullets are always paragraphs of
their own, so a citation can point at exactly one measure in a list.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .types import Paragraph

#: A line that ends a sentence: ., !, ?, … or : possibly followed by closing quotes or brackets.
ENDS_SENTENCE = re.compile(r"[.!?…:;][\"'”’»)\]]*$")
BULLET = re.compile(r"^(?:[•◦▪●‣∙·]|[-–*])\s+")
MD_HEADING = re.compile(r"^#{1,6}\s+")
MD_EMPHASIS = re.compile(r"(\*{1,2})(?=\S)([^*\n]+?)(?<=\S)\1")
#: Running page headers and page numbers that PDF and OCR extraction leave between paragraphs.
PAGE_FURNITURE = re.compile(
    r"^(?:\d{0,4}\s*Riksdagen\s*Interpellationer\s*\d{4}/\d{2,4}.*"
    r"|(?:Sida|Page)\s+\d+(?:\s*(?:av|of|/)\s*\d+)?"
    r"|\d{1,3})$",
    re.IGNORECASE,
)
#: A soft wrap left by PDF extraction: spaces on both sides of a single newline, mid-sentence, the
#: next line in lower case (in the SweQUAD pages a list item ends its line with no such spaces)
SOFT_WRAP = re.compile(r"(?<=[^\s.!?:;…\"'”’)\]]) +\n +(?=[a-zåäöéü])")
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)


@dataclass
class _Para:
    text: str
    kind: str  # "text" | "heading" | "bullet"


def split_paragraphs(doc_id: str, raw: str, layout: str = "auto") -> tuple[str, list[Paragraph]]:
    """Clean ``raw`` and split it; return the cleaned document text and its paragraphs.

    The cleaned text is the paragraphs joined by blank lines, so every
    paragraph's offsets point at exactly its text in it.
    """
    blocks = _blocks(_clean_lines(raw))
    mode = layout if layout == "lines" else _detect_layout(blocks)
    paras: list[_Para] = []
    for block in blocks:
        block_paras = _split_block(block, mode, _wrap_width(blocks))
        if paras and block_paras and _continues(paras[-1], block_paras[0]):
            paras[-1].text = f"{paras[-1].text} {block_paras[0].text}"
            block_paras = block_paras[1:]
        paras.extend(block_paras)

    out: list[Paragraph] = []
    parts: list[str] = []
    offset = 0
    for number, para in enumerate((p for p in paras if p.text), 1):
        kind = para.kind
        if kind == "text" and _looks_like_heading(para.text):
            kind = "heading"
        out.append(Paragraph(doc_id, number, para.text, offset, offset + len(para.text), kind))
        parts.append(para.text)
        offset += len(para.text) + 2
    return "\n\n".join(parts), out


def _clean_lines(raw: str) -> list[str]:
    """Normalise characters and whitespace, drop page furniture; blank lines stay as ''."""
    text = unicodedata.normalize("NFC", raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = text.translate(INVISIBLE).replace("\u00a0", " ").replace("\t", " ")
    text = SOFT_WRAP.sub(" ", text)
    lines = []
    for line in text.split("\n"):
        line = "".join(ch for ch in line if ch >= " " or ch == "\n")
        line = re.sub(r" {2,}", " ", line).strip()
        if PAGE_FURNITURE.match(line):
            line = ""
        lines.append(line)
    return lines


def _blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _wrap_width(blocks: list[list[str]]) -> int:
    """The width lines were wrapped at: the 90th percentile of line lengths."""
    lengths = sorted(len(line) for block in blocks for line in block)
    if not lengths:
        return 0
    return lengths[int(0.9 * (len(lengths) - 1))]


def _detect_layout(blocks: list[list[str]]) -> str:
    """'wrapped', 'lines' or 'blocks': what a single newline means in this document."""
    inner = [block[i] for block in blocks for i in range(len(block) - 1)]
    width = _wrap_width(blocks)
    if len(inner) >= 3 and 30 <= width <= 130:
        wrapped = sum(1 for line in inner if len(line) >= 0.6 * width and not ENDS_SENTENCE.search(line))
        if wrapped / len(inner) >= 0.5:
            return "wrapped"
    separators = len(blocks) - 1
    return "lines" if len(inner) > separators else "blocks"


def _split_block(block: list[str], mode: str, width: int) -> list[_Para]:
    paras: list[_Para] = []
    last = ""  # the previous physical line: its length tells a wrap from a break
    for raw_line in block:
        heading = bool(MD_HEADING.match(raw_line))
        bullet = bool(BULLET.match(raw_line)) and not heading
        line = BULLET.sub("", raw_line) if bullet else MD_HEADING.sub("", raw_line)
        line = MD_EMPHASIS.sub(r"\2", line)
        if not line:
            continue
        kind = "heading" if heading else "bullet" if bullet else "text"
        prev, last = last, line
        if not paras or heading or bullet or mode == "lines" or paras[-1].kind == "heading":
            paras.append(_Para(line, kind))
        elif mode != "wrapped":  # blocks: a newline inside a block is a deliberate line break
            paras[-1].text += "\n" + line
        elif len(prev) >= 0.6 * width or line[0].islower():
            paras[-1].text += " " + line
        elif ENDS_SENTENCE.search(prev):
            paras.append(_Para(line, kind))
        else:
            paras[-1].text += "\n" + line
    return paras


def _continues(prev: _Para, nxt: _Para) -> bool:
    """A paragraph cut by a page break: stops mid-sentence, the next part starts in lower case."""
    if prev.kind == "heading" or nxt.kind != "text" or "\n" in prev.text:
        return False
    return (len(prev.text) >= 40 and not ENDS_SENTENCE.search(prev.text)
            and nxt.text[:1].islower())


def _looks_like_heading(text: str) -> bool:
    """Short, one line, no closing punctuation: a title or section heading, not prose."""
    return "\n" not in text and len(text.split()) <= 12 and not re.search(r"[.!?,;:…]$", text)
