"""Fit the answer-or-not decision of the learned answer step on squad-v2-sv articles the reader never saw.

    .venv/bin/python scripts/fit_answer_decision.py      # ~10 min; writes rag/weights/answer_decision.json

Why on the whole pipeline and not on (question, gold paragraph) pairs: at question time
the reader reads what retrieval found, often a paragraph that is on the subject but does
not answer. So every paragraph of squad-v2-sv (all 35 articles) is indexed as the product
indexes documents, each fitting question is asked through retrieval and the reader,
and each paragraph read becomes one example: features (``learned_answer.features``:
the reader's margin and no-answer score, the dense cosine, word coverage, first place)
and label (1 when the reader's span in it overlaps a gold answer of that question in
its own paragraph). A logistic regression (L2, Newton's method, numpy) gives the
probability; the threshold on the best paragraph's probability is the one that gets
most fitting questions right (answered with a gold span, or abstained when unanswerable).

Which questions: not the reader's training articles (on questions it was trained on
its margins are surer than on new ones, and a decision fitted there trusts it too
much). The 7 articles ``scripts/train_reader.py`` holds out are split: the first 3
(by title) fit the decision, the other 4 give the figures printed here.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from index.build import build_index  # noqa: E402
from rag import learned_answer  # noqa: E402
from rag.citations import make_citation  # noqa: E402
from rag.engine import Engine  # noqa: E402
from rag.reader import load_reader  # noqa: E402
from train_reader import SEED, SQUAD, Example, load_squad, split_articles  # noqa: E402

K = 5


def index_contexts(examples: list[Example], folder: Path) -> dict[str, str]:
    """Every paragraph as one document; returns context text → doc id."""
    ids: dict[str, str] = {}
    source = folder / "squad-contexts.jsonl"
    with source.open("w", encoding="utf-8") as fh:
        for e in examples:
            if e.context not in ids:
                ids[e.context] = f"sq{len(ids):04d}"
                fh.write(json.dumps({"id": ids[e.context], "title": e.article.replace("_", " "),
                                     "text": e.context}, ensure_ascii=False) + "\n")
    build_index([source], folder / "index", show_progress=False)
    return ids


def examples_of(engine: Engine, reader, questions: list[Example], ids: dict[str, str]) -> list[list[tuple]]:
    """Per question: (features, label) of every paragraph read."""
    neutral = learned_answer.Decision([0.0] * len(learned_answer.FEATURES), 0.0,
                                      [0.0] * len(learned_answer.FEATURES), [1.0] * len(learned_answer.FEATURES))
    retriever = engine.retriever
    vectors = retriever.encoder.encode_queries([q.question for q in questions])
    out = []
    for q, v in zip(questions, vectors):
        hits = retriever.search(q.question, k=K, query_vector=v)
        citations = [make_citation(retriever.reader, h, i + 1) for i, h in enumerate(hits[:K])]
        found = learned_answer.candidates(q.question, citations, [h.dense for h in hits[:K]], reader, neutral,
                                          retriever.lexical)
        rows = []
        for k in found:
            s, e = k.reading.span
            right = (k.citation.doc_id == ids[q.context] and k.citation.text == q.context
                     and any(s < a + len(t) and e > a for a, t in q.answers))
            rows.append((k.feature_values, int(right)))
        out.append(rows)
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression (Newton's method)."""
    a = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(a.shape[1])
    reg = np.eye(a.shape[1]) * l2
    reg[-1, -1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -30, 30)))
        grad = a.T @ (p - y) + reg @ w
        hess = (a * (p * (1 - p))[:, None]).T @ a + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def question_accuracy(rows: list[list[tuple]], answerable: list[bool], decision: learned_answer.Decision,
                      threshold: float) -> dict[str, float]:
    right = false_not_found = answered_wrong = 0
    n_ans = sum(answerable) or 1
    n_un = (len(answerable) - sum(answerable)) or 1
    abstained_un = 0
    for r, has in zip(rows, answerable):
        best = max(r, key=lambda fv: decision.probability(fv[0]), default=None)
        answered = best is not None and decision.probability(best[0]) >= threshold
        if has:
            right += answered and best[1] == 1
            false_not_found += not answered
            answered_wrong += answered and best[1] == 0
        else:
            abstained_un += not answered
    return {"answerable_answered_with_gold_span": right / n_ans, "false_not_found": false_not_found / n_ans,
            "answerable_answered_wrong": answered_wrong / n_ans, "unanswerable_abstained": abstained_un / n_un,
            "questions_right": (right + abstained_un) / len(answerable)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=int, default=1500, help="fitting questions asked (a seeded sample)")
    ap.add_argument("--held-out", type=int, default=800, help="held-out questions asked for the report")
    args = ap.parse_args()
    started = time.perf_counter()
    examples = load_squad(SQUAD)
    train_titles, held_titles = split_articles(examples)
    rng = random.Random(SEED)
    fit_titles, report_titles = held_titles[:3], held_titles[3:]
    fitting = [e for e in examples if e.article in fit_titles]
    reporting = [e for e in examples if e.article in report_titles]
    train = rng.sample(fitting, min(args.questions, len(fitting)))
    held = rng.sample(reporting, min(args.held_out, len(reporting)))
    print(f"fitting on {', '.join(fit_titles)}; reporting on {', '.join(report_titles)} "
          f"(the reader trained on the other {len(train_titles)} articles)", flush=True)
    reader = load_reader()
    if reader is None:
        print("no reader weights in rag/weights/: run scripts/train_reader.py first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kallkoll-fit-") as tmp:
        ids = index_contexts(examples, Path(tmp))
        engine = Engine(Path(tmp) / "index", answer_step="rules")
        train_rows = examples_of(engine, reader, train, ids)
        held_rows = examples_of(engine, reader, held, ids)
    flat = [fv for r in train_rows for fv in r]
    x = np.array([f for f, _ in flat], dtype=float)
    y = np.array([label for _, label in flat], dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    w, b = fit_logistic((x - mean) / scale, y)
    decision = learned_answer.Decision(w.tolist(), b, mean.tolist(), scale.tolist())
    has_train = [bool(e.answers) for e in train]
    grid = [t / 100 for t in range(5, 96)]
    threshold = max(grid, key=lambda t: question_accuracy(train_rows, has_train, decision, t)["questions_right"])
    decision.threshold = threshold
    fit_fig = question_accuracy(train_rows, has_train, decision, threshold)
    held_fig = question_accuracy(held_rows, [bool(e.answers) for e in held], decision, threshold)
    print(f"fitted on {len(train)} questions ({len(flat)} paragraphs read), threshold {threshold:.2f}")
    print("weights: " + ", ".join(f"{n} {v:+.3f}" for n, v in zip(learned_answer.FEATURES, w)) + f", bias {b:+.3f}")
    print("fitting questions: " + ", ".join(f"{k} {v:.3f}" for k, v in fit_fig.items()))
    print(f"held-out questions ({len(held)}): " + ", ".join(f"{k} {v:.3f}" for k, v in held_fig.items()))
    learned_answer.DECISION.write_text(json.dumps({
        "features": list(learned_answer.FEATURES), "weights": w.tolist(), "bias": b, "mean": mean.tolist(),
        "scale": scale.tolist(), "threshold": threshold,
        "fitted_on": f"squad-v2-sv articles {fit_titles} (not in the reader's training), {len(train)} questions "
                     f"through the pipeline (seed {SEED})",
        "reported_on": report_titles,
        "fitting_figures": {k: round(v, 4) for k, v in fit_fig.items()},
        "held_out_figures": {k: round(v, 4) for k, v in held_fig.items()},
    }, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {learned_answer.DECISION} in {(time.perf_counter() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
