"""Whether a process named by a lease or an upload marker (``host:pid``) has ended.

Import jobs and uploads both record the process that holds them, so that work left by a killed
process is taken over (a job) or swept (an upload: it holds password hashes). Both ask the same
question of the same kind of name, answered here once.
"""

from __future__ import annotations

import os
import socket

__all__ = ["local_pid", "pid_ended"]


def local_pid(host: str, pid_text: str) -> int | None:
    """The pid when ``host`` is this machine and ``pid_text`` a number; None when this machine
    cannot tell (another host's process, or a malformed name)."""
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    return int(pid_text)


def pid_ended(pid: int) -> bool:
    """True when no process has this pid any more (a process of another user still runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
