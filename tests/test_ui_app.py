"""The running app: ``python -m ui`` in a subprocess, the ``/ask`` API through gradio_client, and Chromium.

One app process serves the module (a copy of the session's seed index, ~10 s to
start); the browser tests run in file order on it (the upload tests come last,
since they add documents). Two further tests run the app on a stand-in engine
in-process (hostile text rendered literally, a full queue). What the app says
and does at startup is tests/test_ui_startup.py.

Screenshots go to ``test-artifacts/`` (gitignored); the time from pressing
"Fråga" to the answer on screen (measured in the page) is printed and written
to ``test-artifacts/ui-timings.txt``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import REPO, SEED_IDS
from ui.app_process import AppDidNotStart, free_port
from ui_helpers import CHROMIUM, NASTY, ask_in_page, launch_browser, nasty_engine, start_app_process

pytestmark = [pytest.mark.model, pytest.mark.slow]

CAMERAS = "Hur många trygghetskameror ska Huddinge sätta upp?"
ARTIFACTS = REPO / "test-artifacts"
CONTRACT = {"question", "answer", "abstained", "citations", "related", "coverage", "notice", "resolved_question",
            "mode", "flagged", "timings_ms", "plan", "more"}
TIMINGS: list[str] = []


def _record_time(what: str, ms: float) -> None:
    line = f"{what}: {ms:.0f} ms"
    print(f"\n[ui timing] {line}")
    TIMINGS.append(line)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "ui-timings.txt").write_text("\n".join(TIMINGS) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def server(seed_index, tmp_path_factory):
    root = tmp_path_factory.mktemp("ui-app")
    index_dir = root / "index"
    shutil.copytree(seed_index, index_dir)
    app = start_app_process(index_dir, root / "app.log")
    try:
        app.wait_ready(180, http=False)
    except AppDidNotStart as exc:
        app.stop()
        pytest.fail(f"the app did not start: {exc}")
    yield SimpleNamespace(url=app.url, root=root, index_dir=index_dir, log=root / "app.log")
    app.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(server.url)
    page.wait_for_selector("#kk-question textarea", timeout=60_000)
    yield page
    page.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def _last_bot(page):
    return page.locator("#kk-chat [data-testid='bot']").last


# ---------------------------------------------------------------- the /ask API

def test_api_ask_returns_the_answer_contract(server):
    from gradio_client import Client

    client = Client(server.url, verbose=False)
    r = client.predict(CAMERAS, api_name="/ask")
    assert set(r) == CONTRACT
    assert not r["abstained"] and r["mode"] == "extractive"
    first = r["citations"][0]
    assert (first["doc_id"], first["paragraph"]) == (SEED_IDS[3], 17) and "300 kameror" in first["quote"]
    s, e = first["quote_spans"][-1]
    assert "300 kameror" in first["text"][s:e]
    assert len(client.predict(CAMERAS, 1, api_name="/ask")["citations"]) == 1


@pytest.mark.parametrize("question, expected", [
    ("   ", "Skriv en fråga"), ("?!?", "inga ord"), ("", "Skriv en fråga"),
])
def test_api_bad_question_gives_a_message_not_an_error(server, question, expected):
    from gradio_client import Client

    r = Client(server.url, verbose=False).predict(question, api_name="/ask")
    assert set(r) == CONTRACT and r["mode"] == "error" and r["abstained"] and expected in r["answer"]


def test_api_lists_ask_and_hides_the_chat_internals(server):
    from gradio_client import Client

    info = Client(server.url, verbose=False).view_api(return_format="dict", print_info=False)
    assert list(info["named_endpoints"]) == ["/ask"]
    params = [p["parameter_name"] for p in info["named_endpoints"]["/ask"]["parameters"]]
    assert params == ["question", "k"]


# ---------------------------------------------------------------- the chat in a real browser

def test_browser_ask_click_citation_and_open_document(page, server):
    ms = ask_in_page(page, CAMERAS)
    _record_time("click -> question and placeholder shown (first question)", ms["shown"])
    _record_time("click -> answer shown (first question)", ms["answered"])
    assert "300 kameror" in _last_bot(page).inner_text()
    _shot(page, "ui-1-answer.png")

    page.locator("#kk-chat a[href='#kk-cite-0-1']").first.click()
    card = page.locator("#kk-panel article.kk-selected")
    card.wait_for(timeout=10_000)
    assert card.get_attribute("data-doc") == SEED_IDS[3] and card.get_attribute("data-paragraph") == "17"
    marks = card.locator("mark.kk-quote").all_inner_texts()
    assert any("300 kameror" in m for m in marks)
    text = card.inner_text()
    for value in ("Svar på interpellation", "Daniel Dronjak (M)", "Kommunstyrelsens ordförande", "Huddinge",
                  "Stycke", "17"):
        assert value in text, value
    _shot(page, "ui-2-citation-selected.png")

    card.locator("button.kk-open").click()
    hit = page.locator("#kk-panel p.kk-hit")
    hit.wait_for(timeout=10_000)
    assert hit.get_attribute("data-paragraph") == "17"
    assert "300 kameror" in " ".join(hit.locator("mark").all_inner_texts())
    assert page.locator("#kk-panel p.kk-p").count() > 17  # the whole document, not just the paragraph
    page.wait_for_function("""() => {
        const h = document.querySelector('#kk-panel p.kk-hit').getBoundingClientRect();
        const p = document.querySelector('#kk-panel').getBoundingClientRect();
        return h.top >= p.top && h.bottom <= p.bottom + 1 && h.bottom <= innerHeight; }""", timeout=5_000)  # in view
    _shot(page, "ui-3-document-open.png")
    page.locator("#kk-panel button.kk-back").click()
    page.locator("#kk-panel article.kk-selected").wait_for(timeout=10_000)

    ms = ask_in_page(page, "Vad gör Stockholm mot segregation?")
    _record_time("click -> answer shown (second question)", ms["answered"])
    page.locator("#kk-chat a[href='#kk-cite-1-1']").first.click()  # [1] of the second answer
    assert page.locator("#kk-panel article.kk-selected").get_attribute("data-doc") == SEED_IDS[2]
    page.locator("#kk-chat a[href='#kk-cite-0-1']").first.click()  # [1] of the first answer still opens its source
    page.wait_for_function("document.querySelector('#kk-panel article.kk-selected')?.dataset.doc === "
                           f"'{SEED_IDS[3]}'", timeout=10_000)


def test_browser_follow_up_uses_the_conversation(page):
    ask_in_page(page, CAMERAS)
    ask_in_page(page, "Vem skrev det?")
    assert "Dronjak" in _last_bot(page).inner_text()


def test_browser_example_abstention_clear_and_feedback(page, server):
    page.get_by_role("button", name="Vem svarade på interpellationen om Flemingsberg?").click()
    page.locator("#kk-chat a[href='#kk-cite-0-1']").first.wait_for(timeout=60_000)
    assert "Flemingsberg" in _last_bot(page).inner_text()

    ask_in_page(page, "Hur många elefanter bor på månen enligt kommunen?")
    bot = _last_bot(page)
    assert "Inget svar i dokumenten" in bot.inner_text()
    assert bot.locator("details").count() == 1 and not bot.locator("details").first.evaluate("d => d.open")
    assert page.locator("#kk-panel .kk-abstained").count() == 1
    bot.locator("summary").click()
    bot.locator("a[href='#kk-cite-1-1']").click()
    page.locator("#kk-panel article.kk-selected.kk-related").wait_for(timeout=10_000)
    _shot(page, "ui-4-abstention.png")

    log = server.root / "feedback.jsonl"
    before = log.read_text(encoding="utf-8").count("\n") if log.exists() else 0
    page.locator("#kk-chat button[aria-label='Bra svar'], #kk-chat button[aria-label='Like']").first.click()
    deadline = time.time() + 10
    while time.time() < deadline and (not log.exists() or log.read_text(encoding="utf-8").count("\n") == before):
        time.sleep(0.2)
    record = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert record["feedback"] == "up" and "Flemingsberg" in record["question"] and record["citations"]

    with page.expect_download() as download:
        page.locator("#kk-export").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## 1. Vem svarade på interpellationen om Flemingsberg?" in exported and "### Källor" in exported
    assert "Inget svar i dokumenten" in exported and "stycke" in exported

    page.locator("#kk-clear").click()
    page.wait_for_function("document.querySelectorAll('#kk-chat [data-testid=\"bot\"]').length === 0",
                           timeout=10_000)
    assert "Ställ en fråga" in page.locator("#kk-panel").inner_text()


def test_browser_who_said_what_groups_the_sources_and_exports_the_table(page):
    ask_in_page(page, "Vad har politiker sagt om utsatta områden?")
    assert "3 dokument tar upp" in _last_bot(page).inner_text()
    page.locator("#kk-panel button[data-kk-action='view-person']").click()
    table = page.locator("#kk-panel table.kk-groups[data-by='person']")
    table.wait_for(timeout=10_000)
    rows = table.locator("tbody tr").all_inner_texts()
    assert any("Daniel Dronjak (M)" in r and "\t1\t" in r for r in rows), rows
    assert any("Sara Heelge Vikmång (S)" in r for r in rows) and "Okänd" in rows[-1]
    assert page.locator("#kk-panel article").count() == 3  # each source once, under its person
    _shot(page, "ui-9-who-said-what.png")

    page.locator("#kk-panel button[data-kk-action='view-party']").click()
    page.locator("#kk-panel table.kk-groups[data-by='party']").wait_for(timeout=10_000)
    party_rows = page.locator("#kk-panel table.kk-groups tbody tr td:first-child").all_inner_texts()
    assert set(party_rows) == {"M", "S", "Okänd"}
    page.locator("#kk-panel table.kk-groups button.kk-cite").first.click()  # [n] in the table selects that source
    page.locator("#kk-panel article.kk-selected").wait_for(timeout=10_000)

    with page.expect_download() as download:
        page.locator("#kk-export").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "### Vem sa vad – per person" in exported and "| Daniel Dronjak (M) | 1 |" in exported


def _scoped_answer_documents(page, field: str, typed: str, question: str) -> tuple[str, set[str]]:
    """Choose ``typed`` in the scope's ``field`` dropdown (type-ahead, Enter), ask; the answer and its documents."""
    page.get_by_text("Avgränsa sökningen").click()
    box = page.locator(f"#kk-scope-{field} input")
    box.click()
    box.fill(typed)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    ask_in_page(page, question)
    docs = {d for d in page.locator("#kk-panel article").evaluate_all("els => els.map(e => e.dataset.doc)")}
    return _last_bot(page).inner_text(), docs


