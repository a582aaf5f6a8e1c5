"""The `greentui` command: the TUI by default, and headless sub-commands.

Imports stay light here: `greentui --help` must not pay for torch or Textual.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from greentui import __version__

EPILOG = """commands:
  greentui                      open the TUI
  greentui run                  run one experiment headless, with a progress bar
  greentui ls | show | export   list, inspect and export stored runs
  greentui tag | note RUN_ID    label a run (filter with tag:NAME) or write a note on it
  greentui stop RUN_ID          stop a running experiment (partial results kept)
  greentui start-now RUN_ID     end a run's wait for a low-carbon window: it starts at once
  greentui infer RUN_ID         measure a saved model again, quantized or pruned, without training
  greentui card RUN_ID          write a saved model's Hugging Face model card, with its CO2-eq
  greentui reproduce STUDY.json run a study's configs again here; do its changes hold?
  greentui sweep | report       run techniques against a baseline; what each one buys
  greentui queue                the store's queue: cancel, pause, resume, move (--executor gpus|slurm)
  greentui doctor               what can be measured on this machine, and how
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(
        prog="greentui",
        description="Fine-tuning experiments and what they cost in energy, in a terminal.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"greentui {__version__}")
    parser.add_argument("--store", help="run store file (default ./runs.json, or $GREENTUI_STORE)")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run one experiment headless")
    run.add_argument("--preset", help="start from a named preset (tiny, distilbert-imdb)")
    run.add_argument("--config", type=Path, help="TOML file of config keys")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="set one config key (repeatable)")
    run.add_argument("--name", help="a name for the run")
    run.add_argument("--detach", action="store_true", help="start the run and return at once")
    run.add_argument("--allow-overlap", action="store_true",
                     help="start even if another run holds its devices (recorded; the run is then marked contended)")
    run.add_argument("--queue", action="store_true",
                     help="put the run in the store's queue (after any sweep) and return; `greentui queue` lists it")

    ls = sub.add_parser("ls", help="list stored runs")
    ls.add_argument("--json", action="store_true", help="print the records as JSON")

    show = sub.add_parser("show", help="show one run")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="print the record as JSON")

    export = sub.add_parser("export", help="export runs to CSV")
    export.add_argument("run_ids", nargs="*", metavar="RUN_ID")
    export.add_argument("--all", action="store_true", help="export every run")
    export.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")

    stop = sub.add_parser("stop", help="stop a running experiment")
    stop.add_argument("run_id")

    start_now = sub.add_parser("start-now", help="end a run's wait for a low-carbon window")
    start_now.add_argument("run_id")

    sub.add_parser("doctor", help="what can be measured here, and how")
    from greentui.cli import card, infer, labels, queue, reproduce, sweep

    queue.add_executor_flags(run)
    labels.add_parsers(sub)
    infer.add_parser(sub)
    card.add_parser(sub)
    sweep.add_parsers(sub)
    queue.add_parsers(sub)
    reproduce.add_parser(sub)
    return parser


COMMAND_MODULES = {"sweep": "sweep", "report": "sweep", "infer": "infer", "card": "card", "reproduce": "reproduce",
                   "tag": "labels", "note": "labels", "queue": "queue"}


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the command; returns the exit code."""
    args = build_parser().parse_args(argv)
    from greentui.store.run_store import resolve_store_path

    store_path = resolve_store_path(args.store)
    if args.command not in (None, "doctor"):  # the doctor reports on a store as it finds it; the TUI says it itself
        say_moved_curves(store_path)
    try:
        if args.command is None:
            from greentui.tui.app import run_app

            return run_app(store_path)
        # Each command's `cmd_<command>`: in its own module, or else in commands.py; only that
        # module is imported (the others cost `ls` on a big store a tenth of its time).
        module = importlib.import_module(f"greentui.cli.{COMMAND_MODULES.get(args.command, 'commands')}")
        return int(getattr(module, f"cmd_{args.command.replace('-', '_')}")(args, store_path))
    except BrokenPipeError:
        # `greentui ls | head`: the reader has gone. Point stdout at nothing so the interpreter's
        # final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as err:
        if not isinstance(err, said_errors()):
            raise
        print(f"greentui: {err}", file=sys.stderr)
        return 2


def said_errors() -> tuple[type[Exception], ...]:
    """The errors a command ends with as one line (the refusal it is), not a traceback.

    Imported only once one is raised: their modules (the config's, the sweep planner's) are
    more than a listing needs."""
    from greentui.config import ConfigError
    from greentui.labels import LabelError
    from greentui.preflight import PreflightError
    from greentui.queue.executor_spec import ExecutorError
    from greentui.report.errors import ReportError
    from greentui.runs.process import StopRefused
    from greentui.store.run_store import StoreError
    from greentui.sweep.plan import SweepError

    return ConfigError, ExecutorError, LabelError, PreflightError, ReportError, StoreError, SweepError, StopRefused


def say_moved_curves(store_path: Path) -> None:
    """An older store's inline curves move to its run folders, once; one line on stderr says so."""
    from greentui.store.curve_migration import move_inline_curves
    from greentui.store.run_store import RunStore

    moved = move_inline_curves(RunStore(store_path))
    if moved is not None:
        print(f"greentui: {moved.note()}", file=sys.stderr)
