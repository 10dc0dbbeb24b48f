"""Helpers for the app tests: a free port, a stand-in engine, Chromium, and asking through the page.

``FakeEngine`` answers from a fixed table (optionally slowly) so that the app's
own behaviour (escaping in a real browser, the busy message of a full queue)
can be tested in-process in a second, without loading the model.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.types import Document, Paragraph
from rag.types import Answer, Citation
from ui.app_process import AppProcess, start_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

def app_env(**extra: str) -> dict[str, str]:
    """The environment of an app under test: none of the developer's own login, index or LLM settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KALLKOLL_LLM", "KALLKOLL_USER", "KALLKOLL_PASSWORD", "KALLKOLL_INDEX_DIR",
                                "KALLKOLL_UPLOAD_DIR", "KALLKOLL_FEEDBACK_LOG", "KALLKOLL_RERANKER"))}
    env.update(GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1", **extra)
    return env


def start_app_process(index_dir: Path, log: Path, **env: str) -> AppProcess:
    """``python -m ui`` on ``index_dir`` in a child process, its output in ``log``."""
    return start_app(index_dir, log, env=app_env(**env))


#: Everything a hostile document might try on a markdown or HTML renderer.
NASTY = ("<script>window.__xss=1</script> <img src=x onerror=\"window.__xss=2\"> ${window.__xss=3} "
         "{{constructor.constructor('window.__xss=4')()}} *fet* _kursiv_ `kod` [länk](javascript:window.__xss=5) "
         "![bild](x) https://example.com www.example.com a@b.se $x^2$ ~~bort~~ | a | b | &lt;b&gt; &amp; \\[9\\]")


@dataclass
class FakeFacets:
    documents: list[tuple[str, str]]
    bodies: list[str] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, documents: dict[str, Document]) -> None:
        self.documents = documents
        self.manifest: dict = {}


class FakeEngine:
    """The parts of ``rag.engine.Engine`` the app uses, answering every question with ``answer``."""

    def __init__(self, answer: Answer, document: Document, paragraphs: list[Paragraph], delay: float = 0.0):
        self.answer = answer
        self.paragraphs = paragraphs
        self.reader = _Reader({document.doc_id: document})
        self.delay = delay
        self.asked: list[str] = []

    def facets(self) -> FakeFacets:
        return FakeFacets([(d.doc_id, d.title) for d in self.reader.documents.values()], ["Hemby"], ["X"])

    def ask(self, question, history=None, filters=None, k=5) -> Answer:
        self.asked.append(str(question))
        if self.delay:
            time.sleep(self.delay)
        a = copy.deepcopy(self.answer)
        a.question = str(question)
        return a

    def document(self, doc_id):
        doc = self.reader.documents.get(doc_id)
        return (doc, self.paragraphs) if doc else None

    def add_documents(self, paths, progress=None):
        raise NotImplementedError


def nasty_engine(delay: float = 0.0) -> FakeEngine:
    """An engine whose one document, title and metadata are all hostile text, quoted as an answer."""
    text = f"Första meningen om brandstationer. {NASTY} Sista meningen."
    start = text.index(NASTY)
    doc = Document("ond<doc>", f"Titel {NASTY}", text, "/dev/null", "h",
                   {"doc_type": "Motion <b>x</b>", "author": "<img src=x onerror=\"window.__xss=6\">",
                    "party": "S", "body": "Hemby", "date": "2024-01-01"})
    paragraphs = [Paragraph(doc.doc_id, 1, "Rubrik <i>1</i>", 0, 0, "heading"), Paragraph(doc.doc_id, 2, text, 0, 0)]
    cite = Citation(1, doc.doc_id, doc.title, 2, text, NASTY, 0.9, dict(doc.meta), [(start, start + len(NASTY))])
    answer = Answer(question="", answer=f"Motion, Hemby: ”{NASTY}” [1]\n\n1 mening citerad ur 1 dokument.",
                    abstained=False, citations=[cite], coverage="1 mening citerad ur 1 dokument.")
    return FakeEngine(answer, doc, paragraphs, delay=delay)


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


_WATCH = """(n) => {
  window.__kkT = {start: null, shown: null, answered: null};
  document.querySelector('#kk-send').addEventListener('click', () => { window.__kkT.start = performance.now(); },
                                                      {capture: true, once: true});
  const obs = new MutationObserver(() => {
    const t = window.__kkT, bots = document.querySelectorAll('#kk-chat [data-testid="bot"]');
    if (t.start === null || bots.length <= n) return;
    if (t.shown === null) t.shown = performance.now() - t.start;
    const text = bots[bots.length - 1].innerText;  // empty while the bubble is being (re)rendered
    if (text.trim() && !text.includes('Söker i dokumenten')) {
      t.answered = performance.now() - t.start; obs.disconnect();
    }
  });
  obs.observe(document.querySelector('#kk-chat'), {childList: true, subtree: true, characterData: true});
}"""


def ask_in_page(page, question: str, timeout_ms: int = 60_000) -> dict[str, float]:
    """Type ``question``, press "Fråga", wait for its answer; milliseconds measured in the page itself.

    ``shown``: click to the question (and the "searching" placeholder) in the chat;
    ``answered``: click to the answer replacing the placeholder.
    """
    bots_before = page.locator("#kk-chat [data-testid='bot']").count()
    page.locator("#kk-question textarea").fill(question)
    page.evaluate(_WATCH, bots_before)
    page.locator("#kk-send").click()
    page.wait_for_function("window.__kkT.answered !== null", timeout=timeout_ms)
    return page.evaluate("({shown: window.__kkT.shown, answered: window.__kkT.answered})")
