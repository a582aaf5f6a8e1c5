"""`greentui sweep` and `greentui report`: plan, queue, resume, and the attribution table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from greentui.report.selection import Selection
    from greentui.store.run_store import RunStore
    from greentui.sweep.model import Sweep

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
    sweep.add_argument("--prune", choices=("off", "dominated"), default="off",
                       help="dominated: at 25 %% and 50 %% of a run's steps, stop it as pruned when another config "
                            "is clearly better on both accuracy and projected energy (never the baseline)")
    sweep.add_argument("--resume", nargs="?", const="", metavar="SWEEP_ID",
                       help="go on with a paused or interrupted sweep (all unfinished ones without an id)")
    sweep.add_argument("--detach", action="store_true",
                       help="return at once: the store's queue runner works through it (log: sweeps/runner.log)")
    sweep.add_argument("--list", action="store_true", help="list the sweeps and how far each has got")
    from greentui.cli.queue import add_executor_flags

    add_executor_flags(sweep)
    report = sub.add_parser("report", help="the attribution table of a sweep, or of any runs against a baseline")
    report.add_argument("sweep_id", nargs="?", help="the sweep (or use --runs and --baseline)")
    report.add_argument("--runs", nargs="+", metavar="RUN_ID", help="any runs, grouped by their techniques")
    report.add_argument("--baseline", metavar="RUN_ID",
                        help="with --runs or --where: the run (and its repeats) to compare against")
    report.add_argument("--where", metavar="FILTER",
                        help="the runs the history's filter matches, e.g. 'tech:lora status:completed' "
                             "(baseline: --baseline, else the oldest completed run without techniques)")
    report.add_argument("-o", "--output", type=Path, help="write to this file (.md, .csv, .tex, .json) instead of stdout")
    report.add_argument("--format", help="md, csv, tex (LaTeX, booktabs) or json; default: from the file name, else md")
    report.add_argument("--appendix", action="store_true",
                        help="add the compute appendix: hardware, software, method, the whole study's energy")
    report.add_argument("--figures", type=Path, metavar="DIR",
                        help="also write the figures (SVG, PDF, PNG) to DIR; needs matplotlib (greentui[report])")
    report.add_argument("--include-contended", action="store_true",
                        help="keep runs whose devices other work shared (left out by default)")
    report.add_argument("--time-budget", metavar="PCT", type=float, default=None,
                        help="slowdown against the baseline within which the lowest-energy power cap is named "
                             "(default 10)")
    report.add_argument("--lifetime-predictions", metavar="N",
                        help="predictions over the model's life, for the lifetime energy (default 1,000,000)")


def cmd_sweep(args: argparse.Namespace, store_path: Path) -> int:
    """Plan a new sweep and queue it, resume unfinished ones, or list them; the store's runner runs them."""
    from greentui.store.run_store import RunStore
    from greentui.sweep.plan import SweepError, parse_techniques, plan_runs
    from greentui.sweep.queue import all_sweeps, create_sweep, load_sweep, progress_line, unfinished, unfinished_sweeps

    store = RunStore(store_path)
    if args.prune != "off" and (args.list or args.resume is not None):
        raise SweepError(f"--prune {args.prune}: pruning is chosen when a sweep is planned; "
                         "--resume goes on as the sweep's file says")
    if args.list:
        print("\n".join(progress_line(store, sweep) for sweep in all_sweeps(store)) or "no sweeps yet")
        return 0
    if args.resume is not None:
        sweeps = [load_sweep(store, args.resume)] if args.resume else unfinished_sweeps(store)
        if not sweeps:
            print("no unfinished sweep to resume")
            return 0
        for sweep in sweeps:
            _resumable(store, sweep)
            print(f"resuming sweep {sweep.id}: {unfinished(store, sweep)} of {len(sweep.entries)} runs to go")
        return _hand_to_runner(store, sweeps, args.detach)
    if not args.techniques:
        raise SweepError("name the techniques to study: --techniques KEY=VALUE[,KEY=VALUE...]")
    from greentui.cli.commands import config_from_args
    from greentui.cli.queue import executor_from_args

    baseline = config_from_args(args)
    executor = executor_from_args(args)
    techniques = parse_techniques(args.techniques, baseline)
    runs = plan_runs(baseline, techniques, args.plan, args.repeats, allow_large=args.yes)
    store.check()
    sweep = create_sweep(store, baseline, techniques, args.plan, args.repeats, runs, args.prune, executor.to_doc())
    roles = list(dict.fromkeys(r.role for r in runs))
    where = "" if executor.kind == "local" else f" on {executor.describe()}"
    print(f"sweep {sweep.id}: {len(runs)} runs ({len(roles)} configs x {args.repeats}){where}: {', '.join(roles)}"
          + ("; pruning dominated runs at 25 % and 50 % of their steps" if args.prune == "dominated" else ""),
          flush=True)
    return _hand_to_runner(store, [sweep], args.detach)