def test_browser_scope_restricts_the_search(page):
    text, docs = _scoped_answer_documents(page, "bodies", "Stockholm", "Vad görs mot segregation och utanförskap?")
    assert "avgränsad till kommun/organ: Stockholm" in text
    assert docs and docs <= {SEED_IDS[2]}


def test_browser_scope_by_person_and_dates_and_a_mistyped_date(page):
    # type-ahead: a part of the name finds the person
    text, docs = _scoped_answer_documents(page, "authors", "Dronj", "Vad görs mot segregation och utanförskap?")
    assert "avgränsad till författare: Daniel Dronjak" in text
    assert docs and docs <= {SEED_IDS[3]}
    _shot(page, "ui-6-scope-person.png")

    page.locator("#kk-scope-from input, #kk-scope-from textarea").first.fill("5 maj 2021")
    ask_in_page(page, "Hur många trygghetskameror ska Huddinge sätta upp?")
    text = _last_bot(page).inner_text()
    assert "Från-datumet ”5 maj 2021” är inget datum" in text and "ÅÅÅÅ-MM-DD" in text
    page.locator("#kk-scope-from input, #kk-scope-from textarea").first.fill("")


def test_browser_library_search_narrows_the_list(page):
    # the list scrolls inside its own box and never runs under the scope controls below it
    library = page.locator("#kk-library .kk-library").bounding_box()
    scope = page.get_by_text("Avgränsa sökningen").bounding_box()
    assert library["y"] + library["height"] <= scope["y"], (library, scope)
    search = page.locator("#kk-library-search input, #kk-library-search textarea").first
    search.fill("Dronjak")
    page.wait_for_function("document.querySelector('#kk-library').innerText.includes('av 4 dokument')",
                           timeout=10_000)
    assert page.locator("#kk-library li").count() == 1
    search.fill("")
    page.wait_for_function("document.querySelectorAll('#kk-library li').length >= 4", timeout=10_000)


