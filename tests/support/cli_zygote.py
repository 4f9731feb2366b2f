"""A process that has imported the ``authshift`` command once and forks a child per command.

Why: a database command spends about two CPU-seconds importing SQLAlchemy, pydantic and the
services before it does anything, and the suite runs the CLI hundreds of times. On a busy
machine that import time, multiplied, was most of the suite's run time. Each command still runs
in its own process (a fork of this one), as a user runs it: its own argv, environment, working
directory, standard input/output/error (files the test hands over), exit status; the parent
never runs a command itself, so no state carries over from one command to the next.

Protocol (one Unix SOCK_SEQPACKET connection per command): the client sends a JSON request
``{"args", "env", "cwd"}`` with three file descriptors (stdin, stdout, stderr); this process
answers ``pid <n>`` once forked and ``exit <status>`` when the child has ended.

    python tests/support/cli_zygote.py SOCKET_PATH
"""

from __future__ import annotations

import json
import os
import select
import socket
import sys
import traceback


def _preload() -> None:
    from authshift.cli.main import COMMANDS, load_command

    for name in COMMANDS:
        load_command(name)
    import authshift.app  # noqa: F401 - serve's import, paid once here
    import authshift.state  # noqa: F401


def _child(request: dict, fds: list[int]) -> None:  # type: ignore[type-arg]
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["authshift", *request["args"]]
    code = 0
    try:
        from authshift.cli.main import main

        main()
    except SystemExit as exc:
        if isinstance(exc.code, int):
            code = exc.code
        elif exc.code is not None:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001 - what the interpreter would print for an uncaught error
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _status(raw: int) -> int:
    if os.WIFSIGNALED(raw):
        return -os.WTERMSIG(raw)
    return os.WEXITSTATUS(raw)


def _start(conn: socket.socket, server: socket.socket, running: dict[int, socket.socket]) -> None:
    message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
    request = json.loads(message)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        server.close()
        for other in (conn, *running.values()):
            other.close()
        _child(request, fds)
    for fd in fds:
        os.close(fd)
    conn.sendall(f"pid {pid}\n".encode())
    running[pid] = conn


def _reap(running: dict[int, socket.socket]) -> None:
    while running:
        pid, raw = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        conn = running.pop(pid, None)
        if conn is not None:
            try:
                conn.sendall(f"exit {_status(raw)}\n".encode())
            except OSError:
                pass  # the client gave up (timeout) and killed the child
            conn.close()


def serve(path: str) -> None:
    """Accept commands; several may run at once (a test may start one while another runs)."""
    _preload()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(path)
    server.listen(16)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    running: dict[int, socket.socket] = {}
    parent = os.getppid()
    while True:
        ready, _, _ = select.select([server], [], [], 0.02 if running else 1.0)
        if ready:
            conn, _ = server.accept()
            _start(conn, server, running)
        _reap(running)
        if os.getppid() != parent:  # the test process is gone
            return


if __name__ == "__main__":
    serve(sys.argv[1])
