"""`make bench`: the service under wrk, side by side with a bare FastAPI floor, in one run.

The run also drives the stack's floor (bench/stack_app.py): FastAPI and SQLAlchemy doing the
GET by id's and the create's database work with none of the service's, on the same
database. It is what the stack itself allows on the host, printed beside the service.

    python -m bench.run [--seconds 10] [--products 10000] [--audit-rows 10000] [--workers 1,2] [--soak 600]

SQLite by default; BENCH_DATABASE_URL (a PostgreSQL server URL) runs on a fresh database
created on that server and dropped afterwards. Writes bench/results.json.
"""

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.api import Api
from bench.database import lowest_id, scratch_database, scratch_redis_keys
from bench.servers import ROOT, serve, worker_rss_mb
from bench.soak import run_soak, soak_report
from bench.wrk import WrkResult, run_wrk

FLOOR_PORT, SERVICE_PORT, STACK_PORT = 8101, 8102, 8103
# Unmeasured load first: pooled connections opened, statements prepared, caller verified.
WARM_UP_SECONDS = 3
# Logins wrk left queued when it stopped still hash (argon2id, 32 MiB each, one per core):
# memory "after the run" is read once they are done. The peak is reported beside it.
SETTLE_SECONDS = 3
# The floor is measured before every scenario, once what the previous one left running (the
# relay publishing its backlog, the access log's writer) has had time to finish (class Floor).
FLOOR_SECONDS, FLOOR_SETTLE_SECONDS = 5, 2
BENCH_EMAIL, BENCH_PASSWORD = "bench@example.com", "bench-password-123"
# (ratio to the floor per scenario, p99 limit at 16 connections): PostgreSQL + Redis, and
# the embedded default (SQLite without Redis, SPEC section 19).
TARGETS = {"get_product": 0.15, "list_products_cached": 0.20, "create_product": 0.06}
# A GET by id with an API key, as a share of the same with an access token.
API_KEY_SHARE = 0.90
P99_LIMIT_MS = 25.0
SQLITE_TARGETS = {"get_product": 0.10, "list_products_cached": 0.15, "create_product": 0.04}
SQLITE_P99_LIMIT_MS = 150.0
RSS_LIMIT_MB = 150.0
# The servers' Redis keys (cache entries, generations), deleted when the run ends.
REDIS_PREFIX = f"bench-{secrets.token_hex(4)}:"


def service_env(database_url: str, **overrides: str) -> dict[str, str]:
    env = {
        "REDIS_PREFIX": REDIS_PREFIX,
        "APP_ENV": "prod",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "FIRST_SUPERUSER_EMAIL": "admin@example.com",
        "FIRST_SUPERUSER_PASSWORD": "admin-password-123",
        "LOGIN_MAX_ATTEMPTS": "1000000",
        **overrides,
    }
    for optional in ("REDIS_URL", "RABBITMQ_URL"):
        if os.environ.get(f"BENCH_{optional}"):
            env[optional] = os.environ[f"BENCH_{optional}"]
    return env


def prepare(env: dict[str, str], products: int, audit_rows: int = 0) -> None:
    run_env = {**os.environ, **env}
    for command in (["db", "upgrade"], ["seed"]):
        subprocess.run([sys.executable, "-m", "app", *command], cwd=ROOT, env=run_env, check=True, capture_output=True)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from bench.seed import run; from app.core.config import Settings; "
            f"run(Settings(), {products}, {audit_rows})",
        ],
        cwd=ROOT,
        env=run_env,
        check=True,
    )


@contextmanager
def prepared_database(products: int, audit_rows: int = 0) -> Iterator[str]:
    """A scratch database (SQLite, or on BENCH_DATABASE_URL's server), migrated, seeded, with `products` rows
    and `audit_rows` rows of audit trail (bench/seed.py).

    The servers started on it keep their Redis keys (cache, generations) under a prefix of
    this run, deleted with the database.
    """
    with (
        tempfile.TemporaryDirectory() as scratch,
        scratch_database(os.environ.get("BENCH_DATABASE_URL"), Path(scratch)) as url,
        scratch_redis_keys(os.environ.get("BENCH_REDIS_URL"), REDIS_PREFIX),
    ):
        prepare(service_env(url), products, audit_rows)
        yield url


