"""The chat app as a child process: start it on a free port, wait until it serves, measure it, stop it.

Why one module: the browser tests, the load test and the benchmark all need exactly
this, and their three copies had drifted apart (one waited for a TCP connection,
one for HTTP 200; one stopped the process's children, the others did not).
Nothing here is used by the app itself.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class AppDidNotStart(RuntimeError):
    """The app exited or did not serve in time; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its children, in MB."""
    import psutil

    root = psutil.Process(pid)
    total = 0
    for p in [root] + root.children(recursive=True):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


@dataclass
class AppProcess:
    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 240.0, http: bool = True) -> float:
        """Seconds until the app accepts connections (``http``: answers its page with 200)."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.proc.poll() is not None:
                raise AppDidNotStart(f"the app exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if http:
                    with urllib.request.urlopen(self.url, timeout=5) as r:
                        if r.status == 200:
                            return time.perf_counter() - started
                else:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return time.perf_counter() - started
            except OSError:
                time.sleep(0.3)
        raise AppDidNotStart(f"the app did not serve on port {self.port} within {timeout:.0f} s:\n{self.log_tail()}")

    def rss_mb(self) -> float:
        return tree_rss_mb(self.proc.pid)

    def stop(self) -> None:
        """Terminate the app and its children; kill what does not stop within 30 s."""
        import psutil

        if self.proc.poll() is None:
            try:
                children = psutil.Process(self.proc.pid).children(recursive=True)
            except psutil.Error:
                children = []
            for p in children:
                try:
                    p.terminate()
                except psutil.Error:
                    pass
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_app(index_dir: str | Path, log_path: Path, *, port: int | None = None,
              env: dict[str, str] | None = None) -> AppProcess:
    """``python -m ui`` serving ``index_dir``, output to ``log_path``; call ``wait_ready`` next."""
    port = port or free_port()
    env = dict(os.environ if env is None else env)
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    env.setdefault("PYTHONUNBUFFERED", "1")
    with open(log_path, "w") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([sys.executable, "-m", "ui", "--index-dir", str(index_dir), "--port", str(port)],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    return AppProcess(proc, port, Path(log_path))
