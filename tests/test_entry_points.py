"""The ways FastAPI users start an app: `uvicorn app.main:app` and `fastapi run app/main.py`."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import app.main
from app.core.config import Settings
from tests.servers import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60


def environment(tmp_path: Path) -> dict[str, str]:
    inherited = {key: value for key, value in os.environ.items() if key not in Settings.model_fields}
    return {**inherited, "APP_ENV": "test", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"}


def test_importing_the_module_builds_no_app() -> None:
    # This process imported it long ago (tests build their apps with create_app): had the
    # import, or anything since, built the module's app, it would be among its globals.
    assert "app" not in vars(app.main)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["-m", "uvicorn", "app.main:app", "--port", "{port}"], id="uvicorn"),
        pytest.param(["-m", "fastapi", "run", str(PROJECT_ROOT / "app" / "main.py"), "--port", "{port}"], id="fastapi"),
    ],
)
def test_the_usual_entry_points_serve_the_app(tmp_path: Path, command: list[str]) -> None:
    port = free_port()
    argv = [sys.executable, *(part.format(port=port) for part in command)]
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(argv, env=environment(tmp_path), cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}", server)
        unauthenticated = httpx.get(f"http://127.0.0.1:{port}/users/", timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    assert health == 200, (tmp_path / "server.log").read_text()
    assert unauthenticated.status_code == 401  # the app's own routes, behind its authentication


def wait_for_health(base_url: str, server: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return httpx.get(f"{base_url}/health", timeout=2).status_code
        except httpx.TransportError:
            time.sleep(0.2)
    return -1
