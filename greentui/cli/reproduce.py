"""`greentui reproduce STUDY.json`: run a study's configs again here, through the queue, and judge the new changes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The study, the plan and the queue are imported by the command: `greentui --help` builds this parser.


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `reproduce` sub-command."""
    reproduce = sub.add_parser("reproduce", help="run a study file's configs again and say whether its changes hold")
    reproduce.add_argument("study", type=Path, metavar="STUDY.json", help="a study file: greentui report ... --format json")
    reproduce.add_argument("--repeats", type=int, metavar="N",
                           help="runs per row, on seeds seed, seed+1, … (default: the study's own runs and seeds)")
    reproduce.add_argument("--only", nargs="+", metavar="ROW", default=[],
                           help="reproduce these rows only (and the baseline)")
    reproduce.add_argument("--resume", metavar="SWEEP_ID",
                           help="finish a reproduction cut short (its sweep id), then judge it")


def cmd_reproduce(args: argparse.Namespace, store_path: Path) -> int:
    """Plan the study's runs as a sweep, run it here, print the verdict; exit 1 when a row differs."""
    from greentui.cli.queue import follow_sweep
    from greentui.preflight import check_loadable
    from greentui.queue.runner_process import ensure_runner
    from greentui.report.printable import printable
    from greentui.report.reproduction import DIFFERS, plan_reproduction, verdict_table, verdicts
    from greentui.report.selection import sweep_selection
    from greentui.report.study import load_study
    from greentui.store.run_store import RunStore
    from greentui.sweep.model import Sweep
    from greentui.sweep.plan import REPRODUCE, SweepError
    from greentui.sweep.queue import create_sweep, load_sweep

    if args.repeats is not None and args.repeats < 1:
        raise SweepError(f"--repeats {args.repeats}: at least 1")
    store = RunStore(store_path)
    study = load_study(args.study)
    plan = plan_reproduction(study, args.repeats, args.only, lambda config: check_loadable(config, store_path))
    for row, why in plan.skipped.items():  # the study is untrusted text: shown, never obeyed by the terminal
        print(printable(f"greentui: row {row!r} not reproduced: {why}"), file=sys.stderr)
    if args.resume:
        sweep: Sweep = load_sweep(store, args.resume)
        if sweep.plan != REPRODUCE:
            raise SweepError(f"--resume {args.resume}: sweep {sweep.id} is a {sweep.plan}, not a reproduction")
    else:
        store.check()
        repeats = max((r.repeat + 1 for r in plan.runs), default=1)
        sweep = create_sweep(store, plan.baseline, [("study", args.study.name)], REPRODUCE, repeats, plan.runs)
        print(f"reproducing {args.study.name}: {len(plan.runs)} runs as sweep {sweep.id} "
              f"(greentui reproduce {args.study} --resume {sweep.id} finishes it if cut short)", flush=True)
    ensure_runner(store)
    if follow_sweep(store, sweep.id) == 130:
        return 130
    selection = sweep_selection(store, sweep.id)
    judged = verdicts(study, plan, selection.rows, selection.records)
    print(printable(verdict_table(args.study, judged, sweep.id), keep_newlines=True), end="")
    return 1 if any(v.verdict == DIFFERS for v in judged) else 0
