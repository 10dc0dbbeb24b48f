"""Bad questions through the Python API and the CLI: a clear message or a normal answer, never a traceback.

Every input here is something a person (or a script) will eventually send: nothing,
whitespace, a pasted megabyte, terminal escape codes, emoji, right-to-left scripts,
punctuation, SQL and HTML fragments, undecodable bytes, and for the API non-strings.
After all of them the index must be byte-for-byte unchanged and still answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SEED_IDS
from index.store import current_generation

pytestmark = pytest.mark.model

CAMERAS = "Hur många trygghetskameror ska Huddinge sätta upp?"
MODES = {"extractive", "generative", "metadata", "error"}
EMPTY_MESSAGE = "Skriv en fråga först."
SQL = "'; DROP TABLE paragraphs; --"
HTML = "<script>alert(1)</script>"
ARABIC = "كم عدد كاميرات المراقبة التي ستركبها هودينغه؟"
HEBREW = "כמה מצלמות אבטחה תתקין הודינגה?"
MEGABYTE = ("Hur många trygghetskameror ska Huddinge sätta upp? " * 21000)[: 1024 * 1024]


@pytest.fixture(scope="module")
def engine(seed_index, index_fingerprint):
    from rag.engine import Engine

    return Engine(seed_index)


@pytest.fixture(scope="module")
def index_fingerprint(seed_index):
    """Hashes of every file of the live generation, taken before any bad question is asked."""
    return _fingerprint(seed_index)


def _fingerprint(index_dir: Path) -> dict[str, str]:
    gen = current_generation(index_dir)
    return {str(p.relative_to(gen)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(gen.rglob("*")) if p.is_file()}


def _table_counts(index_dir: Path) -> dict[str, int]:
    import sqlite3

    gen = current_generation(index_dir)
    con = sqlite3.connect(f"file:{gen / 'meta.sqlite'}?mode=ro", uri=True)
    try:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("documents", "paragraphs", "chunks")}
    finally:
        con.close()


def _check_answer(a, *, question_max: int = 1000) -> None:
    """What every answer to every input must satisfy."""
    from rag.types import Answer

    assert isinstance(a, Answer)
    assert a.mode in MODES
    assert isinstance(a.answer, str) and a.answer.strip(), "an answer always says something"
    assert len(a.question) <= question_max
    # the CLI prints this; it must be valid UTF-8 JSON (no lone surrogates, no NaN)
    text = json.dumps(a.to_dict(), ensure_ascii=False, allow_nan=False)
    text.encode("utf-8")
    if a.mode == "error":
        assert a.abstained and not a.citations and not a.related
    for c in a.citations:
        for s, e in c.quote_spans:
            assert c.text[s:e] in c.quote


def _assert_camera_answer(a) -> None:
    assert not a.abstained, a.answer
    assert (a.citations[0].doc_id, a.citations[0].paragraph) == (SEED_IDS[3], 17)
    assert "300 kameror" in a.citations[0].quote


# ---------------------------------------------------------------- Python API

@pytest.mark.parametrize("question, message", [
    ("", EMPTY_MESSAGE),
    ("   \n\t  \r\n ", EMPTY_MESSAGE),
    ("\u200b\u200b\ufeff", EMPTY_MESSAGE),  # invisible characters only
    ("\x00\x01\x1b\x7f", EMPTY_MESSAGE),  # control characters only
    (None, EMPTY_MESSAGE),
    (42, "Frågan måste vara text."),
    (3.5, "Frågan måste vara text."),
    (b"Hur m\xc3\xa5nga kameror?", "Frågan måste vara text."),
    (["Hur många kameror?"], "Frågan måste vara text."),
    ({"q": "kameror"}, "Frågan måste vara text."),
    ("?!.,;:—…", "inga ord att söka på"),
    ("🙂🎥🚓", "inga ord att söka på"),
    ("-- ;; '' \"\" /* */", "inga ord att söka på"),
    ("%_*", "inga ord att söka på"),  # LIKE/glob wildcards
    ("\udcff\udcfe", EMPTY_MESSAGE),  # undecodable bytes as Python hands them over (surrogateescape)
], ids=["empty", "whitespace", "invisible", "controls-only", "None", "int", "float", "bytes", "list",
        "dict", "punctuation", "emoji-only", "sql-punctuation", "wildcards", "lone-surrogates"])
def test_unsearchable_input_gets_a_clear_message(engine, question, message):
    a = engine.ask(question)
    _check_answer(a, question_max=200)
    assert a.mode == "error" and a.abstained
    assert message in a.answer


@pytest.mark.parametrize("question", [
    ARABIC, HEBREW, "\u202eHur många kameror\u202c", SQL, f"kameror{SQL}", "Robert'); DROP TABLE chunks;--",
    HTML, "<img src=x onerror=alert(1)> kameror", "a", "50%", "1 OR 1=1", "SELECT * FROM documents",
    "Hur många\x00 trygghetskameror\x07 ska\x1b[31m Huddinge sätta upp?",
], ids=["arabic", "hebrew", "bidi-override", "sql", "sql-suffix", "sql-bobby", "html", "html-img", "one-letter",
        "percent", "sql-or", "sql-select", "controls-inside"])
def test_odd_but_searchable_input_gets_a_normal_answer(engine, question):
    a = engine.ask(question)
    _check_answer(a)
    if any(ch.isalnum() for ch in question):
        assert a.mode == "extractive"  # searched: an answer or an abstention, never an error
    assert not any(ord(ch) < 32 or 0x202a <= ord(ch) <= 0x202e for ch in a.resolved_question)
    if a.abstained:
        assert a.answer.startswith("Jag hittar inget svar")


def test_a_megabyte_question_is_truncated_with_a_notice(engine):
    from rag.inputs import MAX_QUESTION_CHARS

    a = engine.ask(MEGABYTE)
    _check_answer(a)
    assert a.mode == "extractive"
    assert MAX_QUESTION_CHARS - 5 <= len(a.question) <= MAX_QUESTION_CHARS  # cut, then whitespace-trimmed
    assert len(a.resolved_question) <= MAX_QUESTION_CHARS
    assert "1 048 576 tecken" in a.notice and f"första {MAX_QUESTION_CHARS}" in a.notice
    assert a.timings_ms["total"] < 30_000


def test_noise_around_a_real_question_does_not_change_its_answer(engine):
    clean = engine.ask(CAMERAS)
    _assert_camera_answer(clean)
    for noisy in ("Hur många\x00 trygghetskameror\x07 ska\tHuddinge\x1b sätta upp?\x7f",
                  "\ufeffHur många trygghetskameror ska Huddinge sätta upp?\u200e",
                  "Hur många trygghetskameror ska Huddinge sätta upp?\udcff",
                  "  Hur   många trygghetskameror\n\nska Huddinge sätta upp?  ",
                  "Hur många trygghetskameror 🎥 ska Huddinge sätta upp? 🙂",
                  "Hur många trygghetskameror ska Huddinge sätta upp".upper() + "?"):
        a = engine.ask(noisy)
        _check_answer(a)
        _assert_camera_answer(a)
        assert "\udcff" not in a.resolved_question


def test_decomposed_unicode_is_normalised(engine):
    """"ä" typed as "a" + combining diaeresis (macOS paste) must search like "ä"."""
    import unicodedata

    a = engine.ask(unicodedata.normalize("NFD", CAMERAS))
    _assert_camera_answer(a)
    assert a.resolved_question == CAMERAS


@pytest.mark.parametrize("k", [0, -3, 1, 10**6])
def test_out_of_range_k_is_clamped(engine, k):
    a = engine.ask(CAMERAS, k=k)
    _check_answer(a)
    assert 1 <= len(a.citations or a.related or [None]) <= 20


def test_filters_that_match_nothing_abstain(engine):
    from rag.types import Filters

    for f in (Filters(doc_ids=("no-such-document",)), Filters(bodies=(SQL,)), Filters(parties=(HTML,))):
        a = engine.ask(CAMERAS, filters=f)
        _check_answer(a)
        assert a.abstained and not a.citations


def test_random_garbage_never_raises(engine):
    """A seeded fuzz over the character classes above: every answer is well-formed."""
    rng = random.Random(6)
    pools = ["abcåäöÅÄÖ ", "\x00\x01\x1b\x7f\x85\u200b\u202e\ufeff", "🙂🎥💥", "كمכמה", "<>&'\";--/*",
             "0123456789", "\ud800\udfff", "\u0301\u0308", "\t\n\r "]
    for _ in range(25):
        q = "".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(0, 60)))
        _check_answer(engine.ask(q), question_max=1000)


def test_index_unchanged_and_still_answering_after_bad_questions(engine, seed_index, index_fingerprint):
    """Runs after the bad questions above (file order): SQL in a question did nothing to the index."""
    for q in (SQL, "x'); DELETE FROM documents; --", "1; UPDATE paragraphs SET text='HACKED'"):
        _check_answer(engine.ask(q))
    assert _fingerprint(seed_index) == index_fingerprint
    assert _table_counts(seed_index) == {"documents": 4, "paragraphs": 80, "chunks": 74}
    _assert_camera_answer(engine.ask(CAMERAS))


# ---------------------------------------------------------------- CLI

def _run_cli(args: list, stdin: bytes | None = None, index_dir: Path | None = None) -> subprocess.Popen:
    # strict UTF-8 stdio, as Python sets it up in a sv_SE.UTF-8 or en_US.UTF-8 locale (C.UTF-8 is lenient)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    cmd = [sys.executable, "-m", "rag", "ask", "--json", "--index-dir", str(index_dir), *args]
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.PIPE if stdin is not None else None,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen, stdin: bytes | None = None) -> tuple[list[dict], str]:
    out, err = proc.communicate(stdin, timeout=300)
    stderr = err.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 0, stderr
    text = out.decode("utf-8")  # strict: the CLI must print valid UTF-8
    return [json.loads(line) for line in text.splitlines()], stderr


@pytest.mark.slow
def test_cli_bad_questions_print_valid_json_and_exit_0(seed_index, index_fingerprint):
    argv_questions = [b"", b"   ", b"?!.,;:", "🙂🎥".encode(), ARABIC.encode(), HEBREW.encode(), SQL.encode(),
                      HTML.encode(), "kameror\x07\x1b[2J".encode(), b"Hur m\xe5nga kameror? \xff\xfe",
                      ("x" * 100_000).encode(), CAMERAS.encode()]
    stdin_lines = [MEGABYTE.encode(), b"Hur m\xc3\xa5nga\x00\x01 kameror?\r", CAMERAS.encode("cp1252"),
                   b"\xff\xfe\xfd\x81", "\u202eHebreiska \u05db\u05de\u05d4".encode(), b"", b"   ",
                   SQL.encode(), CAMERAS.encode()]
    stdin = b"\n".join(stdin_lines) + b"\n"
    # both runs at once: each loads the model (the slow part)
    by_argv = _run_cli(argv_questions, index_dir=seed_index)
    by_stdin = _run_cli(["-"], stdin=stdin, index_dir=seed_index)
    answers, _ = _finish(by_argv)
    piped, _ = _finish(by_stdin, stdin)

    assert len(answers) == len(argv_questions)
    keys = {"question", "answer", "abstained", "citations", "related", "coverage", "notice",
            "resolved_question", "mode", "flagged", "timings_ms"}
    for a in answers + piped:
        assert keys <= set(a) and a["answer"].strip() and a["mode"] in MODES
    assert [a["mode"] for a in answers[:4]] == ["error"] * 4
    assert answers[0]["answer"] == EMPTY_MESSAGE and answers[1]["answer"] == EMPTY_MESSAGE
    assert "inga ord" in answers[2]["answer"] and "inga ord" in answers[3]["answer"]
    assert all(a["mode"] == "extractive" for a in answers[4:])
    assert "100 000 tecken" in answers[10]["notice"]
    assert answers[-1]["citations"][0]["doc_id"] == SEED_IDS[3] and answers[-1]["citations"][0]["paragraph"] == 17

    assert len(piped) == len([line for line in stdin_lines if line.strip()])  # blank lines are skipped
    assert "1 048 576 tecken" in piped[0]["notice"] and 995 <= len(piped[0]["question"]) <= 1000
    assert piped[1]["mode"] == "extractive" and "\x00" not in piped[1]["resolved_question"]
    assert piped[2]["question"] == CAMERAS and piped[2]["citations"][0]["paragraph"] == 17  # cp1252 line
    assert piped[3]["mode"] in MODES  # undecodable bytes: an answer, not a traceback
    assert piped[-1]["citations"][0]["paragraph"] == 17  # and the index still answers
    assert _fingerprint(seed_index) == index_fingerprint
