"""`greentui queue`: the store's queue (sweeps and queued runs) and the actions on it; the executor flags.

The CLI never runs the queue itself: it changes the queue's files and makes sure the store's runner
(greentui.queue.runner) is there to act on them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from greentui.queue.executor_spec import ExecutorSpec
    from greentui.store.record import RunRecord
    from greentui.store.run_store import RunStore
    from greentui.sweep.model import Sweep

FOLLOW_POLL_S = 1.0


def add_executor_flags(parser: argparse.ArgumentParser) -> None:
    """--executor, --gpus and the sbatch settings, for `sweep` and `run --queue`."""
    parser.add_argument("--executor", choices=("local", "gpus", "slurm"),
                        help="where the queue runs it: here one at a time (local, the default), one run per GPU "
                             "of this box (gpus), or Slurm jobs (slurm); or [executor] kind in the --config file")
    parser.add_argument("--gpus", metavar="0,2,3", help="with --executor gpus: the GPUs to use (default: all)")
    for key, what in (("partition", "the partition"), ("time", "the time limit (minutes or HH:MM:SS)"),
                      ("gres", "generic resources, e.g. gpu:1"), ("cpus", "CPUs per task"),
                      ("args", "more sbatch options, e.g. '--qos=debug --account=lab'")):
        parser.add_argument(f"--slurm-{key}", metavar=key.upper(), help=f"with --executor slurm: {what}")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The `queue` sub-command."""
    queue = sub.add_parser("queue", help="the store's queue: list, cancel, pause, resume, move")
    actions = queue.add_subparsers(dest="action")
    actions.add_parser("list", help="every sweep and queued run, with each run's state (the default)")
    cancel = actions.add_parser("cancel", help="cancel a sweep, or one run of it; what is running is stopped")
    cancel.add_argument("target", metavar="SWEEP_ID|RUN_ID")
    for name, what in (("pause", "start no new run of a sweep (all sweeps without an id)"),
                       ("resume", "go on with a paused sweep (all paused ones without an id)")):
        action = actions.add_parser(name, help=what)
        action.add_argument("target", nargs="?", metavar="SWEEP_ID")
    move = actions.add_parser("move", help="put a sweep at a place in the queue (1 = next)")
    move.add_argument("target", metavar="SWEEP_ID")
    move.add_argument("place", type=int, metavar="POSITION")


def executor_from_args(args: argparse.Namespace) -> ExecutorSpec:
    """The executor the flags (over the --config file's [executor] table) ask for, checked."""
    from greentui.config import read_toml_doc
    from greentui.queue.executor_spec import parse_executor

    doc = dict(read_toml_doc(args.config).get("executor") or {}) if getattr(args, "config", None) else {}
    if args.executor:
        doc["kind"] = args.executor
    if args.gpus is not None:
        doc["gpus"] = args.gpus
    for key in ("partition", "time", "gres", "cpus", "args"):
        value = getattr(args, f"slurm_{key}")
        if value is not None:
            doc[f"slurm_{key}"] = value
    if doc.get("gpus") and "kind" not in doc:
        doc["kind"] = "gpus"
    if any(k.startswith("slurm_") for k in doc) and "kind" not in doc:
        doc["kind"] = "slurm"
    spec = parse_executor(doc, "--config [executor]" if getattr(args, "config", None) else "executor")
    if spec.kind == "gpus":
        from greentui.queue.free_gpus import check_gpus

        check_gpus(spec.gpus)  # no NVML, or an index the box lacks: said now, not by the runner later
    if spec.kind == "slurm":
        from greentui.queue.batch import batch_module

        batch_module("slurm")  # submitit missing: said now
    return spec


def cmd_queue(args: argparse.Namespace, store_path: Path) -> int:
    """List the queue, or act on it."""
    from greentui.queue import state
    from greentui.queue.runner_process import ensure_runner
    from greentui.store.run_store import RunStore

    store = RunStore(store_path)
    action = args.action or "list"
    if action == "list":
        print("\n".join(listing(store)) or "the queue is empty")
        return 0
    if action == "cancel":
        lines = [state.cancel(store, args.target)]
    elif action == "pause":
        lines = state.pause(store, args.target)
    elif action == "resume":
        lines = state.resume(store, args.target)
    else:
        lines = [state.move(store, args.target, args.place)]
    print("\n".join(lines))
    pid = ensure_runner(store)  # it acts on the change: stops a cancelled run, starts a resumed sweep's
    if pid is not None:
        print(f"queue runner started (pid {pid})")
    return 0


