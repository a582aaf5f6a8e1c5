"""A sweep's queue on disk, beside the store (`sweeps/ID.json`), and the runner that works through it.

The file is written before any run starts and again as each run is launched, so closing
greentui, a dropped SSH link or a reboot loses nothing: `greentui sweep --resume` (or the next
`greentui`) goes on with the runs not yet done, waits for one still running, and never starts
a finished one again.

A run that ended failed, crashed, stopped or diverged is finished too: its outcome is the
result, and the report leaves it out of the figures and says how many it left out. It is not
run again, because a failure that repeats (out of memory, say) would loop, and re-running only
the failed repeats would quietly favour the lucky ones. To retry, plan a new sweep. A run the
sweep pruned (`--prune dominated`, greentui.sweep.pruner) is finished in the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from filelock import FileLock, Timeout

from greentui.config import RunConfig
from greentui.runs.launch import launch
from greentui.runs.process import pid_alive
from greentui.runs.reconcile import reconcile
from greentui.runs.timing import Timing
from greentui.store.layout import write_atomically
from greentui.store.record import RunRecord, new_run_id, utc_now
from greentui.store.run_store import RunStore
from greentui.sweep.model import Sweep, SweepEntry, SweepFileError, read_sweep_file, sweep_to_doc
from greentui.sweep.plan import PlannedRun, SweepError
from greentui.sweep.pruner import Pruner

POLL_S = 1.0


class SweepBusy(SweepError):
    """Another greentui (or a detached runner) is working through this sweep right now."""


def sweeps_dir(store: RunStore) -> Path:
    """Folder of the store's sweep files."""
    return store.path.parent / "sweeps"


def warn_on_stderr(problem: str) -> None:
    """The command line's way to say a sweep file was skipped."""
    print(f"greentui: {problem}", file=sys.stderr)


def create_sweep(store: RunStore, baseline: RunConfig, techniques: list[tuple[str, Any]], plan: str,
                 repeats: int, runs: list[PlannedRun], prune: str = "off") -> Sweep:
    """Write a new sweep's queue file and return it."""
    sweep = Sweep.planned(new_run_id(), utc_now(), baseline, techniques, plan, repeats, runs, prune)
    os.makedirs(sweeps_dir(store), mode=0o700, exist_ok=True)
    save_sweep(store, sweep)
    return sweep


def save_sweep(store: RunStore, sweep: Sweep) -> None:
    """Replace the sweep's file atomically."""
    write_atomically(sweeps_dir(store) / f"{sweep.id}.json", [json.dumps(sweep_to_doc(sweep), indent=1).encode()])


def scan_sweeps(store: RunStore) -> tuple[list[Sweep], list[str]]:
    """Every sweep of the store, oldest first, and one line for each file skipped as not a sweep (never changed)."""
    sweeps, skipped = [], []
    for path in sorted(sweeps_dir(store).glob("*.json")):
        try:
            sweeps.append(read_sweep_file(path))
        except SweepFileError as err:
            skipped.append(f"skipped {err}")
    return sweeps, skipped


def all_sweeps(store: RunStore, warn: Callable[[str], None] = warn_on_stderr) -> list[Sweep]:
    """Every readable sweep of the store, oldest first; `warn` hears of each file skipped."""
    sweeps, skipped = scan_sweeps(store)
    for problem in skipped:
        warn(problem)
    return sweeps


def load_sweep(store: RunStore, sweep_id: str, warn: Callable[[str], None] = warn_on_stderr) -> Sweep:
    """The sweep with this id or unique id prefix."""
    sweeps = all_sweeps(store, warn)
    found = [s for s in sweeps if s.id == sweep_id] or [s for s in sweeps if s.id.startswith(sweep_id)]
    if len(found) != 1:
        raise SweepError(f"no sweep {sweep_id!r} in {sweeps_dir(store)}" if not found
                         else f"sweep id {sweep_id!r} matches {len(found)} sweeps: give more of it")
    return found[0]


def entry_record(store: RunStore, sweep: Sweep, entry: SweepEntry) -> RunRecord | None:
    """The run an entry launched, if any; a run stored but not yet noted in the file (greentui died in between) is adopted."""
    if entry.run_id:
        return store.get(entry.run_id)
    tag = entry.tag(sweep.id)
    return next((r for r in store.all() if dict(r.sweep) == tag), None)


def unfinished(store: RunStore, sweep: Sweep) -> int:
    """How many of the sweep's runs have not finished."""
    return sum(1 for e in sweep.entries if not ((r := entry_record(store, sweep, e)) and r.finished))


def unfinished_sweeps(store: RunStore, warn: Callable[[str], None] = warn_on_stderr) -> list[Sweep]:
    """The store's sweeps with runs still to start or still running, oldest first (for the TUI and --resume)."""
    return [s for s in all_sweeps(store, warn) if unfinished(store, s)]


