"""Measure what the access log costs, in two parts:

- on the request path: AuditMiddleware around a constant ASGI app versus the bare app
  (request context, client IP, the row, the queue put), in alternating rounds;
- off the request path: the batch writer's database time per row, in batches of 500.

    .venv/bin/python scripts/measure_access_log.py [--requests 20000] [--rounds 5] [--database-url URL]

Without --database-url a temporary SQLite database is created and migrated.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Receive, Scope, Send

from alembic import command
from app.audit.access_log import AccessLogWriter
from app.audit.middleware import AuditMiddleware
from app.cli import alembic_config
from app.core.config import Settings
from app.core.database import create_engine, create_session_factory

SCOPE: Scope = {
    "type": "http",
    "method": "GET",
    "path": "/products/42",
    "query_string": b"",
    "client": ("127.0.0.1", 50000),
    "headers": [(b"user-agent", b"bench/1.0"), (b"x-forwarded-for", b"203.0.113.9")],
}


async def constant_app(_scope: Scope, _receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def receive() -> dict[str, object]:
    return {"type": "http.request", "body": b""}


async def discard(_message: object) -> None:
    return None


async def microseconds_per_request(app: ASGIApp, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(SCOPE), receive, discard)
    return (time.perf_counter() - started) / requests * 1_000_000


async def measure_request_path(requests: int, rounds: int) -> tuple[float, float]:
    writer = AccessLogWriter(queue_limit=requests * rounds * 2)  # not started: only the path is timed
    wrapped = AuditMiddleware(constant_app, writer=writer, trusted_proxies=["127.0.0.1"])
    bare_samples, wrapped_samples = [], []
    for _ in range(rounds):
        bare_samples.append(await microseconds_per_request(constant_app, requests))
        wrapped_samples.append(await microseconds_per_request(wrapped, requests))
    return statistics.median(bare_samples), statistics.median(wrapped_samples)


async def measure_writer(database_url: str, rows: int) -> float:
    engine = create_engine(Settings(DATABASE_URL=database_url), database_url)
    writer = AccessLogWriter(queue_limit=rows)
    await writer.start(create_session_factory(engine))
    row = {"method": "GET", "path": "/products/42", "status_code": 200, "duration_ms": 1.2, "ip": "127.0.0.1"}
    try:
        for _ in range(rows):
            writer.submit(dict(row))
        started = time.perf_counter()
        await writer.flush()
        return (time.perf_counter() - started) / rows * 1_000_000
    finally:
        await writer.stop()
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()
    bare, wrapped = asyncio.run(measure_request_path(options.requests, options.rounds))
    with tempfile.TemporaryDirectory() as scratch:
        url = options.database_url or f"sqlite+aiosqlite:///{scratch}/measure.db"
        if options.database_url is None:
            command.upgrade(alembic_config(url), "head")
        per_row = asyncio.run(measure_writer(url, options.requests))
    print(f"request path, median of {options.rounds} rounds x {options.requests} requests:")
    print(f"  bare ASGI app:          {bare:7.1f} us/request")
    print(f"  with AuditMiddleware:   {wrapped:7.1f} us/request  (+{wrapped - bare:.1f} us)")
    print(f"off the request path, {make_url(url).get_backend_name()} ({options.requests} rows):")
    print(f"  batched insert:         {per_row:7.1f} us/row")


if __name__ == "__main__":
    main()
