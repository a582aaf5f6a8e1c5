"""`greentui sweep` and `greentui report`: plan, queue, resume, and the attribution table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from greentui.store import RunStore

# Everything else is imported by the commands themselves: `greentui --help` builds these parsers and
# must stay quick.


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The `sweep` and `report` sub-commands."""
    sweep = sub.add_parser("sweep", help="plan and run a sweep of techniques against a baseline")
    sweep.add_argument("--preset", help="baseline preset (tiny, distilbert-imdb)")
    sweep.add_argument("--config", type=Path, help="baseline TOML file of config keys")
    sweep.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="baseline config key (repeatable)")
    sweep.add_argument("--techniques", metavar="KEY=VALUE,...", help="the techniques to study, each a change from the baseline")
    sweep.add_argument("--plan", choices=("ablation", "grid"), default="ablation",
                       help="ablation: baseline, each alone, all together; grid: every combination")
    sweep.add_argument("--repeats", type=int, default=1, help="runs per config, seeds seed, seed+1, ...")
    sweep.add_argument("--yes", action="store_true", help="run a large grid without asking")
    sweep.add_argument("--resume", nargs="?", const="", metavar="SWEEP_ID",
                       help="finish an interrupted sweep (all unfinished ones without an id)")
    sweep.add_argument("--detach", action="store_true",
                       help="run the queue in the background, in its own session (log: sweeps/ID.log)")
    sweep.add_argument("--list", action="store_true", help="list the sweeps and how far each has got")
    report = sub.add_parser("report", help="the attribution table of a sweep, or of any runs against a baseline")
    report.add_argument("sweep_id", nargs="?", help="the sweep (or use --runs and --baseline)")
    report.add_argument("--runs", nargs="+", metavar="RUN_ID", help="any runs, grouped by their techniques")
    report.add_argument("--baseline", metavar="RUN_ID", help="with --runs: the run (and its repeats) to compare against")
    report.add_argument("-o", "--output", type=Path, help="write to this file (.md or .csv) instead of stdout")
    report.add_argument("--format", choices=("md", "csv"), help="default: from the file name, else md")


def cmd_sweep(args: argparse.Namespace, store_path: Path) -> int:
    """Plan a new sweep and run it, resume unfinished ones, or list them."""
    from greentui.store import RunStore
    from greentui.sweep.plan import SweepError, parse_techniques, plan_runs
    from greentui.sweep.queue import (all_sweeps, create_sweep, load_sweep, progress_line, unfinished,
                                      unfinished_sweeps)

    store = RunStore(store_path)
    if args.list:
        print("\n".join(progress_line(store, sweep) for sweep in all_sweeps(store)) or "no sweeps yet")
        return 0
    if args.resume is not None:
        sweeps = [load_sweep(store, args.resume)] if args.resume else unfinished_sweeps(store)
        if not sweeps:
            print("no unfinished sweep to resume")
        for sweep in sweeps:
            print(f"resuming sweep {sweep['id']}: {unfinished(store, sweep)} of {len(sweep['entries'])} runs to go")
        if args.detach and sweeps:  # one runner for them all: sweeps run one after another, never side by side
            return _detach(store, sweeps[0]["id"] if args.resume else None)
        return _work_through(store, sweeps, quiet_busy=not args.resume)
    if not args.techniques:
        raise SweepError("name the techniques to study: --techniques KEY=VALUE[,KEY=VALUE...]")
    from greentui.commands import config_from_args

    baseline = config_from_args(args)
    techniques = parse_techniques(args.techniques, baseline)
    runs = plan_runs(baseline, techniques, args.plan, args.repeats, allow_large=args.yes)
    store.check()
    sweep = create_sweep(store, baseline, techniques, args.plan, args.repeats, runs)
    roles = list(dict.fromkeys(r.role for r in runs))
    print(f"sweep {sweep['id']}: {len(runs)} runs ({len(roles)} configs x {args.repeats}): {', '.join(roles)}", flush=True)
    return _detach(store, sweep["id"]) if args.detach else _work_through(store, [sweep])


def _detach(store: RunStore, sweep_id: str | None) -> int:
    """Hand the queue to `greentui sweep --resume [ID]` in its own session."""
    from greentui.sweep.queue import spawn_runner

    pid, log = spawn_runner(store, sweep_id)
    print(f"running in the background (pid {pid}); output in {log}; `greentui sweep --list` shows progress")
    return 0


def _work_through(store: RunStore, sweeps: list, quiet_busy: bool = False) -> int:
    """Run the sweeps' queues here, one after another."""
    from greentui.sweep.queue import SweepBusy, run_queue

    for sweep in sweeps:
        try:
            run_queue(store, sweep)
        except SweepBusy as err:
            if not quiet_busy:  # a named sweep must say so; "resume them all" goes on with the rest
                raise
            print(f"skipped: {err}")
            continue
        except KeyboardInterrupt:
            print(f"\nstopped; `greentui sweep --resume {sweep['id']}` goes on from here", file=sys.stderr)
            return 130
        print(f"sweep {sweep['id']} done: greentui report {sweep['id']}", flush=True)
    return 0


