"""``python -m index build [PATH ...] [--index-dir DIR] [--model M]``: build or update an index."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="index documents (.txt .md .pdf .docx .html .jsonl[.gz])")
    build.add_argument("paths", nargs="*", type=Path,
                       help=f"files or folders (default: {settings.DEFAULT_SEEDS})")
    build.add_argument("--index-dir", help="where the index is written "
                       "(default: $KALLKOLL_INDEX_DIR or data/index in the repository)")
    build.add_argument("--model", help="sentence-transformers model path or name "
                       "(default: $KALLKOLL_MODEL or the bundled multilingual-e5-small)")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    from .build import build_index
    from .embedder import ModelNotAvailable

    paths = args.paths or [settings.DEFAULT_SEEDS]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        summary = build_index(paths, args.index_dir, args.model, show_progress=not args.quiet)
    except ModelNotAvailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    for line in summary.lines():
        print(line)
    return 0 if summary.documents else 1


if __name__ == "__main__":
    sys.exit(main())
