"""Runs left `running` whose worker is gone become `crashed`, keeping what their events recorded."""

from __future__ import annotations

import time
from pathlib import Path

from greentui.events.log import EVENTS_FILE, read_all
from greentui.metrics.curves import curves_from_events, last_event
from greentui.runs.process import pid_alive
from greentui.store.curves import save_curves
from greentui.store.record import utc_now
from greentui.store.run_dirs import RunDirRefused, run_dir_of
from greentui.store.run_store import RunStore

# A run just launched may not have its pid stored yet; leave it alone this long.
GRACE_S = 10.0


def reconcile(store: RunStore) -> list[str]:
    """Mark dead `running` runs as crashed; returns their ids."""
    crashed = []
    # Summaries first: at start-up on thousands of runs only a dead run's record is worth reading.
    for summary in store.summaries():
        if summary.status != "running" or pid_alive(summary.pid):
            continue
        record = store.get(summary.id)
        if record is None:
            continue
        try:
            run_dir = run_dir_of(store, record)
        except RunDirRefused as err:  # a crafted record: its "folder" is never read or written
            store.update(record.id, status="crashed", finished_at=utc_now(), error=str(err))
            crashed.append(record.id)
            continue
        events = read_all(run_dir / EVENTS_FILE)
        last_seen = max((e.get("t", 0) for e in events), default=0)
        if record.pid is None and time.time() - last_seen < GRACE_S:
            continue
        _keep_curves(run_dir, curves_from_events(events))
        final = last_event(events, "status")
        if final and final.get("status") not in (None, "running"):
            # The worker finished but could not write the store (full disk, say): its events can.
            summary = last_event(events, "summary") or {}
            store.update(record.id, status=final["status"], finished_at=utc_now(),
                         metrics=summary.get("metrics", {}), error=final.get("reason"))
            continue
        metrics = {}
        energy = last_event(events, "energy")
        if energy:
            metrics.update({k: v for k, v in energy.items() if k not in ("type", "t")})
        step = last_event(events, "step")
        if step:
            metrics["steps"] = step["step"]
        store.update(record.id, status="crashed", finished_at=utc_now(),
                     metrics=metrics, error="the worker process vanished without a final status")
        crashed.append(record.id)
    return crashed


def _keep_curves(run_dir: Path, curves: dict) -> None:
    try:
        save_curves(run_dir, curves)
    except OSError:
        pass  # the folder is gone or full: the record still gets its status and metrics
