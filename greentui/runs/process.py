"""The worker processes greentui starts: whether one is alive, and how it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

from greentui.runs.identity import ProcessIdentity, is_running, runs_worker
from greentui.store.record import RunRecord, utc_now
from greentui.store.run_dirs import RunDirRefused, run_dir_of
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


class StopRefused(RuntimeError):
    """greentui will not signal this process: it cannot verify that it is the run's worker."""


def pid_alive(pid: int | None) -> bool:
    """True while the process exists and is not a zombie (pids 0, 1 and below name no worker or runner)."""
    if pid is None or pid <= 1:
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


def worker_alive(store: RunStore, record: RunRecord) -> bool:
    """True while the run's own worker runs: its recorded identity, not merely its pid (see runs.identity).

    A run launched on another host cannot be checked from here and counts as alive: it is never
    marked crashed, nor signalled, from this host.
    """
    identity = ProcessIdentity.from_doc(record.process)
    if identity is not None:
        return not identity.here or is_running(identity)
    if not pid_alive(record.pid) or record.pid is None:
        return False
    try:  # records from before identities were kept: the pid must be running this run's worker
        return runs_worker(record.pid, run_dir_of(store, record))
    except RunDirRefused:
        return False


def stop(store: RunStore, record: RunRecord, grace_s: float = STOP_GRACE_S) -> bool:
    """Ask the worker to stop (SIGTERM to its process group), SIGKILL after `grace_s`.

    Returns True when the worker stopped within the grace period and stored its own summary.
    StopRefused when the process cannot be verified as this run's worker on this host.
    """
    if record.executor.get("kind") == "slurm":  # Slurm signals the job's processes wherever they run
        return _cancel_batch_job(store, record, grace_s)
    if not worker_alive(store, record) or record.pid is None:
        return False
    identity = ProcessIdentity.from_doc(record.process)
    if identity is not None and not identity.here:
        raise StopRefused(f"run {record.id} runs on host {identity.host}; stop it there")
    pgid = record.pid  # the worker leads its own session and process group
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not worker_alive(store, record):
            return True
        time.sleep(0.2)
    if worker_alive(store, record):  # checked again: the pid must still be that worker's
        _signal_group(pgid, signal.SIGKILL)
    store.update(record.id, status="stopped", finished_at=utc_now(), metrics=_killed_run_metrics(store, record),
                 error=f"worker did not stop within {grace_s:.0f} s and was killed")
    return False


def _cancel_batch_job(store: RunStore, record: RunRecord, grace_s: float) -> bool:
    """scancel the run's job, then wait for its worker (if it had started) to store its own summary."""
    from greentui.queue.batch import cancel_batch_job

    cancel_batch_job(store, record)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        current = store.get(record.id)
        if current is None or current.finished:
            return True
        time.sleep(0.2)
    return False


def _killed_run_metrics(store: RunStore, record: RunRecord) -> dict[str, Any]:
    """A killed worker stored no final metrics: what its events recorded, under what the record already holds."""
    # Imported here: every command that lists runs imports this module, and only a stop reads events.
    from greentui.events.log import EVENTS_FILE, EventList, read_all
    from greentui.metrics.derived import derived_metrics, metrics_from_events

    current = store.get(record.id) or record
    try:
        events = read_all(run_dir_of(store, record) / EVENTS_FILE)
    except RunDirRefused:
        events = EventList([], 0)  # a run_dir outside the store's runs/ is never read
    metrics = {**metrics_from_events(events), **current.metrics}
    return {**metrics, **derived_metrics(metrics)}


def _signal_group(pgid: int, signum: int) -> None:
    """Signal the worker's process group, and only a group that a worker leads.

    killpg(1) would reach every process the user may signal, and greentui's own group would
    take greentui down with it: both are refused, as is a pid that does not lead its group.
    """
    try:
        if pgid <= 1 or pgid == os.getpgrp() or os.getpgid(pgid) != pgid:
            raise StopRefused(f"process {pgid} does not lead a worker's own process group; not signalled")
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass

