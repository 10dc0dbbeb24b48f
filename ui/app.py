"""The Gradio shell: wires the engine to the chat, the sources panel, scope, upload, feedback and export.

Thin on purpose: what to show is decided by ``ui.render`` (pure, tested without a
browser), what to answer by ``rag.engine.Engine``. Interface texts are Swedish.

How a question flows: the submit handler puts the question and a "searching"
placeholder into the chat at once, outside the queue; the answer step runs in
the queue (at most ``concurrency`` at a time, shared with the ``/ask`` API) and
replaces the placeholder. When the queue is full the answer step fails and a
third, unqueued step shows a polite "busy" message and gives the question back.

How a citation is checked: ``[n]`` in the chat is a link ``#kk-cite-<turn>-<n>``.
The sources panel is one ``gr.HTML`` whose ``js_on_load`` listens for clicks on
those links (and on the panel's own buttons) and forwards them with
``trigger('click', {action, turn, n})``; one Python handler renders the panel:
the answer's sources with n selected, or the whole document with n's paragraph
highlighted and scrolled into view.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import gradio as gr

from rag.types import Answer, Filters, Turn

from . import examples as example_questions
from . import render, uploads

DEFAULT_CONCURRENCY = 4
DEFAULT_QUEUE_SIZE = 64

# Gradio's own labels follow the browser's language; in an English (or unknown) browser they are
# replaced by Swedish ones, so that the whole interface speaks Swedish. (A Swedish browser gets
# Gradio's own Swedish translation.)
GRADIO_SWEDISH = {
    "upload_text.drop_file": "Släpp filen här", "upload_text.click_to_upload": "Klicka för att ladda upp",
    "common.or": "eller", "common.clear": "Rensa", "common.download": "Ladda ner", "common.remove": "Ta bort",
    "common.loading": "Laddar", "common.error": "Fel", "common.submit": "Skicka",
    "common.settings": "Inställningar",
    "common.empty": "Tom", "common.edit": "Redigera", "common.share": "Dela",
    "errors.use_via_api": "Använd via API",
    "chatbot.like": "Bra svar", "chatbot.dislike": "Dåligt svar", "chatbot.clear": "Rensa samtalet",
    "chatbot.copy_message": "Kopiera", "chatbot.copied_message": "Kopierat", "chatbot.retry": "Försök igen",
    "chatbot.undo": "Ångra", "chatbot.edit": "Redigera", "chatbot.submit": "Skicka", "chatbot.cancel": "Avbryt",
    "status.queue_position": "I kö: {position} av {size}",
    "file.uploading": "Laddar upp …", "dropdown.dropdown": "Lista",
    "login.login": "Logga in", "login.username": "Användarnamn", "login.password": "Lösenord",
    "login.incorrect_credentials": "Fel användarnamn eller lösenord",
}

# The panel's script: runs once when the panel mounts. `element` is the panel,
# `trigger` sends an event with data to the Python handler of panel.click.
PANEL_JS = r"""
const panel = element;
function send(data) { trigger('click', data); }
window.__kkSend = send;
panel.addEventListener('click', function (ev) {
  const el = ev.target.closest('[data-kk-action]');
  if (!el || !panel.contains(el)) return;
  if (el.dataset.kkAction === 'select' && window.getSelection && String(window.getSelection()).length) return;
  ev.preventDefault(); ev.stopPropagation();
  send({action: el.dataset.kkAction, turn: Number(el.dataset.turn), n: Number(el.dataset.n)});
});
if (!window.__kkCiteListener) {
  window.__kkCiteListener = true;
  document.addEventListener('click', function (ev) {
    const a = ev.target.closest && ev.target.closest('a[href^="#kk-cite-"]');
    if (!a) return;
    ev.preventDefault(); ev.stopPropagation();
    const m = (a.getAttribute('href') || '').match(/^#kk-cite-(\d+)-(\d+)$/);
    if (m && window.__kkSend) window.__kkSend({action: 'cite', turn: Number(m[1]), n: Number(m[2])});
  }, true);
}
function scrollToTarget() {
  const t = panel.querySelector('.kk-scroll');
  if (!t || t.dataset.kkScrolled) return;
  t.dataset.kkScrolled = '1';
  let box = panel;
  while (box && box !== document.body && !(box.scrollHeight > box.clientHeight + 4 &&
         /(auto|scroll)/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
  if (box && box !== document.body) {
    const top = t.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
    const centre = t.classList.contains('kk-hit');
    box.scrollTo({top: Math.max(0, top - (centre ? box.clientHeight / 3 : 8)), behavior: 'instant'});
  }
  const r = t.getBoundingClientRect();
  if (r.top < 0 || r.top > window.innerHeight - 40) t.scrollIntoView({block: 'center', behavior: 'instant'});
}
new MutationObserver(function () { requestAnimationFrame(scrollToTarget); })
  .observe(panel, {childList: true, subtree: true});
"""

LIBRARY_JS = r"""
element.addEventListener('click', function (ev) {
  const el = ev.target.closest('[data-kk-doc]');
  if (!el || !element.contains(el)) return;
  ev.preventDefault();
  trigger('click', {doc: el.dataset.kkDoc});
});
"""

# Page script: Gradio's own "queue full" toast is English; say it in Swedish.
HEAD = """
<script>
(function () {
  const EN = 'This application is currently busy';
  const SV = %s;
  function retitle(node) {  // the toast's title says "Error": it is not one
    for (let box = node.parentElement, i = 0; box && i < 5; box = box.parentElement, i++) {
      const t = [...box.querySelectorAll('*')]
        .find(e => !e.children.length && /^(Error|Fel)$/.test(e.textContent.trim()));
      if (t) { t.textContent = 'Upptaget'; return; }
    }
  }
  function fixText(node) {
    if (node.nodeValue && node.nodeValue.indexOf(EN) !== -1) { node.nodeValue = SV; retitle(node); }
  }
  function fix(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) fixText(node);
  }
  function start() {
    new MutationObserver(function (ms) {
      for (const m of ms) for (const n of m.addedNodes) {
        if (n.nodeType === 1) fix(n); else if (n.nodeType === 3) fixText(n);
      }
    }).observe(document.body, {childList: true, subtree: true});
  }
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();
</script>
""" % json.dumps(render.BUSY)

CSS = """
.gradio-container {max-width: 1600px !important;}
#kk-header h1 {margin: 0; font-size: 1.5em;}
#kk-header p {margin: 2px 0 0; color: var(--body-text-color-subdued);}
#kk-chat a[href^="#kk-cite-"] {display: inline-block; min-width: 1.6em; padding: 0 .3em; margin: 0 1px;
  border-radius: 6px; background: #e0e7ff; color: #3730a3; font-weight: 600; font-size: .85em;
  text-decoration: none; text-align: center; cursor: pointer;}
#kk-chat a[href^="#kk-cite-"]:hover {background: #c7d2fe;}
#kk-chat details {margin-top: .5em;} #kk-chat summary {cursor: pointer; color: var(--body-text-color-subdued);}
#kk-examples {flex-wrap: wrap; gap: 6px;}
#kk-examples button {flex: 0 1 auto !important; min-width: 0 !important; width: auto !important;
  font-weight: normal; border-radius: 999px;}
#kk-panel {max-height: calc(100vh - 40px); overflow-y: auto !important; position: sticky; top: 12px;
  padding-right: 6px;}
.kk-panel {font-size: .95em; line-height: 1.45;}
.kk-empty {color: var(--body-text-color-subdued); padding: 1em; border: 1px dashed var(--border-color-primary);
  border-radius: 10px;}
.kk-panel-head {margin-bottom: .6em;}
.kk-kicker {text-transform: uppercase; letter-spacing: .05em; font-size: .75em;
  color: var(--body-text-color-subdued);}
.kk-question {font-weight: 600;} .kk-coverage {font-size: .85em; color: var(--body-text-color-subdued);}
.kk-abstained {margin-top: .3em; padding: .4em .6em; background: #fef3c7; border-radius: 6px;}
.kk-card {border: 1px solid var(--border-color-primary); border-radius: 10px; padding: .6em .8em;
  margin-bottom: .6em; cursor: pointer; background: var(--background-fill-primary);}
.kk-card:hover {border-color: #a5b4fc;}
.kk-card.kk-selected {border: 2px solid #4f46e5; box-shadow: 0 0 0 3px #e0e7ff;}
.kk-card.kk-related {border-style: dashed;}
.kk-card header {display: flex; gap: .5em; align-items: baseline;}
.kk-num {flex: none; background: #4f46e5; color: white; border-radius: 6px; padding: 0 .45em; font-weight: 700;
  font-size: .85em;}
.kk-title {font-weight: 600;}
.kk-meta {display: grid; grid-template-columns: max-content 1fr; gap: 0 .8em; font-size: .82em; margin: .4em 0;}
.kk-meta dt {color: var(--body-text-color-subdued); margin: 0;} .kk-meta dd {margin: 0;}
.kk-para {margin: .3em 0; padding: .4em .6em; border-left: 3px solid #c7d2fe;
  background: var(--background-fill-secondary); white-space: pre-wrap; font-style: normal;}
mark.kk-quote {background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px;}
strong.kk-answer {font-weight: 700; background: #fcd34d; border-radius: 2px;}
.kk-doc-nav {position: sticky; top: 0; z-index: 2; background: var(--background-fill-primary);
  padding: .3em 0; border-bottom: 1px solid var(--border-color-primary);}
.kk-card footer, .kk-doc-nav {display: flex; gap: .8em; align-items: center; justify-content: space-between;}
.kk-id {font-size: .75em; color: var(--body-text-color-subdued);}
.kk-btn {border: 1px solid #c7d2fe; background: #eef2ff; color: #3730a3; border-radius: 6px; padding: .15em .7em;
  cursor: pointer; font-size: .85em;}
.kk-btn:hover {background: #e0e7ff;}
.kk-views {display: flex; gap: .35em; margin: .4em 0 .2em;} .kk-view.kk-on {background: #3730a3; color: #fff;}
.kk-groups {width: 100%; border-collapse: collapse; font-size: .9em; margin: .4em 0 .8em;}
.kk-groups th, .kk-groups td {text-align: left; padding: .2em .4em; border-bottom: 1px solid #e5e7eb;}
.kk-groups .kk-count {text-align: right;} .kk-group {margin: .8em 0 .3em; font-size: .95em;}
.kk-more-head {margin: .8em 0 .3em; font-weight: 600; font-size: .9em;}
.kk-doc-title {margin: .5em 0 .2em; font-size: 1.15em; font-weight: 700;}
.kk-p {white-space: pre-wrap; margin: .35em 0; padding: .2em .4em; border-radius: 6px;}
.kk-p.kk-heading {font-weight: 600;}
.kk-p.kk-hit {background: #eef2ff; outline: 2px solid #4f46e5;}
.kk-pn {display: inline-block; min-width: 2.2em; color: var(--body-text-color-subdued); font-size: .75em;}
#kk-library {max-height: 280px; overflow: hidden; flex: none;}
#kk-library .kk-library {max-height: 270px; overflow-y: auto; overscroll-behavior: contain;}
#kk-library ul {list-style: none; padding: 0; margin: 0;}
#kk-library li {margin: 0 0 .25em;}
#kk-library button {all: unset; cursor: pointer; font-size: .85em; display: block; line-height: 1.3;}
#kk-library button:hover {text-decoration: underline;}
#kk-library .kk-libmeta {color: var(--body-text-color-subdued); font-size: .75em;}
#kk-library .kk-libnote {color: var(--body-text-color-subdued); font-size: .75em; margin: 0 0 .4em;}
"""


def library_rows(engine: Any) -> list[tuple[str, str, dict[str, str]]]:
    """(doc id, title, metadata) of every document, newest first."""
    documents = getattr(engine.reader, "documents", {})
    rows = [(doc_id, title, getattr(documents.get(doc_id), "meta", {}) or {})
            for doc_id, title in engine.facets().documents]
    rows.sort(key=lambda r: str(r[2].get("date", "")), reverse=True)  # stable: by title within a date
    return rows


def library_html(engine: Any, query: str = "") -> str:
    """The library, newest first, narrowed to ``query`` (render.library_html)."""
    return render.library_html(library_rows(engine), query)


def document_choices(engine: Any, query: str = "", selected: Any = None) -> Any:
    """The scope's document dropdown narrowed with the library search (render.document_choices)."""
    rows = library_rows(engine)
    return gr.update(choices=render.document_choices(rows, query, selected), label=render.document_label(len(rows)))


class ChatApp:
    """Per-process state of the app: the engine, where uploads, exports and feedback go."""

    def __init__(self, engine: Any, upload_dir: Path, feedback_log: Path) -> None:
        self.engine = engine
        self.upload_dir = Path(upload_dir)
        self.feedback_log = Path(feedback_log)
        self.export_root = Path(tempfile.mkdtemp(prefix="kallkoll-export-"))
        atexit.register(shutil.rmtree, self.export_root, True)
        self._feedback_lock = threading.Lock()
        self._titles: dict[str, str] = {}

    # ---------------------------------------------------------------- asking

    def titles(self) -> dict[str, str]:
        if not self._titles:
            self._titles = dict(self.engine.facets().documents)
        return self._titles

    def ask(self, question: object, turns: list[Turn], filters: Filters, k: int = 5) -> Answer:
        try:
            return self.engine.ask(question, history=turns, filters=filters, k=k)
        except Exception as exc:  # the engine does not raise on input; anything else must not kill the chat
            return Answer(question=str(question)[:200], abstained=True, mode="error",
                          answer=f"Något gick fel när frågan söktes ({type(exc).__name__}). Försök igen.")

    def export_file(self, answers: list[Answer], session: str) -> str | None:
        if not answers:
            return None
        folder = self.export_root / hashlib.sha256(session.encode()).hexdigest()[:20]  # the client names it
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "kallkoll-samtal.md"
        path.write_text(render.conversation_markdown(answers, time.strftime("%Y-%m-%d %H:%M")), encoding="utf-8")
        return str(path)

    def record_feedback(self, answer: Answer, liked: object, turn: int) -> None:
        record = render.feedback_record(answer, liked, time.strftime("%Y-%m-%dT%H:%M:%S%z"), turn)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._feedback_lock:
            self.feedback_log.parent.mkdir(parents=True, exist_ok=True)
            with self.feedback_log.open("a", encoding="utf-8") as f:
                f.write(line)

    # ---------------------------------------------------------------- panel

    def panel(self, answers: list[Answer], action: str, turn: int, n: int) -> str:
        if not 0 <= turn < len(answers):
            return render.empty_panel()
        if action == "open":
            c = render.citation_of(answers, turn, n)
            found = self.engine.document(c.doc_id) if c else None
            if not found:
                return render.empty_panel("Dokumentet finns inte längre i samlingen.")
            doc, paragraphs = found
            return render.document_html(doc, paragraphs, c.paragraph, c.quote_spans, turn, n)
        if action.startswith("view-"):  # the sources grouped by person or party, or back in order
            return render.sources_html(answers[turn], turn, None, view=action[len("view-"):])
        selected = n if action in ("cite", "select", "back") else None
        return render.sources_html(answers[turn], turn, selected)

    def document_panel(self, doc_id: str) -> str:
        found = self.engine.document(doc_id)
        if not found:
            return render.empty_panel("Dokumentet finns inte längre i samlingen.")
        doc, paragraphs = found
        return render.document_html(doc, paragraphs, None, (), -1, 0)

    # ---------------------------------------------------------------- uploads

    def add_files(self, files: list[str], progress: Any) -> str:
        """Save uploads, index them beside what is there, and say what happened (Swedish, plain text)."""
        result = uploads.save_uploads(files, self.upload_dir)
        if not result.saved:
            return render.build_report(None, [], result.problems)
        # a file uploaded again under the same name is already a source: rebuilding picks up its new text,
        # and naming it twice would make the build skip it as a duplicate of itself
        known = set(self.engine.reader.manifest.get("sources", []))
        fresh = [p for p in result.saved if str(p) not in known]
        problems = list(result.problems)
        summary = None
        try:
            summary = self.engine.add_documents(fresh, progress=lambda f, msg: progress(f, desc=msg))
        except Exception as exc:  # the old index keeps serving; say why nothing was added
            problems.append(f"indexeringen misslyckades ({type(exc).__name__}: {exc})")
        indexed = {d.path for d in self.engine.reader.documents.values()}
        uploads.discard([p for p in result.saved if str(p) not in indexed], self.upload_dir)
        self._titles = {}
        return render.build_report(summary, result.saved if summary else [], problems)


def _text(message: dict) -> str:
    """The text of a chat message as Gradio hands it back: a string or a list of {"type": "text", ...}."""
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(c.get("text", "")) if isinstance(c, dict) else str(c) for c in content)
    return str(content or "")


def build_app(engine: Any, upload_dir: Path, feedback_log: Path,
              concurrency: int = DEFAULT_CONCURRENCY) -> gr.Blocks:
    """The Blocks app; serve it with ``serve`` (queue, auth, page script and CSS)."""
    state = ChatApp(engine, upload_dir, feedback_log)
    facets = engine.facets()
    _, body_choices, party_choices = render.facet_choices(facets)
    rows = library_rows(engine)
    doc_choices = render.document_choices(rows)  # the newest: 15,000 choices would cost the page seconds
    examples = example_questions.for_engine(engine)  # questions this index answers (ui/examples.py)

    def filters_of(docs, bodies, parties, authors, date_from, date_to) -> Filters:
        return render.scope_filters(docs, bodies, parties, authors, date_from, date_to)

    def locked(flag: bool) -> list:
        return [gr.update(interactive=not flag)] * (2 + len(examples))

    # ---- the two steps of a question
    def start(message, chat):
        message = str(message or "")
        if not message.strip():
            return [gr.skip()] * (3 + len(examples)) + [""]
        chat = list(chat or []) + [{"role": "user", "content": render.user_markdown(message)},
                                   {"role": "assistant", "content": render.SEARCHING}]
        return [gr.update(value="", interactive=False)] + locked(True)[1:] + [chat, message]

    def finish(pending, chat, turns, answers, docs, bodies, parties, authors, date_from, date_to,
               request: gr.Request):
        if not pending:
            return [gr.skip()] * (8 + len(examples))
        try:
            filters = filters_of(docs, bodies, parties, authors, date_from, date_to)
            answer = state.ask(pending, list(turns or []), filters)
        except render.BadScope as exc:  # a date typed wrong: say so, search nothing
            filters = None
            answer = Answer(question=str(pending)[:200], answer=str(exc), abstained=True, mode="error")
        answers = list(answers or []) + [answer]
        turn = len(answers) - 1
        chat = list(chat or [])
        bubble = {"role": "assistant",
                  "content": render.answer_markdown(answer, turn, render.scope_text(filters, state.titles()))}
        if chat and chat[-1].get("role") == "assistant":
            chat[-1] = bubble
        else:
            chat.append(bubble)
        if answer.mode != "error":
            turns = list(turns or []) + [Turn(answer.resolved_question or str(pending), answer)]
        export = state.export_file(answers, getattr(request, "session_hash", "") or "")
        return (locked(False) + [chat, turns, answers, render.sources_html(answer, turn),
                                 gr.update(value=export, interactive=bool(export)), ""])

    def busy(pending, chat, answers):
        chat = list(chat or [])
        if pending and chat and chat[-1].get("role") == "assistant" and "Söker i dokumenten" in _text(chat[-1]):
            chat[-1] = {"role": "assistant", "content": "⚠️ " + render.md_escape(render.BUSY)}
            answers = list(answers or []) + [Answer(question=str(pending), answer=render.BUSY, abstained=True,
                                                    mode="error")]
        return ([gr.update(value=pending or "", interactive=True)] + locked(False)[1:] + [chat, answers, ""])

    # ---- panel, chat selection, feedback, clear
    def on_panel(answers, evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        try:
            turn, n = int(data.get("turn", -1)), int(data.get("n", 0))
        except (TypeError, ValueError):
            return gr.skip()
        return state.panel(list(answers or []), str(data.get("action", "select")), turn, n)

    def on_library(evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        return state.document_panel(str(data.get("doc", ""))) if data.get("doc") else gr.skip()

    def on_select(answers, evt: gr.SelectData):
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        turn = int(index) // 2
        answers = list(answers or [])
        return render.sources_html(answers[turn], turn) if 0 <= turn < len(answers) else gr.skip()

    def on_like(answers, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = int(index) // 2
        answers = list(answers or [])
        if not 0 <= turn < len(answers) or answers[turn].mode == "error":
            return
        state.record_feedback(answers[turn], data.liked, turn)
        gr.Info("Tack! Ditt omdöme sparades.")

    def clear():
        return [], [], [], render.empty_panel(), gr.update(value=None, interactive=False), ""

    # ---- upload
    def on_upload(files, progress=gr.Progress()):
        paths = [getattr(f, "name", f) for f in (files or [])]
        report = state.add_files([str(p) for p in paths], progress) if paths else "Välj en fil först."
        facets = engine.facets()
        _, bodies_c, parties_c = render.facet_choices(facets)
        return (report, document_choices(engine), gr.update(choices=bodies_c), gr.update(choices=parties_c),
                gr.update(choices=list(facets.authors)), None, library_html(engine))

    def api_ask(question: str, k: int = 5) -> dict:
        """Answer one question over the documents; returns the same JSON as `python -m rag ask --json`."""
        try:
            k = int(k) if k is not None else 5
        except (TypeError, ValueError):
            k = 5
        return state.ask(question, [], Filters(), k).to_dict()

    with gr.Blocks(title="Källkoll – fråga dokumenten", analytics_enabled=False,
                   delete_cache=(3600, 24 * 3600)) as app:
        pending = gr.State("")
        turns = gr.State([])
        answers = gr.State([])
        with gr.Sidebar(label="Samlingen", open=True, width=340):
            gr.Markdown("### Dokument i samlingen")
            library_query = gr.Textbox(placeholder="Sök titel, person, parti, datum …", show_label=False,
                                       label="Sök i samlingen", max_lines=1, elem_id="kk-library-search")
            library = gr.HTML(library_html(engine), elem_id="kk-library", js_on_load=LIBRARY_JS)
            with gr.Accordion("Avgränsa sökningen", open=False):
                docs = gr.Dropdown(doc_choices, multiselect=True, label=render.document_label(len(rows)),
                                   filterable=True, elem_id="kk-scope-docs")
                bodies = gr.Dropdown(body_choices, multiselect=True, label="Kommun / organ",
                                     elem_id="kk-scope-bodies")
                parties = gr.Dropdown(party_choices, multiselect=True, label="Parti", elem_id="kk-scope-parties")
                authors = gr.Dropdown(list(facets.authors), multiselect=True, filterable=True,
                                      label="Person (skriv för att söka)", elem_id="kk-scope-authors")
                with gr.Row():
                    date_from = gr.Textbox(label="Från datum", placeholder="ÅÅÅÅ-MM-DD", max_lines=1,
                                           elem_id="kk-scope-from", min_width=120)
                    date_to = gr.Textbox(label="Till datum", placeholder="ÅÅÅÅ-MM-DD", max_lines=1,
                                         elem_id="kk-scope-to", min_width=120)
            with gr.Accordion("Lägg till dokument", open=False, elem_id="kk-upload-accordion"):
                files = gr.File(file_count="multiple", file_types=list(uploads.ALLOWED_SUFFIXES), type="filepath",
                                label=f".txt, .md, .pdf eller .docx, högst {uploads.MAX_UPLOAD_MB} MB",
                                elem_id="kk-upload")
                upload_status = gr.Textbox(label="Resultat", interactive=False, lines=3, elem_id="kk-upload-status")
            export_btn = gr.DownloadButton("Exportera samtalet (Markdown)", value=None, interactive=False,
                                           elem_id="kk-export", size="md")

        with gr.Row(elem_id="kk-header"):
            gr.HTML("<h1>Källkoll</h1><p>Fråga om dokumenten. Svaret består av ordagranna citat – "
                    "klicka på [1], [2] … för att se stycket de kommer ifrån.</p>", js_on_load=None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=420):
                chat = gr.Chatbot(label="Samtal", elem_id="kk-chat", height="calc(100vh - 330px)", min_height=380,
                                  sanitize_html=True, render_markdown=True, latex_delimiters=[],
                                  allow_tags=False, feedback_options=("Like", "Dislike"), buttons=["copy_all"],
                                  placeholder="**Ställ en fråga om dokumenten** – eller välj ett exempel nedan.",
                                  layout="panel")
                with gr.Row(equal_height=True):
                    box = gr.Textbox(placeholder="Skriv din fråga …", label="Fråga", show_label=False, scale=6,
                                     max_lines=4, elem_id="kk-question", autofocus=True)
                    send = gr.Button("Fråga", variant="primary", scale=1, min_width=90, elem_id="kk-send")
                    clear_btn = gr.Button("Rensa", scale=1, min_width=80, elem_id="kk-clear")
                with gr.Row(elem_id="kk-examples"):
                    example_btns = [gr.Button(q, size="sm", variant="secondary", elem_classes="kk-example")
                                    for q in examples]
            with gr.Column(scale=4, min_width=360):
                panel = gr.HTML(render.empty_panel(), elem_id="kk-panel", js_on_load=PANEL_JS,
                                apply_default_css=False)

        inputs_lock = [box, send, *example_btns]
        finish_inputs = [pending, chat, turns, answers, docs, bodies, parties, authors, date_from, date_to]
        finish_outputs = [*inputs_lock, chat, turns, answers, panel, export_btn, pending]

        def wire(event):
            step = event.then(finish, finish_inputs, finish_outputs, api_visibility="private",
                              concurrency_limit=concurrency, concurrency_id="engine", show_progress="hidden")
            step.failure(busy, [pending, chat, answers], [*inputs_lock, chat, answers, pending], queue=False,
                         api_visibility="private")

        wire(box.submit(start, [box, chat], [*inputs_lock, chat, pending], queue=False, api_visibility="private"))
        wire(send.click(start, [box, chat], [*inputs_lock, chat, pending], queue=False, api_visibility="private"))
        for btn, question in zip(example_btns, examples):
            wire(btn.click(lambda c, q=question: start(q, c), [chat], [*inputs_lock, chat, pending], queue=False,
                           api_visibility="private"))

        panel.click(on_panel, [answers], [panel], queue=False, api_visibility="private", show_progress="hidden")
        library.click(on_library, None, [panel], queue=False, api_visibility="private", show_progress="hidden")
        chat.select(on_select, [answers], [panel], queue=False, api_visibility="private", show_progress="hidden")
        chat.like(on_like, [answers], None, queue=False, api_visibility="private")
        clear_outputs = [chat, turns, answers, panel, export_btn, pending]
        clear_btn.click(clear, None, clear_outputs, queue=False, api_visibility="private")
        chat.clear(clear, None, clear_outputs, queue=False, api_visibility="private")
        library_query.change(lambda q, chosen: (library_html(engine, q), document_choices(engine, q, chosen)),
                             [library_query, docs], [library, docs], queue=False,
                             api_visibility="private", show_progress="hidden")
        files.upload(on_upload, [files], [upload_status, docs, bodies, parties, authors, files, library],
                     concurrency_limit=1, concurrency_id="build", api_visibility="private")
        gr.api(api_ask, api_name="ask", concurrency_limit=concurrency, concurrency_id="engine")
    return app


def serve(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None,
          concurrency: int = DEFAULT_CONCURRENCY, queue_size: int = DEFAULT_QUEUE_SIZE,
          block: bool = True, quiet: bool = False):
    """Queue and launch: page script, CSS, optional login, upload size limit."""
    app.queue(default_concurrency_limit=concurrency, max_size=queue_size)
    return app.launch(server_name=host, server_port=port, auth=auth,
                      auth_message="Logga in för att använda Källkoll." if auth else None,
                      head=HEAD, css=CSS, theme=gr.themes.Default(primary_hue="indigo", neutral_hue="slate"),
                      show_error=False, max_file_size=f"{uploads.MAX_UPLOAD_MB}mb", ssr_mode=False, quiet=quiet,
                      prevent_thread_lock=not block, footer_links=["api"], i18n=gr.I18n(en=GRADIO_SWEDISH))
