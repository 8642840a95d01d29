"""Where spans are exported: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else the base URL's /v1/traces.

Each case runs in a process of its own (forked from one that has imported the app,
tests/forkserver.py): the tracer provider is process-wide, and this one exports.
"""

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.forkserver import run_forked

EXPORT_ONE_SPAN = (
    "from app.core.config import Settings; from app.core.tracing import tracer_provider; "
    "provider = tracer_provider(Settings()); "
    "provider.get_tracer('test').start_span('one').end(); provider.force_flush()"
)
EXPORT_SECONDS = 60


@pytest.fixture
def collector() -> Iterator[tuple[str, list[str]]]:
    """A stand-in OTLP/HTTP collector on a free port: its base URL, and the paths spans were posted to."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            paths.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    # It notices a shutdown within its poll interval: a short one keeps each test's teardown short.
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", paths
    server.shutdown()


async def export(tmp_path: Path, **variables: str) -> None:
    env = {**os.environ, "OTEL_TRACES_EXPORTER": "otlp", "APP_ENV": "test", **variables}
    exported = await run_forked(["-c", EXPORT_ONE_SPAN], tmp_path, env, EXPORT_SECONDS)
    assert exported.returncode == 0, exported.stderr


async def test_spans_go_to_the_base_url_under_v1_traces(collector: tuple[str, list[str]], tmp_path: Path) -> None:
    base, paths = collector
    await export(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=f"{base}/collector/")
    assert paths == ["/collector/v1/traces"]


async def test_the_traces_endpoint_wins_over_the_base_url_and_is_used_as_given(
    collector: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, paths = collector
    await export(
        tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=f"{base}/collector", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"{base}/spans"
    )
    assert paths == ["/spans"]
