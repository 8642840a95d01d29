"""Soak mode: steady mixed load for a long time, in windows, watching errors, latency and memory."""

import os
import secrets
from typing import Any

from bench.api import Api
from bench.servers import ROOT, serve, worker_rss_mb
from bench.wrk import run_wrk

WINDOW_SECONDS = 60


def run_soak(
    env: dict[str, str], port: int, seconds: int, products: int, credentials: tuple[str, str]
) -> dict[str, Any]:
    """Mixed reads and writes at 16 connections for `seconds`, measured per window."""
    with serve("app.main:create_app", port, env, factory=True) as pid:
        api = Api(f"http://127.0.0.1:{port}")
        token = api.bench_user_token(*credentials)
        wrk_env = {**os.environ, "BENCH_TOKEN": token, "BENCH_MAX_ID": str(products)}
        windows: list[dict[str, Any]] = []
        remaining = seconds
        while remaining > 0:
            length = min(WINDOW_SECONDS, remaining)
            result = run_wrk(
                f"soak window {len(windows) + 1}",
                f"{api.base_url}/products",
                seconds=length,
                connections=16,
                script=ROOT / "bench/mixed.lua",
                env={**wrk_env, "BENCH_RUN": secrets.token_hex(4)},  # each wrk run restarts its sku counter
            )
            windows.append({**result.as_dict(), "rss_mb": worker_rss_mb(pid, 1)[0]})
            remaining -= length
    first, last = windows[0], windows[-1]
    return {
        "windows": windows,
        "errors": sum(window["non_2xx"] + window["socket_errors"] for window in windows),
        "p99_drift_ms": round(last["p99_ms"] - first["p99_ms"], 2),
        "rss_growth_mb": round(last["rss_mb"] - first["rss_mb"], 1),
    }


def soak_report(soak: dict[str, Any]) -> list[str]:
    lines = [f"{'soak window':<16}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'RSS MB':>9}"]
    for number, window in enumerate(soak["windows"], 1):
        lines.append(
            f"{number:<16}{window['requests_per_second']:>10.0f}{window['p50_ms']:>9.2f}{window['p99_ms']:>9.2f}"
            f"{window['non_2xx'] + window['socket_errors']:>8}{window['rss_mb']:>9.1f}"
        )
    lines.append(f"errors {soak['errors']}, p99 drift {soak['p99_drift_ms']} ms, RSS growth {soak['rss_growth_mb']} MB")
    return lines
