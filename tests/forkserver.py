"""uvicorn processes forked from one that has already imported the app: a start costs the app's
start-up, not a second of CPU importing it again.

One fork server per test process, started at the first `spawn` and gone when that process
ends (its stdin closes: it kills the servers it made and exits). Each server is forked from it
with its own environment, working directory and log file, then runs `uvicorn` as its command
line would; the fork server reaps it and reports its exit status.
"""

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

SPAWN_SECONDS = 30.0

# Runs as `python -c`: reads one JSON request a line, answers "started <pid>" at once and
# "exited <pid> <returncode>" (negative: the signal that ended it) when the server ends.
SERVER = r"""
import json, os, select, signal, sys

import app.main  # noqa: F401 - what every server forked from here has no need to import again
import uvicorn.main

answers = sys.stdout
pending = b""
children = set()
wake_read, wake_write = os.pipe()
os.set_blocking(wake_write, False)
signal.set_wakeup_fd(wake_write)
signal.signal(signal.SIGCHLD, lambda *_: None)


def serve(request):
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    for fd in (null, log, wake_read, wake_write):
        os.close(fd)
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    sys.argv = ["uvicorn", *request["args"]]
    code = 1
    try:
        uvicorn.main.main()
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    finally:
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
        if not received:  # the test process is gone: so are its servers
            for pid in children:
                os.kill(pid, signal.SIGKILL)
            sys.exit(0)
        *lines, pending = (pending + received).split(b"\n")
        for line in lines:
            pid = os.fork()
            if pid == 0:
                serve(json.loads(line))
            children.add(pid)
            answers.write(f"started {pid}\n")
        answers.flush()
"""


class ForkedServer:
    """What an `asyncio.subprocess.Process` offers that `AppServer` uses, for a forked server."""

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
            os.kill(self.pid, number)


class ForkServer:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._started: asyncio.Queue[int] = asyncio.Queue()
        self._servers: dict[int, ForkedServer] = {}
        self._early_exits: dict[int, int] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def spawn(self, args: list[str], cwd: Path, env: dict[str, str], log: Path) -> ForkedServer:
        assert self._process.stdin is not None
        request = {"args": args, "cwd": str(cwd), "env": env, "log": str(log)}
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


async def close_fork_server() -> None:
    starting = _fork_servers.pop(asyncio.get_running_loop(), None)
    if starting is not None:
        await (await starting).close()
