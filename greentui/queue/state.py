"""The store's queue as its files hold it: the sweeps in order, each entry's state, and the user's actions on them.

A sweep file (greentui.sweep.model) is the queue's unit: `greentui run --queue` makes one of one
entry. The user's actions (cancel, pause, resume, move) and the runner's notes (a run launched, a
run that failed to start) both change sweep files, each change a read-modify-write under the
file's own short lock, so neither loses the other's. Entry states are not stored: they follow from
the entry, its sweep and its run's record, so they can never disagree with the store.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from filelock import FileLock

from greentui.events.log import EVENTS_FILE, read_all
from greentui.events.reducer import fold
from greentui.events.schema import WAITING
from greentui.store.record import RunRecord
from greentui.store.run_dirs import RunDirRefused, run_dir_of
from greentui.store.run_store import RunStore
from greentui.sweep.model import Sweep, SweepEntry
from greentui.sweep.plan import SweepError
from greentui.sweep.queue import all_sweeps, entry_record, load_sweep, save_sweep, sweeps_dir

STATES = ("queued", "waiting", "running", "done", "cancelled", "failed-to-start")
LOCK_TIMEOUT_S = 30.0
# Slurm's states of a job not yet running (greentui.queue.slurm keeps the job's state in the record).
_PENDING = frozenset({"PENDING", "REQUEUED", "CONFIGURING", "SUSPENDED", "RESV_DEL_HOLD", "REQUEUE_HOLD"})


def update_sweep(store: RunStore, sweep_id: str, change: Callable[[Sweep], Sweep]) -> Sweep:
    """Apply `change` to the sweep as its file holds it now, under the file's lock; the sweep as written."""
    lock = FileLock(str(sweeps_dir(store) / f"{sweep_id}.edit.lock"), timeout=LOCK_TIMEOUT_S, mode=0o600)
    with lock:
        sweep = change(load_sweep(store, sweep_id, warn=lambda _problem: None))
        save_sweep(store, sweep)
    return sweep


def in_order(sweeps: list[Sweep]) -> list[Sweep]:
    """The queue's order: by position, then by id (ids sort by creation)."""
    return sorted(sweeps, key=lambda s: (s.position, s.id))


def queue_sweeps(store: RunStore, warn: Callable[[str], None] = lambda _p: None) -> list[Sweep]:
    """Every sweep of the store in the queue's order."""
    return in_order(all_sweeps(store, warn))


def entry_state(store: RunStore, sweep: Sweep, entry: SweepEntry, record: RunRecord | None) -> str:
    """One of STATES for an entry, from the entry, its sweep and its run."""
    if entry.outcome is not None:
        return entry.outcome
    if record is None:
        return "cancelled" if sweep.control in ("cancelled", "stopped") else "queued"
    if record.finished:
        return "done"
    return "waiting" if is_waiting(store, record) else "running"


def is_waiting(store: RunStore, record: RunRecord) -> bool:
    """A run not yet at work: a batch job still pending, or a worker waiting for a device or a carbon window."""
    if str(record.executor.get("state", "")).upper() in _PENDING or (
            record.executor.get("kind") == "slurm" and record.pid is None):
        return True
    try:
        return fold(read_all(run_dir_of(store, record) / EVENTS_FILE)).phase == WAITING
    except (RunDirRefused, OSError):
        return False


def startable(store: RunStore, sweep: Sweep) -> list[int]:
    """The indices of the entries the runner may start now: the sweep is active, the entry never ran."""
    if sweep.control != "active":
        return []
    return [i for i, e in enumerate(sweep.entries) if e.outcome is None and entry_record(store, sweep, e) is None]


def find(store: RunStore, target: str) -> tuple[Sweep, int | None]:
    """The sweep `target` names (its id or a unique prefix), or the sweep and entry of the run it names."""
    sweeps = all_sweeps(store, warn=lambda _p: None)
    for sweep in sweeps:
        for index, entry in enumerate(sweep.entries):
            if entry.run_id == target:
                return sweep, index
    return load_sweep(store, target, warn=lambda _p: None), None


def cancel(store: RunStore, target: str) -> str:
    """Cancel a sweep (everything not yet done) or one of its runs; the runner stops what is running."""
    sweep, index = find(store, target)
    if index is None:
        if sweep.control == "cancelled":
            return f"sweep {sweep.id} was cancelled already"
        update_sweep(store, sweep.id, lambda s: replace(s, control="cancelled", reason="cancelled by the user"))
        return f"sweep {sweep.id} cancelled: no run of it starts again; a running one is stopped"
    update_sweep(store, sweep.id, lambda s: s.with_entry(index, outcome="cancelled"))
    return f"run {target} of sweep {sweep.id} cancelled"


def pause(store: RunStore, target: str | None) -> list[str]:
    """Pause a sweep, or every active one: no new run starts; running ones finish."""
    return _set_control(store, target, "active", "paused", "paused: no new run starts until `greentui queue resume`")


def resume(store: RunStore, target: str | None) -> list[str]:
    """Resume a paused sweep, or every paused one."""
    return _set_control(store, target, "paused", "active", "resumed")


def _set_control(store: RunStore, target: str | None, before: str, after: str, said: str) -> list[str]:
    chosen = [find(store, target)[0]] if target else [s for s in queue_sweeps(store) if s.control == before]
    lines = []
    for sweep in chosen:
        if sweep.control != before:
            raise SweepError(f"sweep {sweep.id} is {sweep.control}, not {before}")
        update_sweep(store, sweep.id, lambda s: replace(s, control=after))
        lines.append(f"sweep {sweep.id} {said}")
    return lines or [f"no {before} sweep"]


def move(store: RunStore, target: str, place: int) -> str:
    """Put a sweep at `place` (1 = next) in the queue's order; the others keep theirs around it."""
    sweeps = queue_sweeps(store)
    sweep = find(store, target)[0]
    if not 1 <= place <= len(sweeps):
        raise SweepError(f"position {place}: give 1 to {len(sweeps)}")
    order = [s for s in sweeps if s.id != sweep.id]
    order.insert(place - 1, sweep)
    for position, each in enumerate(order):
        if each.position != position:
            update_sweep(store, each.id, _placed_at(position))
    return f"sweep {sweep.id} is now number {place} of {len(sweeps)}"


def run_noted(index: int, run_id: str) -> Callable[[Sweep], Sweep]:
    """The change that notes entry `index` as having launched `run_id`."""
    def change(sweep: Sweep) -> Sweep:
        return sweep.with_run(index, run_id)
    return change


def start_failed(index: int, reason: str) -> Callable[[Sweep], Sweep]:
    """The change that marks entry `index` as failed to start, and why."""
    def change(sweep: Sweep) -> Sweep:
        return sweep.with_entry(index, outcome="failed-to-start", reason=reason)
    return change


def _placed_at(position: int) -> Callable[[Sweep], Sweep]:
    def change(sweep: Sweep) -> Sweep:
        return replace(sweep, position=position)
    return change
