"""Run wrk against a URL and read req/s, latency percentiles and non-2xx counts from its report."""

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class WrkResult:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    requests: int
    connections: int
    # The floor's req/s measured just before this scenario (bench.run.Floor), where there is one.
    floor_requests_per_second: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


WRK_MISSING = (
    "make bench needs wrk, an HTTP load generator, and does not install it itself.\n"
    "Install it, then run make bench again:\n"
    "  Debian/Ubuntu: sudo apt-get install wrk\n"
    "  macOS:         brew install wrk\n"
    "  from source:   https://github.com/wg/wrk"
)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit(WRK_MISSING)
    return found


def _millis(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not match:
        raise ValueError(f"unexpected latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(name: str, output: str, connections: int) -> WrkResult:
    def number(pattern: str, default: str = "0") -> str:
        match = re.search(pattern, output)
        return match.group(1) if match else default

    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        name=name,
        requests_per_second=float(number(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_millis(number(r"(?m)^\s+50%\s+(\S+)", "0us")),
        p99_ms=_millis(number(r"(?m)^\s+99%\s+(\S+)", "0us")),
        non_2xx=int(number(r"Non-2xx or 3xx responses: (\d+)")),
        socket_errors=sum(int(value) for value in errors.groups()) if errors else 0,
        requests=int(number(r"(\d+) requests in")),
        connections=connections,
    )


def run_wrk(
    name: str,
    url: str,
    *,
    seconds: int,
    connections: int,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    env: dict[str, str] | None = None,
) -> WrkResult:
    command = [ensure_wrk(), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    completed = subprocess.run([*command, url], capture_output=True, text=True, check=True, env=env)
    return parse(name, completed.stdout, connections)
