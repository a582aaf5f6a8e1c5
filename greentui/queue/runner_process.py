"""Finding the store's queue runner, and starting it when it is not at work (greentui.queue.runner).

Apart from the runner itself so that the TUI starts it without importing the executors.
"""

from __future__ import annotations

import os
import subprocess
import sys

from filelock import FileLock, Timeout

from greentui.store.run_store import RunStore
from greentui.sweep.queue import sweeps_dir

RUNNER_LOCK = "runner.lock"
RUNNER_LOG = "runner.log"


def runner_lock(store: RunStore) -> FileLock:
    """The lock the store's runner holds while it lives (the kernel drops it with the process)."""
    os.makedirs(sweeps_dir(store), mode=0o700, exist_ok=True)
    return FileLock(str(sweeps_dir(store) / RUNNER_LOCK), timeout=0, mode=0o600)


def runner_running(store: RunStore) -> bool:
    """True while a runner holds the store's runner lock; False where there is none (or no folder for one).

    Asked by the TUI every refresh: it creates nothing, and a folder it cannot write reads as no runner."""
    if not (sweeps_dir(store) / RUNNER_LOCK).exists():
        return False
    lock = FileLock(str(sweeps_dir(store) / RUNNER_LOCK), timeout=0, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        return True
    except OSError:
        return False
    lock.release()
    return False


def ensure_runner(store: RunStore) -> int | None:
    """Start the store's runner unless one runs; its pid, or None when one was running already."""
    if runner_running(store):
        return None
    log = sweeps_dir(store) / RUNNER_LOG
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        process = subprocess.Popen(  # an argument list, never a shell; its own session: it outlives the terminal
            [sys.executable, "-m", "greentui.queue.runner", str(store.path.resolve())],
            stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT, start_new_session=True,
            close_fds=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    finally:
        os.close(fd)
    return process.pid