@dataclass
class Floor:
    """The bare FastAPI app, measured for 5 s before each scenario; ratios are to the median.

    This shared host's speed moves within a run: floor runs a minute apart have differed
    by half (7,700 to 11,700 req/s), and so would a ratio to one floor measured at the
    start. The median of runs spread over the whole run is the host's typical speed
    during it; each run is kept beside its scenario in bench/results.json.
    """

    url: str
    runs: list[WrkResult] = field(default_factory=list)

    def scenario(self, name: str, url: str, **wrk: Any) -> WrkResult:
        time.sleep(FLOOR_SETTLE_SECONDS)
        floor = run_wrk("floor", self.url, seconds=FLOOR_SECONDS, connections=32)
        self.runs.append(floor)
        result = run_wrk(name, url, **wrk)
        result.floor_requests_per_second = floor.requests_per_second
        return result

    def median(self) -> float:
        return statistics.median(run.requests_per_second for run in self.runs)


def create_scenario(floor: Floor, base: str, seconds: int, env: dict[str, str], connections: int = 32) -> WrkResult:
    """`POST /products`, a new sku each time (bench/post_product.lua reads `env`)."""
    script = ROOT / "bench/post_product.lua"
    name = "create_product" if connections == 32 else f"create_product_c{connections}"
    env = {**env, "BENCH_RUN": f"{env['BENCH_RUN']}-c{connections}"}  # skus of its own: no 409 for a taken one
    url = f"{base}/products"
    return floor.scenario(name, url, seconds=seconds, connections=connections, script=script, env=env)


def scenarios(api: Api, floor: Floor, seconds: int, token: str) -> list[WrkResult]:
    auth = {"Authorization": f"Bearer {token}"}
    base = api.base_url
    product_id = api.first_product_id(token)
    env = {**os.environ, "BENCH_TOKEN": token, "BENCH_EMAIL": BENCH_EMAIL, "BENCH_PASSWORD": BENCH_PASSWORD}
    env["BENCH_RUN"] = secrets.token_hex(4)
    by_id, listing = f"{base}/products/{product_id}", f"{base}/products?limit=20"
    history = f"{by_id}/history"  # its record's ten changes, among all the audit rows seeded
    key = {"X-API-Key": api.api_key(token)}
    run_wrk("warm-up", by_id, seconds=WARM_UP_SECONDS, connections=32, headers=auth)
    run_wrk("warm-up", by_id, seconds=1, connections=32, headers=key)
    return [
        floor.scenario("get_product", by_id, seconds=seconds, connections=32, headers=auth),
        floor.scenario("get_product_api_key", by_id, seconds=seconds, connections=32, headers=key),
        floor.scenario("get_product_c16", by_id, seconds=seconds, connections=16, headers=auth),
        floor.scenario("list_products_cached", listing, seconds=seconds, connections=32, headers=auth),
        floor.scenario("list_products_c16", listing, seconds=seconds, connections=16, headers=auth),
        floor.scenario("product_history", history, seconds=seconds, connections=32, headers=auth),
        create_scenario(floor, base, seconds, env),
        create_scenario(floor, base, seconds, env, connections=16),
        floor.scenario(
            "login", f"{base}/auth/login", seconds=seconds, connections=8, script=ROOT / "bench/login.lua", env=env
        ),
    ]


@contextmanager
def service(env: dict[str, str], *, workers: int = 1, log: Path | None = None) -> Iterator[tuple[Api, str, int]]:
    """The service up on SERVICE_PORT with `env`: its API, the bench caller's token, the master's pid."""
    with serve("app.main:create_app", SERVICE_PORT, env, workers=workers, factory=True, log=log) as pid:
        api = Api(f"http://127.0.0.1:{SERVICE_PORT}")
        yield api, api.bench_user_token(BENCH_EMAIL, BENCH_PASSWORD), pid


