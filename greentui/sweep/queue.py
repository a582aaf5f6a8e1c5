"""A sweep's file on disk, beside the store (`sweeps/ID.json`): written, read and listed.

The file is written before any run starts and again as each run is launched, so closing
greentui, a dropped SSH link or a reboot loses nothing: the store's queue runner
(greentui.queue.runner) goes on with the runs not yet done, follows one still running, and never
starts a finished one again.

A run that ended failed, crashed, stopped or diverged is finished too: its outcome is the
result, and the report leaves it out of the figures and says how many it left out. It is not
run again, because a failure that repeats (out of memory, say) would loop, and re-running only
the failed repeats would quietly favour the lucky ones. To retry, plan a new sweep. A run the
sweep pruned (`--prune dominated`, greentui.sweep.pruner) is finished in the same way.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

from greentui.config import RunConfig
from greentui.runs.timing import Timing
from greentui.store.layout import write_atomically
from greentui.store.record import RunRecord, new_run_id, utc_now
from greentui.store.run_store import RunStore
from greentui.sweep.model import Sweep, SweepEntry, SweepFileError, read_sweep_file, sweep_to_doc
from greentui.sweep.plan import PlannedRun, SweepError

POLL_S = 1.0


def sweeps_dir(store: RunStore) -> Path:
    """Folder of the store's sweep files."""
    return store.path.parent / "sweeps"


def warn_on_stderr(problem: str) -> None:
    """The command line's way to say a sweep file was skipped."""
    print(f"greentui: {problem}", file=sys.stderr)


def create_sweep(store: RunStore, baseline: RunConfig, techniques: list[tuple[str, Any]], plan: str,
                 repeats: int, runs: list[PlannedRun], prune: str = "off",
                 executor: Mapping[str, Any] | None = None) -> Sweep:
    """Write a new sweep's queue file, last in the store's queue, and return it."""
    position = max((s.position for s in all_sweeps(store, warn=lambda _p: None)), default=-1) + 1
    sweep = Sweep.planned(new_run_id(), utc_now(), baseline, techniques, plan, repeats, runs, prune,
                          executor, position)
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
    """How many of the sweep's runs have not finished; none of a stopped or cancelled sweep, which is over."""
    if sweep.control in ("stopped", "cancelled"):
        return 0
    return sum(1 for e in sweep.entries
               if e.outcome is None and not ((r := entry_record(store, sweep, e)) and r.finished))


def unfinished_sweeps(store: RunStore, warn: Callable[[str], None] = warn_on_stderr) -> list[Sweep]:
    """The store's sweeps with runs still to start or still running, oldest first (for the TUI and --resume)."""
    return [s for s in all_sweeps(store, warn) if unfinished(store, s)]


def progress_line(store: RunStore, sweep: Sweep) -> str:
    """One line for `greentui sweep --list`: id, plan, runs finished of planned, techniques."""
    total = len(sweep.entries)
    return f"{sweep.id}  {sweep.plan:<8} {total - unfinished(store, sweep)}/{total} finished  {sweep.techniques_text()}"


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
