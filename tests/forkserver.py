"""Python processes forked from one that has already imported the app: a start costs what the
command does, not a second of CPU importing the app again.

One fork server per test process, started at the first `spawn` and gone when that process
ends (its stdin closes: it kills the processes it made and exits). Each process is forked from
it with its own environment, working directory and output files, then runs as `python ARGS`
would for `-m MODULE` and `-c CODE` (uvicorn servers are `-m uvicorn ...`); the fork server
reaps it and reports its exit status.
"""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

SPAWN_SECONDS = 30.0

# Runs as `python -c`: reads one JSON request a line, answers "started <pid>" at once and
# "exited <pid> <returncode>" (negative: the signal that ended it) when the process ends.
SERVER = r"""
import atexit, json, os, runpy, select, signal, sys, traceback

import app.cli  # noqa: F401 - what every process forked from here has no need to import again
import app.main  # noqa: F401
import uvicorn.main  # noqa: F401
from app.core.config import get_settings

answers = sys.stdout
pending = b""
children = set()
wake_read, wake_write = os.pipe()
os.set_blocking(wake_write, False)
signal.set_wakeup_fd(wake_write)
signal.signal(signal.SIGCHLD, lambda *_: None)


def python(args):
    # As the interpreter runs `python -m MODULE ...` or `python -c CODE ...`.
    if args[0] == "-m":
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = ["-c", *args[2:]]
        exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})


def exit_code(exit):
    if exit.code is None or isinstance(exit.code, int):
        return exit.code or 0
    print(exit.code, file=sys.stderr)
    return 1


def run(request):
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    get_settings.cache_clear()
    stdout = os.open(request["stdout"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    stderr = os.open(request["stderr"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in (null, stdout, stderr, wake_read, wake_write):
        os.close(fd)
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    code = 1
    try:
        python(request["args"])
        code = 0
    except SystemExit as exit:
        code = exit_code(exit)
    except BaseException:
        traceback.print_exc()
    finally:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


while True:
    readable, _, _ = select.select([0, wake_read], [], [])
    if wake_read in readable:
        os.read(wake_read, 512)
        for pid in list(children):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                children.discard(pid)
                answers.write(f"exited {pid} {os.waitstatus_to_exitcode(status)}\n")
        answers.flush()
    if 0 in readable:
        received = os.read(0, 65536)
        if not received:  # the test process is gone: so are its processes
            for pid in children:
                os.kill(pid, signal.SIGKILL)
            sys.exit(0)
        *lines, pending = (pending + received).split(b"\n")
        for line in lines:
            pid = os.fork()
            if pid == 0:
                run(json.loads(line))
            children.add(pid)
            answers.write(f"started {pid}\n")
        answers.flush()
"""


class ForkedServer:
    """What an `asyncio.subprocess.Process` offers that the tests use, for a forked process."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._exited = asyncio.get_running_loop().create_future()

    def exited(self, returncode: int) -> None:
        self.returncode = returncode
        self._exited.set_result(returncode)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, number: signal.Signals) -> None:
        if self.returncode is None:
            # It may have ended, and been reaped by the fork server, before its exit is read here.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, number)


class ForkServer:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._started: asyncio.Queue[int] = asyncio.Queue()
        self._servers: dict[int, ForkedServer] = {}
        self._early_exits: dict[int, int] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def spawn(
        self, args: list[str], cwd: Path, env: dict[str, str], stdout: Path, stderr: Path | None = None
    ) -> ForkedServer:
        """`python ARGS` (`-m MODULE ...` or `-c CODE ...`); its output appended to `stdout` and
        `stderr` (the same file when no `stderr` is given), its stdin empty."""
        assert self._process.stdin is not None
        request = {"args": args, "cwd": str(cwd), "env": env, "stdout": str(stdout), "stderr": str(stderr or stdout)}
        self._process.stdin.write(json.dumps(request).encode() + b"\n")
        await self._process.stdin.drain()
        # A fork server that died answers nothing: fail the start rather than wait for ever.
        server = ForkedServer(await asyncio.wait_for(self._started.get(), SPAWN_SECONDS))
        self._servers[server.pid] = server
        if server.pid in self._early_exits:
            server.exited(self._early_exits.pop(server.pid))
        return server

    async def _read(self) -> None:
        assert self._process.stdout is not None
        async for line in self._process.stdout:
            kind, pid, *rest = line.decode().split()
            if kind == "started":
                self._started.put_nowait(int(pid))
            elif int(pid) in self._servers:
                self._servers.pop(int(pid)).exited(int(rest[0]))
            else:  # it ended before `spawn` had its pid
                self._early_exits[int(pid)] = int(rest[0])

    async def close(self) -> None:
        """Its stdin closed, it kills what it still runs and exits."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        await self._process.wait()
        self._reader.cancel()


_fork_servers: dict[asyncio.AbstractEventLoop, asyncio.Task[ForkServer]] = {}


async def fork_server(cwd: Path) -> ForkServer:
    """This process's fork server (on this event loop), started the first time it is asked for;
    servers started at once wait for the same one."""
    loop = asyncio.get_running_loop()
    if loop not in _fork_servers:
        _fork_servers[loop] = loop.create_task(_start(cwd))
    return await _fork_servers[loop]


async def _start(cwd: Path) -> ForkServer:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVER, cwd=cwd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    return ForkServer(process)


async def run_forked(
    args: list[str], cwd: Path, env: dict[str, str], seconds: float
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` forked and run to its end, answered as `subprocess.run` with `capture_output` would."""
    with tempfile.TemporaryDirectory() as output:
        stdout, stderr = Path(output, "stdout"), Path(output, "stderr")
        process = await (await fork_server(cwd)).spawn(args, cwd, env, stdout, stderr)
        try:
            returncode = await asyncio.wait_for(process.wait(), seconds)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise AssertionError(f"python {' '.join(args)} still running after {seconds} s") from None
        return completed(args, returncode, stdout, stderr)


def completed(args: list[str], returncode: int, stdout: Path, stderr: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["python", *args], returncode, stdout.read_text(), stderr.read_text())


async def close_fork_server() -> None:
    starting = _fork_servers.pop(asyncio.get_running_loop(), None)
    if starting is not None:
        await (await starting).close()
