"""`python -m app`, run as an operator would, configured by its environment.

The entry points themselves (`python -m app`, the wrapper scripts) run as subprocesses, the
long-running commands as processes forked from one that has imported the app (tests/forkserver.py);
the other commands in this process (tests/commands.py), on a copy of a migrated database where
the migrations are not what is tested.
"""

import asyncio
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import Settings
from tests.commands import environment_of, run_app, run_script
from tests.fixtures import copy_database
from tests.forkserver import ForkedServer, fork_server
from tests.servers import free_port

SUPERUSER_EMAIL = "Root@Example.com"
START_LINE_SECONDS = 60


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "app", *args], cwd, env)


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Only what the test names: no DATABASE_URL or secrets inherited from the caller's shell.
    inherited = {key: value for key, value in os.environ.items() if key not in Settings.model_fields}
    return subprocess.run(
        command,
        env={**inherited, "COLUMNS": "200", "NO_COLOR": "1", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def listed_commands(help_text: str) -> set[str]:
    """The names in the help's command table (one `│ name  description` row each)."""
    return set(re.findall(r"^\W?\s*([a-z][a-z-]*)\s{2,}\S", help_text, re.MULTILINE))


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cli.db"


@pytest.fixture
def migrated(database: Path, migrated_sqlite: Path) -> Path:
    return copy_database(migrated_sqlite, database)


@pytest.fixture
def cli_env(database: Path) -> dict[str, str]:
    return {
        "APP_ENV": "test",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "FIRST_SUPERUSER_EMAIL": SUPERUSER_EMAIL,
        "FIRST_SUPERUSER_PASSWORD": "first-superuser-pw",
        "LOG_LEVEL": "WARNING",
    }


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert listed_commands(result.stdout) >= {"serve", "db", "seed", "create-superuser"}


def test_db_help_lists_upgrade_downgrade_and_check(tmp_path: Path) -> None:
    result = run_app("db", "--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert listed_commands(result.stdout) == {"upgrade", "downgrade", "check"}


def test_upgrade_then_seed_twice_is_idempotent(tmp_path: Path, database: Path, cli_env: dict[str, str]) -> None:
    steps = [("db", "upgrade"), ("db", "check"), ("seed",), ("seed",)]
    for step in steps:
        result = run_app(*step, cwd=tmp_path, **cli_env)
        assert result.returncode == 0, f"{step}: {result.stdout}\n{result.stderr}"

    with sqlite3.connect(database) as connection:
        superusers = connection.execute("SELECT email, hashed_password FROM users WHERE is_superuser").fetchall()
        roles = [name for (name,) in connection.execute("SELECT name FROM roles ORDER BY name")]
        total_users = connection.execute("SELECT count(*) FROM users").fetchone()
    assert [email for email, _ in superusers] == [SUPERUSER_EMAIL.lower()]
    assert superusers[0][1].startswith("$argon2id$")
    assert roles == ["admin", "manager", "viewer"]
    assert total_users == (1,)


def test_create_superuser_refuses_a_taken_email(tmp_path: Path, migrated: Path, cli_env: dict[str, str]) -> None:
    options = ["create-superuser", "--email", "ops@example.com", "--password", "ops-password-1"]

    first = run_app(*options, cwd=tmp_path, **cli_env)
    second = run_app(*options, cwd=tmp_path, **cli_env)

    assert first.returncode == 0, first.stderr
    assert "ops@example.com" in first.stdout
    assert second.returncode != 0
    with sqlite3.connect(migrated) as connection:
        assert connection.execute("SELECT count(*) FROM users WHERE is_superuser").fetchone() == (1,)


def test_events_prune_reports_what_it_deleted(tmp_path: Path, migrated: Path, cli_env: dict[str, str]) -> None:
    with sqlite3.connect(migrated) as connection:
        connection.execute(
            "INSERT INTO outbox_events (event_id, type, occurred_at, data, sent_at)"
            " VALUES ('e1', 'user.created', '2020-01-01 00:00:00', '{}', '2020-01-01 00:00:00'),"
            " ('e2', 'user.created', '2020-01-01 00:00:00', '{}', NULL)"
        )

    result = run_app("events", "prune", cwd=tmp_path, **cli_env)

    assert result.returncode == 0, result.stderr
    assert "Pruned 1 sent outbox events and 0 consumer receipts" in result.stdout
    with sqlite3.connect(migrated) as connection:
        assert connection.execute("SELECT event_id FROM outbox_events").fetchall() == [("e2",)]


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_wrapper(script: str, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, str(PROJECT_ROOT / script), *args], cwd, env)


@pytest.mark.parametrize("script", ["scripts/archive_audit.py", "seeds/seed_create_app.py"])
def test_wrappers_name_themselves_in_their_usage_line(tmp_path: Path, script: str) -> None:
    result = run_wrapper(script, "--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert f"Usage: {Path(script).name} [OPTIONS]" in result.stdout


@pytest.mark.usefixtures("migrated")
def test_wrappers_work_from_another_directory(tmp_path: Path, cli_env: dict[str, str]) -> None:
    # In this process: that they start from another directory is what the usage-line test's subprocesses show.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    seeded = run_script(PROJECT_ROOT / "seeds/seed_create_app.py", cwd=elsewhere, **cli_env)
    again = run_script(PROJECT_ROOT / "seeds/seed_create_app.py", cwd=elsewhere, **cli_env)
    archived = run_script(
        PROJECT_ROOT / "scripts/archive_audit.py", "--older-than-days", "0", "--dest", "cold", cwd=elsewhere, **cli_env
    )

    assert seeded.returncode == 0, seeded.stderr
    assert "Seeded: role admin, role manager, role viewer, superuser root@example.com" in seeded.stdout
    assert again.returncode == 0, again.stderr
    assert "Nothing to seed" in again.stdout
    assert archived.returncode == 0, archived.stderr
    assert "changes: archived" in archived.stdout
    assert "archive changes: 0/" in archived.stderr  # progress lines, though stderr is not a terminal
    assert sorted(path.name for path in elsewhere.iterdir()) == ["cold"]  # no stray ./data
    assert list((elsewhere / "cold").glob("*.jsonl.gz"))


@pytest.mark.parametrize(
    ("command", "start_line"),
    [
        pytest.param(["serve", "--port", "{port}"], "Serving on http://127.0.0.1:{port} with 1 worker(s)", id="serve"),
        pytest.param(["events", "relay"], "Relaying outbox events from sqlite", id="relay"),
        pytest.param(["events", "consume"], "Consuming queue app.events.log (bound to user.*", id="consume"),
    ],
)
async def test_long_running_commands_say_what_they_do_at_start(
    tmp_path: Path, cli_env: dict[str, str], command: list[str], start_line: str
) -> None:
    port = str(free_port())
    env = environment_of({**cli_env, "RABBITMQ_URL": "amqp://guest:secret-pw@127.0.0.1:1/"})
    output = tmp_path / "start.out"
    output.touch()
    args = ["-m", "app", *(part.format(port=port) for part in command)]
    process = await (await fork_server(tmp_path)).spawn(args, tmp_path, env, output, Path(os.devnull))
    try:
        first_line = await first_line_of(output, process)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)

    assert start_line.format(port=port) in first_line
    assert "Ctrl-C to stop" in first_line
    assert "secret-pw" not in first_line


async def first_line_of(output: Path, process: ForkedServer) -> str:
    """The first line the process wrote; a command that never prints one must not hang the suite."""
    deadline = asyncio.get_running_loop().time() + START_LINE_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        line = written_line(output)
        if line is not None or process.returncode is not None:
            return line or ""
        await asyncio.sleep(0.05)
    raise AssertionError(f"no line written in {START_LINE_SECONDS} s")


def written_line(output: Path) -> str | None:
    """The file's first line, once it is whole."""
    text = output.read_text()
    return text.split("\n", 1)[0] if "\n" in text else None


def test_create_api_key_prints_the_key_once_and_stores_its_hash(
    tmp_path: Path, migrated: Path, cli_env: dict[str, str]
) -> None:
    assert run_app("seed", cwd=tmp_path, **cli_env).returncode == 0
    grants = '{"products": ["create"]}'

    result = run_app(
        "auth", "create-api-key", "--email", SUPERUSER_EMAIL, "--name", "nightly", "--permissions", grants,
        cwd=tmp_path, **cli_env,
    )  # fmt: skip
    unknown = run_app("auth", "create-api-key", "--email", "nobody@example.com", "--name", "n", cwd=tmp_path, **cli_env)
    malformed = run_app(
        "auth", "create-api-key", "--email", SUPERUSER_EMAIL, "--name", "n", "--permissions", '{"nope": ["x"]}',
        cwd=tmp_path, **cli_env,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("ak_")
    with sqlite3.connect(migrated) as connection:
        rows = connection.execute("SELECT name, key_hash, permissions FROM api_keys").fetchall()
    assert rows == [("nightly", hashlib.sha256(key.encode()).hexdigest(), '{"products": ["read", "create"]}')]
    assert unknown.returncode != 0
    assert "nobody@example.com" in unknown.stderr
    assert malformed.returncode != 0
