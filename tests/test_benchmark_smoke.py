"""scripts/benchmark.py on a tiny subset: every section runs and yields sane numbers.

The real run (10,000 paragraphs, peer, app, ONNX) takes most of an hour and its
result lives in docs/benchmark.md; this only keeps the script from rotting:
150 paragraphs, 12 questions, the bare encoders on 32 chunks, no peer, no app, no ONNX, no cold
start (about a minute).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "benchmark.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("kallkoll_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_subset_and_table_helpers(bench, tmp_path):
    if not bench.CORPUS.is_file():
        pytest.skip(f"corpus not found: {bench.CORPUS}")
    out = tmp_path / "subset.jsonl"
    docs, paragraphs = bench.make_subset(bench.CORPUS, 200, out)
    assert docs >= 1 and 150 <= paragraphs <= 260
    assert len(out.read_text(encoding="utf-8").splitlines()) == docs
    questions = bench.subset_questions(out, 10)
    assert questions and all(q.endswith("?") for q in questions)

    table = bench.Table()
    table.add("Build", "chunks", 12, fmt="{:.0f}")
    table.add("Query", "total p50/p95/p99 (ms)", bench.fmt_pct([1.0, 2.0, 3.0]), "a | b")
    assert "| Build | chunks | 12 |" in table.markdown()
    assert "a \\| b" in table.markdown()
    assert table.text().splitlines()[0].startswith("Section")
    assert bench.pct([1.0] * 10) == (1.0, 1.0, 1.0)


_SMOKE_CHILD = """
import dataclasses, importlib.util, json, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("kallkoll_benchmark", sys.argv[1])
bench = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = bench
spec.loader.exec_module(bench)
opts = bench.Options(subset_paragraphs=150, questions=12, peer=False, app=False, onnx=False,
                     seed_queries=False, cold_runs=0, engine_rss=False, bare_sample=32)
Path(sys.argv[2]).mkdir(parents=True, exist_ok=True)
table = bench.run_benchmark(opts, Path(sys.argv[2]))
Path(sys.argv[3]).write_text(json.dumps([dataclasses.asdict(r) for r in table.rows]), encoding="utf-8")
"""


@pytest.mark.model
@pytest.mark.slow
def test_benchmark_runs_on_a_tiny_subset(bench, tmp_path):
    """In a child process, as the script runs: the benchmark holds torch and the build's encoder at
    once (the bare-encoder comparison), which in the test process raised the suite's peak to 3.9 GB."""
    import json
    import subprocess

    if not bench.CORPUS.is_file():
        pytest.skip(f"corpus not found: {bench.CORPUS}")
    out = tmp_path / "rows.json"
    done = subprocess.run([sys.executable, "-c", _SMOKE_CHILD, str(SCRIPT), str(tmp_path / "work"), str(out)],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    table = bench.Table()
    table.rows = [bench.Row(**row) for row in json.loads(out.read_text(encoding="utf-8"))]

    failed = [r for r in table.rows if r.value in {"failed", "n/a"}]
    assert not failed, failed
    expected = {
        ("Build", "documents"), ("Build", "paragraphs"), ("Build", "chunks"), ("Build", "build time (s)"),
        ("Build", "build throughput (chunks/s)"), ("Build", "peak RSS (MB)"), ("Build", "bare encoder, torch (chunks/s)"),
        ("Build", "build / bare torch encoder"), ("Build", "build / bare build encoder"), ("Build", "index type"),
        ("Query", "embedding p50/p95/p99 (ms)"), ("Query", "retrieval w/o embedding p50/p95/p99 (ms)"),
        ("Query", "answer stage p50/p95/p99 (ms)"), ("Query", "total p50/p95/p99 (ms)"),
        ("Scale", "index type chosen"), ("Scale", "HNSW recall@10 vs exact"), ("Scale", "index on disk (MB)"),
        ("Incremental", "rebuild, 1 document changed (s)"), ("Incremental", "incremental / full build time"),
        ("Profile", "embedding (embed_query) (ms)"), ("Run", "benchmark wall time (min)"),
    }
    present = {(r.section, r.metric) for r in table.rows}
    assert expected <= present, expected - present

    number = lambda section, metric: table.get(section, metric).number  # noqa: E731
    for section, metric in [("Build", "documents"), ("Build", "chunks"), ("Build", "build time (s)"),
                            ("Build", "build throughput (chunks/s)"), ("Build", "peak RSS (MB)"),
                            ("Build", "bare encoder, torch (chunks/s)"), ("Build", "build / bare torch encoder"),
                            ("Build", "build / bare build encoder"),
                            ("Query", "total p50/p95/p99 (ms)"), ("Scale", "index on disk (MB)"),
                            ("Incremental", "rebuild, 1 document changed (s)"),
                            ("Profile", "embedding (embed_query) (ms)")]:
        assert number(section, metric) > 0, (section, metric)
    assert 100 <= number("Build", "paragraphs") <= 250
    assert 0.9 <= number("Scale", "HNSW recall@10 vs exact") <= 1.0  # tiny: HNSW is as good as exact
    assert table.get("Build", "index type").value == "IndexFlatIP"
    # one changed document re-embeds only its own chunks
    assert "1 changed" in table.get("Incremental", "rebuild, 1 document changed (s)").note
    text = table.text()
    assert "Incremental" in text and "HNSW recall@10" in text
    assert table.markdown().count("\n") == len(table.rows) + 1
