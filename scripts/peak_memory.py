"""Run a command and print the peak resident memory of it and all its child processes together.

Why not ``/usr/bin/time -v``: its "Maximum resident set size" is the largest single
process, so work moved into a child process (the ONNX export) would vanish from it.
This samples the whole process tree every 0.25 s and reports the largest sum of its
proportional set sizes (shared pages split between the processes that map them).

    python scripts/peak_memory.py -- bash scripts/test.sh
"""

from __future__ import annotations

import subprocess
import sys
import time

import psutil


def pss(pid: int) -> int:
    """Proportional set size in bytes: a page shared by parent and child (the mapped weights file) counted once.

    From ``/proc/PID/smaps_rollup`` (one line per process): psutil's ``memory_full_info``
    walks the whole ``smaps``, which for a 3 GB process took a third of a core and slowed
    the command measured.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_pss(root: psutil.Process) -> int:
    return sum(pss(proc.pid) for proc in [root, *root.children(recursive=True)])


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
        time.sleep(0.25)
    print(f"peak resident memory of the process tree: {peak / 1e9:.2f} GB; "
          f"wall {time.perf_counter() - started:.0f} s; exit {child.returncode}", file=sys.stderr)
    return child.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
