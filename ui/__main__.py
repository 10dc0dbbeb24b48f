"""``python -m ui [--index-dir DIR] [--host H] [--port P]``: start the chat app.

Builds the seed index first when the index is missing (with a progress bar),
and turns a broken index or a missing model into a message with the fix.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui", description=__doc__)
    parser.add_argument("--index-dir", help="index directory (default: $KALLKOLL_INDEX_DIR or data/index)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("KALLKOLL_PORT", 7860)))
    args = parser.parse_args(argv)

    from index import settings
    from index.build import build_index
    from index.embedder import ModelNotAvailable
    from index.store import IndexError_, IndexMissing, read_manifest
    from rag.engine import Engine

    index_dir = settings.index_dir(args.index_dir)
    try:
        if read_manifest(index_dir) is None:
            print(f"No index in {index_dir}: building it from {settings.DEFAULT_SEEDS} ...", flush=True)
            for line in build_index([settings.DEFAULT_SEEDS], index_dir, show_progress=True).lines():
                print(line)
        engine = Engine(index_dir)
    except IndexMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (IndexError_, ModelNotAvailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    upload_dir = Path(os.environ.get("KALLKOLL_UPLOAD_DIR") or index_dir.parent / "uploads").resolve()
    feedback = Path(os.environ.get("KALLKOLL_FEEDBACK_LOG") or index_dir.parent / "feedback.jsonl")
    from .app import launch

    print(f"Källkoll: http://{args.host}:{args.port}  (index {index_dir})", flush=True)
    launch(engine, args.host, args.port, upload_dir, feedback)
    return 0


if __name__ == "__main__":
    sys.exit(main())
