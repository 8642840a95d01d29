"""CPU time per request with no network and no load generator: the app called in process.

    python -m bench.cpu [--requests 800] [--rounds 9] [--products 10000] [--audit-rows 10000] [--only NAME...]

wrk's req/s on a shared two-core host moves by a third from one run to the next (wrk, the
databases and the server share the cores). The CPU time this process spends per request,
calling the ASGI app directly one request after another, moves much less: the smallest of
several rounds is what a change is judged by. It covers everything the app does for a
request (middleware, dependencies, the queries' client side, serialization, background
writers such as the access log and the outbox relay), not uvicorn's HTTP parsing.

Same settings and databases as `make bench` (BENCH_DATABASE_URL, BENCH_REDIS_URL,
BENCH_RABBITMQ_URL); production settings with the access line off (LOG_LEVEL=WARNING).
"""

import argparse
import itertools
import json
import os
import statistics
import time
from collections.abc import Callable

import uvloop
from starlette.types import ASGIApp, Message

from app.core.config import Settings
from app.main import create_app
from bench.run import SERVICE_PORT, prepared_database, service, service_env

WARM_UP_REQUESTS = 300
# (name, method, path and query, body for the n-th request, bearer credential: token or API key)
Request = tuple[str, str, str, Callable[[int], bytes], str]


async def call(app: ASGIApp, method: str, target: str, body: bytes, token: str) -> int:
    path, _, query = target.partition("?")
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", SERVICE_PORT),
        "state": {},
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def measure(requests: list[Request], count: int, rounds: int) -> None:
    app = create_app(Settings())  # read from the environment main() set
    numbers = itertools.count()
    async with app.router.lifespan_context(app):
        for name, method, target, make_body, token in requests:
            for _ in range(WARM_UP_REQUESTS):
                status = await call(app, method, target, make_body(next(numbers)), token)
                if status >= 300:
                    raise RuntimeError(f"{name}: {method} {target} answered {status}")
            per_round = []
            for _ in range(rounds):
                bodies = [make_body(next(numbers)) for _ in range(count)]
                started = time.process_time()
                for body in bodies:
                    await call(app, method, target, body, token)
                per_round.append((time.process_time() - started) / count * 1e6)
            print(f"{name:<24}{round(min(per_round)):>8} us{round(statistics.median(per_round)):>10} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=800, help="Requests per round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--audit-rows", type=int, default=10_000, help="Rows in audit_changes (the history read)")
    parser.add_argument("--only", nargs="+", metavar="SCENARIO", help="Measure these scenarios only, by name")
    args = parser.parse_args()
    run = os.urandom(4).hex()

    def product(number: int) -> bytes:
        values = {"sku": f"CPU-{run}-{number}", "name": "Bench product", "price": "19.99", "stock": 5}
        return json.dumps(values).encode()

    with prepared_database(args.products, args.audit_rows) as url:
        env = service_env(url)
        with service(env) as (api, token, _):
            product_id = api.first_product_id(token)
            key = api.api_key(token)
        os.environ.update(env)
        requests: list[Request] = [
            ("get_product", "GET", f"/products/{product_id}", lambda _: b"", token),
            ("get_product_api_key", "GET", f"/products/{product_id}", lambda _: b"", key),
            ("list_products_cached", "GET", "/products?limit=20", lambda _: b"", token),
            ("product_history", "GET", f"/products/{product_id}/history", lambda _: b"", token),
            ("create_product", "POST", "/products", product, token),
        ]
        if args.only:
            requests = [request for request in requests if request[0] in args.only]
        print(f"{'scenario':<24}{'min':>11}{'median':>13}   (CPU per request, {args.rounds} rounds of {args.requests})")
        uvloop.run(measure(requests, args.requests, args.rounds))


if __name__ == "__main__":
    main()
