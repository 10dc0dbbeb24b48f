"""Pure functions that turn answers, citations and documents into what the chat shows.

Why pure and separate: everything a document says reaches the browser through
these functions, so escaping is decided here once and tested without a browser.
No document text is ever rendered as live HTML or markdown: it is HTML-escaped
(for ``gr.HTML``) or markdown-escaped (for the chat bubble).
"""

from __future__ import annotations

import html
import re

from rag.citations import MARKER
from rag.types import Answer, Citation

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")

META_LABELS = (("doc_type", "Typ"), ("author", "Författare"), ("party", "Parti"), ("role", "Roll"),
               ("on_behalf_of", "För"), ("body", "Kommun/organ"), ("date", "Datum"),
               ("interpellant", "Interpellant"))


def md_escape(text: str) -> str:
    """Text shown literally in a markdown bubble: HTML entities and markdown syntax neutralised."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def answer_markdown(answer: Answer) -> str:
    """The chat bubble: escaped answer text, each ``[n]`` a link the page script turns into a click."""
    parts = []
    if answer.notice:
        parts.append(f"*{md_escape(answer.notice)}*\n")
    if answer.abstained and answer.mode != "error":
        parts.append(f"**Inget svar i dokumenten.** {md_escape(answer.answer)}")
        if answer.related:
            parts.append("\n<details><summary>Möjligen relaterade stycken (inte ett svar)</summary>\n")
            for c in answer.related:
                parts.append(f"- {md_escape(c.title)}, stycke {c.paragraph}: {md_escape(_short(c.text))}")
            parts.append("\n</details>")
        return "\n".join(parts)
    body = md_escape(answer.answer)
    # escaped "\[1\]" back into clickable links: the only markup in the bubble is ours
    body = re.sub(r"\\\[(\d{1,3})\\\]", lambda m: f"[\\[{m.group(1)}\\]](#kallkoll-cite-{m.group(1)})", body)
    parts.append(body.replace("\n", "  \n"))
    return "\n".join(parts)


def _short(text: str, limit: int = 220) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    """Paragraph text, HTML-escaped, with the quoted spans in ``<mark>``."""
    out, pos = [], 0
    for s, e in sorted(spans):
        if s < pos or e > len(text):
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


def meta_html(c: Citation) -> str:
    rows = [f"<dt>{label}</dt><dd>{html.escape(c.meta[key])}</dd>" for key, label in META_LABELS
            if c.meta.get(key)]
    rows.append(f"<dt>Stycke</dt><dd>{c.paragraph}</dd>")
    return f"<dl class='kk-meta'>{''.join(rows)}</dl>"


def sources_html(answer: Answer | None, selected: int | None = None) -> str:
    """The sources panel: every citation of the answer, the selected one marked and opened."""
    if answer is None:
        return "<div class='kk-empty'>Ställ en fråga: källorna till svaret visas här.</div>"
    cites = answer.citations or answer.related
    if not cites:
        return "<div class='kk-empty'>Inga källor till detta svar.</div>"
    head = ("<div class='kk-note'>Möjligen relaterade stycken — inget av dem besvarar frågan.</div>"
            if not answer.citations else "")
    cards = []
    for c in cites:
        sel = " kk-selected" if c.n == selected else ""
        cards.append(
            f"<div class='kk-card{sel}' id='kk-source-{c.n}'>"
            f"<div class='kk-num'>[{c.n}]</div>"
            f"<div class='kk-title'>{html.escape(c.title)}</div>"
            f"{meta_html(c)}"
            f"<div class='kk-para'>{highlighted(c.text, c.quote_spans)}</div>"
            f"<div class='kk-id'>{html.escape(c.doc_id)} · stycke {c.paragraph}</div></div>")
    return head + "".join(cards)


def document_html(title: str, meta: dict[str, str], paragraphs: list, highlight: int | None,
                  spans: list[tuple[int, int]] | None = None) -> str:
    """A whole document, escaped, with one paragraph highlighted (and its quote marked)."""
    info = " · ".join(html.escape(meta[k]) for k, _ in META_LABELS if meta.get(k))
    out = [f"<div class='kk-doc'><h3>{html.escape(title)}</h3><div class='kk-docmeta'>{info}</div>"]
    for p in paragraphs:
        is_hit = p.number == highlight
        body = highlighted(p.text, spans or []) if is_hit else html.escape(p.text)
        cls = "kk-p kk-hit" if is_hit else "kk-p"
        out.append(f"<p class='{cls}' id='kk-doc-p{p.number}'><span class='kk-pn'>{p.number}</span>{body}</p>")
    out.append("</div>")
    return "".join(out)


def conversation_markdown(turns: list[Answer]) -> str:
    """Export: every question and answer with its sources, as Markdown a reader can check."""
    out = ["# Källkoll – samtal", ""]
    for a in turns:
        out += [f"## {a.question}", "", MARKER.sub(lambda m: f"[{m.group(1)}]", a.answer), ""]
        cites = a.citations or a.related
        if cites:
            out.append("### Källor" if a.citations else "### Möjligen relaterade stycken")
            for c in cites:
                who = ", ".join(c.meta[k] for k in ("author", "party", "body", "date") if c.meta.get(k))
                out.append(f"- [{c.n}] {c.title} ({who}), stycke {c.paragraph}: > {c.text}")
            out.append("")
    return "\n".join(out)


def citation_number(value: str) -> int | None:
    m = re.search(r"(\d{1,3})", value or "")
    return int(m.group(1)) if m else None
