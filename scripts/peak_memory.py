"""Run a command and print the peak resident memory of it and all its child processes together.

Why not ``/usr/bin/time -v``: its "Maximum resident set size" is the largest single
process, so work moved into a child process (the ONNX export) would vanish from it.
This samples the whole process tree every 0.2 s and reports the largest sum of its
proportional set sizes (shared pages split between the processes that map them).

    python scripts/peak_memory.py -- bash scripts/test.sh
"""

from __future__ import annotations

import subprocess
import sys
import time

import psutil


def tree_pss(root: psutil.Process) -> int:
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            # PSS: a page shared by parent and child (the mapped weights file) counted once, not twice
            total += proc.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print("usage: python scripts/peak_memory.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    started = time.perf_counter()
    child = subprocess.Popen(command)
    root = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        try:
            peak = max(peak, tree_pss(root))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.2)
    print(f"peak resident memory of the process tree: {peak / 1e9:.2f} GB; "
          f"wall {time.perf_counter() - started:.0f} s; exit {child.returncode}", file=sys.stderr)
    return child.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
