"""This process's own peak resident memory, as a person reading "Peak memory" means it.

Why not ``getrusage``: on Linux a child's ``ru_maxrss`` starts from its parent's
high-water mark at fork and keeps it across exec (measured: a Python process holding
2 GB starts ``python -c pass``, whose ``ru_maxrss`` reads 2,075 MB). A build started
by a big process (the benchmark, which had grown to 7.7 GB) reported the parent's
memory as its own. ``VmHWM`` in ``/proc/self/status`` belongs to the process's own
address space, which exec replaces; elsewhere ``ru_maxrss`` is the best there is.
"""

from __future__ import annotations

import resource
import sys


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # macOS counts bytes, Linux kB
