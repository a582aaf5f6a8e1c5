"""The headless sub-commands: run, ls, show, export, stop, doctor."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from greentui.report.printable import from_command_line, printable
from greentui.report.text import one_line_summary
from greentui.runs.process import stop, worker_alive
from greentui.runs.reconcile import queued_in_batch, reconcile
from greentui.store.layout import StoreError
from greentui.store.record import RunRecord
from greentui.store.run_dirs import run_dir_of
from greentui.store.run_store import RunStore

if TYPE_CHECKING:
    from greentui.config import RunConfig
    from greentui.store.summary import RunRow

# Launching a run (config, presets, launch, follow) is imported by the commands that launch:
# `ls`, `show` and `export` are run by scripts, often, and must not pay for it.


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Preset, then TOML file, then each --set, in that order of precedence."""
    from greentui.config import RunConfig, load_toml, parse_sets
    from greentui.presets import DEFAULT_PRESET, preset

    config = preset(args.preset or DEFAULT_PRESET)
    if args.config:
        config = load_toml(args.config, base=config)
    return RunConfig.from_mapping(parse_sets(args.set), base=config)


def cmd_run(args: argparse.Namespace, store_path: Path) -> int:
    """Start a run (or queue it); unless --detach, follow it with a progress bar until it ends."""
    if args.queue:
        return queue_run(args, store_path)
    if args.executor or args.gpus or any(getattr(args, f"slurm_{k}") for k in ("partition", "time", "gres", "cpus",
                                                                                "args")):
        from greentui.config import ConfigError

        raise ConfigError("executor", "an executor places queued runs: add --queue")
    return start_and_follow(RunStore(store_path), config_from_args(args),
                            from_command_line(args.name) if args.name else None, args.detach,
                            allow_overlap=args.allow_overlap)


def queue_run(args: argparse.Namespace, store_path: Path) -> int:
    """`greentui run --queue`: the run as a sweep of one entry, last in the store's queue; the runner starts it."""
    from greentui.cli.queue import executor_from_args
    from greentui.queue.runner_process import ensure_runner
    from greentui.sweep.plan import QUEUED_RUN, PlannedRun
    from greentui.sweep.queue import create_sweep

    store = RunStore(store_path)
    config = config_from_args(args)
    executor = executor_from_args(args)
    store.check()
    from greentui.preflight import check_loadable

    check_loadable(config, store.path)  # a model that cannot load is said now, not by the runner later
    sweep = create_sweep(store, config, [], QUEUED_RUN, 1, [PlannedRun(args.name or "run", {}, 0)],
                         executor=executor.to_doc())
    pid = ensure_runner(store)
    print(f"queued as {sweep.id} ({executor.describe()}); `greentui queue` shows it"
          + (f"; queue runner started (pid {pid})" if pid else ""))
    return 0


def start_and_follow(store: RunStore, config: RunConfig, name: str | None, detach: bool,
                     allow_overlap: bool = False, parent: RunRecord | None = None) -> int:
    """Launch a run and, unless `detach`, follow it to its end: the exit code of `greentui run`."""
    from greentui.cli.follow import follow
    from greentui.runs.launch import launch

    record = launch(config, store, name, allow_overlap=allow_overlap, parent=parent)
    print(f"run {record.id} started: {printable(record.name)}", flush=True)
    if detach:
        print(f"follow it with `greentui show {record.id}`; logs in {run_dir_of(store, record)}")
        return 0
    try:
        follow(store, record)
    except KeyboardInterrupt:
        print(f"\nstopped watching; run {record.id} goes on (greentui stop {record.id} ends it)", file=sys.stderr)
        return 130
    final = store.get(record.id) or record
    print(printable(one_line_summary(final)))
    return 0 if final.status == "completed" else 1


def open_reconciled(store_path: Path) -> RunStore:
    """The store with dead runs marked crashed where it can be written; what cannot be done is said, once."""
    store = RunStore(store_path)
    reconcile_store(store)
    return store


def reconcile_store(store: RunStore, runs: Iterable[RunRow] | None = None) -> list[str]:
    """reconcile(store), saying what it did on stderr, and a store it cannot write in one line; the crashed ids."""
    try:
        return reconcile(store, say=lambda line: print(f"greentui: {printable(line)}", file=sys.stderr), runs=runs)
    except StoreError as err:  # a read-only or locked store is still listed as it is
        print(f"greentui: runs left as stored: {err}", file=sys.stderr)
        return []


def warn_unreadable(store: RunStore) -> None:
    """One line on stderr for the documents of runs.json that are not runs (read after `store.all()`)."""
    if store.unreadable:
        more = f" (and {len(store.unreadable) - 1} more)" if len(store.unreadable) > 1 else ""
        print(f"greentui: skipped what is not a run: {printable(store.unreadable[0])}{more}", file=sys.stderr)


