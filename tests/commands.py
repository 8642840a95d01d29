"""`python -m app` and the wrapper scripts run in this process, as a fresh interpreter would run them.

A subprocess pays the whole app import again (a second or more of CPU per command). Most CLI
tests check what a command does and prints, which the process boundary does not change: here
the command runs as `__main__` with exactly the environment, working directory and argv the
test names, its own stdout and stderr, and the exit status the interpreter would give (a
message passed to `sys.exit` printed on stderr, an uncaught exception's traceback, 1).
Whatever it changes in this process (settings, logging, the debug flag, cwd, sys.path) is put
back afterwards. Commands that need a process of their own (long-running ones, which take the
process's signals) are forked from a process that has imported the app (`fork_app`). The tests
of the entry points themselves and of prompts read from a terminal keep a fresh interpreter.
"""

import io
import logging
import os
import runpy
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import structlog

from app.cli_errors import Options
from app.core.config import Settings, get_settings
from tests.forkserver import run_forked

# What `tests.test_cli.run_cli` gives a subprocess besides the test's own variables.
CONSOLE = {"COLUMNS": "200", "NO_COLOR": "1"}
COMMAND_SECONDS = 60


def run_app(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m app ARGS` with the environment `env` (and nothing the caller's shell set for the service)."""
    return _run_main(lambda: runpy.run_module("app", run_name="__main__"), ["python -m app", *args], cwd, env)


async def fork_app(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m app ARGS` in a process of its own, forked (tests/forkserver.py), run to its end."""
    return await run_forked(["-m", "app", *args], cwd, environment_of(env), COMMAND_SECONDS)


def environment_of(env: dict[str, str]) -> dict[str, str]:
    """A command's environment: the test's variables, and nothing the caller's shell set for the service."""
    inherited = {key: value for key, value in os.environ.items() if key not in Settings.model_fields}
    return {**inherited, **CONSOLE, **env}


def run_script(script: Path, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python SCRIPT ARGS`, as `run_app`."""
    return _run_main(lambda: runpy.run_path(str(script), run_name="__main__"), [str(script), *args], cwd, env)


def _run_main(
    main: Callable[[], object], argv: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    environment = environment_of(env)
    stdout, stderr = io.StringIO(), io.StringIO()
    status: list[int] = []
    with as_a_fresh_process(argv, cwd, environment), redirect_stdout(stdout), redirect_stderr(stderr):
        # A thread of its own: the commands start event loops (asyncio.run), which must not
        # replace the test loop of this thread. A daemon: one that never returns fails its test
        # (as a subprocess's timeout would) without keeping the run from ending.
        thread = threading.Thread(target=lambda: status.append(exit_status(main)), daemon=True)
        thread.start()
        thread.join(COMMAND_SECONDS)
    assert status, f"{' '.join(argv)} still running after {COMMAND_SECONDS} s"
    return subprocess.CompletedProcess(argv, status[0], stdout.getvalue(), stderr.getvalue())


def exit_status(main: Callable[[], object]) -> int:
    """What the interpreter would exit with after running `main`, printing what it would print."""
    try:
        main()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    return 0


@contextmanager
def as_a_fresh_process(argv: list[str], cwd: Path, env: dict[str, str]) -> Iterator[None]:
    environ, directory, saved_argv, path = dict(os.environ), Path.cwd(), sys.argv, list(sys.path)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    structlog_config, excepthook = structlog.get_config(), sys.excepthook
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = argv
    get_settings.cache_clear()
    Options.debug = False
    # Logging as an interpreter starts it: no handler (the last-resort one writes warnings to
    # stderr) and structlog's defaults, until the command configures its own.
    root.handlers[:] = []
    root.setLevel(logging.WARNING)
    structlog.reset_defaults()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        os.chdir(directory)
        sys.argv, sys.path[:], sys.excepthook = saved_argv, path, excepthook
        get_settings.cache_clear()
        Options.debug = False
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.configure(**structlog_config)
