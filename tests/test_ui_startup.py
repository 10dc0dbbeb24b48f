"""What ``python -m ui`` says and does at startup: a damaged index, another model's index, no index
(built, then login), a damaged or outdated default index (rebuilt).

Its own module, run after test_ui_app.py in the same pytest process: that module's app server
and Chromium (~1.5-2.5 GB together) end with it, so the rebuilds here never add to them
(together the process tree peaked at 4.3 GB).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import REPO, SEED_IDS, SEEDS
from ui.app_process import free_port
from ui_helpers import app_env, start_app_process

pytestmark = [pytest.mark.model, pytest.mark.slow]

CAMERAS = "Hur många trygghetskameror ska Huddinge sätta upp?"


def test_startup_damaged_index_is_a_message_with_the_fix(seed_index, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir)
    gen = index_dir / (index_dir / "CURRENT").read_text().strip()
    (gen / "vectors.faiss").write_bytes(b"not faiss")
    r = subprocess.run([sys.executable, "-m", "ui", "--index-dir", str(index_dir), "--port", str(free_port())],
                       cwd=REPO, env=app_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "damaged" in r.stderr and "-m index build" in r.stderr and str(index_dir) in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_startup_model_mismatch_is_a_message_with_the_fix(seed_index):
    r = subprocess.run([sys.executable, "-m", "ui", "--index-dir", str(seed_index), "--port", str(free_port())],
                       cwd=REPO, env=app_env(KALLKOLL_MODEL="some/other-model"), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "some/other-model" in r.stderr and "index build" in r.stderr and "Traceback" not in r.stderr


def test_startup_builds_a_missing_index_and_asks_for_login(tmp_path):
    from gradio_client import Client

    log = tmp_path / "app.log"
    app = start_app_process(tmp_path / "index", log, KALLKOLL_USER="granskare", KALLKOLL_PASSWORD="hemligt")
    url = app.url
    try:
        app.wait_ready(300, http=False)
        out = log.read_text()
        assert "No index in" in out and "building" in out and "Documents: 4" in out and "login required" in out
        with pytest.raises(Exception):
            Client(url, verbose=False).predict(CAMERAS, api_name="/ask")
        r = Client(url, auth=("granskare", "hemligt"), verbose=False).predict(CAMERAS, api_name="/ask")
        assert r["citations"][0]["doc_id"] == SEED_IDS[3]
    finally:
        app.stop()


def test_startup_rebuilds_a_damaged_default_index(seed_index, tmp_path, monkeypatch, capsys):
    """Only the default index (data/index) is rebuilt without asking; main() runs in-process up to serve()."""
    import ui.app
    from index import settings
    from ui.__main__ import main

    fake_repo = tmp_path / "repo"
    index_dir = fake_repo / "data" / "index"
    shutil.copytree(seed_index, index_dir)
    gen = index_dir / (index_dir / "CURRENT").read_text().strip()
    (gen / "manifest.json").write_text("{", encoding="utf-8")
    monkeypatch.setattr(settings, "REPO_ROOT", fake_repo)
    for name in ("KALLKOLL_INDEX_DIR", "KALLKOLL_USER", "KALLKOLL_PASSWORD", "KALLKOLL_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    served = {}
    monkeypatch.setattr(ui.app, "serve", lambda app, host, port, **kw: served.update(host=host, port=port, **kw))
    assert main(["--port", "7999"]) == 0
    out = capsys.readouterr().out
    assert "The index is damaged" in out and "Documents: 4" in out
    assert served["host"] == "127.0.0.1" and served["port"] == 7999 and served["auth"] is None
    assert served["concurrency"] == 4 and served["queue_size"] == 64


def test_startup_refreshes_a_default_index_split_by_an_older_version(seed_index, tmp_path, monkeypatch, capsys):
    """A default index from an older splitter is rebuilt at start, keeping every vector of unchanged text;
    another index only gets a note with the command (it may have been built from anything)."""
    import json

    import ui.app
    from index import settings
    from index.build import PARSER_VERSION
    from ui.__main__ import main

    fake_repo = tmp_path / "repo"
    index_dir = fake_repo / "data" / "index"
    shutil.copytree(seed_index, index_dir)
    manifest_path = index_dir / (index_dir / "CURRENT").read_text().strip() / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["parser_version"] = PARSER_VERSION - 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    other = tmp_path / "other"
    shutil.copytree(index_dir, other)
    monkeypatch.setattr(settings, "REPO_ROOT", fake_repo)
    for name in ("KALLKOLL_INDEX_DIR", "KALLKOLL_USER", "KALLKOLL_PASSWORD", "KALLKOLL_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(ui.app, "serve", lambda app, host, port, **kw: None)
    assert main(["--port", "7999"]) == 0
    out = capsys.readouterr().out
    assert "split by an older version" in out and "Embedded now: 0 (vectors of 74 kept: same text)" in out
    rebuilt = index_dir / (index_dir / "CURRENT").read_text().strip() / "manifest.json"
    assert json.loads(rebuilt.read_text())["parser_version"] == PARSER_VERSION
    assert main(["--index-dir", str(other), "--port", "7999"]) == 0
    out = capsys.readouterr().out
    assert "older version" in out and "-m index build" in out and "Documents:" not in out
    assert str(SEEDS) in out and f"--index-dir {other}" in out  # rebuilt from what it was built from
