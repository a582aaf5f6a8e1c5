"""GPU power limits a dead run still owes: put back by the next `greentui ls`, TUI start or sweep step.

A capped run's worker puts its GPUs' limits back however it ends, unless it is killed outright
(SIGKILL, the OOM killer, a power cut). It leaves an empty file named by its run in the store's
runs/power-limits-pending/ while a restore is owed (greentui.worker.power_limits), so finding what
is owed is one folder listing, never a read of every run. The restore itself talks to NVML, in a
subprocess: the core does not import pynvml.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Callable

from greentui.runs.process import worker_alive
from greentui.store.run_store import RunStore

PENDING_FOLDER = "power-limits-pending"  # greentui.worker.power_limits.PENDING_FOLDER
RESTORE_TIMEOUT_S = 60.0
_RUN_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{4}\Z")


def owed_restores(store: RunStore) -> list[str]:
    """Ids of runs whose power limits are owed a restore (the folder's entries that name a run)."""
    try:
        names = sorted(entry.name for entry in (store.runs_root / PENDING_FOLDER).iterdir())
    except OSError:
        return []
    return [name for name in names if _RUN_ID.match(name)]


def restore_dead_runs(store: RunStore, say: Callable[[str], None] = lambda _line: None) -> int:
    """Put back the limits of every owing run whose worker is gone; how many were restored."""
    restored = 0
    for run_id in owed_restores(store):
        record = store.get(run_id)
        if record is not None and record.status == "running" and worker_alive(store, record):
            continue  # it restores its own limits when it ends
        run_dir = store.runs_root / run_id
        if run_dir.is_symlink() or not run_dir.is_dir():
            (store.runs_root / PENDING_FOLDER / run_id).unlink(missing_ok=True)  # nothing there to restore from
            continue
        try:
            done = subprocess.run([sys.executable, "-m", "greentui.worker.power_limits", "restore", str(run_dir)],
                                  capture_output=True, text=True, timeout=RESTORE_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL, check=False)
            lines = json.loads(done.stdout.strip().splitlines()[-1])["said"]
        except (OSError, subprocess.TimeoutExpired, ValueError, IndexError, KeyError, TypeError):
            say(f"run {run_id}: its GPUs' power limits could not be put back yet; greentui tries again next time")
            continue
        for line in lines if isinstance(lines, list) else []:
            say(str(line))
        restored += done.returncode == 0
    return restored