def _upload(page, path: Path) -> str:
    page.get_by_text("Lägg till dokument").click()
    status = page.locator("#kk-upload-status textarea")
    before = status.input_value()
    page.locator("#kk-upload input[type=file]").set_input_files(str(path))
    page.wait_for_function("(b) => { const v = document.querySelector('#kk-upload-status textarea').value;"
                           " return v && v !== b; }", arg=before, timeout=180_000)
    return status.input_value()


def test_browser_upload_then_ask_about_it(page, server, tmp_path):
    doc = tmp_path / "Rapport om brandstationer.txt"
    doc.write_text("Rapport om brandstationer i Tyresö kommun\n\n"
                   "Tyresö kommun ska bygga sju nya brandstationer före år 2030 enligt räddningstjänstens "
                   "plan.\n\n"
                   "Varje ny brandstation ska ha plats för två släckbilar och en höjdfordon.\n", encoding="utf-8")
    report = _upload(page, doc)
    assert "Rapport_om_brandstationer.txt (ny)" in report, report
    assert (server.root / "uploads" / "Rapport_om_brandstationer.txt").is_file()
    ms = ask_in_page(page, "Hur många brandstationer ska Tyresö bygga?")
    _record_time("click -> answer shown (question about an uploaded document)", ms["answered"])
    assert "sju nya brandstationer" in _last_bot(page).inner_text()
    page.locator("#kk-chat a[href='#kk-cite-0-1']").first.click()
    card = page.locator("#kk-panel article.kk-selected")
    assert card.get_attribute("data-doc") == "Rapport_om_brandstationer"
    assert "sju nya brandstationer" in card.locator("mark").first.inner_text()
    _shot(page, "ui-5-upload-answer.png")
    assert page.locator("#kk-library").get_by_text("Rapport om brandstationer i Tyresö kommun").count() == 1

    doc.write_text(doc.read_text(encoding="utf-8").replace("sju nya", "nio nya"), encoding="utf-8")
    report = _upload(page, doc)  # the same name again: the document is updated, not skipped as a duplicate
    assert "Rapport_om_brandstationer.txt (uppdaterad)" in report, report
    assert (server.root / "uploads" / "Rapport_om_brandstationer.txt").is_file()
    ask_in_page(page, "Hur många brandstationer ska Tyresö bygga?")
    assert "nio nya brandstationer" in _last_bot(page).inner_text()

    bad = tmp_path / "trasig.pdf"
    bad.write_bytes(b"%PDF-1.4 not really a pdf")
    report = _upload(page, bad)
    assert "Hoppade över trasig.pdf:" in report, report
    assert not (server.root / "uploads" / "trasig.pdf").exists()


def test_browser_uploaded_script_never_runs(page, tmp_path):
    doc = tmp_path / "farlig.txt"
    doc.write_text("Motion om fyrverkerier i Hemby kommun\n\n"
                   "Hemby kommun förbjuder fyrverkerier i centrum från nyår 2027.\n\n"
                   "Förbudet gäller även raketer. <script>window.__xss=1</script> "
                   "<img src=x onerror=\"window.__xss=2\"> ${window.__xss=3} *inte fet* [länk](javascript:alert(1))\n",
                   encoding="utf-8")
    assert "farlig.txt (ny)" in _upload(page, doc)
    ask_in_page(page, "Gäller fyrverkeriförbudet i Hemby även raketer?")
    bot = _last_bot(page)
    assert "<script>window.__xss=1</script>" in bot.inner_text()
    assert bot.locator("script, img").count() == 0 and bot.locator("em, a", has_text="inte fet").count() == 0
    cited = page.locator("#kk-panel article[data-doc='farlig']")
    cited.first.locator("button.kk-open").click()
    hit = page.locator("#kk-panel p.kk-hit")
    hit.wait_for(timeout=10_000)
    assert '<img src=x onerror="window.__xss=2">' in page.locator("#kk-panel").inner_text()
    assert page.locator("#kk-panel img, #kk-panel script").count() == 0
    page.wait_for_timeout(500)
    _shot(page, "ui-6-xss-document.png")
    assert page.evaluate("typeof window.__xss") == "undefined"


