"""Runs left `running` whose worker is gone become `crashed`, keeping what their events recorded."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from greentui.events.log import EVENTS_FILE, read_all
from greentui.events.reducer import RunSnapshot, fold
from greentui.metrics.curves import stored_curves
from greentui.metrics.derived import derived_metrics
from greentui.runs.process import pid_alive
from greentui.store.curves import save_curves
from greentui.store.record import utc_now
from greentui.store.run_dirs import run_dir_of
from greentui.store.run_store import RunStore

# A run just launched may not have its pid stored yet; leave it alone this long.
GRACE_S = 10.0
VANISHED = "the worker process vanished without a final status"


def reconcile(store: RunStore) -> list[str]:
    """Mark dead `running` runs as crashed; returns their ids."""
    crashed = []
    # Summaries first: at start-up on thousands of runs only a dead run's record is worth reading.
    for row in store.summaries():
        if row.status != "running" or pid_alive(row.pid):
            continue
        record = store.get(row.id)
        if record is None:
            continue
        events = read_all(run_dir_of(store, record) / EVENTS_FILE)
        if record.pid is None and time.time() - max((e.t for e in events), default=0.0) < GRACE_S:
            continue
        run = fold(events)
        _keep_curves(run_dir_of(store, record), stored_curves(run))
        final = run.final_status
        if final is not None:
            # The worker finished but could not write the store (full disk, say): its events can.
            store.update(record.id, status=final, finished_at=utc_now(), metrics=_metrics(run),
                         error=run.reason)
            continue
        skipped = f" ({events.skipped} unreadable event lines skipped)" if events.skipped else ""
        store.update(record.id, status="crashed", finished_at=utc_now(), metrics=_metrics(run),
                     error=VANISHED + skipped)
        crashed.append(record.id)
    return crashed


def _metrics(run: RunSnapshot) -> dict[str, Any]:
    """What the events measured, the summary's final figures over them where there is one, and
    the metrics derived from those."""
    final = run.summary.metrics if run.summary else {}
    # The events file is untrusted: only numbers from its summary reach the record and the derivation.
    metrics = {**run.metrics(), **{k: v for k, v in final.items() if _is_number(v)}}
    metrics.update(derived_metrics(metrics))
    return metrics


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _keep_curves(run_dir: Path, curves: dict[str, Any]) -> None:
    try:
        save_curves(run_dir, curves)
    except OSError:
        pass  # the folder is gone or full: the record still gets its status and metrics
