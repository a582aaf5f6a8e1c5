"""The worker processes greentui starts: whether one is alive, and how it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from greentui.store.record import RunRecord, utc_now
from greentui.store.run_store import RunStore

STOP_GRACE_S = 30.0



# Worker processes this greentui started: polled so finished ones do not linger as zombies.
_LIVE: dict[str, subprocess.Popen] = {}


def track(run_id: str, process: subprocess.Popen) -> None:
    """Remember a worker this process started, so that its exit status is collected."""
    _LIVE[run_id] = process


def reap() -> None:
    """Collect the exit status of finished workers started by this process."""
    for run_id, process in list(_LIVE.items()):
        if process.poll() is not None:
            del _LIVE[run_id]


def pid_alive(pid: int | None) -> bool:
    """True while the process exists and is not a zombie."""
    if not pid:
        return False
    reap()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def stop(store: RunStore, record: RunRecord, grace_s: float = STOP_GRACE_S) -> bool:
    """Ask the worker to stop (SIGTERM to its process group), SIGKILL after `grace_s`.

    Returns True when the worker stopped within the grace period and stored its own summary.
    """
    if not pid_alive(record.pid):
        return False
    pgid = record.pid  # the worker leads its own session and process group
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not pid_alive(record.pid):
            return True
        time.sleep(0.2)
    _signal_group(pgid, signal.SIGKILL)
    store.update(record.id, status="stopped", finished_at=utc_now(),
                 error=f"worker did not stop within {grace_s:.0f} s and was killed")
    return False


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass

