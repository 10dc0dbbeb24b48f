"""Query-side figures on an already built (large) index, without building it again.

Why: the full Riksdagen build takes hours (``benchmark.py --full``); query-side
changes (stored BM25, HNSW breadth, word-vector prefetch) only need the query
rows re-measured on the index that run kept. Prints the same rows as the
benchmark's Query section, plus the cold CLI and the app's memory:

    KALLKOLL_CACHE=~/.cache/kallkoll .venv/bin/python scripts/full_index_queries.py \\
        --index-dir /path/to/index --corpus /path/to/corpus.jsonl [--questions 200]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _benchmark():
    spec = importlib.util.spec_from_file_location("kallkoll_benchmark", HERE / "benchmark.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True, help="the JSONL the index was built from")
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    bench = _benchmark()
    from rag.engine import Engine

    table = bench.Table()
    half = args.questions // 2
    questions = bench.subset_questions(args.corpus, half)
    questions += bench.swequad_questions(args.questions - len(questions))
    engine = Engine(args.index_dir)
    bench.warm_words(table, "Query", engine)
    stats = bench.measure_queries(engine, questions)
    bench.report_queries(table, "Query", stats)
    del engine
    bench.measure_cold(table, args.index_dir, questions[0], runs=3)
    if not bench.measure_app(table, args.index_dir):
        table.add("Query", "app RSS (MB)", "n/a", "`python -m ui` did not answer HTTP")
    print(table.markdown())


if __name__ == "__main__":
    main()
