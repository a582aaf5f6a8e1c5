"""Monitoring overhead beside the peers: samples/s of a tracked tiny run ÷ the same run untracked.

Every tracker trains the same run (same config, same seed, same batches) in lock-step against
an untracked copy (bench/lockstep.py), so all of them are measured by one harness in one run:
- greentui: the worker's own training function under its telemetry (CodeCarbon, the NVML
  sampler, the events file, the heartbeat): bench/telemetry_overhead.py's rows, with its target;
- CodeCarbon alone: its offline tracker measuring every second around the bare Trainer;
- W&B offline, MLflow with a local sqlite store, trackio local: the Trainer's own integration
  callback of each, logging what the Trainer logs (every step here, as in greentui's runs);
- A/A: untracked against untracked, which shows what the harness can resolve.
A peer that is not installed (`pip install -e '.[bench]'` installs them) is reported as such.
Ratios are medians over sessions that alternate which side goes first. Quick mode (CI) runs
greentui's pair and CodeCarbon's only.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from common import Row, bootstrap_interval, main, median

TURN_STEPS = 10
SESSIONS = 7
# The package each tracker needs; greentui and the untracked side need nothing beyond greentui.
PEERS = {"CodeCarbon alone (1 s)": ("codecarbon", "codecarbon"), "W&B offline": ("wandb", "wandb"),
         "MLflow (sqlite)": ("mlflow", "mlflow"), "trackio (local)": ("trackio", "trackio")}


@contextlib.contextmanager
def tracking(tracker: str) -> Iterator[list[Any]]:
    """The Trainer callbacks that add `tracker` to a bare run, with its files in a temporary folder.

    "untracked" and "greentui" add none: greentui's telemetry is the worker's own, started by
    bench/train_rate.py when the side is tracked.
    """
    with tempfile.TemporaryDirectory(prefix="greentui-bench-peer-") as folder:
        if tracker in ("untracked", "greentui"):
            yield []
        elif tracker == "codecarbon":
            with _codecarbon(Path(folder)):
                yield []
        else:
            yield [_integration(tracker, Path(folder))]


@contextlib.contextmanager
def _codecarbon(folder: Path) -> Iterator[None]:
    from codecarbon import OfflineEmissionsTracker

    tracker = OfflineEmissionsTracker(country_iso_code="USA", measure_power_secs=1, output_dir=str(folder),
                                      log_level="error", save_to_file=True)
    tracker.start()
    try:
        yield
    finally:
        tracker.stop()


def _integration(tracker: str, folder: Path) -> Any:
    # Each peer's local, offline mode, its files kept out of the user's folders.
    from transformers.integrations import integration_utils as hf

    if tracker == "wandb":
        os.environ.update(WANDB_MODE="offline", WANDB_DIR=str(folder), WANDB_SILENT="true", WANDB_CONSOLE="off")
        return hf.WandbCallback()
    if tracker == "mlflow":
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder / 'mlflow.db'}"
        return hf.MLflowCallback()
    if tracker == "trackio":
        os.environ["TRACKIO_DIR"] = str(folder)
        return hf.TrackioCallback()
    raise ValueError(f"unknown tracker {tracker!r}")


def session_ratio(tracker: str, turns: int, turn_steps: int, tracker_first: bool) -> float:
    """Untracked ÷ tracked training time of one lock-step session, the first and last turns left out."""
    from lockstep import take_turns
    from train_rate import config

    samples = turns * turn_steps * config().batch_size  # one epoch of exactly the turns' batches
    values = {"train_samples": samples}
    if tracker_first:
        tracked, untracked = take_turns(values, turn_steps, turns, tracker, "untracked")
    else:
        untracked, tracked = take_turns(values, turn_steps, turns, "untracked", tracker)
    return sum(untracked[1:-1]) / sum(tracked[1:-1])


def ratios(tracker: str, sessions: int, turns: int, turn_steps: int) -> list[float]:
    """One ratio per session, alternating which side trains first."""
    return [session_ratio(tracker, turns, turn_steps, tracker_first=i % 2 == 0) for i in range(sessions)]


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    import telemetry_overhead

    sessions, turns, turn_steps = (1, 4, 2) if quick else (SESSIONS, 30, TURN_STEPS)
    method = f"lock-step, {sessions} session(s) of {turns - 2} turns × {turn_steps} steps"

    def row(what: str, tracker: str) -> Row:
        values = ratios(tracker, sessions, turns, turn_steps)
        low, high = bootstrap_interval(values)
        return Row(what, f"{median(values):.3f}", detail=f"{method}; 90 % bootstrap of the median {low:.3f}–{high:.3f}")

    rows = telemetry_overhead.run(quick)
    if not quick:
        rows.append(row("peers: A/A (untracked ÷ untracked)", "untracked"))
    for what, (tracker, package) in PEERS.items():
        if importlib.util.find_spec(package) is None:
            rows.append(Row(f"peers: {what}", "not installed", detail="pip install -e '.[bench]'"))
        elif not quick or tracker == "codecarbon":
            rows.append(row(f"peers: {what}", tracker))
    return rows

if __name__ == "__main__":
    main("monitoring overhead beside the peers", __doc__, run)
