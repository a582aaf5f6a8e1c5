"""`greentui infer RUN_ID`: deploy a run's saved model again, compressed another way, as a new linked run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from greentui.store.layout import StoreError

if TYPE_CHECKING:
    from greentui.config import RunConfig
    from greentui.store.record import RunRecord

# The config module is imported where it is used: every command builds this one's parser, and
# `greentui ls` on a big store has no use for the config's validation.

# What a deployment may change: the fine-tuned weights, and so everything that made them, stay the parent's.
INFER_KEYS = ("quantization", "pruning", "pruning_method", "pruning_recovery_steps", "inference_samples",
              "inference_batch_sizes")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `infer` sub-command."""
    infer = sub.add_parser("infer", help="measure a run's saved model again, quantized or pruned, without training")
    infer.add_argument("run_id", metavar="RUN_ID", help="a completed run that saved its model (save_model = true)")
    infer.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help=f"one of {', '.join(INFER_KEYS)} (repeatable)")
    infer.add_argument("--name", help="a name for the new run")
    infer.add_argument("--detach", action="store_true", help="start the run and return at once")


def check_keys(changes: dict[str, str]) -> None:
    """Refuse, by name, a key that deployment cannot change."""
    from greentui.config import KEYS, ConfigError

    for key in changes:
        if key not in INFER_KEYS:
            known = key in KEYS
            raise ConfigError(key, ("greentui infer keeps the parent's training; it changes only "
                                    if known else "unknown key; greentui infer changes only ") + ", ".join(INFER_KEYS))


def child_config(parent: RunRecord, changes: dict[str, str]) -> RunConfig:
    """The parent's config with the deployment keys changed."""
    from greentui.config import KEYS, ConfigError, RunConfig

    check_keys(changes)
    stored = {k: v for k, v in parent.config.items() if k in KEYS}
    try:
        base = RunConfig.from_mapping(stored)
    except ConfigError as err:
        raise StoreError(f"run {parent.id}'s stored config cannot be read: {err}") from None
    config = RunConfig.from_mapping(changes, base=base)
    if config.inference_samples == 0:
        raise ConfigError("inference_samples", "0 leaves greentui infer nothing to measure")
    return config.with_values(save_model=False, distill_from="")  # nothing is trained: no teacher, no weights


def cmd_infer(args: argparse.Namespace, store_path: Path) -> int:
    """Start the deployment run; unless --detach, follow it like `greentui run`."""
    from greentui.cli.commands import start_and_follow
    from greentui.config import parse_sets
    from greentui.report.printable import from_command_line
    from greentui.runs.launch import default_name
    from greentui.store.run_dirs import saved_model_folder
    from greentui.store.run_store import RunStore

    changes = parse_sets(args.set)
    check_keys(changes)  # before the store is read: a typo is the first thing to hear about
    store = RunStore(store_path)
    parent, _folder = saved_model_folder(store, args.run_id)
    config = child_config(parent, changes)
    name = from_command_line(args.name) if args.name else f"infer {default_name(config)}"
    return start_and_follow(store, config, name, args.detach, parent=parent)
