"""The store's one queue runner: a detached process that starts the queue's runs on their executors.

Started on demand (`ensure_runner`: the TUI, `greentui sweep`, `greentui run --queue`, `greentui
queue resume`), in its own session with its output in `sweeps/runner.log`, so closing the terminal
or the SSH link does not stop it. One per store: it holds `sweeps/runner.lock` for its life, and a
second one started meanwhile finds the lock taken and exits. It exits once nothing is queued and
nothing it started is still going. Everything it knows is in the files: a runner killed at any point
is replaced by the next `ensure_runner`, which adopts the runs already launched (by their sweep tag)
and never launches an entry twice.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from filelock import Timeout

from greentui.config import ConfigError
from greentui.preflight import PreflightError
from greentui.queue.executor_spec import ExecutorError, parse_executor
from greentui.queue.executors import Executor, executor_for
from greentui.queue.runner_process import runner_lock
from greentui.queue.state import queue_sweeps, run_noted, start_failed, startable, update_sweep
from greentui.report.printable import printable
from greentui.runs.launch import launch
from greentui.runs.reconcile import reconcile
from greentui.store.layout import StoreError
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore
from greentui.sweep.model import Sweep, SweepEntry
from greentui.sweep.plan import QUEUED_RUN
from greentui.sweep.pruner import Pruner
from greentui.sweep.queue import SweepWindow, entry_record

POLL_S = 1.0


class Runner:
    """One pass of `poll` looks at every sweep in the queue's order: refreshes and watches what runs,
    stops what was cancelled, and starts what the executors have room for."""

    def __init__(self, store: RunStore, say: Callable[[str], None]) -> None:
        self.store, self.say = store, say
        self.pruner = Pruner(store, say)
        self._executors: dict[str, Executor] = {}
        self._windows: dict[str, SweepWindow] = {}
        self._watchers: dict[str, Callable[[], None] | None] = {}
        self._cancelling: set[str] = set()
        self._reported: set[str] = set()
        self._warned: set[str] = set()
        self._seen: set[str] = set()  # sweeps with work while this runner ran
        self._done: set[str] = set()

    def poll(self) -> bool:
        """One pass; False once there is nothing left to do (nothing queued, nothing going)."""
        reconcile(self.store, self.say)
        sweeps = queue_sweeps(self.store, self._warn_once)
        active: dict[str, list[RunRecord]] = {}
        busy = False
        going = {sweep.id: self._follow(sweep, active) for sweep in sweeps}
        for sweep in sweeps:
            left = self._start(sweep, active)
            if not left and not going[sweep.id] and sweep.id in self._seen and sweep.id not in self._done:
                self._done.add(sweep.id)  # said once, for a sweep this runner saw at work
                self.say(f"sweep {sweep.id} done: greentui report {sweep.id}")
            if left or going[sweep.id]:
                self._seen.add(sweep.id)
            busy = busy or left or going[sweep.id]
        return busy

    def _executor(self, sweep: Sweep) -> tuple[str, Executor]:
        key = json.dumps(dict(sweep.executor), sort_keys=True)
        if key not in self._executors:
            self._executors[key] = executor_for(parse_executor(dict(sweep.executor)))
        return key, self._executors[key]

    def _follow(self, sweep: Sweep, active: dict[str, list[RunRecord]]) -> bool:
        """Refresh the sweep's runs still going; True when one is."""
        going = False
        for index, entry in enumerate(sweep.entries):
            record = entry_record(self.store, sweep, entry)
            if record is None:
                continue
            if entry.run_id != record.id:  # launched but not noted (a runner killed in between): adopt it
                update_sweep(self.store, sweep.id, run_noted(index, record.id))
            if record.finished:
                continue
            try:
                key, executor = self._executor(sweep)
                record = executor.refresh(self.store, record)
            except ExecutorError as err:
                self.say(f"sweep {sweep.id}: {err}")
                continue
            if record.finished:
                self._report(sweep, index, record)
                continue
            going = True
            active.setdefault(key, []).append(record)
            if sweep.control == "cancelled" or entry.outcome == "cancelled":
                self._cancel(executor, record)
                continue
            if record.id not in self._watchers:
                self._watchers[record.id] = self.pruner.watcher(sweep, entry, record.id)
            watch = self._watchers[record.id]
            if watch is not None:
                watch()
        return going

    def _start(self, sweep: Sweep, active: dict[str, list[RunRecord]]) -> bool:
        """Start what the sweep's executor has room for; True while the sweep has entries left to start."""
        indices = startable(self.store, sweep)
        if not indices:
            return False
        try:
            key, executor = self._executor(sweep)
            mine = active.setdefault(key, [])
            slots = executor.capacity(self.store, mine)
        except ExecutorError as err:
            self._stop_sweep(sweep, str(err), indices[0])
            return False
        if sweep.baseline.start_when == "low-carbon" and any(r.sweep.get("id") == sweep.id for r in mine):
            return True  # one at a time: the sweep waits once for its window (SweepWindow)
        if sweep.baseline.start_when == "low-carbon":
            slots = slots[:1]
        windows = self._windows.setdefault(sweep.id, SweepWindow(self.store, sweep))
        for index, slot in zip(indices, slots, strict=False):  # as many as there is room for
            entry = sweep.entries[index]
            label = f"[{index + 1}/{len(sweep.entries)}] {entry.label}"
            config = sweep.config_of(entry)
            try:
                timing = windows.timing(config, index)
                record = launch(config, self.store, run_name(sweep, entry), sweep=entry.tag(sweep.id),
                                timing=timing, placement=executor.placement(self.store, slot))
            except PreflightError as err:  # the model or data cannot load: no entry of this sweep ever will
                self._stop_sweep(sweep, str(err), index)
                return False
            except (ConfigError, StoreError, ExecutorError, OSError, ValueError) as err:
                update_sweep(self.store, sweep.id, start_failed(index, str(err)))
                self.say(f"{label}: failed to start: {err}")
                continue
            windows.launched(record, timing)
            update_sweep(self.store, sweep.id, run_noted(index, record.id))
            mine.append(record)
            where = f" on {slot.label}" if slot.label != "here" else ""
            self.say(f"{label}: run {record.id} started{where}")
        return True

    def _stop_sweep(self, sweep: Sweep, reason: str, index: int) -> None:
        """A start failure that will not change: the sweep stops with it and is never resumed."""
        def stopped(s: Sweep) -> Sweep:
            return replace(start_failed(index, reason)(s), control="stopped", reason=reason)

        update_sweep(self.store, sweep.id, stopped)
        self.say(f"sweep {sweep.id} stopped: {reason}")

    def _cancel(self, executor: Executor, record: RunRecord) -> None:
        """Stop a cancelled run on a thread of its own: a worker has 30 s to store its figures."""
        if record.id in self._cancelling:
            return
        self._cancelling.add(record.id)
        self.say(f"run {record.id}: cancelled, stopping it")
        threading.Thread(target=executor.cancel, args=(self.store, record), daemon=True).start()

    def _report(self, sweep: Sweep, index: int, record: RunRecord) -> None:
        if record.id in self._reported:
            return
        self._reported.add(record.id)
        entry = sweep.entries[index]
        self.say(f"[{index + 1}/{len(sweep.entries)}] {entry.label}: {record.status}"
                 + (f": {record.error}" if record.error else ""))

    def _warn_once(self, problem: str) -> None:
        if problem not in self._warned:
            self._warned.add(problem)
            self.say(problem)


