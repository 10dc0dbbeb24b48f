"""Fit the fitted answer step's sentence choice and "not found" threshold on SweQUAD-MC and squad-v2-sv.

    .venv/bin/python scripts/fit_sentence_choice.py [--index-dir DIR]   # ~11 min on 2 cores; writes
                                                                       # rag/weights/sentence_choice.json

What is learned (``rag/sentence_choice.py``): P(a candidate sentence holds the answer)
from cheap signals of the sentence, its paragraph and the question, by a logistic
regression (L2, Newton's method); and the threshold on the best sentence's probability
below which the answer is "not found".

The data, run through the pipeline as ``Engine.ask`` runs it:

* **which questions**: SweQUAD-MC (962 questions over 543 pages; its documents split in
  two by a hash of their id: questions on the first half fit, those on the second half
  are reported), and 2,500 squad-v2-sv questions of the 28 articles
  ``scripts/train_reader.py`` trains on (its 35 articles indexed as the product indexes
  documents; 2,500 of the 7 held-out articles are reported). The seed and Riksdagen gold
  sets are not read at all;
* **answerable**: each question asked as is; a candidate sentence is positive when it
  holds a gold answer and stands in the question's own document, negative when it lacks
  the answer; a sentence elsewhere that happens to hold the answer's words is left out
  of the fit (neither);
* **unanswerable**: squad-v2-sv's unanswerable questions as asked, and every answerable
  question asked again with each paragraph that holds its answer taken out of the
  results, so the candidates are on the subject but do not answer: what a question the
  documents cannot answer looks like to the answer step.

The threshold is the one that gets most fitting questions right: an answerable one
answered with a sentence holding its answer, an unanswerable one abstained, the two
kinds weighed as users ask them (``UNANSWERABLE_SHARE``), not as the fit's askings
happen to be made. Needs the SweQUAD-MC test index (built by the test suite into
``~/.cache/kallkoll/test-indexes/swequad``, or by ``python -m index build``).
"""

from __future__ import annotations

import argparse
import hashlib
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

from index import settings  # noqa: E402
from rag import sentence_choice  # noqa: E402
from rag.citations import comparable, make_citation  # noqa: E402
from rag.engine import Engine  # noqa: E402
from rag.evaluate import _swequad_answers  # noqa: E402
from rag.retrieve import document_context  # noqa: E402
from fit_answer_decision import fit_logistic, index_contexts  # noqa: E402
from train_reader import SEED, SQUAD, load_squad, split_articles  # noqa: E402

SWEQUAD = ROOT.parent / "shared" / "eval" / "swequad-mc"
SQUAD_QUESTIONS = 2500  # of squad-v2-sv's training articles, drawn with the fixed seed
K = 5  # citations per answer, as Engine.ask's default
DEEP = 30  # how far down the results an "unanswerable" asking looks for paragraphs without the answer
L2 = 1.0
#: the share of questions users ask that the documents cannot answer, for choosing the threshold: 22 % in
#: the seed gold set, 15 % in the Riksdagen gold set, 14 % in issue 17's unseen set. A stated assumption about
#: use (the fit's own askings are half unanswerable by construction), not a constant tuned to a score.
UNANSWERABLE_SHARE = 0.2


def fit_half(doc_id: str) -> bool:
    """Which half of SweQUAD-MC a document is in: a hash, so the split needs no list and never moves."""
    return hashlib.sha256(doc_id.encode("utf-8")).digest()[0] % 2 == 0


