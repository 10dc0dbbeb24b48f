"""The Gradio shell: wires the engine to the chat, the sources panel, scope, upload and export.

Thin on purpose: what to show is decided by ``ui.render`` (pure, tested without a
browser); what to answer by ``rag.engine.Engine``. Interface texts are Swedish.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path

import gradio as gr

from rag.engine import Engine
from rag.types import Answer, Filters, Turn

from . import render

MAX_UPLOAD_MB = 20
UPLOAD_TYPES = (".txt", ".md", ".pdf", ".docx")
EXAMPLES = [
    "Hur många trygghetskameror ska Huddinge sätta upp?",
    "Vad gör Stockholm mot segregation?",
    "Vem svarade på interpellationen om Flemingsberg?",
    "What does Huddinge do to prevent youth crime?",
]
BUSY = "Det är många frågor just nu. Vänta en stund och försök igen."

HEAD = """
<script>
document.addEventListener('click', function (ev) {
  const a = ev.target.closest && ev.target.closest('a[href^="#kallkoll-cite-"]');
  if (!a) return;
  ev.preventDefault(); ev.stopPropagation();
  const n = a.getAttribute('href').replace('#kallkoll-cite-', '');
  const box = document.querySelector('#kk-cite-input textarea, #kk-cite-input input');
  if (!box) return;
  box.value = n; box.dispatchEvent(new Event('input', {bubbles: true}));
  setTimeout(function () { document.querySelector('#kk-cite-btn').click(); }, 50);
}, true);
</script>
"""
CSS = """
.kk-hidden {display: none !important;}
.kk-card {border: 1px solid #ddd; border-radius: 8px; padding: 8px 10px; margin-bottom: 8px;}
.kk-selected {border: 2px solid #d97706; background: #fffbeb;}
.kk-num {font-weight: bold; color: #92400e;} .kk-title {font-weight: 600; margin: 2px 0 4px;}
.kk-meta {display: grid; grid-template-columns: max-content 1fr; gap: 0 8px; font-size: 0.85em; margin: 0;}
.kk-meta dt {color: #666;} .kk-meta dd {margin: 0;}
.kk-para {margin-top: 6px; white-space: pre-wrap;} .kk-id {font-size: 0.75em; color: #888;}
mark {background: #fde68a;} .kk-p {white-space: pre-wrap;} .kk-hit {background: #fef3c7; border-left: 4px solid #d97706; padding-left: 6px;}
.kk-pn {color: #999; font-size: 0.75em; margin-right: 6px;} .kk-empty, .kk-note {color: #666;}
#kk-document {max-height: 520px; overflow-y: auto;}
"""


def safe_upload_name(name: str) -> str:
    """A file name that cannot leave the upload folder: base name, safe characters only."""
    base = Path(str(name).replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    stem = re.sub(r"[^A-Za-z0-9åäöÅÄÖ_-]+", "_", stem if dot else base).strip("._") or "dokument"
    return f"{stem[:80]}.{ext.lower()}" if dot else stem[:80]


def build_app(engine: Engine, upload_dir: Path, feedback_log: Path) -> gr.Blocks:
    facets = engine.facets()

    def filters_of(docs, bodies, parties) -> Filters:
        return Filters(doc_ids=tuple(docs or ()), bodies=tuple(bodies or ()), parties=tuple(parties or ()))

    def respond(message, chat, turns, answers, docs, bodies, parties):
        chat = list(chat or [])
        answer = engine.ask(message, history=turns, filters=filters_of(docs, bodies, parties))
        chat += [{"role": "user", "content": render.md_escape(str(message or ""))},
                 {"role": "assistant", "content": render.answer_markdown(answer)}]
        if answer.mode != "error":
            turns = list(turns) + [Turn(answer.resolved_question or str(message), answer)]
        answers = list(answers) + [answer]
        first = answer.citations[0].n if answer.citations else None
        return "", chat, turns, answers, render.sources_html(answer, first), first, ""

    def select_citation(value, answers):
        n = render.citation_number(value)
        answer = answers[-1] if answers else None
        return render.sources_html(answer, n), n

    def select_message(evt: gr.SelectData, answers):
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        answer = answers[index // 2] if answers and index // 2 < len(answers) else None
        return render.sources_html(answer, None)

    def open_document(n, answers):
        answer = answers[-1] if answers else None
        cites = (answer.citations or answer.related) if answer else []
        c = next((c for c in cites if c.n == n), cites[0] if cites else None)
        if c is None:
            return "<div class='kk-empty'>Välj en källa först.</div>"
        found = engine.document(c.doc_id)
        if not found:
            return "<div class='kk-empty'>Dokumentet finns inte längre i indexet.</div>"
        doc, paragraphs = found
        return render.document_html(doc.title, doc.meta, paragraphs, c.paragraph, c.quote_spans)

    def clear():
        return [], [], [], render.sources_html(None), None, ""

    def feedback(data: gr.LikeData, answers):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if not answers or index // 2 >= len(answers):
            return
        a = answers[index // 2]
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "liked": bool(data.liked), **a.to_dict()}
        feedback_log.parent.mkdir(parents=True, exist_ok=True)
        with feedback_log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        gr.Info("Tack! Omdömet sparades.")

    def export(answers):
        if not answers:
            raise gr.Error("Det finns inget samtal att exportera än.")
        path = Path(tempfile.mkdtemp(prefix="kallkoll-export-")) / "kallkoll-samtal.md"
        path.write_text(render.conversation_markdown(answers), encoding="utf-8")
        return str(path)

    def upload(files, progress=gr.Progress()):
        if not files:
            return "Välj en eller flera filer (.txt, .md, .pdf, .docx).", *_facet_updates()
        upload_dir.mkdir(parents=True, exist_ok=True)
        saved, problems = [], []
        for f in files:
            src = Path(getattr(f, "name", f))
            name = safe_upload_name(getattr(f, "orig_name", None) or src.name)
            if not name.lower().endswith(UPLOAD_TYPES):
                problems.append(f"{name}: filtypen stöds inte (bara .txt, .md, .pdf, .docx)")
                continue
            if src.stat().st_size > MAX_UPLOAD_MB * 1024 * 1024:
                problems.append(f"{name}: större än {MAX_UPLOAD_MB} MB")
                continue
            target = (upload_dir / name).resolve()
            if target.parent != upload_dir.resolve():
                problems.append(f"{name}: ogiltigt filnamn")
                continue
            target.write_bytes(src.read_bytes())
            saved.append(target)
        if not saved:
            return "Inget lades till.\n" + "\n".join(problems), *_facet_updates()
        summary = engine.add_documents([upload_dir], progress=lambda x, msg: progress(x, desc=msg))
        lines = [f"Indexerade {summary.documents} dokument ({len(summary.new)} nya, "
                 f"{len(summary.changed)} ändrade) på {summary.seconds:.1f} s."]
        lines += [f"Hoppade över {Path(s.path).name}: {s.reason}" for s in summary.skipped
                  if str(upload_dir) in str(s.path)]
        return "\n".join(lines + problems), *_facet_updates()

    def _facet_updates():
        f = engine.facets()
        return (gr.update(choices=[(t, d) for d, t in f.documents]), gr.update(choices=f.bodies),
                gr.update(choices=f.parties))

    def api_ask(question: str, k: float = 5) -> dict:
        """The CLI's JSON answer for one question (same contract as ``python -m rag ask --json``)."""
        return engine.ask(question, k=int(k or 5)).to_dict()

    with gr.Blocks(title="Källkoll") as app:
        gr.Markdown("## Källkoll\nFråga om dokumenten. Varje påstående i svaret är ett ordagrant citat "
                    "med en källhänvisning [n] som du kan klicka på och kontrollera.")
        turns = gr.State([])
        answers = gr.State([])
        selected = gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Samtal", elem_id="kk-chat", height=520, sanitize_html=True,
                                  feedback_options=("Like", "Dislike"))
                with gr.Row():
                    box = gr.Textbox(placeholder="Skriv en fråga, t.ex. om trygghet i Huddinge …",
                                     show_label=False, scale=5, elem_id="kk-question", max_lines=4)
                    send = gr.Button("Fråga", variant="primary", scale=1, elem_id="kk-send")
                gr.Examples(EXAMPLES, inputs=box, label="Exempel")
                with gr.Row():
                    clear_btn = gr.Button("Rensa samtalet")
                    export_btn = gr.DownloadButton("Exportera som Markdown")
                with gr.Accordion("Avgränsa sökningen", open=False):
                    docs = gr.Dropdown([(t, d) for d, t in facets.documents], multiselect=True, label="Dokument")
                    bodies = gr.Dropdown(facets.bodies, multiselect=True, label="Kommun / organ")
                    parties = gr.Dropdown(facets.parties, multiselect=True, label="Parti")
                with gr.Accordion("Lägg till dokument", open=False):
                    files = gr.File(file_count="multiple", file_types=list(UPLOAD_TYPES), label="Filer")
                    add_btn = gr.Button("Indexera", elem_id="kk-upload-btn")
                    upload_status = gr.Textbox(label="Status", interactive=False, elem_id="kk-upload-status")
            with gr.Column(scale=2):
                gr.Markdown("### Källor")
                sources = gr.HTML(render.sources_html(None), elem_id="kk-sources")
                cite_box = gr.Textbox(elem_id="kk-cite-input", elem_classes="kk-hidden", show_label=False)
                cite_btn = gr.Button("välj källa", elem_id="kk-cite-btn", elem_classes="kk-hidden")
                open_btn = gr.Button("Öppna dokument", elem_id="kk-open-doc")
                document = gr.HTML("", elem_id="kk-document")

        ask_inputs = [box, chat, turns, answers, docs, bodies, parties]
        ask_outputs = [box, chat, turns, answers, sources, selected, document]
        box.submit(respond, ask_inputs, ask_outputs, api_visibility="private")
        send.click(respond, ask_inputs, ask_outputs, api_visibility="private")
        cite_btn.click(select_citation, [cite_box, answers], [sources, selected], api_visibility="private",
                       js=None).then(None, None, None, js="() => {const e = document.querySelector("
                                     "'#kk-sources .kk-selected'); if (e) e.scrollIntoView({block: 'nearest'});}")
        chat.select(select_message, [answers], [sources], api_visibility="private")
        open_btn.click(open_document, [selected, answers], [document], api_visibility="private").then(
            None, None, None, js="() => {setTimeout(() => {const e = document.querySelector('#kk-document .kk-hit');"
                                 " if (e) e.scrollIntoView({block: 'center'});}, 100);}")
        clear_btn.click(clear, None, [chat, turns, answers, sources, selected, document], api_visibility="private")
        chat.like(feedback, [answers], None, api_visibility="private")
        export_btn.click(export, [answers], [export_btn], api_visibility="private")
        add_btn.click(upload, [files], [upload_status, docs, bodies, parties], api_visibility="private")
        gr.api(api_ask, api_name="ask")
    return app


def launch(engine: Engine, host: str, port: int, upload_dir: Path, feedback_log: Path) -> None:
    app = build_app(engine, upload_dir, feedback_log)
    app.queue(default_concurrency_limit=4, max_size=64)
    user, password = os.environ.get("KALLKOLL_USER"), os.environ.get("KALLKOLL_PASSWORD")
    app.launch(server_name=host, server_port=port, auth=(user, password) if user and password else None,
               head=HEAD, css=CSS, show_error=False)