def _resumable(store: RunStore, sweep: Sweep) -> None:
    """A paused sweep is resumed; a stopped or cancelled one is over (plan a new one)."""
    from greentui.queue.state import resume
    from greentui.report.printable import printable
    from greentui.sweep.plan import SweepError

    if sweep.control in ("stopped", "cancelled"):
        raise SweepError(f"sweep {sweep.id} is {sweep.control}" + (f": {printable(sweep.reason)}" if sweep.reason else "")
                         + "; plan a new sweep to run it again")
    if sweep.control == "paused":
        resume(store, sweep.id)


def _hand_to_runner(store: RunStore, sweeps: list[Sweep], detach: bool) -> int:
    """Make sure the store's runner is at work, then (unless `detach`) follow the sweeps one after another."""
    from greentui.cli.queue import follow_sweep
    from greentui.queue.runner_process import ensure_runner

    pid = ensure_runner(store)
    if detach:
        started = f"the queue runner (pid {pid}) works" if pid else "the store's queue runner, already at work, works"
        print(f"{started} through it in the background; `greentui queue` shows progress")
        return 0
    code = 0
    for sweep in sweeps:
        code = follow_sweep(store, sweep.id)
        if code == 130:
            return code
    return code


def cmd_report(args: argparse.Namespace, store_path: Path) -> int:
    """Print or write the attribution report of a sweep, of chosen runs or of a filter, with its appendix and figures."""
    from greentui.report.render import format_of, render
    from greentui.store.atomic import replace_text
    from greentui.store.run_store import RunStore

    fmt = format_of(args.format, args.output)
    store = RunStore(store_path)  # one store: its parse of runs.json serves the selection and the figures' curves
    selection = report_selection(args, store)
    text = render(selection, fmt, args.appendix)
    written: list[str] = []
    if args.figures is not None:
        from greentui.report.figures import write_figures

        paths = write_figures(selection, args.figures, store)
        written.append(f"{len(paths)} figure file(s) to {args.figures}")
    if args.output is None:
        print(text, end="")
    else:
        try:
            replace_text(args.output, text)  # private, whole or not at all
        except OSError as err:
            print(f"greentui: cannot write {args.output}: {err.strerror}", file=sys.stderr)
            return 2
        written.insert(0, f"the report to {args.output}")
    if written:
        print("wrote " + " and ".join(written), file=sys.stderr if args.output is None else sys.stdout)
    return 0


def report_selection(args: argparse.Namespace, store: RunStore) -> Selection:
    """The runs `greentui report` was asked about: a sweep, --runs against --baseline, or --where."""
    from greentui.report.power_caps import DEFAULT_TIME_BUDGET_PCT
    from greentui.report.selection import runs_selection, sweep_selection, where_selection
    from greentui.sweep.plan import SweepError

    predictions = lifetime_predictions(args.lifetime_predictions)
    chosen = [name for name, given in (("a sweep id", args.sweep_id), ("--runs", args.runs), ("--where", args.where))
              if given]
    if len(chosen) > 1:
        raise SweepError(f"give one of a sweep id, --runs or --where, not {' and '.join(chosen)}")
    if args.runs:
        if not args.baseline:
            raise SweepError("--runs needs --baseline RUN_ID: the run the others are compared with")
        return runs_selection(store, args.runs, args.baseline, args.include_contended, predictions)
    if args.where is not None:
        if not args.where.strip():
            raise SweepError("--where '': give a filter, e.g. --where 'tech:lora status:completed'")
        return where_selection(store, args.where, args.baseline, args.include_contended, predictions)
    if args.sweep_id:
        budget = DEFAULT_TIME_BUDGET_PCT if args.time_budget is None else args.time_budget
        if not 0 <= budget <= 1000:
            raise SweepError(f"--time-budget {args.time_budget:g}: a slowdown in % from 0 to 1000")
        return sweep_selection(store, args.sweep_id, args.include_contended, predictions, budget)
    raise SweepError("name a sweep (greentui report SWEEP_ID), runs (--runs ID... --baseline ID) or a filter (--where)")


def lifetime_predictions(text: str | None) -> int:
    """`--lifetime-predictions`: a whole number above 0 (`1000000`, `1_000_000`, `1e6`); the default without one."""
    from math import isfinite

    from greentui.report.attribution import DEFAULT_LIFETIME_PREDICTIONS
    from greentui.sweep.plan import SweepError

    if text is None:
        return DEFAULT_LIFETIME_PREDICTIONS
    try:
        number = float(text.strip().replace("_", ""))
    except ValueError:
        number = float("nan")
    if not (isfinite(number) and number > 0 and number.is_integer()):
        raise SweepError(f"--lifetime-predictions {text!r}: give a whole number of predictions above 0")
    return int(number)
