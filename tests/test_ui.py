"""The chat app: pure rendering, the /ask API through gradio_client, and a real browser (Chromium)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, SEED_IDS

CAMERAS = "Hur många trygghetskameror ska Huddinge sätta upp?"
ARTIFACTS = REPO / "test-artifacts"


# ---------------------------------------------------------------- pure rendering

def _citation(text="Kort <script>alert(1)</script> text. <img src=x onerror=alert(2)> Slut.", spans=((0, 4),)):
    from rag.types import Citation

    return Citation(1, "d", "Titel <b>x</b>", 3, text, text[0:4], 0.5,
                    {"author": "A <i>B</i>", "party": "S"}, list(spans))


def test_sources_and_document_html_escape_everything():
    from rag.types import Answer
    from ui.render import document_html, sources_html
    from index.types import Paragraph

    c = _citation()
    html = sources_html(Answer("q", "a [1]", False, [c]), 1)
    assert "<script>" not in html and "<img" not in html and "<b>x</b>" not in html
    assert "&lt;script&gt;" in html and "<mark>Kort</mark>" in html and "kk-selected" in html
    doc = document_html("T<script>", {}, [Paragraph("d", 1, c.text, 0, len(c.text))], 1, [(0, 4)])
    assert "<script>" not in doc and "kk-hit" in doc


def test_answer_markdown_links_markers_and_escapes_quotes():
    from rag.types import Answer
    from ui.render import answer_markdown

    md = answer_markdown(Answer("q", "Källa: ”<img src=x onerror=alert(1)> *fet*” [1]", False, [_citation()]))
    assert "(#kallkoll-cite-1)" in md
    assert "<img" not in md and "\\*fet\\*" in md


def test_abstention_folds_related_paragraphs():
    from rag.types import Answer
    from ui.render import answer_markdown

    md = answer_markdown(Answer("q", "Jag hittar inget svar.", True, related=[_citation()]))
    assert "Inget svar i dokumenten" in md and "<details>" in md and "Möjligen relaterade" in md


def test_upload_names_cannot_escape():
    from ui.app import safe_upload_name

    assert safe_upload_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_upload_name("/abs/path/x y.PDF") == "x_y.pdf"
    assert "/" not in safe_upload_name("..\\..\\evil.md") and not safe_upload_name("..").startswith(".")


# ---------------------------------------------------------------- the running app

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(seed_index, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("ui") / "index"
    shutil.copytree(seed_index, index_dir)
    port = _free_port()
    env = dict(os.environ, KALLKOLL_UPLOAD_DIR=str(index_dir.parent / "uploads"))
    proc = subprocess.Popen([sys.executable, "-m", "ui", "--index-dir", str(index_dir), "--port", str(port)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_api_ask_returns_the_cli_contract(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    r = client.predict(CAMERAS, 5, api_name="/ask")
    assert {"question", "answer", "abstained", "citations", "timings_ms"} <= set(r)
    assert (r["citations"][0]["doc_id"], r["citations"][0]["paragraph"]) == (SEED_IDS[3], 17)
    bad = client.predict("   ", 5, api_name="/ask")
    assert bad["abstained"] and "fråga" in bad["answer"]


@pytest.fixture(scope="module")
def browser():
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def _ask(page, question: str) -> float:
    n_before = page.locator("#kk-chat .message").count()
    page.locator("#kk-question textarea").fill(question)
    started = time.perf_counter()
    page.locator("#kk-send").click()
    page.wait_for_function(f"document.querySelectorAll('#kk-chat .message').length >= {n_before + 2}",
                           timeout=60_000)
    return time.perf_counter() - started


def test_browser_ask_click_citation_open_document(app_url, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector("#kk-question textarea", timeout=60_000)
    seconds = _ask(page, CAMERAS)
    print(f"submit -> answer shown: {seconds * 1000:.0f} ms")
    page.locator("#kk-chat a[href='#kallkoll-cite-1']").first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "1-answer.png"))
    page.locator("#kk-chat a[href='#kallkoll-cite-1']").first.click()
    selected = page.locator("#kk-sources .kk-selected")
    selected.wait_for(timeout=30_000)
    assert "300 kameror" in selected.locator("mark").all_inner_texts()[-1]
    assert "stycke 17" in selected.inner_text()
    page.screenshot(path=str(ARTIFACTS / "2-citation-selected.png"))
    page.locator("#kk-open-doc").click()
    hit = page.locator("#kk-document .kk-hit")
    hit.wait_for(timeout=30_000)
    assert "300 kameror" in hit.inner_text()
    page.screenshot(path=str(ARTIFACTS / "3-document-open.png"))
    page.close()


def test_browser_upload_then_ask_and_no_script_runs(app_url, browser, tmp_path):
    doc = tmp_path / "../hemligt dokument.txt"
    doc = tmp_path / "rapport_brandstationer.txt"
    doc.write_text("Rapport om brandstationer i Tyresö kommun\n\nTyresö kommun ska bygga sju nya "
                   "brandstationer före år 2030 enligt räddningstjänstens plan.\n\n"
                   "<script>window.__xss=1</script> <img src=x onerror=\"window.__xss=2\"> "
                   "Kommunen undersöker också nya sirener för brandstationerna.\n", encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector("#kk-question textarea", timeout=60_000)
    page.get_by_text("Lägg till dokument").click()
    page.locator("input[type=file]").set_input_files(str(doc))
    page.wait_for_timeout(1500)
    page.locator("#kk-upload-btn").click()
    page.wait_for_function("(document.querySelector('#kk-upload-status textarea')||{}).value"
                           "?.includes('Indexerade')", timeout=180_000)
    _ask(page, "Hur många brandstationer ska Tyresö bygga?")
    page.locator("#kk-chat a[href='#kallkoll-cite-1']").first.wait_for(timeout=30_000)
    assert "sju nya brandstationer" in page.locator("#kk-chat").inner_text()
    _ask(page, "Vilka sirener undersöker kommunen för brandstationerna?")
    page.locator("#kk-open-doc").click()
    page.locator("#kk-document .kk-p").first.wait_for(timeout=30_000)
    assert "<script>window.__xss=1</script>" in page.locator("#kk-document").inner_text()
    page.screenshot(path=str(ARTIFACTS / "4-upload-and-xss.png"))
    assert page.evaluate("window.__xss") is None
    page.close()
