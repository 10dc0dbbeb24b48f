"""Pure functions: answers, citations and documents to what the app shows.

Why pure and separate: everything a document says reaches the browser through
these functions, so escaping is decided here, once, and tested without a
browser. Nothing from a document is ever rendered as live HTML or markdown:

* for ``gr.HTML`` (sources panel, document view) every piece of text goes
  through ``html.escape``; the only tags are the ones written here;
* for the chat bubble (markdown) text goes through ``md_escape``: markdown
  syntax is backslash-escaped, ``& < >`` become entities and autolinks are
  broken, so the reader sees exactly the characters of the document. The only
  markdown in a bubble is ours: the ``[n]`` links and a few emphases.

A ``[n]`` in the chat is a link ``#kk-cite-<turn>-<n>``; the page script in
``ui.app`` turns a click on it into "show citation n of answer <turn>".
"""

from __future__ import annotations

import html
import re
from datetime import date
from collections.abc import Iterable, Sequence
from typing import Any

from rag.source_groups import group_sources, sources_of, worth_grouping
from rag.types import Answer, Citation, Filters, SourceGroup

#: Metadata rows of a source card, in display order (author and party are shown together).
META_ROWS = (("doc_type", "Typ"), ("reference", "Beteckning"), ("author", "Författare"), ("role", "Roll"), ("on_behalf_of", "För"),
             ("body", "Kommun/organ"), ("date", "Datum"), ("interpellant", "Interpellant"),
             ("recipient", "Ställd till"), ("source", "Källa"))

ABSTAINED = "Inget svar i dokumenten."
RELATED_SUMMARY = "Möjligen relaterade stycken – inget av dem besvarar frågan"
SEARCHING = "⏳ *Söker i dokumenten …*"
BUSY = ("Källkoll har många frågor just nu och kunde inte ta emot din. "
        "Vänta en liten stund och fråga igen – frågan finns kvar i rutan.")
EMPTY_PANEL = ("Ställ en fråga. Här visas sedan varje källa till svaret: dokument, talare, parti och "
               "datum, och stycket med den citerade meningen markerad. Klicka på [1], [2] … i svaret "
               "för att gå till en källa.")

# ---------------------------------------------------------------- markdown (chat bubble, export)

_MD_INLINE = re.compile(r"([\\`*_\[\]~|$^{}])")  # emphasis, code, links, strike, tables, math
_MD_LINE_MARK = re.compile(r"^([ \t]*)([#+=-])", re.MULTILINE)  # headings, bullet lists, setext underlines
_MD_LINE_NUM = re.compile(r"^([ \t]*\d+)([.)])", re.MULTILINE)  # "12. " / "12) " ordered lists
_AUTOLINK = re.compile(r"(?i)://|www\.|@")  # GFM autolinks: scheme://, www., e-mail


def md_escape(text: object) -> str:
    """``text`` for a markdown renderer that must show it literally, character for character."""
    text = _MD_INLINE.sub(r"\\\1", str(text))
    text = _MD_LINE_MARK.sub(r"\1\\\2", text)
    text = _MD_LINE_NUM.sub(r"\1\\\2", text)
    text = _AUTOLINK.sub(lambda m: m.group(0)[:3] + "\\." if m.group(0)[-1] == "." else "\\" + m.group(0), text)
    return html.escape(text, quote=False)  # & < > as entities: no HTML, no <autolink>, no "> " quote


def _cite_link(turn: int, n: int) -> str:
    return f"[\\[{n}\\]](#kk-cite-{turn}-{n})"


def _link_markers(escaped: str, turn: int, valid: Iterable[int]) -> str:
    """Escaped ``\\[n\\]`` back into a citation link, for the numbers this answer really cites."""
    valid = set(valid)
    return re.sub(r"\\\[(\d{1,3})\\\]",
                  lambda m: _cite_link(turn, int(m.group(1))) if int(m.group(1)) in valid else m.group(0),
                  escaped)


def scope_text(filters: Filters | None, titles: dict[str, str] | None = None) -> str:
    """"Dokument: X; Kommun/organ: Huddinge": what a scoped question searched ("" when everything)."""
    if not filters or filters.is_empty():
        return ""
    titles = titles or {}
    parts = []
    if filters.doc_ids:
        parts.append("dokument: " + ", ".join(titles.get(d, d) for d in filters.doc_ids))
    if filters.bodies:
        parts.append("kommun/organ: " + ", ".join(filters.bodies))
    if filters.parties:
        parts.append("parti: " + ", ".join(filters.parties))
    if filters.authors:
        parts.append("författare: " + ", ".join(filters.authors))
    if filters.date_from or filters.date_to:
        parts.append("datum: " + (filters.date_from.isoformat() if filters.date_from else "…") + " – " +
                     (filters.date_to.isoformat() if filters.date_to else "…"))
    return "Sökningen var avgränsad till " + "; ".join(parts) + "."