def rows_of(engine: Engine, question: str, vector, answers: list[str], is_gold, remove_answer: bool
            ) -> list[tuple[list[float], int | None]]:
    """(features, label) of every candidate sentence: 1 answers, 0 does not, None neither (left out).

    ``answers``: the gold short answers (comparable form; empty for an unanswerable
    question); ``is_gold(doc_id)``: whether a document is the question's own.
    """
    retriever = engine.retriever
    hits = retriever.search(question, k=DEEP if remove_answer else max(K, 8), query_vector=vector)
    if remove_answer:  # the paragraphs that hold the answer are not there: nothing may answer
        hits = [h for h in hits if not is_gold(h.doc_id) and not any(
            a in comparable((retriever.reader.paragraph(h.doc_id, h.number) or _Empty).text) for a in answers)]
    hits = hits[:K]
    citations = [make_citation(retriever.reader, h, i + 1) for i, h in enumerate(hits)]
    contexts = [document_context(retriever.reader.documents[c.doc_id]) for c in citations]
    found = sentence_choice.candidates(question, citations, [h.dense for h in hits], retriever.lexical, contexts)
    rows = []
    for k in found:
        holds = any(a in comparable(k.citation.text[k.span[0]:k.span[1]]) for a in answers)
        label = 0 if not holds else (1 if is_gold(k.citation.doc_id) else None)
        rows.append((k.values, label))
    return rows


class _Empty:
    text = ""


def questions_right(rows: list[list[tuple]], answerable: list[bool], model: sentence_choice.SentenceChoice,
                    threshold: float) -> dict[str, float]:
    """Per question: answered with a sentence holding the answer, or abstained when nothing answers."""
    right_ans = wrong_ans = not_found = abstained = 0
    for r, has in zip(rows, answerable):
        best = max(r, key=lambda fv: model.probability(fv[0]), default=None)
        answered = best is not None and model.probability(best[0]) >= threshold
        if has:
            right_ans += answered and best[1] == 1
            wrong_ans += answered and best[1] != 1
            not_found += not answered
        else:
            abstained += not answered
    n_ans, n_un = sum(answerable) or 1, (len(answerable) - sum(answerable)) or 1
    return {"answered_right": right_ans / n_ans, "answered_wrong": wrong_ans / n_ans, "not_found": not_found / n_ans,
            "unanswerable_abstained": abstained / n_un,
            # as if UNANSWERABLE_SHARE of the questions were unanswerable
            "questions_right": (1 - UNANSWERABLE_SHARE) * right_ans / n_ans + UNANSWERABLE_SHARE * abstained / n_un}


def collect(engine: Engine, questions: list[tuple[str, list[str], str]]) -> tuple[list, list[bool]]:
    """Each (question, answers, gold doc) twice: as asked, and with its answer removed (unanswerable).

    A question asked as is counts as answerable when one of its candidates answers it.
    """
    vectors = engine.retriever.encoder.encode_queries([q for q, _, _ in questions])
    per_question, answerable = [], []
    for (q, answers, gold), v in zip(questions, vectors):
        is_gold = lambda doc_id, gold=gold: doc_id == gold  # noqa: E731
        asked = rows_of(engine, q, v, answers, is_gold, remove_answer=False)
        per_question.append(asked)
        answerable.append(any(label == 1 for _, label in asked))
        if answers:
            per_question.append(rows_of(engine, q, v, answers, is_gold, remove_answer=True))
            answerable.append(False)
    return per_question, answerable


def swequad_questions(questions: list[dict], canonical: dict[str, str]) -> list[tuple[str, list[str], str]]:
    return [(q["question"], [comparable(q["answer"])], canonical[q["context_id"]]) for q in questions]


