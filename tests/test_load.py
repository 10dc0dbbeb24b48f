"""A short load test of the running app (5 clients × 4 questions), and its network defaults.

The full form (20 clients × 25 questions) is run by hand, see docs/security.md:
``.venv/bin/python scripts/load_test.py --index-dir data/index --clients 20 --questions 25``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = [pytest.mark.model, pytest.mark.slow]

CLIENTS, QUESTIONS = 5, 4


def _load_test_module():
    spec = importlib.util.spec_from_file_location("load_test", REPO / "scripts" / "load_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def load_test():
    return _load_test_module()


@pytest.fixture(scope="module")
def app(seed_index, tmp_path_factory, load_test):
    """``python -m ui`` on a free port over a copy of the seed index: ``(url, pid)``."""
    if importlib.util.find_spec("ui") is None or not (REPO / "ui" / "__main__.py").is_file():
        pytest.skip("the ui package has no __main__ yet: `python -m ui` cannot be started")
    root = tmp_path_factory.mktemp("load")
    index_dir = root / "index"
    shutil.copytree(seed_index, index_dir)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KALLKOLL_LLM", "KALLKOLL_USER", "KALLKOLL_PASSWORD", "KALLKOLL_INDEX_DIR"))}
    env["KALLKOLL_UPLOAD_DIR"] = str(root / "uploads")
    from ui.app_process import AppDidNotStart, start_app

    app = start_app(index_dir, root / "app.log", env=env)
    try:
        app.wait_ready(240, http=False)
    except AppDidNotStart as exc:
        app.stop()
        pytest.fail(f"python -m ui did not start: {exc}")
    yield app.url, app.pid
    app.stop()


def test_short_load_has_no_errors(app, load_test):
    url, pid = app
    report = load_test.run_load(url, CLIENTS, QUESTIONS, pid=pid)
    print(load_test.format_report(report))
    assert report["requests"] == CLIENTS * QUESTIONS
    assert report["errors"] == 0, report["error_samples"]
    assert report["unanswered"] == 0, report["unanswered_samples"]
    assert report["ok"] == CLIENTS * QUESTIONS
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["max_ms"] < 60_000
    assert report["rss_before_mb"] and report["rss_after_mb"]
    assert report["rss_after_mb"] - report["rss_before_mb"] < 500  # no runaway growth in 20 questions


def test_the_script_runs_against_a_url_and_prints_json(app):
    url, pid = app
    out = subprocess.run([sys.executable, "scripts/load_test.py", "--url", url, "--pid", str(pid),
                          "--clients", "2", "--questions", "2", "--json"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] == 4 and report["errors"] == 0 and report["rss_peak_mb"] > 0


def test_app_listens_on_loopback_only_by_default(app):
    import psutil

    _, pid = app
    procs = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)
    listening = [c.laddr for p in procs for c in p.net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert listening, "the app listens on no TCP port"
    assert all(addr.ip in ("127.0.0.1", "::1") for addr in listening), listening