def sweep_attribution(store: RunStore, sweep: dict) -> tuple[list, list]:
    """(attribution rows in plan order, every run of the sweep) for a sweep."""
    from greentui.sweep.attribution import attribute, completed_groups

    records = [r for r in store.all() if r.sweep.get("id") == sweep["id"]]
    groups = completed_groups(records, lambda r: r.sweep.get("role", "?"))
    order = list(dict.fromkeys(e["role"] for e in sweep["entries"]))
    rows = sorted(attribute(groups), key=lambda row: order.index(row.role) if row.role in order else len(order))
    return rows, records


def sweep_rows(store: RunStore, sweep: dict) -> tuple[list[tuple[str, ...]], int, str | None]:
    """The TUI's table cells, how many runs have finished, and which one is running (if any)."""
    from greentui.sweep.report import PARETO_MARK, short_change, stat_text

    rows, records = sweep_attribution(store, sweep)
    cells = [(f"{PARETO_MARK if r.pareto else ' '} {r.role}", str(r.runs), stat_text(r.stats["energy"], ".6f"),
              short_change(r, "energy"), short_change(r, "time"), short_change(r, "co2"),
              stat_text(r.stats["accuracy"], ".3f"), short_change(r, "accuracy")) for r in rows]
    running = next((f"{r.sweep.get('role')} #{r.sweep.get('repeat', 0) + 1}" for r in records
                    if r.status == "running"), None)
    return cells, sum(1 for r in records if r.finished), running


def sweep_report(store: RunStore, sweep_id: str, fmt: str = "md") -> str:
    """The attribution table of a sweep, as Markdown or CSV text."""
    from greentui.sweep.queue import load_sweep
    from greentui.sweep.report import csv_text, markdown, measurement_note

    sweep = load_sweep(store, sweep_id)
    rows, records = sweep_attribution(store, sweep)
    if fmt == "csv":
        return csv_text(rows)
    completed = sum(r.runs for r in rows)
    left_out = len(records) - completed
    techniques = ", ".join(f"{k}={v}" for k, v in sweep["techniques"])
    base = sweep["baseline"]
    notes = [f"Plan {sweep['plan']}, {sweep['repeats']} repeat(s), techniques {techniques}; baseline "
             f"{base['model']} on {base['dataset']}, {base['epochs']:g} epochs, batch {base['batch_size']}, "
             f"lr {base['learning_rate']:g}.",
             f"{completed} completed run(s) of {len(sweep['entries'])} planned"
             + (f"; {left_out} not completed (left out)" if left_out else "") + "."]
    notes += filter(None, [measurement_note(records)])
    return markdown(rows, f"Sweep {sweep['id']}", notes)


def runs_report(store: RunStore, run_ids: list[str], baseline_id: str, fmt: str = "md") -> str:
    """The attribution table of any runs: grouped by technique tags, the baseline run's group first."""
    from greentui.sweep.attribution import attribute, completed_groups
    from greentui.sweep.plan import BASELINE, SweepError
    from greentui.sweep.report import csv_text, markdown

    records = []
    for run_id in dict.fromkeys([baseline_id, *run_ids]):
        record = store.get(run_id)
        if record is None:
            raise SweepError(f"no run {run_id!r} in {store.path}")
        records.append(record)
    base_tags = records[0].techniques()

    def role_of(record) -> str:
        # Runs with the baseline's techniques are its repeats; the others are named by their tags.
        tags = record.techniques()
        return BASELINE if tags == base_tags else " ".join(tags) or "(no technique)"

    rows = attribute(completed_groups(records, role_of))
    if fmt == "csv":
        return csv_text(rows)
    return markdown(rows, f"{len(records)} runs against {records[0].id}",
                    [f"Grouped by technique tags; baseline: {records[0].name} ({' '.join(base_tags) or 'no technique'})."])


def cmd_report(args: argparse.Namespace, store_path: Path) -> int:
    """Print or write a sweep's attribution table, or that of chosen runs against a baseline."""
    from greentui.store import RunStore
    from greentui.sweep.plan import SweepError

    fmt = args.format or ("csv" if args.output and args.output.suffix.lower() == ".csv" else "md")
    store = RunStore(store_path)
    if args.runs:
        if not args.baseline:
            raise SweepError("--runs needs --baseline RUN_ID: the run the others are compared with")
        text = runs_report(store, args.runs, args.baseline, fmt)
    elif args.sweep_id:
        text = sweep_report(store, args.sweep_id, fmt)
    else:
        raise SweepError("name a sweep (greentui report SWEEP_ID) or runs (--runs ID... --baseline ID)")
    if args.output is None:
        print(text, end="")
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as err:
        print(f"greentui: cannot write {args.output}: {err.strerror}", file=sys.stderr)
        return 2
    print(f"wrote the report to {args.output}")
    return 0