def run_service(database_url: str, floor: Floor, workers: int, seconds: int) -> dict[str, Any]:
    env = service_env(database_url, WORKERS=str(workers))
    with service(env, workers=workers) as (api, token, pid):
        results = scenarios(api, floor, seconds, token)
        time.sleep(SETTLE_SECONDS)
        return {
            "results": [r.as_dict() for r in results],
            "rss_mb": worker_rss_mb(pid, workers),
            "peak_rss_mb": worker_rss_mb(pid, workers, "VmHWM"),
        }


def run_logged(database_url: str, floor: Floor, seconds: int) -> list[WrkResult]:
    """The reads again with the access line logged for every request (LOG_LEVEL=INFO, JSON),
    as production logs it, to a file standing in for the log collector."""
    env = service_env(database_url, LOG_LEVEL="INFO")
    with (
        tempfile.TemporaryDirectory() as scratch,
        service(env, log=Path(scratch) / "service.log") as (api, token, _),
    ):
        auth = {"Authorization": f"Bearer {token}"}
        product = f"{api.base_url}/products/{api.first_product_id(token)}"
        listing = f"{api.base_url}/products?limit=20"
        run_wrk("warm-up", product, seconds=WARM_UP_SECONDS, connections=32, headers=auth)
        return [
            floor.scenario("get_product_logged", product, seconds=seconds, connections=32, headers=auth),
            floor.scenario("list_products_logged", listing, seconds=seconds, connections=32, headers=auth),
        ]


def run_uncached(database_url: str, floor: Floor, seconds: int) -> WrkResult:
    env = service_env(database_url, CACHE_TTL_SECONDS="0")
    with service(env) as (api, token, _):
        auth = {"Authorization": f"Bearer {token}"}
        url = f"{api.base_url}/products?limit=20"
        run_wrk("warm-up", url, seconds=WARM_UP_SECONDS, connections=32, headers=auth)
        return floor.scenario("list_products_uncached", url, seconds=seconds, connections=32, headers=auth)


def run_stack(database_url: str, floor: Floor, seconds: int) -> list[WrkResult]:
    """The stack's floor (bench/stack_app.py): the service's GET by id and create, with none of its own work."""
    with serve("bench.stack_app:app", STACK_PORT, {"DATABASE_URL": database_url}):
        base = f"http://127.0.0.1:{STACK_PORT}"
        by_id = f"{base}/products/{lowest_id(database_url, 'products')}"
        run_wrk("warm-up", by_id, seconds=WARM_UP_SECONDS, connections=32)
        # The create script sends a token; the stack reads no header.
        env = {**os.environ, "BENCH_TOKEN": "unused", "BENCH_RUN": f"stack-{secrets.token_hex(4)}"}
        return [
            floor.scenario("get_product", by_id, seconds=seconds, connections=32),
            create_scenario(floor, base, seconds, env),
        ]


