"""Train the answer reader on Swedish SQuAD 2.0 and print its held-out figures.

    .venv/bin/python scripts/train_reader.py            # ~50 min on 2 cores, writes rag/weights/reader.*

Each step, and why:

1. **Split by article** (``split_articles``): squad-v2-sv's 35 articles are shuffled
   with a fixed seed; 7 are held out. Questions on one paragraph are near-duplicates,
   so a split by question would leak. Nothing of the held-out articles is seen by
   training or by the threshold fit.
2. **Windows** (``rag.reader_windows``): the same token windows the product reads.
   A window is "answerable" when it holds the whole answer of an answerable question;
   an answerable question's window without its answer, and every window of an
   unanswerable question, is not.
3. **Cache the frozen layers once**: e5's embeddings and layers 0..7 do not move, so
   their output per window is computed once, kept in memory as fp16, and training
   runs only layers 8..11 and the head: ~4x cheaper per step on a CPU.
4. **Train** (AdamW, linear warm-up and decay, length-bucketed batches, fixed seed):
   cross-entropy on the start and the end position over the answerable windows only,
   plus binary cross-entropy of the answerability head over all windows, weighted so
   both classes count alike. (The first reader put "no answer" at position 0 of the
   span loss, SQuAD 2.0's convention: negatives outnumbered spans, position 0 won every
   window, and its held-out no-answer accuracy was 0.53, chance.)
5. **Fit the no-answer threshold on 800 training questions** (the answerability
   logit above which the reader answers) and report exact match, F1 and no-answer accuracy on the
   held-out articles, which neither the gradient nor the threshold saw.
6. **Save** only the trained tensors as fp16 safetensors plus a JSON card with the
   data split, settings and figures (``rag/weights/``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import string
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import model_convert  # noqa: E402
from rag import reader_windows as rw  # noqa: E402
from rag.reader_model import CARD, TRAINED_FROM, WEIGHTS, base_reader  # noqa: E402
from rag.reader_spans import best_per_passage  # noqa: E402

SQUAD = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "squad-v2-sv" / "squad_dev_v2_sv.json.gz"
SEED = 17
HELD_OUT_ARTICLES = 7


@dataclass
class Example:
    qid: str
    article: str
    question: str
    context: str
    answers: list[tuple[int, str]]  # (answer_start, text); empty: unanswerable


def load_squad(path: Path) -> list[Example]:
    data = json.load(gzip.open(path, "rt", encoding="utf-8"))["data"]
    out = []
    for article in data:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                answers = [] if qa.get("is_impossible") else [(a["answer_start"], a["text"]) for a in qa["answers"]]
                answers = [(s, t) for s, t in answers if para["context"][s:s + len(t)] == t]
                if not qa.get("is_impossible") and not answers:
                    continue  # the translation moved the span: no usable label
                out.append(Example(qa["id"], article["title"], qa["question"], para["context"], answers))
    return out


def split_articles(examples: list[Example]) -> tuple[list[str], list[str]]:
    titles = sorted({e.article for e in examples})
    random.Random(SEED).shuffle(titles)
    return sorted(titles[HELD_OUT_ARTICLES:]), sorted(titles[:HELD_OUT_ARTICLES])


@dataclass
class Feature:
    input_ids: list[int]
    start: int  # label position (0: no answer in this window)
    end: int

    @property
    def answerable(self) -> bool:
        return self.start > 0


def features(tokenizer, examples: list[Example]) -> list[Feature]:
    out: list[Feature] = []
    passages: dict[str, rw.Encoded] = {}
    for e in examples:
        passage = passages.setdefault(e.context, rw.encode(tokenizer, e.context))
        question = rw.encode(tokenizer, e.question)
        for w in rw.windows(question, passage):
            label = None
            if e.answers:
                s, t = e.answers[0]
                label = rw.char_span_to_tokens(w, s, s + len(t))
            out.append(Feature(w.input_ids, *(label or (0, 0))))
    return out


def batches(lengths: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Indices grouped by similar length (little padding), the groups in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    groups = [order[i:i + size] for i in range(0, len(order), size)]
    rng.shuffle(groups)
    return groups


def padded(rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    n = max(len(r) for r in rows)
    ids = torch.full((len(rows), n), rw.PAD_ID, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
    return ids, (ids != rw.PAD_ID).long()


def cache_lower(reader, feats: list[Feature], batch: int = 32) -> list[torch.Tensor]:
    """Layer-8 states of every window, fp16, computed once (step 3)."""
    states: list[torch.Tensor | None] = [None] * len(feats)
    order = sorted(range(len(feats)), key=lambda i: len(feats[i].input_ids))
    started = time.perf_counter()
    with torch.no_grad():
        for b in range(0, len(order), batch):
            idx = order[b:b + batch]
            ids, mask = padded([feats[i].input_ids for i in idx])
            hidden = reader.lower_states(ids, mask)
            for j, i in enumerate(idx):
                states[i] = hidden[j, :len(feats[i].input_ids)].to(torch.float16).clone()
            if b // batch % 50 == 0:
                print(f"  cached {b + len(idx)}/{len(feats)} windows, {time.perf_counter() - started:.0f} s",
                      flush=True)
    return states  # type: ignore[return-value]


def train(reader, feats: list[Feature], states: list[torch.Tensor], epochs: int, batch: int, lr: float,
          head_lr: float) -> None:
    for p in reader.parameters():
        p.requires_grad = False
    layers = list(reader.upper.parameters())
    heads = [p for m in (reader.qa, reader.answerable) for p in m.parameters()]
    params = layers + heads
    for p in params:
        p.requires_grad = True
    # the heads start from nothing, the layers from e5: the heads move faster
    optimizer = torch.optim.AdamW([{"params": layers, "lr": lr}, {"params": heads, "lr": head_lr}], weight_decay=0.01)
    positives = sum(f.answerable for f in feats)
    pos_weight = torch.tensor((len(feats) - positives) / max(1, positives))  # both classes count alike
    print(f"  {positives} answerable windows of {len(feats)}; answerable weighted x{float(pos_weight):.2f}", flush=True)
    rng = random.Random(SEED)
    lengths = [len(f.input_ids) for f in feats]
    steps = epochs * math.ceil(len(feats) / batch)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    reader.train()
    step, started = 0, time.perf_counter()
    for epoch in range(epochs):
        running = 0.0
        for n, group in enumerate(batches(lengths, batch, rng)):
            width = max(lengths[i] for i in group)
            hidden = torch.zeros((len(group), width, states[group[0]].shape[-1]))
            mask = torch.zeros((len(group), width), dtype=torch.long)
            for j, i in enumerate(group):
                hidden[j, :lengths[i]] = states[i].float()
                mask[j, :lengths[i]] = 1
            start, end, answerable = reader.head(hidden, mask)
            invalid = mask == 0
            start, end = start.masked_fill(invalid, -1e4), end.masked_fill(invalid, -1e4)
            gold_s = torch.tensor([feats[i].start for i in group])
            gold_e = torch.tensor([feats[i].end for i in group])
            has = gold_s > 0
            loss = torch.nn.functional.binary_cross_entropy_with_logits(answerable, has.float(), pos_weight=pos_weight)
            if has.any():
                loss = loss + (torch.nn.functional.cross_entropy(start[has], gold_s[has])
                               + torch.nn.functional.cross_entropy(end[has], gold_e[has])) / 2
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            running += loss.item()
            if n % 50 == 49:
                print(f"  epoch {epoch + 1} step {step}/{steps} loss {running / 50:.3f} "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
                running = 0.0
    reader.eval()


def predict(reader, tokenizer, examples: list[Example], batch: int = 32) -> list[tuple[str, float]]:
    """(best span text, its answerability: minus the no-answer score) per example, as the product reads."""
    out = []
    with torch.no_grad():
        for b in range(0, len(examples), batch):
            chunk = examples[b:b + batch]
            items = []
            for k, e in enumerate(chunk):
                passage = rw.encode(tokenizer, e.context)
                for w in rw.windows(rw.encode(tokenizer, e.question), passage):
                    items.append((k, w))
            ids, mask = padded([w.input_ids for _, w in items])
            start, end, answerable = reader(ids, mask)
            best = best_per_passage((k, w, s, e_, -float(a)) for (k, w), s, e_, a
                                    in zip(items, start.numpy(), end.numpy(), answerable.numpy()))
            for k, e in enumerate(chunk):
                if k not in best:
                    out.append(("", -1e9))
                    continue
                _, (cs, ce), null = best[k]
                out.append((e.context[cs:ce], -null))
    return out


def normalize(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation) | {"”", "“", "’", "–"})
    return " ".join(re.sub(r"\b(en|ett|den|det|the|a|an)\b", " ", text).split())


def f1(pred: str, gold: str) -> float:
    p, g = normalize(pred).split(), normalize(gold).split()
    common = Counter(p) & Counter(g)
    same = sum(common.values())
    if not p or not g:
        return float(p == g)
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def scores(examples: list[Example], preds: list[tuple[str, float]], threshold: float) -> dict[str, float]:
    em = f = correct_null = 0.0
    for e, (text, margin) in zip(examples, preds):
        answered = margin > threshold
        if not e.answers:
            em += not answered
            f += not answered
            correct_null += not answered
            continue
        correct_null += answered
        if answered:
            em += max(float(normalize(text) == normalize(t)) for _, t in e.answers)
            f += max(f1(text, t) for _, t in e.answers)
    n = len(examples) or 1
    has = [e for e in examples if e.answers]
    hits = [(e, p) for e, p in zip(examples, preds) if e.answers]
    return {"exact_match": em / n, "f1": f / n, "no_answer_accuracy": correct_null / n,
            "answerable_f1": sum(max(f1(p[0], t) for _, t in e.answers) for e, p in hits) / (len(has) or 1)}


def fit_threshold(examples: list[Example], preds: list[tuple[str, float]]) -> float:
    """The answerability above which to answer that maximises F1 on the given (training) questions."""
    candidates = sorted({round(m, 2) for _, m in preds if m > -1e8}) or [0.0]
    return max(candidates[::max(1, len(candidates) // 400)], key=lambda t: scores(examples, preds, t)["f1"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4, help="learning rate of the trained layers")
    ap.add_argument("--head-lr", type=float, default=1e-3, help="learning rate of the two heads")
    ap.add_argument("--limit", type=int, default=0, help="train on this many questions only (a quick check)")
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    args = ap.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    started = time.perf_counter()

    model_dir = model_convert.bundled_model_dir()
    tokenizer = rw.load_tokenizer(model_dir)
    examples = load_squad(SQUAD)
    train_titles, held_titles = split_articles(examples)
    train_set = [e for e in examples if e.article in train_titles]
    held_set = [e for e in examples if e.article in held_titles]
    if args.limit:
        train_set = random.Random(SEED).sample(train_set, min(args.limit, len(train_set)))
    print(f"squad-v2-sv: {len(train_set)} training questions ({len(train_titles)} articles), "
          f"{len(held_set)} held out ({', '.join(held_titles)})", flush=True)

    reader = base_reader(model_dir)
    feats = features(tokenizer, train_set)
    print(f"{len(feats)} training windows; caching layers 0..{TRAINED_FROM - 1}", flush=True)
    states = cache_lower(reader, feats)
    train(reader, feats, states, args.epochs, args.batch, args.lr, args.head_lr)
    del states

    fit_on = random.Random(SEED).sample(train_set, min(800, len(train_set)))
    threshold = fit_threshold(fit_on, predict(reader, tokenizer, fit_on))
    held = scores(held_set, predict(reader, tokenizer, held_set), threshold)
    print(f"held-out ({len(held_set)} questions, {sum(not e.answers for e in held_set)} unanswerable), "
          f"no-answer threshold {threshold:.2f} fitted on training questions:")
    for k, v in held.items():
        print(f"  {k}: {v:.3f}")

    from safetensors.torch import save_file

    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.to(torch.float16).contiguous() for k, v in reader.trained_state().items()}, str(args.out))
    card = {"trained_from": TRAINED_FROM, "max_tokens": rw.MAX_TOKENS, "stride": rw.STRIDE,
            "max_question_tokens": rw.MAX_QUESTION_TOKENS, "seed": SEED, "epochs": args.epochs,
            "batch": args.batch, "lr": args.lr, "head_lr": args.head_lr, "answerability": "own head on <s>",
            "train_questions": len(train_set),
            "train_articles": train_titles, "held_out_articles": held_titles,
            "squad_threshold": threshold, "held_out": {k: round(v, 4) for k, v in held.items()},
            "minutes": round((time.perf_counter() - started) / 60, 1)}
    if args.out == WEIGHTS:
        CARD.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) in {card['minutes']} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
