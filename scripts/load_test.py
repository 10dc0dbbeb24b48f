"""Load test of the chat app's ``/ask`` API: N concurrent gradio_client clients × M questions each.

Usage::

    # against an app that is already running (give --pid to also measure its memory)
    .venv/bin/python scripts/load_test.py --url http://127.0.0.1:7860/ --clients 20 --questions 25

    # or let the script start ``python -m ui --index-dir DIR --port P`` itself (and stop it afterwards)
    .venv/bin/python scripts/load_test.py --index-dir data/index --clients 20 --questions 25

Reports requests, errors (with the first few messages), latency p50/p95/max, throughput,
and the server's resident memory (RSS, including child processes) before and after the
load and its peak during it. ``--json`` prints the same as one JSON object. Exit code 0
when every request succeeded and returned an answer, 1 otherwise, 2 when the app did not start.

Each client is a thread with its own ``gradio_client.Client`` (its own session), asking
its questions one after the other, as a person would; the mix includes a few bad inputs
(empty, punctuation only, a long paste, HTML) that must come back as answers, not errors.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ui.app_process import AppDidNotStart, free_port, start_app, tree_rss_mb  # noqa: E402

QUESTIONS = [
    "Hur många trygghetskameror ska Huddinge sätta upp?",
    "Vad gör Stockholm mot segregation?",
    "Vem svarade på interpellationen om Flemingsberg?",
    "What does Huddinge do to prevent youth crime?",
    "Vilka åtgärder föreslås för tryggheten i Huddinge?",
    "Vad säger protokollsanteckningen om samverkan med polisen?",
    "Hur arbetar kommunen med ungdomar?",
    "Vilket parti tillhör Daniel Dronjak?",
    "Vad kostar kamerorna?",
    "Hur många bostäder ska byggas på Mars?",  # unanswerable: must abstain, not fail
    "",  # empty: a clear message
    "?!?",  # no words: a clear message
    "<script>alert(1)</script> trygghet",
    "Hur många trygghetskameror ska Huddinge sätta upp? " * 60,  # a long paste, truncated with a notice
]


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of ``pid`` and its children, in MB (None without a pid or psutil)."""
    if pid is None:
        return None
    try:
        return tree_rss_mb(pid)
    except Exception:
        return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def run_load(url: str, clients: int, questions: int, pid: int | None = None, k: int = 5,
             timeout: float = 120.0) -> dict:
    """Run the load and return the report (see the module docstring)."""
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    unanswered: list[str] = []
    lock = threading.Lock()
    peak = [rss_mb(pid) or 0.0]
    done = threading.Event()

    def sample_memory() -> None:
        while not done.wait(0.5):
            value = rss_mb(pid)
            if value is not None:
                peak[0] = max(peak[0], value)

    def client_run(number: int) -> None:
        try:
            client = Client(url, verbose=False, httpx_kwargs={"timeout": timeout})
        except Exception as exc:  # noqa: BLE001 - every failure is a reported error
            with lock:
                errors.extend([f"client {number}: could not connect: {type(exc).__name__}: {exc}"] * questions)
            return
        for i in range(questions):
            question = QUESTIONS[(number * 7 + i) % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                result = client.predict(question, k, api_name="/ask")
            except Exception as exc:  # noqa: BLE001
                with lock:
                    errors.append(f"client {number} question {i}: {type(exc).__name__}: {str(exc)[:300]}")
                continue
            elapsed = time.perf_counter() - started
            if isinstance(result, str):
                try:
                    result = json.loads(result)
                except ValueError:
                    pass
            with lock:
                latencies.append(elapsed)
                if not (isinstance(result, dict) and isinstance(result.get("answer"), str) and result["answer"]):
                    unanswered.append(f"client {number} question {i}: unexpected result {str(result)[:200]}")

    rss_before = rss_mb(pid)
    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=client_run, args=(n,), name=f"client-{n}") for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    done.set()
    sampler.join(timeout=2)
    rss_after = rss_mb(pid)
    return {
        "url": url,
        "clients": clients,
        "questions_per_client": questions,
        "requests": clients * questions,
        "ok": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:10],
        "unanswered": len(unanswered),
        "unanswered_samples": unanswered[:10],
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(latencies) / wall, 2) if wall else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else 0.0,
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0.0,
        "rss_before_mb": round(rss_before, 1) if rss_before is not None else None,
        "rss_after_mb": round(rss_after, 1) if rss_after is not None else None,
        "rss_peak_mb": round(peak[0], 1) if pid is not None else None,
    }


def format_report(r: dict) -> str:
    mem = ("RSS: not measured (give --pid, or let the script start the app)" if r["rss_before_mb"] is None
           else f"RSS: {r['rss_before_mb']} MB before, {r['rss_after_mb']} MB after, peak {r['rss_peak_mb']} MB "
                f"({r['rss_after_mb'] - r['rss_before_mb']:+.1f} MB)")
    lines = [
        f"Load test of {r['url']}: {r['clients']} clients × {r['questions_per_client']} questions "
        f"= {r['requests']} requests in {r['wall_s']} s ({r['throughput_rps']} answers/s)",
        f"OK: {r['ok']}  errors: {r['errors']}  without an answer: {r['unanswered']}",
        f"Latency: p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  max {r['max_ms']} ms  mean {r['mean_ms']} ms",
        mem,
    ]
    lines += [f"  error: {e}" for e in r["error_samples"]]
    lines += [f"  no answer: {e}" for e in r["unanswered_samples"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="a running app, e.g. http://127.0.0.1:7860/")
    where.add_argument("--index-dir", help="start `python -m ui --index-dir DIR` on a free port (default: "
                                           "$KALLKOLL_INDEX_DIR or data/index)")
    parser.add_argument("--port", type=int, help="port for the started app (default: a free one)")
    parser.add_argument("--pid", type=int, help="with --url: the app's process id, to measure its memory")
    parser.add_argument("--clients", "-n", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--questions", "-m", type=int, default=25, help="questions per client (default 25)")
    parser.add_argument("-k", type=int, default=5, help="paragraphs per answer (default 5)")
    parser.add_argument("--start-timeout", type=float, default=240, help="seconds to wait for the app to start")
    parser.add_argument("--request-timeout", type=float, default=120, help="seconds per request")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    args = parser.parse_args(argv)

    app = None
    url, pid = args.url, args.pid
    if url is None:
        from index import settings

        index_dir = str(settings.index_dir(args.index_dir))
        port = args.port or free_port()
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"kallkoll-load-test-app-{port}.log"
        print(f"Starting python -m ui --index-dir {index_dir} --port {port} (log: {log_path}) ...",
              file=sys.stderr, flush=True)
        app = start_app(index_dir, log_path, port=port)
        try:
            app.wait_ready(args.start_timeout, http=False)
        except AppDidNotStart as exc:
            app.stop()
            print(f"error: {exc}", file=sys.stderr)
            return 2
        url, pid = app.url, app.pid
    try:
        report = run_load(url, args.clients, args.questions, pid=pid, k=args.k, timeout=args.request_timeout)
    finally:
        if app is not None:
            app.stop()
    print(json.dumps(report, ensure_ascii=False) if args.json else format_report(report), flush=True)
    return 0 if report["errors"] == 0 and report["unanswered"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