class BadScope(ValueError):
    """A scope the user typed that cannot be searched; the message says what to write instead."""


def scope_date(text: object, label: str) -> date | None:
    """A date typed in the scope, ÅÅÅÅ-MM-DD ("2021-05-05").

    Empty means no limit. Anything else gets a message naming the field, never a traceback.
    """
    value = str(text or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadScope(f"{label} ”{value[:40]}” är inget datum. Skriv det som ÅÅÅÅ-MM-DD, "
                       f"till exempel 2021-05-05, eller lämna fältet tomt.") from None


def scope_filters(docs: Sequence[str] | None, bodies: Sequence[str] | None, parties: Sequence[str] | None,
                  authors: Sequence[str] | None = None, date_from: object = "", date_to: object = "") -> Filters:
    """The scope controls' values as ``Filters``; ``BadScope`` for a date that is none or a range backwards."""
    start, end = scope_date(date_from, "Från-datumet"), scope_date(date_to, "Till-datumet")
    if start and end and start > end:
        raise BadScope(f"Från-datumet {start.isoformat()} ligger efter till-datumet {end.isoformat()}.")
    return Filters(doc_ids=tuple(docs or ()), bodies=tuple(bodies or ()), parties=tuple(parties or ()),
                   authors=tuple(authors or ()), date_from=start, date_to=end)


def user_markdown(question: object) -> str:
    return md_escape(str(question or "").strip()) or "*(tom fråga)*"


def answer_markdown(answer: Answer, turn: int, scope: str = "") -> str:
    """The chat bubble of one answer: escaped text, every ``[n]`` a link to citation n of answer ``turn``."""
    parts: list[str] = []
    if answer.mode == "error":
        return "⚠️ " + md_escape(answer.answer)
    notes = [n for n in (answer.notice, scope) if n]
    if notes:
        parts.append("ℹ️ *" + md_escape(" ".join(notes)) + "*")
    if answer.abstained:
        parts.append(f"**{ABSTAINED}** " + md_escape(answer.answer))
        if answer.related:
            items = [f"- {_cite_link(turn, c.n)} {md_escape(c.title)}, stycke {c.paragraph}: "
                     f"”{md_escape(_short(c.text))}”" for c in answer.related]
            parts.append(f"<details><summary>{RELATED_SUMMARY} ({len(answer.related)})</summary>\n\n"
                         + "\n".join(items) + "\n\n</details>")
        return "\n\n".join(parts)
    text = answer.answer.strip()
    if answer.coverage and text.endswith(answer.coverage):
        text = text[: -len(answer.coverage)].rstrip()
    escaped = _plan_structure(md_escape(text))
    for c in answer.citations:  # "ungefär **300 kameror**": the words that answer, inside the quote
        bold = answer_in_bold(c)
        if bold:
            escaped = escaped.replace(bold[0], bold[1], 1)
    parts.append(_link_markers(escaped, turn, (c.n for c in answer.citations)))
    if answer.coverage:
        parts.append(f"*{md_escape(answer.coverage)}*")
    return "\n\n".join(parts)


def _plan_structure(escaped: str) -> str:
    """The structure an answer plan gives its text (rag/plans/), back from the escaping: a line that is only
    "**Stockholm**" is a section heading, a line opening with "- " an item. Quoted document text never
    begins a line (it stands after a source label, inside ”…”), so nothing of a document becomes markup."""
    escaped = re.sub(r"(?m)^\\\*\\\*(.+?)\\\*\\\*$", r"**\1**", escaped)
    return re.sub(r"(?m)^\\- ", "- ", escaped)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


# ---------------------------------------------------------------- HTML (sources panel, document view)

def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def highlighted(text: str, spans: Sequence[Sequence[int]], answers: Sequence[Sequence[int]] = ()) -> str:
    """``text`` HTML-escaped, with the character ``spans`` (quoted sentences) in ``<mark>``.

    Spans that overlap an earlier one or fall outside the text are ignored, so a bad
    span can hide a highlight but never garble or duplicate the text; spans with
    only white space between them are marked as one. An ``answers`` span (the exact
    answer the reader found) inside a mark is set in ``<strong class='kk-answer'>``.
    """
    merged: list[list[int]] = []
    for s, e in sorted((int(s), int(e)) for s, e in spans):
        if s < 0 or s >= e or e > len(text) or (merged and s < merged[-1][1]):
            continue
        if merged and not text[merged[-1][1]:s].strip():  # neighbouring sentences: one highlight
            merged[-1][1] = e
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark class='kk-quote'>{_strong_inside(text, s, e, answers)}</mark>")
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _strong_inside(text: str, start: int, end: int, answers: Sequence[Sequence[int]]) -> str:
    """text[start:end] escaped, the first answer span wholly inside it in ``<strong>``."""
    for a, b in sorted((int(a), int(b)) for a, b in answers):
        if start <= a < b <= end:
            return (html.escape(text[start:a]) + f"<strong class='kk-answer'>{html.escape(text[a:b])}</strong>"
                    + html.escape(text[b:end]))
    return html.escape(text[start:end])


def answer_in_bold(c: Citation) -> tuple[str, str] | None:
    """(the escaped quote as the chat shows it, the same with the reader's answer in **bold**), if it has one."""
    for s, e in c.quote_spans:
        for a, b in c.answer_spans:
            if s <= a < b <= e:
                while a < b and c.text[a].isspace():
                    a += 1
                while b > a and c.text[b - 1].isspace():
                    b -= 1
                if a == b:
                    continue
                plain = md_escape(c.text[s:e])
                bold = md_escape(c.text[s:a]) + "**" + md_escape(c.text[a:b]) + "**" + md_escape(c.text[b:e])
                return f"”{plain}”", f"”{bold}”"
    return None


def who_text(meta: dict[str, str]) -> str:
    who = meta.get("author", "")
    if who and meta.get("party"):
        who += f" ({meta['party']})"
    elif not who and meta.get("party"):
        who = f"Parti: {meta['party']}"
    return who


def meta_html(meta: dict[str, str], paragraph: int | None = None) -> str:
    rows = []
    for key, label in META_ROWS:
        value = who_text(meta) if key == "author" else meta.get(key, "")
        if value:
            rows.append(f"<dt>{label}</dt><dd class='kk-m-{key}'>{esc(value)}</dd>")
    if paragraph is not None:
        rows.append(f"<dt>Stycke</dt><dd class='kk-m-paragraph'>{int(paragraph)}</dd>")
    return f"<dl class='kk-meta'>{''.join(rows)}</dl>"


def _button(label: str, action: str, turn: int, n: int, cls: str = "kk-btn") -> str:
    return (f"<button type='button' class='{cls}' data-kk-action='{action}' data-turn='{int(turn)}' "
            f"data-n='{int(n)}'>{label}</button>")


def empty_panel(message: str = EMPTY_PANEL) -> str:
    return f"<div class='kk-panel kk-empty'><p>{esc(message)}</p></div>"


def source_card(c: Citation, turn: int, selected: bool, related: bool = False) -> str:
    cls = "kk-card" + (" kk-selected kk-scroll" if selected else "") + (" kk-related" if related else "")
    return (
        f"<article class='{cls}' id='kk-source-{int(c.n)}' data-kk-action='select' data-turn='{int(turn)}' "
        f"data-n='{int(c.n)}' data-doc='{esc(c.doc_id)}' data-paragraph='{int(c.paragraph)}'>"
        f"<header><span class='kk-num'>{int(c.n)}</span>"
        f"<span class='kk-title'>{esc(c.title)}</span></header>"
        f"{meta_html(c.meta, c.paragraph)}"
        f"<blockquote class='kk-para'>{highlighted(c.text, c.quote_spans, c.answer_spans)}</blockquote>"
        f"<footer>{_button('Öppna dokument', 'open', turn, c.n, 'kk-btn kk-open')}"
        f"<span class='kk-id'>{esc(c.doc_id)} · stycke {int(c.paragraph)}</span></footer>"
        f"</article>")


VIEWS = (("list", "Källor i ordning"), ("person", "Per person"), ("party", "Per parti"))


def sources_html(answer: Answer | None, turn: int, selected: int | None = None, view: str = "list") -> str:
    """The sources panel for answer number ``turn``: every citation, ``selected`` marked and scrolled to.

    ``view`` "person" or "party" shows the same sources grouped (who said what), with a count table
    on top; the toggle is offered when ``worth_grouping`` says the grouping tells something.
    """
    if answer is None:
        return empty_panel()
    parts = [f"<div class='kk-kicker'>Källor till svar {int(turn) + 1}</div>",
             f"<div class='kk-question'>{esc(answer.question)}</div>"]
    grouped = worth_grouping(answer) and view in ("person", "party")
    if answer.citations:
        if answer.coverage:
            parts.append(f"<div class='kk-coverage'>{esc(answer.coverage)}</div>")
        if worth_grouping(answer):
            parts.append(_view_bar(turn, view if grouped else "list"))
        if grouped:
            cards = _grouped_cards(answer, turn, view, selected)
        else:
            cards = [source_card(c, turn, c.n == selected) for c in answer.citations]
            if answer.more:
                cards.append(f"<div class='kk-more-head'>Fler dokument som tar upp samma sak ({len(answer.more)}), "
                             "inte citerade i svaret:</div>")
                cards += [source_card(c, turn, c.n == selected) for c in answer.more]
    elif answer.related:
        parts.append(f"<div class='kk-abstained'><strong>{ABSTAINED}</strong> "
                     "Stycken som ligger närmast frågan, men inte besvarar den:</div>")
        cards = [source_card(c, turn, c.n == selected, related=True) for c in answer.related]
    else:
        parts.append("<div class='kk-abstained'>Inga källor till detta svar.</div>")
        cards = []
    return (f"<div class='kk-panel kk-sources' data-turn='{int(turn)}' data-view='{esc(view if grouped else 'list')}'>"
            f"<div class='kk-panel-head'>{''.join(parts)}</div>{''.join(cards)}</div>")


def _view_bar(turn: int, view: str) -> str:
    buttons = [(f"<button type='button' class='kk-btn kk-view{' kk-on' if key == view else ''}' "
                f"data-kk-action='view-{key}' data-turn='{int(turn)}' data-n='0' "
                f"aria-pressed='{'true' if key == view else 'false'}'>{label}</button>") for key, label in VIEWS]
    return f"<div class='kk-views' role='group' aria-label='Visa källorna'>{''.join(buttons)}</div>"


def _grouped_cards(answer: Answer, turn: int, by: str, selected: int | None) -> list[str]:
    """A count table (who, documents, sources), then each group's source cards under its name."""
    sources = sources_of(answer)
    groups = group_sources(sources, by)
    by_n = {c.n: c for c in sources}
    head = "Person" if by == "person" else "Parti"
    rows = "".join(
        f"<tr><td>{esc(g.name)}</td><td class='kk-count'>{len(g.documents)}</td>"
        f"<td>{' '.join(_cite_button(turn, n) for n in g.numbers)}</td></tr>" for g in groups)
    out = [f"<table class='kk-groups' data-by='{esc(by)}'><thead><tr><th>{head}</th><th>Dokument</th>"
           f"<th>Källor</th></tr></thead><tbody>{rows}</tbody></table>"]
    for g in groups:
        out.append(f"<h4 class='kk-group'>{esc(g.name)} · {_documents(len(g.documents))}</h4>")
        out += [source_card(by_n[n], turn, n == selected) for n in g.numbers if n in by_n]
    return out


def _cite_button(turn: int, n: int) -> str:
    return _button(f"[{int(n)}]", "select", turn, n, "kk-btn kk-cite")


def _documents(k: int) -> str:
    return f"{k} dokument"


def groups_markdown(groups: Sequence[SourceGroup], by: str) -> list[str]:
    """A Markdown table of who said what, for the export."""
    head = "Person" if by == "person" else "Parti"
    lines = [f"| {head} | Dokument | Källor |", "|---|---:|---|"]
    for g in groups:
        name = md_escape(g.name)  # escapes "|" too
        lines.append(f"| {name} | {len(g.documents)} | {' '.join(f'[{n}]' for n in g.numbers)} |")
    return lines


def document_html(doc: Any, paragraphs: Sequence[Any], highlight: int | None,
                  spans: Sequence[Sequence[int]] = (), turn: int = 0, n: int = 0) -> str:
    """A whole document, escaped, with paragraph ``highlight`` marked (its quote in ``<mark>``) and scrolled to.

    ``doc`` has ``doc_id``, ``title`` and ``meta``; each paragraph ``number``, ``text`` and ``kind``.
    """
    total = len(paragraphs)
    out = [f"<div class='kk-panel kk-docview' data-doc='{esc(doc.doc_id)}'>",
           f"<div class='kk-doc-nav'>{_button('← Alla källor', 'back', turn, n, 'kk-btn kk-back')}"
           f"<span class='kk-id'>{esc(doc.doc_id)} · {total} stycken"
           + (f" · stycke {int(highlight)} markerat" if highlight else "") + "</span></div>",
           f"<h3 class='kk-doc-title'>{esc(doc.title)}</h3>",
           meta_html(doc.meta)]
    for p in paragraphs:
        hit = p.number == highlight
        body = highlighted(p.text, spans) if hit else html.escape(p.text)
        kind = getattr(p, "kind", "text")
        cls = "kk-p" + (" kk-hit kk-scroll" if hit else "") + (f" kk-{esc(kind)}" if kind != "text" else "")
        out.append(f"<p class='{cls}' id='kk-doc-p{int(p.number)}' data-paragraph='{int(p.number)}'>"
                   f"<span class='kk-pn' aria-label='stycke'>{int(p.number)}</span>{body}</p>")
    out.append("</div>")
    return "".join(out)


LIBRARY_SHOWN = 200  # rows of the library drawn at once: 15,000 would cost the page seconds to load


def library_matches(documents: Sequence[tuple[str, str, dict[str, str]]], query: str = ""
                    ) -> list[tuple[str, str, dict[str, str]]]:
    """The documents whose title, author, party, body, date or id hold every word of ``query``."""
    terms = str(query or "").lower().split()
    if not terms:
        return list(documents)
    out = []
    for doc_id, title, meta in documents:
        hay = " ".join([doc_id, title or "", *(str(meta.get(k, "")) for k in
                                               ("author", "party", "body", "date", "doc_type", "reference"))]).lower()
        if all(t in hay for t in terms):
            out.append((doc_id, title, meta))
    return out


DOCUMENT_CHOICES = 200  # documents offered in the scope's dropdown at once; the library search narrows them


def document_choices(documents: Sequence[tuple[str, str, dict[str, str]]], query: str = "",
                     selected: Sequence[str] | None = None, limit: int = DOCUMENT_CHOICES) -> list[tuple[str, str]]:
    """(label, doc id) for the scope's document dropdown: the newest ``limit`` matching ``query``,
    and every document already chosen (a choice must stay in the list or the dropdown drops it)."""
    chosen = [str(d) for d in (selected or []) if d]
    rows = library_matches(documents, query)[:limit]
    shown = {doc_id for doc_id, _, _ in rows}
    rows += [r for r in documents if r[0] in chosen and r[0] not in shown]
    return [(_short(title, 90) if title else doc_id, doc_id) for doc_id, title, _ in rows]


def document_label(total: int, limit: int = DOCUMENT_CHOICES) -> str:
    if total <= limit:
        return "Dokument"
    return f"Dokument (de {limit} nyaste av {total}; sök i samlingen ovan för att hitta fler)"


def library_html(documents: Sequence[tuple[str, str, dict[str, str]]], query: str = "") -> str:
    """The list of documents in the collection (doc_id, title, meta): click one to read it in the panel.

    With ``query`` only the matching ones; at most ``LIBRARY_SHOWN`` rows, with a line saying how many
    there are in all, so a 15,000-document collection stays a quick page.
    """
    total = len(documents)
    documents = library_matches(documents, query)
    shown = documents[:LIBRARY_SHOWN]
    if query and not documents:
        note = f"Inget av {total} dokument matchar ”{esc(str(query)[:80])}”."
    elif len(documents) > len(shown):
        note = (f"Visar {len(shown)} av {len(documents)}" + ("" if query else " dokument") +
                (f" träffar bland {total} dokument" if query else "") + " – sök för att hitta fler.")
    else:
        note = f"{len(documents)} av {total} dokument." if query else f"{total} dokument."
    items = []
    for doc_id, title, meta in shown:
        info = " · ".join(v for v in (meta.get("doc_type", ""), who_text(meta), meta.get("body", ""),
                                      meta.get("date", "")) if v)
        items.append(f"<li><button type='button' data-kk-doc='{esc(doc_id)}'>{esc(title or doc_id)}"
                     f"<div class='kk-libmeta'>{esc(info or doc_id)}</div></button></li>")
    return f"<div class='kk-library'><p class='kk-libnote'>{note}</p><ul>{''.join(items)}</ul></div>"


def citation_of(answers: Sequence[Answer], turn: int, n: int) -> Citation | None:
    if not 0 <= turn < len(answers):
        return None
    a = answers[turn]
    return next((c for c in (a.citations + a.more if a.citations else a.related) if c.n == n), None)


# ---------------------------------------------------------------- export, feedback, upload summary

def _md_source(c: Citation) -> list[str]:
    details = [c.meta.get("doc_type", ""), who_text(c.meta), c.meta.get("role", ""), c.meta.get("body", ""),
               c.meta.get("date", "")]
    line = f"**[{c.n}] {md_escape(c.title)}**  \n" + " · ".join(md_escape(d) for d in details if d)
    line += f" · stycke {c.paragraph} (`{c.doc_id}`)" if re.fullmatch(r"[\w.-]+", c.doc_id) else \
        f" · stycke {c.paragraph} ({md_escape(c.doc_id)})"
    if c.quote:
        quote = md_escape(c.quote).replace("\n", " ")
        return [line, "", f"> ”{quote}”", ""]
    return [line, "", "> " + md_escape(_short(c.text, 400)).replace("\n", " "), ""]


def conversation_markdown(answers: Sequence[Answer], when: str = "") -> str:
    """Export: every question and answer with its sources, as Markdown a reader can check."""
    out = ["# Källkoll – samtal", ""]
    if when:
        out += [f"Exporterat {when}. Varje [n] hänvisar till källan med samma nummer under svaret.", ""]
    for i, a in enumerate(answers, start=1):
        out += [f"## {i}. {md_escape(a.question)}", ""]
        if a.notice:
            out += [f"*{md_escape(a.notice)}*", ""]
        if a.mode == "error":
            out += [f"⚠️ {md_escape(a.answer)}", ""]
            continue
        if a.abstained:
            out += [f"**{ABSTAINED}** {md_escape(a.answer)}", ""]
        else:
            text = a.answer.strip()
            if a.coverage and text.endswith(a.coverage):
                text = text[: -len(a.coverage)].rstrip()
            out += [md_escape(text).replace("\n", "  \n"), ""]
            if a.coverage:
                out += [f"*{md_escape(a.coverage)}*", ""]
        cites = a.citations or a.related
        if cites:
            out += ["### Källor" if a.citations else f"### {RELATED_SUMMARY}", ""]
            for c in cites:
                out += _md_source(c)
        if a.more:
            out += [f"### Fler dokument som tar upp samma sak ({len(a.more)})", ""]
            for c in a.more:
                out += _md_source(c)
        if worth_grouping(a):
            for by, title in (("person", "Vem sa vad – per person"), ("party", "Per parti")):
                out += [f"### {title}", "", *groups_markdown(group_sources(sources_of(a), by), by), ""]
    return "\n".join(out).rstrip() + "\n"


def feedback_record(answer: Answer, liked: object, when: str, turn: int) -> dict:
    """One line of the feedback log: the verdict and the whole answer (question, answer, citations)."""
    verdict = "up" if liked is True else "down" if liked is False else str(liked)
    return {"time": when, "feedback": verdict, "liked": liked if isinstance(liked, bool) else None,
            "turn": turn, **answer.to_dict()}


def facet_choices(facets: Any) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Dropdown choices: documents as (title, doc_id), municipalities/bodies, parties."""
    docs = [(_short(title, 90) + ("" if title else doc_id), doc_id) for doc_id, title in facets.documents]
    return docs, list(facets.bodies), list(facets.parties)


def build_report(summary: Any, saved: Sequence[Any], problems: Sequence[str]) -> str:
    """Plain text (shown in a read-only textbox) after an upload: what was added, what was skipped and why."""
    from pathlib import Path

    saved = [str(p) for p in saved]
    lines: list[str] = []
    if summary is not None:
        skipped = [s for s in summary.skipped if any(str(s.path).startswith(p) for p in saved)]
        skipped_paths = {str(s.path) for s in skipped}
        added = [p for p in saved if p not in skipped_paths]
        if added:
            status = {**{d: "ny" for d in summary.new}, **{d: "uppdaterad" for d in summary.changed}}
            lines.append("Tillagt och sökbart nu: " + ", ".join(
                f"{Path(p).name} ({status.get(Path(p).stem, 'oförändrad')})" for p in added))
        lines.extend(f"Hoppade över {Path(str(s.path)).name}: {s.reason}" for s in skipped)
        lines.append(f"Indexet har nu {summary.documents} dokument och {summary.paragraphs} stycken "
                     f"(byggt på {summary.seconds:.1f} s, {summary.embedded_chunks} nya textavsnitt inbäddade).")
    lines.extend(f"Avvisade {p}" for p in problems)
    return "\n".join(lines) or "Inget att lägga till."
