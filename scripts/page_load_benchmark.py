"""How long the chat page takes to load on a given index, as a reader's browser sees it.

Why a script and not a test (issue 18: "the page loads in ≤ 3 s on the full index"): timings on
these shared machines are noisy, so they are printed, never asserted. The app is started once
(its start-up is printed too, but is not "page load": the index is read then, not per visit);
then Chromium opens the page ``--visits`` times in fresh contexts (no cache) and measures, in
the page, the time from navigation start to

* ``ready``: the question box can be typed in;
* ``library``: the document library is drawn (its "N dokument" line);
* ``examples``: the example questions are shown.

With several ``--index-dir`` the runs alternate in one process and each index's medians are also
printed as a ratio to the first's (the machine's load cancels out). Run::

    .venv/bin/python scripts/page_load_benchmark.py --index-dir SEED_INDEX --index-dir /work/data-rk2000 [--visits 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from ui.app_process import AppDidNotStart, start_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def visit(browser, url: str) -> dict[str, float]:
    """One cold visit: milliseconds from navigation start to each milestone."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(url, wait_until="commit")
        page.wait_for_selector("#kk-question textarea", state="visible", timeout=60_000)
        ready = page.evaluate("performance.now()")
        page.wait_for_function("/\\d+ dokument/.test(document.querySelector('#kk-library')?.innerText || '')",
                               timeout=60_000)
        library = page.evaluate("performance.now()")
        page.wait_for_function("document.querySelectorAll('#kk-examples button').length > 0", timeout=60_000)
        examples = page.evaluate("performance.now()")
        return {"ready": ready, "library": library, "examples": examples}
    finally:
        context.close()


def measure(index_dir: Path, visits: int, tmp: Path, playwright) -> list[dict[str, float]] | None:
    """Start the app on ``index_dir``, visit it once to warm it, then ``visits`` cold visits."""
    app = start_app(index_dir, tmp / f"app-{index_dir.name}.log")
    try:
        started = time.perf_counter()
        try:
            app.wait_ready(600)
        except AppDidNotStart as exc:
            print(f"the app did not start on {index_dir}: {exc}", file=sys.stderr)
            return None
        print(f"{index_dir}: app start-up (index read, examples checked) {time.perf_counter() - started:.1f} s, "
              f"RSS {app.rss_mb():.0f} MB")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            visit(browser, app.url)  # the first visit warms the server's template and asset caches
            return [visit(browser, app.url) for _ in range(visits)]
        finally:
            browser.close()
    finally:
        app.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", required=True, type=Path, action="append")
    parser.add_argument("--visits", type=int, default=5)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does).", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    medians: dict[Path, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        for index_dir in args.index_dir:
            runs = measure(index_dir, args.visits, Path(tmp), p)
            if runs is None:
                return 2
            medians[index_dir] = {k: statistics.median(r[k] for r in runs) for k in ("ready", "library", "examples")}
            for key in ("ready", "library", "examples"):
                values = sorted(r[key] for r in runs)
                print(f"  page load to {key:<8}: median {medians[index_dir][key] / 1000:.2f} s, "
                      f"max {values[-1] / 1000:.2f} s over {len(values)} cold visits")
    first = args.index_dir[0]
    for index_dir in args.index_dir[1:]:
        ratio = medians[index_dir]["examples"] / medians[first]["examples"]
        print(f"{index_dir} / {first}: {ratio:.2f}x the page load (to examples shown)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
