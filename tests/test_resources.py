"""Peak memory is the process's own, not inherited from whoever started it."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from conftest import REPO

PROBE = "from index.resources import peak_rss_mb; print(peak_rss_mb())"


def test_a_child_does_not_report_its_parents_memory():
    ballast = np.ones(1536 * 2**20 // 8)  # 1.5 GB resident in this (parent) process
    ballast[::4096] += 1  # touched, so resident
    proc = subprocess.Popen([sys.executable, "-c", PROBE], cwd=REPO, stdout=subprocess.PIPE, text=True)
    _, _, usage = os.wait4(proc.pid, 0)
    own = float(proc.stdout.read())
    proc.stdout.close()
    del ballast
    assert usage.ru_maxrss / 1024 >= 1500, "the kernel's ru_maxrss carries the parent's peak (why this exists)"
    assert own < 300, own  # a bare interpreter importing one small module
