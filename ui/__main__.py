"""``python -m ui [--index-dir DIR] [--host H] [--port P]``: start the chat app.

Builds the seed index first when there is none (with a progress bar in the
terminal). A damaged default index is rebuilt from the seeds (and earlier
uploads); any other broken index, a model mismatch or a missing model ends with
a message that names the fix, never a traceback. Set ``KALLKOLL_USER`` and
``KALLKOLL_PASSWORD`` to require a login.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
from pathlib import Path


def _print_error(message: str, fix: str = "") -> None:
    print(f"error: {message}", file=sys.stderr)
    if fix:
        print(f"  fix: {fix}", file=sys.stderr)


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def _build_seeds(index_dir: Path, upload_dir: Path, reason: str) -> None:
    from index import settings
    from index.build import build_index

    sources = [settings.DEFAULT_SEEDS]
    if upload_dir.is_dir() and any(upload_dir.iterdir()):
        sources.append(upload_dir)
    print(f"{reason}: building {index_dir} from {', '.join(str(s) for s in sources)} ...", flush=True)
    summary = build_index(sources, index_dir, show_progress=True)
    for line in summary.lines():
        print(line, flush=True)


def _refresh_if_split_by_older_version(engine, index_dir: Path, upload_dir: Path, is_default: bool):
    """The default index, split by an older ``PARSER_VERSION``, is rebuilt at start; another one gets a hint.

    Why: a better splitter only reaches the user's paragraphs through a rebuild, and a rebuild keeps
    every vector whose text is unchanged (seeds: ~2 s), so there is no reason to keep serving the old split.
    """
    from index.build import PARSER_VERSION
    from rag.engine import Engine

    version = engine.reader.manifest.get("parser_version")
    if version == PARSER_VERSION:
        return engine
    if not is_default:  # built from anything: the hint rebuilds it from what it was built from
        sources = " ".join(shlex.quote(str(p)) for p in engine.reader.manifest.get("sources", []))
        print(f"Note: {index_dir} was split into paragraphs by an older version ({version}, now {PARSER_VERSION}); "
              f"rebuild it to get the current splitting: {sys.executable} -m index build {sources} "
              f"--index-dir {shlex.quote(str(index_dir))}", flush=True)
        return engine
    del engine
    _build_seeds(index_dir, upload_dir, f"The index was split by an older version ({version})")
    return Engine(index_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", help="index directory (default: $KALLKOLL_INDEX_DIR or data/index)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=_env_int("KALLKOLL_PORT", 7860),
                        help="port (default 7860 or $KALLKOLL_PORT)")
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home, also when offline

    from index import settings
    from index.embedder import ModelNotAvailable
    from index.store import IndexCorrupt, IndexError_, IndexMissing, IndexModelMismatch

    from . import uploads

    index_dir = settings.index_dir(args.index_dir)
    is_default = index_dir == (settings.REPO_ROOT / "data" / "index").resolve()
    upload_dir = uploads.upload_dir(index_dir)
    fix_cmd = f"{sys.executable} -m index build {settings.DEFAULT_SEEDS} --index-dir {index_dir}"
    try:
        from rag.engine import Engine

        try:
            engine = Engine(index_dir)
        except IndexMissing:
            _build_seeds(index_dir, upload_dir, f"No index in {index_dir}")
            engine = Engine(index_dir)
        except IndexCorrupt as exc:
            if not is_default:
                _print_error(f"the index is damaged: {exc}", f"rebuild it: {fix_cmd}")
                return 2
            _build_seeds(index_dir, upload_dir, f"The index is damaged ({exc})")
            engine = Engine(index_dir)
        engine = _refresh_if_split_by_older_version(engine, index_dir, upload_dir, is_default)
    except IndexModelMismatch as exc:
        _print_error(str(exc), f"rebuild the index with the current model: {fix_cmd}  "
                               "(or set KALLKOLL_MODEL to the model the index was built with)")
        return 2
    except IndexError_ as exc:
        _print_error(str(exc), f"rebuild it: {fix_cmd}")
        return 2
    except ModelNotAvailable as exc:
        _print_error(str(exc), "check KALLKOLL_MODEL / KALLKOLL_CACHE, or run scripts/setup.sh")
        return 2
    except OSError as exc:
        _print_error(f"cannot use the index directory {index_dir}: {exc}")
        return 2
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130

    from .app import build_app, serve

    engine.warm_word_vectors()  # English questions' source words, embedded in the background (rag/word_vectors.py)
    # SIGTERM (service managers, AppProcess.stop) ends the app like Ctrl-C: the server closes and the
    # atexit clean-up (the conversation-export folder) runs instead of being skipped
    signal.signal(signal.SIGTERM, _interrupt)

    user, password = os.environ.get("KALLKOLL_USER"), os.environ.get("KALLKOLL_PASSWORD")
    if bool(user) != bool(password):
        print("warning: set both KALLKOLL_USER and KALLKOLL_PASSWORD to require a login; starting without one",
              file=sys.stderr)
    auth = (user, password) if user and password else None
    app = build_app(engine, upload_dir, uploads.feedback_log(index_dir),
                    concurrency=_env_int("KALLKOLL_CONCURRENCY", 4))
    docs = len(engine.reader.documents)
    print(f"Källkoll: http://{args.host}:{args.port}  ({docs} documents in {index_dir}"
          f"{', login required' if auth else ''})", flush=True)
    try:
        serve(app, args.host, args.port, auth=auth, concurrency=_env_int("KALLKOLL_CONCURRENCY", 4),
              queue_size=_env_int("KALLKOLL_QUEUE_SIZE", 64), quiet=True)
    except OSError as exc:
        _print_error(f"cannot listen on {args.host}:{args.port} ({exc})", "choose another port with --port")
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
