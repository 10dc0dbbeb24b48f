"""``python -m rag ask|eval``: answer questions from the command line, or measure retrieval.

The ``ask --json`` output is a contract other tools rely on: one JSON object per
line per question, keys as in ``rag.types.Answer.to_dict`` (issue 3, item 8).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from .source_groups import group_sources, sources_of, worth_grouping


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer questions with cited source paragraphs")
    ask.add_argument("questions", nargs="+", help="questions, or - to read one question per line from stdin")
    ask.add_argument("--index-dir", help="index directory (default: $KALLKOLL_INDEX_DIR or data/index)")
    ask.add_argument("--json", action="store_true", help="one JSON object per line per question")
    ask.add_argument("-k", type=int, default=5, help="paragraphs considered for the answer (default 5)")
    ask.add_argument("--conversation", action="store_true",
                     help="treat the questions as one conversation (follow-ups refer to earlier ones)")
    ev = sub.add_parser("eval", help="retrieval recall and answer-level figures on a gold set")
    ev.add_argument("gold", help="seeds gold JSONL (tests/gold/seeds_gold.jsonl) or a SweQUAD-MC folder")
    ev.add_argument("--index-dir", help="index built from the gold set's documents")
    ev.add_argument("--no-compounds", action="store_true", help="switch compound matching off (to compare)")
    for p in (ask, ev):
        p.add_argument("--answer-step", choices=("fitted", "learned", "rules"),
                       help="how answers are chosen (default: $KALLKOLL_ANSWER_STEP, else rules)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    from index.embedder import ModelNotAvailable
    from index.store import IndexError_

    from .engine import Engine

    try:
        engine = Engine(args.index_dir, answer_step=args.answer_step)
    except (IndexError_, ModelNotAvailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "eval":
        from .evaluate import run_eval

        for line in run_eval(engine, args.gold, compounds=not args.no_compounds):
            print(line)
        return 0
    try:
        return _ask(engine, args)
    except BrokenPipeError:  # `… | head`: the reader has gone, which is not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _ask(engine, args) -> int:
    from .types import Turn

    questions = args.questions
    if questions == ["-"]:
        # bytes, not sys.stdin: in a UTF-8 locale its strict decoding dies on one cp1252 line
        raw = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        questions = [q for q in map(_decode_line, raw.split(b"\n")) if q.strip()]
    history: list[Turn] = []
    for q in questions:
        answer = engine.ask(q, history=history if args.conversation else None, k=args.k)
        if args.conversation and not answer.mode == "error":
            history.append(Turn(answer.resolved_question or q, answer))
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            print(_plain(answer), flush=True)
    return 0


def _decode_line(raw: bytes) -> str:
    """A question line from stdin: UTF-8, else cp1252 (what Swedish Windows writes); never raises."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _plain(answer) -> str:
    lines = [f"? {answer.question}"]
    if answer.notice:
        lines.append(f"({answer.notice})")
    lines.append(answer.answer)
    cites = answer.citations or answer.related
    if cites:
        lines.append("Källor:" if answer.citations else "Möjligen relaterade stycken:")
        for c in cites:
            lines.append(f"  [{c.n}] {c.title} — stycke {c.paragraph} ({c.doc_id})")
    if answer.more:
        lines.append(f"Fler dokument som tar upp samma sak ({len(answer.more)}):")
        for c in answer.more:
            lines.append(f"  [{c.n}] {c.title} — stycke {c.paragraph} ({c.doc_id})")
    if worth_grouping(answer):  # who said what, counted over all the sources
        for by, label in (("person", "Per person"), ("party", "Per parti")):
            groups = group_sources(sources_of(answer), by)
            lines.append(f"{label}: " + " · ".join(f"{g.name} {len(g.documents)}" for g in groups))
    lines.append(f"({answer.timings_ms.get('total', 0):.0f} ms)")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