def store_missing(args: argparse.Namespace, store_path: Path) -> bool:
    """Say so when the store file does not exist; True (an error) when it was named with --store or $GREENTUI_STORE."""
    if store_path.exists():
        return False
    named = bool(args.store or os.environ.get("GREENTUI_STORE"))
    print(f"greentui: no run store at {store_path}" + ("" if named else " yet (the first run creates it)"),
          file=sys.stderr)
    return named


def cmd_ls(args: argparse.Namespace, store_path: Path) -> int:
    """List runs as a table, or as JSON with --json."""
    if store_missing(args, store_path):
        return 2
    if args.json:
        store = RunStore(store_path)
        records = store.all()  # read once: the records say which runs are left running (no index to parse)
        if reconcile_store(store, records):  # a dead run was settled: list it as it now is
            records = store.all()
        warn_unreadable(store)
        from greentui.cli.fast_json import dumps_records
        from greentui.store.collector import collector_paused

        with collector_paused():  # 10,000 new dicts would start collections that walk every record read
            text = dumps_records([r.to_doc(copy=False) for r in records])  # json.dumps(..., indent=2), faster
        print(text)
        return 0
    from greentui.report.text import LIST_HEADER, list_row

    store = open_reconciled(store_path)
    # The table needs only the runs' rows: the index has them, without parsing 100 MB of records.
    runs = store.summaries()
    warn_unreadable(store)

    headers = LIST_HEADER
    rows = [[printable(cell) for cell in list_row(run)] for run in runs]
    if not sys.stdout.isatty():  # piped or redirected: plain tab-separated lines, ids whole
        print("\n".join("\t".join(row) for row in [list(headers), *rows]))
        return 0
    from greentui.cli.ls_table import ls_table

    print(ls_table(rows, shutil.get_terminal_size().columns))  # honours $COLUMNS, as Rich did
    return 0


def cmd_show(args: argparse.Namespace, store_path: Path) -> int:
    """Print one run: its summary, config, metrics and measurement method."""
    store = open_reconciled(store_path)
    record = store.get(args.run_id)
    warn_unreadable(store)
    if record is None:
        print(f"greentui: no run {args.run_id!r} in {store_path}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({**record.to_doc(), "curves": store.curves(record)}, indent=2))
        return 0
    from greentui.report.text import detail_text

    print(printable(detail_text(record), keep_newlines=True))
    return 0


def cmd_export(args: argparse.Namespace, store_path: Path) -> int:
    """Write the chosen runs (or all) to a CSV file."""
    from greentui.report.csv_export import csv_text, write_csv

    store = RunStore(store_path)
    runs = store.all()
    warn_unreadable(store)
    if not args.all:
        if not args.run_ids:
            print("greentui: name the runs to export, or use --all", file=sys.stderr)
            return 2
        chosen = []
        for run_id in args.run_ids:
            record = store.get(run_id)
            if record is None:
                print(f"greentui: no run {run_id!r} in {store_path}", file=sys.stderr)
                return 2
            chosen.append(record)
        runs = chosen
    if str(args.output) == "-":
        text, rows = csv_text(runs)
        sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8"))
        return 0
    try:
        rows = write_csv(runs, args.output)
    except OSError as err:
        print(f"greentui: cannot write {args.output}: {err.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {rows} run(s) to {args.output}")
    return 0


def _running(store: RunStore, run_id: str) -> RunRecord | int:
    """The run, if its worker is going; else the exit code, its reason said on stderr (2: no such run)."""
    record = store.get(run_id)
    if record is None:
        print(f"greentui: no run {run_id!r} in {store.path}", file=sys.stderr)
        return 2
    # A Slurm job still pending has no worker yet, but is the run's: stop cancels it (scancel).
    if record.finished or not (worker_alive(store, record) or queued_in_batch(record)):
        print(f"greentui: run {record.id} is not running (status {record.status})", file=sys.stderr)
        return 1
    return record


def cmd_stop(args: argparse.Namespace, store_path: Path) -> int:
    """Stop a running run; it ends as `stopped` with its partial results."""
    store = RunStore(store_path)
    record = _running(store, args.run_id)
    if isinstance(record, int):
        return record
    print(f"stopping run {record.id}…", flush=True)
    graceful = stop(store, record)
    final = store.get(record.id) or record
    print(("stopped: " if graceful else "killed after the grace period: ") + printable(one_line_summary(final)))
    return 0


def cmd_start_now(args: argparse.Namespace, store_path: Path) -> int:
    """A run waiting for a low-carbon window starts at once (the record says it was told to)."""
    from greentui.runs.timing import start_now

    store = RunStore(store_path)
    record = _running(store, args.run_id)
    if isinstance(record, int):
        return record
    from greentui.store.run_dirs import RunDirRefused

    try:
        start_now(store, record)
    except (RunDirRefused, OSError) as err:
        print(f"greentui: run {record.id}: cannot leave the start-now marker: {err}", file=sys.stderr)
        return 2
    print(f"run {record.id}: told to start now (if it was waiting for a low-carbon window)")
    return 0


def cmd_doctor(args: argparse.Namespace, store_path: Path) -> int:
    """Report what this machine can measure."""
    from greentui.cli.doctor import report

    print(report(store_path))
    return 0