def report(floor: Floor, runs: dict[str, dict[str, Any]]) -> list[str]:
    on_sqlite = not os.environ.get("BENCH_DATABASE_URL")
    targets, p99_limit = (SQLITE_TARGETS, SQLITE_P99_LIMIT_MS) if on_sqlite else (TARGETS, P99_LIMIT_MS)
    rates = sorted(run.requests_per_second for run in floor.runs)
    median = floor.median()
    lines = [
        f"floor (bare FastAPI, c32): {len(rates)} runs of {FLOOR_SECONDS} s, one before each scenario, "
        f"{rates[0]:.0f} to {rates[-1]:.0f} req/s; ratios are to their median, {median:.0f}",
        "",
        f"{'scenario':<28}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'x floor':>9}",
    ]
    failures = []
    stack = {result["name"]: result["requests_per_second"] for result in runs.get("stack", {}).get("results", [])}
    for label, run in runs.items():
        for result in run["results"]:
            ratio = result["requests_per_second"] / median
            result["ratio_to_floor"] = round(ratio, 4)
            lines.append(
                f"{label + ' ' + result['name']:<28}{result['requests_per_second']:>10.0f}"
                f"{result['p50_ms']:>9.2f}{result['p99_ms']:>9.2f}{result['non_2xx']:>9}{ratio:>9.3f}"
            )
            if label == "1 worker" and result["name"] in targets and ratio < targets[result["name"]]:
                bound = f" (the stack alone: {stack[result['name']] / median:.3f})" if result["name"] in stack else ""
                failures.append(f"{result['name']}: {ratio:.3f} x floor < {targets[result['name']]}{bound}")
            if label != "stack" and (result["non_2xx"] or result["socket_errors"]):  # a reference, not the service
                failures.append(
                    f"{label} {result['name']}: {result['non_2xx']} non-2xx, {result['socket_errors']} socket errors"
                )
            if result["connections"] == 16 and result["p99_ms"] > p99_limit:
                failures.append(f"{label} {result['name']}: p99 {result['p99_ms']} ms > {p99_limit}")
        if "rss_mb" in run:
            lines.append(
                f"{label} resident memory per worker: {run['rss_mb']} MB after the run, {run['peak_rss_mb']} MB at peak"
            )
            failures += [
                f"{label}: worker RSS {rss} MB > {RSS_LIMIT_MB}" for rss in run["rss_mb"] if rss > RSS_LIMIT_MB
            ]
    for label, run in runs.items():
        by_name = {result["name"]: result["requests_per_second"] for result in run["results"]}
        if "get_product_api_key" in by_name:
            share = by_name["get_product_api_key"] / by_name["get_product"]
            lines.append(f"{label} GET by id with an API key: {share:.3f} x with an access token")
            if share < API_KEY_SHARE:
                failures.append(f"{label} get_product_api_key: {share:.3f} x the token's req/s < {API_KEY_SHARE}")
    if stack and "1 worker" in runs:
        shares = [
            f"{result['name']} {result['requests_per_second'] / stack[result['name']]:.2f}"
            for result in runs["1 worker"]["results"]
            if result["name"] in stack
        ]
        lines += ["", f"1 worker, as a share of the stack's req/s: {', '.join(shares)}"]
    return lines + ([""] + ["MISSED: " + f for f in failures] if failures else ["", "All targets met."])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--audit-rows", type=int, default=10_000, help="Rows in audit_changes (the history read)")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--soak", type=int, default=0, help="Seconds of mixed load instead of the scenarios")
    args = parser.parse_args()
    if args.soak:
        main_soak(args.soak, args.products)
        return

    # The floor stays up, idle, while the service is measured: it is driven only between scenarios.
    with prepared_database(args.products, args.audit_rows) as url, serve("bench.floor_app:app", FLOOR_PORT, {}):
        floor = Floor(f"http://127.0.0.1:{FLOOR_PORT}/")
        run_wrk("warm-up", floor.url, seconds=WARM_UP_SECONDS, connections=32)
        runs: dict[str, dict[str, Any]] = {}
        for workers in (int(w) for w in args.workers.split(",")):
            runs[f"{workers} worker{'s' if workers > 1 else ''}"] = run_service(url, floor, workers, args.seconds)
        runs["cache off"] = {"results": [run_uncached(url, floor, args.seconds).as_dict()]}
        runs["access lines"] = {"results": [result.as_dict() for result in run_logged(url, floor, args.seconds)]}
        # Last: its creates leave outbox rows pending, which a service started after it would publish.
        runs["stack"] = {"results": [result.as_dict() for result in run_stack(url, floor, args.seconds)]}

    lines = report(floor, runs)
    print("\n".join(lines))
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "database": "postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite",
        "products": args.products,
        "audit_rows": args.audit_rows,
        "seconds": args.seconds,
        "floor_runs": [run.as_dict() for run in floor.runs],
        "floor_median_requests_per_second": floor.median(),
        "runs": runs,
        "summary": lines,
    }
    (ROOT / "bench/results.json").write_text(json.dumps(results, indent=2))


def main_soak(seconds: int, products: int) -> None:
    with prepared_database(products) as url:
        soak = run_soak(service_env(url), SERVICE_PORT, seconds, products, (BENCH_EMAIL, BENCH_PASSWORD))
    lines = soak_report(soak)
    print("\n".join(lines))
    (ROOT / "bench/soak.json").write_text(json.dumps({"seconds": seconds, **soak, "summary": lines}, indent=2))


if __name__ == "__main__":
    main()
