"""The first code an import's reader process runs: tie its life to the importer's, then read.

A reader killed with its importer (``kill -9``) went on for seconds, holding the file of
password hashes open: the child asked to die with its parent only once it had imported the
reader's modules (seconds on a busy machine). This module imports nothing but the standard
library, and the request arrives pickled, so the ask comes first: on Linux the kernel sends
SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``; the reader is started from the
importer's event-loop thread, which lives as long as the importer); everywhere, a thread
that sees the parent change (``getppid``) ends the process within ``WATCH_SECONDS``.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
import threading
import time
from typing import Any

__all__ = ["WATCH_SECONDS", "die_with", "run_reader"]

WATCH_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with(parent_pid: int) -> None:
    """End this process when ``parent_pid`` (its parent) ends, whichever way it ends."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(WATCH_SECONDS)
        os._exit(1)

    if os.getppid() != parent_pid:  # the parent died before the death signal was asked for
        os._exit(1)
    threading.Thread(target=watch, name="authshift-import-parent-watch", daemon=True).start()


def run_reader(channel: Any, request: bytes, parent_pid: int) -> None:
    """Process target: ``import_pipeline._produce`` once this process dies with its parent."""
    die_with(parent_pid)
    from authshift.migration.imports.pipeline import _produce

    _produce(channel, pickle.loads(request))  # noqa: S301 - from the importer that started us
