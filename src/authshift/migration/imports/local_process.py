"""Whether a process named by a lease or an upload marker (``host:pid``) has ended.

Import jobs and uploads both record the process that holds them, so that work left by a killed
process is taken over (a job) or swept (an upload: it holds password hashes). Both ask the same
question of the same kind of name, answered once, with the lease, in ``jobs.lease``.
"""

from __future__ import annotations

from authshift.jobs.lease import local_pid, pid_ended

__all__ = ["local_pid", "pid_ended"]