# ---------------------------------------------------------------- the app on a stand-in engine, in-process

@pytest.fixture(scope="module")
def stub_app():
    from ui.app import build_app, serve

    engine = nasty_engine(delay=2.0)
    root = Path(tempfile.mkdtemp(prefix="kallkoll-stub-"))
    app = build_app(engine, root / "uploads", root / "feedback.jsonl", concurrency=1)
    port = free_port()
    serve(app, "127.0.0.1", port, concurrency=1, queue_size=1, block=False, quiet=True)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", engine=engine)
    app.close()
    shutil.rmtree(root, ignore_errors=True)


def test_hostile_text_is_shown_literally_everywhere(browser, stub_app):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(stub_app.url)
    page.wait_for_selector("#kk-question textarea", timeout=30_000)
    ask_in_page(page, "<b>fråga</b> *x*")
    assert page.locator("#kk-chat [data-testid='user']").last.inner_text().strip() == "<b>fråga</b> *x*"
    bot = _last_bot(page)
    assert bot.inner_text().splitlines()[0] == f"Motion, Hemby: ”{NASTY}” [1]"
    tags = bot.locator(".message-content *").evaluate_all("els => els.map(e => e.tagName)")
    assert set(tags) <= {"SPAN", "P", "A", "EM", "BR"} and tags.count("A") == 1 and tags.count("EM") == 1
    bot.locator("a[href='#kk-cite-0-1']").click()
    card = page.locator("#kk-panel article.kk-selected")
    assert NASTY in card.locator("mark").inner_text() and "Titel " + NASTY in card.inner_text()
    card.locator("button.kk-open").click()
    page.locator("#kk-panel p.kk-hit").wait_for(timeout=10_000)
    assert page.locator("#kk-panel img, #kk-panel script, #kk-panel b, #kk-panel i").count() == 0
    assert "Rubrik <i>1</i>" in page.locator("#kk-panel").inner_text()
    _shot(page, "ui-7-hostile-text.png")
    assert page.evaluate("typeof window.__xss") == "undefined"
    page.close()


def test_full_queue_gives_a_polite_busy_message(browser, stub_app):
    from ui.render import BUSY

    pages = []
    for _ in range(3):
        p = browser.new_page(viewport={"width": 1400, "height": 900})
        p.goto(stub_app.url)
        p.wait_for_selector("#kk-question textarea", timeout=30_000)
        pages.append(p)
    for i, p in enumerate(pages):  # one runs (2 s), one waits, the queue (size 1) is full for the third
        p.locator("#kk-question textarea").fill(f"Fråga nummer {i}")
        p.locator("#kk-send").click()
        p.locator("#kk-chat [data-testid='user']").last.wait_for(timeout=10_000)
    third = pages[2]
    third.wait_for_function(f"document.querySelector('#kk-chat').innerText.includes({json.dumps(BUSY[:30])})",
                            timeout=10_000)
    assert third.locator("#kk-question textarea").input_value() == "Fråga nummer 2"  # given back
    assert "This application is currently busy" not in third.locator("body").inner_text()
    _shot(third, "ui-8-busy.png")
    for p in pages[:2]:  # the other two are answered
        p.wait_for_function("document.querySelectorAll('#kk-chat a[href=\"#kk-cite-0-1\"]').length > 0",
                            timeout=30_000)
    ask_in_page(third, "Fråga nummer 2 igen")  # and the third can ask again once there is room
    for p in pages:
        p.close()
