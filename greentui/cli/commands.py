"""The headless sub-commands: run, ls, show, export, stop, doctor."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from greentui.cli.follow import follow
from greentui.config import RunConfig, load_toml, parse_sets
from greentui.presets import DEFAULT_PRESET, preset
from greentui.report.text import one_line_summary
from greentui.runs.launch import launch
from greentui.runs.process import pid_alive, stop
from greentui.runs.reconcile import reconcile
from greentui.store.run_dirs import run_dir_of
from greentui.store.run_store import RunStore


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Preset, then TOML file, then each --set, in that order of precedence."""
    config = preset(args.preset or DEFAULT_PRESET)
    if args.config:
        config = load_toml(args.config, base=config)
    return RunConfig.from_mapping(parse_sets(args.set), base=config)


def cmd_run(args: argparse.Namespace, store_path: Path) -> int:
    """Start a run; unless --detach, follow it with a progress bar until it ends."""
    store = RunStore(store_path)
    record = launch(config_from_args(args), store, args.name)
    print(f"run {record.id} started: {record.name}", flush=True)
    if args.detach:
        print(f"follow it with `greentui show {record.id}`; logs in {run_dir_of(store, record)}")
        return 0
    try:
        follow(store, record)
    except KeyboardInterrupt:
        print(f"\nstopped watching; run {record.id} goes on (greentui stop {record.id} ends it)", file=sys.stderr)
        return 130
    final = store.get(record.id) or record
    print(one_line_summary(final))
    return 0 if final.status == "completed" else 1


def cmd_ls(args: argparse.Namespace, store_path: Path) -> int:
    """List runs as a table, or as JSON with --json."""
    store = RunStore(store_path)
    reconcile(store)
    runs = store.all()
    if args.json:
        print(json.dumps([r.to_doc() for r in runs], indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    from greentui.report.text import list_row

    table = Table("id", "name", "status", "created", "techniques", "acc", "time", "kWh", "CO2 g", "J/sample")
    for run in runs:
        table.add_row(*list_row(run))
    Console().print(table)
    return 0


def cmd_show(args: argparse.Namespace, store_path: Path) -> int:
    """Print one run: its summary, config, metrics and measurement method."""
    store = RunStore(store_path)
    reconcile(store)
    record = store.get(args.run_id)
    if record is None:
        print(f"greentui: no run {args.run_id!r} in {store_path}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({**record.to_doc(), "curves": store.curves(record)}, indent=2))
        return 0
    from greentui.report.text import detail_text

    print(detail_text(record))
    return 0


def cmd_export(args: argparse.Namespace, store_path: Path) -> int:
    """Write the chosen runs (or all) to a CSV file."""
    from greentui.report.csv_export import write_csv

    store = RunStore(store_path)
    runs = store.all()
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
    try:
        rows = write_csv(runs, args.output)
    except OSError as err:
        print(f"greentui: cannot write {args.output}: {err.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {rows} run(s) to {args.output}")
    return 0


def cmd_stop(args: argparse.Namespace, store_path: Path) -> int:
    """Stop a running run; it ends as `stopped` with its partial results."""
    store = RunStore(store_path)
    record = store.get(args.run_id)
    if record is None:
        print(f"greentui: no run {args.run_id!r} in {store_path}", file=sys.stderr)
        return 2
    if record.finished or not pid_alive(record.pid):
        print(f"greentui: run {record.id} is not running (status {record.status})", file=sys.stderr)
        return 1
    print(f"stopping run {record.id}…", flush=True)
    graceful = stop(store, record)
    final = store.get(record.id) or record
    print(("stopped: " if graceful else "killed after the grace period: ") + one_line_summary(final))
    return 0


def cmd_doctor(args: argparse.Namespace, store_path: Path) -> int:
    """Report what this machine can measure."""
    from greentui.cli.doctor import report

    print(report(store_path))
    return 0