def run_name(sweep: Sweep, entry: SweepEntry) -> str | None:
    """`sweep 3f9a lora #1` for a sweep's run; a queued run keeps the name it was given (None: the usual one)."""
    if sweep.plan == QUEUED_RUN:
        return None if entry.role == "run" else entry.role
    return f"sweep {sweep.id[-4:]} {entry.label}"


def work(store: RunStore, say: Callable[[str], None] = print, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Be the store's runner until the queue is empty; 0, or 1 when another runner has the store."""
    lock = runner_lock(store)
    try:
        lock.acquire()
    except Timeout:
        say("another runner works through this store's queue already")
        return 1
    try:
        say(f"runner {os.getpid()} started")
        runner = Runner(store, say)
        while not should_stop() and runner.poll():
            time.sleep(POLL_S)
        say(f"runner {os.getpid()}: nothing left to do")
    finally:
        lock.release()
    return 0


def main(argv: list[str]) -> int:
    """`python -m greentui.queue.runner STORE`."""
    if len(argv) != 1:
        print("usage: python -m greentui.queue.runner STORE", file=sys.stderr)
        return 2

    def say(line: str) -> None:  # sweep files and records are untrusted: their text never reaches a terminal raw
        print(f"{time.strftime('%H:%M:%S')} {printable(line)}", flush=True)

    return work(RunStore(Path(argv[0])), say)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