def listing(store: RunStore) -> list[str]:
    """`greentui queue`: each sweep with its executor and control, and each of its runs' state."""
    from greentui.queue.runner_process import runner_running
    from greentui.queue.state import entry_state, queue_sweeps
    from greentui.report.printable import printable
    from greentui.sweep.queue import entry_record, warn_on_stderr

    lines = []
    for place, sweep in enumerate(queue_sweeps(store, warn_on_stderr), start=1):
        states = [(e, r, entry_state(store, sweep, e, r)) for e in sweep.entries
                  for r in [entry_record(store, sweep, e)]]
        done = sum(1 for *_, s in states if s in ("done", "cancelled", "failed-to-start"))
        if done == len(states) and sweep.control == "active":
            continue  # finished: `greentui sweep --list` still names it
        control = sweep.control + (f": {printable(sweep.reason)}" if sweep.reason and sweep.control == "stopped" else "")
        lines.append(f"{place}. {sweep.id}  {sweep.plan}  {describe(sweep)}  {control}  {done}/{len(states)} done")
        for entry, record, entry_now in states:
            run = f"  run {record.id}" + (f" {record.status}" if record.finished else "") if record else ""
            why = f"  {printable(entry.reason)}" if entry.reason else ""
            lines.append(f"   {printable(entry.label):<28} {entry_now:<15}{run}{why}")
    if lines:
        lines.append("runner: " + ("at work" if runner_running(store) else "not running (starts when there is work)"))
    return lines


def describe(sweep: Sweep) -> str:
    from greentui.queue.executor_spec import ExecutorError, parse_executor

    try:
        return parse_executor(dict(sweep.executor)).describe()
    except ExecutorError:
        return "?"


def follow_sweep(store: RunStore, sweep_id: str) -> int:
    """Print a sweep's progress as the runner makes it, until none of its runs is left to start or going.

    Ctrl+C stops the watching only: the runner goes on."""
    from greentui.sweep.queue import load_sweep

    said: dict[int, str] = {}  # what was printed last of each entry
    first = True
    try:
        while True:
            sweep = load_sweep(store, sweep_id)
            left = sum(_report_entry(store, sweep, index, said, first) for index in range(len(sweep.entries)))
            first = False
            if not left:
                break
            time.sleep(FOLLOW_POLL_S)
    except KeyboardInterrupt:
        print(f"\nstopped watching; sweep {sweep_id} goes on in the background "
              f"(`greentui queue cancel {sweep_id}` ends it)", file=sys.stderr)
        return 130
    from greentui.report.printable import printable

    if sweep.control == "stopped":
        print(f"sweep {sweep.id} stopped: {printable(sweep.reason)}", flush=True)
        return 1
    if sweep.control == "paused":
        print(f"sweep {sweep.id} paused: `greentui queue resume {sweep.id}` goes on", flush=True)
        return 0
    print(f"sweep {sweep.id} {'cancelled' if sweep.control == 'cancelled' else 'done'}: greentui report {sweep.id}",
          flush=True)
    return 0


def _report_entry(store: RunStore, sweep: Sweep, index: int, said: dict[int, str], first: bool) -> bool:
    """Print what changed for one entry since the last look; True while it is still to run or running."""
    from greentui.queue.state import entry_state
    from greentui.report.printable import printable
    from greentui.sweep.queue import entry_record

    entry = sweep.entries[index]
    record = entry_record(store, sweep, entry)
    now = entry_state(store, sweep, entry, record)
    label = f"[{index + 1}/{len(sweep.entries)}] {printable(entry.label)}"
    if first and now not in ("waiting", "running"):
        said[index] = now  # what had happened before this command: not news
        return now == "queued" and sweep.control == "active"
    if record is not None and index not in said:
        print(f"{label}: run {record.id} " + ("still going, waiting for it" if first else "started"), flush=True)
        said[index] = "started"
    if now in ("waiting", "running"):
        return True
    if now == "queued":
        return sweep.control == "active"
    if now == "done" and record is not None and _maybe_pruning(sweep, record, said, index):
        return True
    if said.get(index) != now:
        if now == "done" and record is not None:
            print(f"{label}: {record.status}" + (f": {printable(record.error)}" if record.error else ""), flush=True)
        else:
            print(f"{label}: {now}" + (f": {printable(entry.reason)}" if entry.reason else ""), flush=True)
        said[index] = now
    return False


PRUNE_WAIT_POLLS = 10


def _maybe_pruning(sweep: Sweep, record: RunRecord, said: dict[int, str], index: int) -> bool:
    """True for a while after a pruning sweep's run is seen `stopped`: the pruner stops a run first and
    stores it `pruned` a moment later, and the line should name what the run ended as."""
    if sweep.prune == "off" or record.status != "stopped":
        return False
    seen = said.get(index, "")
    waited = int(seen.split(":")[1]) if seen.startswith("stopped:") else 0
    if waited >= PRUNE_WAIT_POLLS:
        return False
    said[index] = f"stopped:{waited + 1}"
    return True
