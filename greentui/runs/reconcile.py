"""Runs left `running` whose worker is gone become `crashed`, keeping what their events recorded."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from greentui.runs.power_restore import restore_dead_runs
from greentui.runs.process import worker_alive
from greentui.store.curves import save_curves
from greentui.store.record import RunRecord, utc_now
from greentui.store.run_dirs import RunDirRefused, run_dir_of
from greentui.store.run_store import RunStore
from greentui.store.summary import RunRow

# A run just launched has no pid stored until its worker is spawned and the store's lock is had
# again (which may take up to its 60 s timeout on a busy store); leave it alone this long.
GRACE_S = 75.0
VANISHED = "the worker process vanished without a final status"


def reconcile(store: RunStore, say: Callable[[str], None] = lambda _line: None,
              runs: Iterable[RunRow] | None = None) -> list[str]:
    """Mark dead `running` runs as crashed, and put back the GPU power limits dead runs owe; the crashed ids.

    `say` hears what was done to a GPU's power limit (greentui.runs.power_restore). `runs`: the
    store's runs where the caller has just read them (`ls --json`), else the index's summaries."""
    crashed = []
    # Summaries first: at start-up on thousands of runs only a dead run's record is worth reading.
    for row in store.summaries() if runs is None else runs:
        if row.status != "running":
            continue
        record = store.get(row.id)
        if record is None or worker_alive(store, record) or launching(record) or queued_in_batch(record):
            continue
        if settle(store, record, "crashed", VANISHED) == "crashed":
            crashed.append(record.id)
    restore_dead_runs(store, say)
    return crashed


def settle(store: RunStore, record: RunRecord, status: str, error: str) -> str:
    """End a run whose worker is gone: its events' own final status if they have one, else `status` with
    `error`; what its events recorded is kept (metrics, curves). Returns the status stored."""
    # Imported here: every listing reconciles, and only a dead run's settling reads its events.
    from greentui.events.log import EVENTS_FILE, read_all
    from greentui.events.reducer import fold
    from greentui.metrics.curves import stored_curves
    from greentui.metrics.derived import final_metrics


    try:
        run_dir = run_dir_of(store, record)
    except RunDirRefused as err:  # a crafted record: its "folder" is never read or written
        store.update(record.id, status=status, finished_at=utc_now(), error=str(err))
        return status
    events = read_all(run_dir / EVENTS_FILE)
    run = fold(events)
    _keep_curves(run_dir, stored_curves(run))
    if run.final_status is not None:
        # The worker finished but could not write the store (full disk, say): its events can.
        summary = run.summary
        measurement = dict(summary.measurement) if summary and summary.measurement else {}
        phases = dict(summary.phases) if summary and summary.phases else {}
        store.update(record.id, status=run.final_status, finished_at=utc_now(), metrics=final_metrics(run),
                     measurement=measurement, phases=phases, error=run.reason)
        return run.final_status
    skipped = f" ({events.skipped} unreadable event lines skipped)" if events.skipped else ""
    store.update(record.id, status=status, finished_at=utc_now(), metrics=final_metrics(run), error=error + skipped)
    return status


def queued_in_batch(record: RunRecord) -> bool:
    """A batch job whose worker has not started (no pid yet): the queue runner asks the batch system about it."""
    return record.executor.get("kind") == "slurm" and record.pid is None


def launching(record: RunRecord) -> bool:
    """True for a run stored but whose worker's pid is not yet: the launch writes it a moment later.

    Measured from the launch (the record's creation), not from its events: a run has none
    before its worker starts, and every reconcile in between (ls, show, a TUI starting, a
    sweep's runner) would otherwise find it crashed.
    """
    if record.pid is not None:
        return False
    try:
        created = datetime.fromisoformat(record.created_at).timestamp()
    except ValueError:
        return False
    return time.time() - created < GRACE_S


def _keep_curves(run_dir: Path, curves: dict[str, Any]) -> None:
    try:
        save_curves(run_dir, curves)
    except OSError:
        pass  # the folder is gone or full: the record still gets its status and metrics
