"""`--prune dominated` at work: follows the running run's events, and stops it as `pruned` when the rule
(greentui.sweep.prune_rule) says another config beats it.

The worker is stopped the way `greentui stop` stops it (SIGTERM: it ends training at the next step,
evaluates and stores its figures as `stopped`); the record then becomes `pruned`, with the rule's
reason as its `error` and the projection it was judged by, so the report can say what pruning saved.
A run that ends on its own first is left as it ended. Events files are untrusted: bad lines are
skipped by the reader, and a run whose folder is outside the store is never read.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from greentui.events.log import EVENTS_FILE, EventList, EventTail, EventWriter, read_all
from greentui.events.schema import StatusEvent
from greentui.report.attribution import training_kwh
from greentui.runs.process import StopRefused, stop
from greentui.store.record import RunRecord
from greentui.store.run_dirs import RunDirRefused, run_dir_of
from greentui.store.run_store import RunStore
from greentui.sweep.model import Sweep, SweepEntry
from greentui.sweep.plan import BASELINE
from greentui.sweep.prune_rule import RUNGS, RunProgress, Verdict, judge


class _Watch:
    """One running run's events as read so far, and the rungs it has still to be judged at."""

    def __init__(self, tail: EventTail) -> None:
        self.tail = tail
        self.progress = RunProgress()
        self.rungs = list(RUNGS)

    def read(self) -> RunProgress:
        """The progress with the events written since the last poll (none are read once all rungs are past)."""
        if self.rungs:
            self.progress = self.progress.with_events(self.tail.read_new())
        return self.progress


class Pruner:
    """One sweep's pruning: what its finished runs' events say (read once each), and a watch per running run."""

    def __init__(self, store: RunStore, say: Callable[[str], None]) -> None:
        self.store = store
        self.say = say
        self._finished: dict[str, RunProgress] = {}  # run id -> progress of a finished run (it no longer changes)

    def watcher(self, sweep: Sweep, entry: SweepEntry, run_id: str) -> Callable[[], None] | None:
        """What to call on each poll while `run_id` runs: judges it at each rung as its events come;
        None where the sweep does not prune or the entry is its baseline."""
        if sweep.prune != "dominated" or entry.role == BASELINE:
            return None
        record = self.store.get(run_id)
        try:
            tail = EventTail(run_dir_of(self.store, record) / EVENTS_FILE) if record else None
        except RunDirRefused:
            tail = None
        if tail is None:
            return None
        watch = _Watch(tail)

        def poll() -> None:
            progress = watch.read()
            while watch.rungs and progress.rung_point(watch.rungs[0]) is not None:
                verdict = judge(progress, watch.rungs.pop(0), *self._evidence(sweep, entry, run_id))
                if verdict is not None:
                    watch.rungs.clear()
                    self._prune(run_id, entry, verdict)

        return poll

    def _evidence(self, sweep: Sweep, entry: SweepEntry,
                  run_id: str) -> tuple[list[RunProgress], dict[str, list[RunProgress]]]:
        """The run's own config's other finished runs, and every other config's completed runs, in plan order."""
        peers: list[RunProgress] = []
        others: dict[str, list[RunProgress]] = {}
        for other in sweep.entries:
            record = self.store.get(other.run_id) if other.run_id and other.run_id != run_id else None
            if record is None or not record.finished:
                continue
            if other.role == entry.role:
                peers.append(self._progress(record))
            elif record.status == "completed":
                others.setdefault(other.role, []).append(self._progress(record))
        return peers, others

    def _progress(self, record: RunRecord) -> RunProgress:
        if record.id not in self._finished:
            try:
                events = read_all(run_dir_of(self.store, record) / EVENTS_FILE)
            except RunDirRefused:
                events = EventList([], 0)  # never read outside the store: no evidence
            # A completed run's measured energy; a pruned one's is partial, so the projection it was judged by.
            measured = training_kwh(record) if record.status == "completed" else record.metric("pruned_projected_kwh")
            self._finished[record.id] = replace(RunProgress().with_events(events), measured_kwh=measured)
        return self._finished[record.id]

    def _prune(self, run_id: str, entry: SweepEntry, verdict: Verdict) -> None:
        """Stop the run, then mark it pruned with the reason; a run that ended first stays as it ended."""
        record = self.store.get(run_id)
        if record is None or record.finished:
            return
        self.say(f"{entry.label}: {verdict.reason}; stopping it")
        try:
            stop(self.store, record)
        except StopRefused as err:
            self.say(f"{entry.label}: not pruned: {err}")
            return
        final = self.store.get(run_id)
        if final is None or final.status != "stopped":
            return
        used = final.metric("energy_kwh")
        saved = max(0.0, verdict.projected_kwh - used) if used is not None else None
        self.store.update(run_id, status="pruned", error=verdict.reason,
                          metrics={"pruned_at_step": verdict.step, "pruned_projected_kwh": verdict.projected_kwh,
                                   "pruned_saved_kwh": saved})
        _note_in_events(self.store, final, verdict.reason)


def _note_in_events(store: RunStore, record: RunRecord, reason: str) -> None:
    """The run's final status in its events too, so its live screen says pruned (the worker has ended)."""
    try:
        writer = EventWriter(run_dir_of(store, record) / EVENTS_FILE)
    except (RunDirRefused, OSError):
        return
    try:
        writer.emit(StatusEvent(status="pruned", reason=reason))
    finally:
        writer.close()