def progress_line(store: RunStore, sweep: Sweep) -> str:
    """One line for `greentui sweep --list`: id, plan, runs finished of planned, techniques."""
    total = len(sweep.entries)
    return f"{sweep.id}  {sweep.plan:<8} {total - unfinished(store, sweep)}/{total} finished  {sweep.techniques_text()}"


def spawn_runner(store: RunStore, sweep_id: str | None) -> tuple[int, Path]:
    """Run `greentui sweep --resume [ID]` in its own session, like a worker; returns its pid and log file.

    Its own session and a log file, never a pipe: closing the terminal or SSH link must not stop it.
    Without an id the one runner works through every unfinished sweep, one run at a time.
    """
    log = sweeps_dir(store) / f"{sweep_id or 'resume'}.log"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    command = [sys.executable, "-m", "greentui", "--store", str(store.path.resolve()), "sweep", "--resume"]
    try:
        process = subprocess.Popen(  # an argument list, never a shell
            command + ([sweep_id] if sweep_id else []),
            stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT, start_new_session=True,
            close_fds=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    finally:
        os.close(fd)
    return process.pid, log


def run_queue(store: RunStore, sweep: Sweep, say: Callable[[str], None] = print,
              should_stop: Callable[[], bool] = lambda: False) -> Sweep:
    """Run the sweep's remaining runs one after another (one GPU at a time); returns, once all have ended
    (or when told to stop), the sweep as its file now holds it."""
    lock = FileLock(str(sweeps_dir(store) / f"{sweep.id}.lock"), timeout=0, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise SweepBusy(f"sweep {sweep.id} is being run by another greentui already") from None
    try:
        total = len(sweep.entries)
        pruner = Pruner(store, say)
        windows = SweepWindow(store, sweep)
        for index, entry in enumerate(sweep.entries):
            if should_stop():
                break
            record = entry_record(store, sweep, entry)
            label = f"[{index + 1}/{total}] {entry.label}"
            if record is not None and record.finished:
                if entry.run_id != record.id:  # adopted: note it, so the file names every run
                    sweep = sweep.with_run(index, record.id)
                    save_sweep(store, sweep)
                continue
            if record is None:
                name = f"sweep {sweep.id[-4:]} {entry.label}"
                config = sweep.config_of(entry)
                timing = windows.timing(config, index)
                record = launch(config, store, name, sweep=entry.tag(sweep.id), timing=timing)
                windows.launched(record, timing)
                say(f"{label}: run {record.id} started")
            else:
                say(f"{label}: run {record.id} still going, waiting for it")
            sweep = sweep.with_run(index, record.id)
            save_sweep(store, sweep)
            final = wait_for(store, record.id, should_stop, pruner.watcher(sweep, entry, record.id))
            if final is not None:
                say(f"{label}: {final.status}" + (f": {final.error}" if final.error else ""))
    finally:
        lock.release()
    return sweep


class SweepWindow:
    """A low-carbon sweep waits once, for a window its remaining runs fit in together, not run by run.

    The first run launched here is planned with the runs that follow it (greentui.runs.timing); it
    waits, and the runs after it start at once, each recording the window it ran in. A sweep resumed
    later plans afresh for what is left."""

    def __init__(self, store: RunStore, sweep: Sweep) -> None:
        self.store, self.sweep = store, sweep
        self.first: tuple[str, Timing] | None = None  # the waiting run's id and its timing

    def timing(self, config: RunConfig, index: int) -> Timing | None:
        """The timing to launch entry `index` with; None: the launcher plans it (not a low-carbon sweep)."""
        from greentui.runs.timing import follower_timing, plan_timing

        if config.start_when != "low-carbon":
            return None
        if self.first is not None:
            return follower_timing(config, self.first[1], self.first[0])  # same series: one ask per sweep
        later = [self.sweep.config_of(e) for e in self.sweep.entries[index + 1:]
                 if not ((r := entry_record(self.store, self.sweep, e)) and r.finished)]
        return plan_timing(config, self.store, then=later)

    def launched(self, record: RunRecord, timing: Timing | None) -> None:
        """Note the run that waits for the sweep's window."""
        if self.first is None and timing is not None and "planned_start" in timing[1]:
            self.first = (record.id, timing)


def wait_for(store: RunStore, run_id: str, should_stop: Callable[[], bool] = lambda: False,
             on_poll: Callable[[], None] | None = None) -> RunRecord | None:
    """Poll until the run has ended (a vanished worker is marked crashed); None when told to stop waiting.
    `on_poll` is called on each poll while the run goes on (the pruner's watch)."""
    while not should_stop():
        record = store.get(run_id)
        if record is None or record.finished:
            return record
        if not pid_alive(record.pid):
            # Gone without a final status, or its pid was never stored (greentui died mid-launch):
            # reconcile decides, and leaves a run alone while it is young or its events still flow.
            reconcile(store)
            record = store.get(run_id)
            if record is None or record.finished:
                return record
        if on_poll is not None:
            on_poll()
        time.sleep(POLL_S)
    return None
