"""Start and stop uvicorn servers for the benchmark, and measure their memory."""

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@contextmanager
def serve(
    target: str, port: int, env: dict[str, str], *, workers: int = 1, factory: bool = False, log: Path | None = None
) -> Iterator[int]:
    """Run `uvicorn target` on 127.0.0.1:port; yields the master's pid. `log` takes its output."""
    command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    if factory:
        command.append("--factory")
    output = log.open("ab") if log is not None else None
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT if output else None
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/health" if factory else f"http://127.0.0.1:{port}/", process)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if output is not None:
            output.close()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS), or the most the process ever had resident (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_rss_mb(master_pid: int, workers: int, field: str = "VmRSS") -> list[float]:
    """Resident memory of each serving process (the master itself when it serves alone)."""
    if workers == 1:
        return [round(rss_mb(master_pid, field), 1)]
    # uvicorn's supervisor has one child per worker (plus, on some versions, a resource tracker).
    return [round(rss_mb(child, field), 1) for child in _children(master_pid) if rss_mb(child) > 20]