def squad_questions(examples, ids: dict[str, str]) -> list[tuple[str, list[str], str]]:
    return [(e.question, [comparable(t) for _, t in e.answers], ids[e.context]) for e in examples]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", default=str(settings.cache_dir() / "test-indexes" / "swequad"))
    ap.add_argument("--out", default=str(sentence_choice.WEIGHTS))
    args = ap.parse_args()
    started = time.perf_counter()
    corpus = [json.loads(line) for line in (SWEQUAD / "corpus.jsonl").open(encoding="utf-8")]
    questions = [json.loads(line) for line in (SWEQUAD / "questions-train.jsonl").open(encoding="utf-8")]
    first: dict[str, str] = {}
    canonical = {d["id"]: first.setdefault(d["text"], d["id"]) for d in corpus}
    fitting = [q for q in questions if fit_half(canonical[q["context_id"]])]
    reported = [q for q in questions if not fit_half(canonical[q["context_id"]])]
    print(f"SweQUAD-MC: {len(fitting)} questions fit, {len(reported)} reported (split by document hash)")

    engine = Engine(args.index_dir, answer_step="rules")
    rows, answerable = collect(engine, swequad_questions(fitting, canonical))
    held_rows, held_answerable = collect(engine, swequad_questions(reported, canonical))

    # squad-v2-sv: crowd-written questions (more paraphrase than SweQUAD-MC's), half written to look answerable
    # but not; its 35 articles indexed as the product indexes documents, split as scripts/train_reader.py splits
    examples = load_squad(SQUAD)
    train_titles, held_titles = split_articles(examples)
    with tempfile.TemporaryDirectory(prefix="kallkoll-squad-") as tmp:
        ids = index_contexts(examples, Path(tmp))
        squad_engine = Engine(Path(tmp) / "index", answer_step="rules")
        train = [e for e in examples if e.article in train_titles]
        train = random.Random(SEED).sample(train, min(SQUAD_QUESTIONS, len(train)))
        squad_rows, squad_answerable = collect(squad_engine, squad_questions(train, ids))
        held_squad = [e for e in examples if e.article in held_titles]
        held_squad = random.Random(SEED).sample(held_squad, min(SQUAD_QUESTIONS, len(held_squad)))
        held_squad_rows, held_squad_answerable = collect(squad_engine, squad_questions(held_squad, ids))
    print(f"squad-v2-sv: {len(train)} questions of {len(train_titles)} articles fit, "
          f"{len(held_squad)} of {len(held_titles)} held-out articles reported")
    rows, answerable = rows + squad_rows, answerable + squad_answerable

    x = np.array([v for r in rows for v, label in r if label is not None], dtype=np.float64)
    y = np.array([label for r in rows for _, label in r if label is not None], dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    w, b = fit_logistic((x - mean) / scale, y, l2=L2)
    model = sentence_choice.SentenceChoice(w.tolist(), b, mean.tolist(), scale.tolist(), 0.5)
    print(f"fit on {len(x)} sentences ({int(y.sum())} answering) of {len(rows)} askings "
          f"({sum(answerable)} answerable) in {time.perf_counter() - started:.0f} s")
    for name, weight in zip(sentence_choice.FEATURES, w):
        print(f"  {name:20s} {weight:+.3f}")
    grid = [t / 100 for t in range(2, 96)]
    scores = {t: questions_right(rows, answerable, model, t)["questions_right"] for t in grid}
    model.threshold = max(grid, key=lambda t: (scores[t], -abs(t - 0.5)))
    fitting_figures = questions_right(rows, answerable, model, model.threshold)
    print(f"threshold {model.threshold:.2f}: fitting askings {json.dumps(fitting_figures)}")
    held = {"swequad-mc": questions_right(held_rows, held_answerable, model, model.threshold),
            "squad-v2-sv": questions_right(held_squad_rows, held_squad_answerable, model, model.threshold)}
    for name, figures in held.items():
        print(f"held-out {name}: {json.dumps(figures)}")

    card = {"features": list(sentence_choice.FEATURES), "weights": w.tolist(), "bias": b,
            "mean": mean.tolist(), "scale": scale.tolist(), "threshold": model.threshold,
            "fitted_on": (f"SweQUAD-MC, the {len(fitting)} questions on documents whose sha256(id)[0] is even, and "
                          f"{len(train)} squad-v2-sv questions of the articles scripts/train_reader.py trains on, "
                          "each asked as is and (answerable ones) with its answer removed; "
                          "scripts/fit_sentence_choice.py"),
            "fitting_figures": fitting_figures, "held_out_figures": held}
    Path(args.out).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    engine = Engine(args.index_dir, answer_step="fitted")  # reads the file just written
    fitted = _swequad_answers(engine, reported, canonical)
    rules = _swequad_answers(Engine(args.index_dir, answer_step="rules"), reported, canonical)
    print(f"held-out SweQUAD-MC through Engine.ask ({len(reported)} questions):")
    print(f"  fitted: {json.dumps({k: round(v, 3) for k, v in fitted.items()})}")
    print(f"  rules:  {json.dumps({k: round(v, 3) for k, v in rules.items()})}")
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
