"""How long the answer step takes, rules against learned, warm and cold (issue 17, item 6).

    .venv/bin/python scripts/answer_step_speed.py [--index-dir DIR] [--questions FILE.jsonl] [--cold 3]

Without ``--index-dir`` the seeds are built into a temporary folder and asked their gold
questions. Both answer steps answer the same questions in one process, one after the
other, after five warm-up questions each, so the ratio between them holds on a noisy
shared machine even where the milliseconds do not. The answer stage is
``Answer.timings_ms['answer']`` (everything after retrieval: reading, deciding, quoting,
verifying). The cold figure is the wall time of a fresh ``python -m rag ask`` process per
step (median of ``--cold`` runs), model loading and, for the learned step, the reader's
session included (its one-off export is done before timing).

Goals (issue 17): warm p50 ≤ 50 ms on the seeds, warm p95 ≤ 150 ms on the full Riksdagen
index, cold ≤ 3 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from index.build import build_index  # noqa: E402
from load_test import percentile  # noqa: E402
from rag.engine import Engine  # noqa: E402

GOLD = ROOT / "tests" / "gold" / "seeds_gold.jsonl"


def warm(index_dir: Path, step: str, questions: list[str]) -> tuple[list[float], list[float], str]:
    engine = Engine(index_dir, answer_step=step)
    for q in questions[:5]:
        engine.ask(q)
    answer, total = [], []
    for q in questions:
        a = engine.ask(q)
        answer.append(a.timings_ms.get("answer", 0.0))
        total.append(a.timings_ms.get("total", 0.0))
    return answer, total, engine.answer_step


def cold(index_dir: Path, step: str, question: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rag", "ask", question, "--index-dir", str(index_dir),
                        "--answer-step", step], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", type=Path, help="an existing index (default: the seeds, built here)")
    ap.add_argument("--questions", type=Path, default=GOLD, help="gold-set .jsonl whose questions are asked")
    ap.add_argument("--limit", type=int, default=200, help="at most this many questions")
    ap.add_argument("--cold", type=int, default=3, help="cold `python -m rag ask` runs per step (0: none)")
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip()][:args.limit]
    with tempfile.TemporaryDirectory(prefix="kk-answer-speed-") as tmp:
        index_dir = args.index_dir
        if index_dir is None:
            index_dir = Path(tmp) / "index"
            build_index([ROOT / "seeds"], index_dir, show_progress=False)
        print(f"{len(questions)} questions from {args.questions.name} on {index_dir}")
        for step in ("rules", "learned"):
            answer, total, used = warm(index_dir, step, questions)
            if used != step:
                print(f"{step}: not available here (the engine fell back to {used})")
                continue
            line = (f"{step:8s} warm answer stage p50 {percentile(answer, 50):6.1f} ms  p95 "
                    f"{percentile(answer, 95):6.1f} ms | whole ask p50 {percentile(total, 50):6.1f} ms  "
                    f"p95 {percentile(total, 95):6.1f} ms")
            if args.cold:
                line += f" | cold `python -m rag ask` {cold(index_dir, step, questions[0], args.cold):.2f} s"
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
