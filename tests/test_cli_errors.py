"""Operational errors of `python -m app`: one line on stderr, exit 1, a traceback only with --debug.

The commands run in this process (tests/commands.py), but for those whose point is the process:
`make run` and a password asked for on stdin (fresh interpreters), and the long-running consumer
(it takes the process's signals, which only a main thread can: a process forked for it).
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.core.config import Settings
from tests.commands import fork_app, run_app
from tests.fixtures import copy_database

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
SQLITE = {"APP_ENV": "test", "LOG_LEVEL": "WARNING"}


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {**SQLITE, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}


@pytest.mark.parametrize(
    ("command", "url", "expected"),
    [
        (("db", "upgrade"), "postgresql+asyncpg://postgres:pw-7f3a@127.0.0.1:1/nowhere", "Connect call failed"),
        (("seed",), "postgresql+asyncpg://postgres:pw-7f3a@127.0.0.1:1/nowhere", "cannot use the database"),
        (("seed",), "postgresql+asyncpg://postgres:pw-7f3a@no-such-host.invalid/x", "cannot use the database"),
        (("db", "upgrade"), "nosuchdriver://user:pw-7f3a@host/db", "DATABASE_URL is not a database URL"),
        (("seed",), "not a url pw-7f3a", "DATABASE_URL is not a database URL"),
    ],
)
def test_an_unusable_database_is_one_line(tmp_path: Path, command: tuple[str, ...], url: str, expected: str) -> None:
    line = one_line_error(run_app(*command, cwd=tmp_path, **SQLITE, DATABASE_URL=url))

    assert expected in line
    assert "pw-7f3a" not in line  # the URL's password is never echoed


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs TEST_DATABASE_URL")
@pytest.mark.parametrize("command", [("db", "upgrade"), ("seed",)])
def test_a_postgres_database_that_does_not_exist_is_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    assert TEST_DATABASE_URL
    url = make_url(TEST_DATABASE_URL).set(database="no_such_database_7f3a").render_as_string(hide_password=False)

    line = one_line_error(run_app(*command, cwd=tmp_path, **SQLITE, DATABASE_URL=url))

    assert 'database "no_such_database_7f3a" does not exist' in line


def test_seed_before_migrations_says_to_migrate(tmp_path: Path) -> None:
    line = one_line_error(
        run_app("seed", cwd=tmp_path, **sqlite_env(tmp_path), FIRST_SUPERUSER_PASSWORD="long-enough-1")
    )

    assert line == "Error: the database has no tables yet: run `python -m app db upgrade` first"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run_app("--debug", "seed", cwd=tmp_path, **sqlite_env(tmp_path), FIRST_SUPERUSER_PASSWORD="long-enough-1")

    assert result.returncode == 1
    assert "Traceback" in result.stderr


@pytest.mark.parametrize(
    ("setting", "value"), [("LOG_LEVEL", "verbose"), ("WORKERS", "0"), ("DATABASE_POOL_SIZE", "0")]
)
def test_an_invalid_setting_is_refused_before_anything_runs(tmp_path: Path, setting: str, value: str) -> None:
    env = {**sqlite_env(tmp_path), setting: value}

    line = one_line_error(run_app("db", "upgrade", cwd=tmp_path, **env))

    assert line.startswith(f"Invalid configuration: {setting}")
    assert not (tmp_path / "cli.db").exists()  # nothing was migrated


def test_make_run_reports_a_bad_setting_before_migrating(tmp_path: Path) -> None:
    inherited = {key: value for key, value in os.environ.items() if key not in Settings.model_fields}
    (tmp_path / ".env").write_text("")  # make's `.env` target is then done: nothing copied, nothing read
    makefile = Path(__file__).resolve().parent.parent / "Makefile"
    variables = [f"BIN={Path(sys.executable).parent}", "STAMP="]  # this venv, already installed

    result = subprocess.run(
        ["make", "--no-print-directory", "-f", str(makefile), "run", *variables],
        env={**inherited, **sqlite_env(tmp_path), "LOG_LEVEL": "verbose"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "Invalid configuration: LOG_LEVEL" in result.stderr
    assert "Running upgrade" not in result.stderr
    assert not (tmp_path / "cli.db").exists()


def test_create_superuser_validates_like_the_api(tmp_path: Path, migrated_sqlite: Path) -> None:
    env = sqlite_env(tmp_path)
    copy_database(migrated_sqlite, tmp_path / "cli.db")

    bad_email = one_line_error(
        run_app("create-superuser", "--email", "bad", "--password", "long-enough-1", cwd=tmp_path, **env)
    )
    short = one_line_error(
        run_app("create-superuser", "--email", "ok@example.com", "--password", "short", cwd=tmp_path, **env)
    )

    assert bad_email.startswith("Error: email:")
    assert short.startswith("Error: password:")
    with sqlite3.connect(tmp_path / "cli.db") as connection:
        assert connection.execute("SELECT count(*) FROM users").fetchone() == (0,)


def test_create_superuser_with_a_taken_email_is_one_line(tmp_path: Path, migrated_sqlite: Path) -> None:
    env = sqlite_env(tmp_path)
    copy_database(migrated_sqlite, tmp_path / "cli.db")
    options = ("create-superuser", "--email", "ops@example.com", "--password", "ops-password-1")
    assert run_app(*options, cwd=tmp_path, **env).returncode == 0

    line = one_line_error(run_app(*options, cwd=tmp_path, **env))

    assert "ops@example.com" in line
    assert "already exists" in line


def test_create_superuser_asks_for_the_password(tmp_path: Path, migrated_sqlite: Path) -> None:
    env = sqlite_env(tmp_path)
    copy_database(migrated_sqlite, tmp_path / "cli.db")
    inherited = {key: value for key, value in os.environ.items() if key not in Settings.model_fields}

    result = subprocess.run(
        [sys.executable, "-m", "app", "create-superuser", "--email", "asked@example.com"],
        env={**inherited, **env},
        cwd=tmp_path,
        input="asked-password-1\nasked-password-1\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "asked-password-1" not in result.stdout + result.stderr
    with sqlite3.connect(tmp_path / "cli.db") as connection:
        assert connection.execute("SELECT email FROM users WHERE is_superuser").fetchall() == [("asked@example.com",)]


async def test_events_consume_without_a_broker_is_one_line(tmp_path: Path) -> None:
    unset = one_line_error(await fork_app("events", "consume", cwd=tmp_path, **sqlite_env(tmp_path)))

    assert "RABBITMQ_URL" in unset


async def test_events_consume_with_the_broker_down_ends_with_one_error_line(tmp_path: Path) -> None:
    env = {**sqlite_env(tmp_path), "RABBITMQ_URL": "amqp://guest:pw-7f3a@127.0.0.1:1/"}

    result = await fork_app("events", "consume", cwd=tmp_path, **env)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "pw-7f3a" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: cannot reach RabbitMQ at 127.0.0.1:1: [Errno 111] Connect call failed ('127.0.0.1', 1)"
    )
