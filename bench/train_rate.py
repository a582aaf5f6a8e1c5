"""Training throughput (samples/s) through the worker's own code paths.

`samples_per_s(config)` builds the Trainer with greentui.worker.training.build_plan, exactly
as the worker does, and times `trainer.train()` alone: model and data loading are set-up
costs, not throughput. `tracked=True` runs what the worker runs around training (CodeCarbon's
offline tracker and the NVML sampler via Telemetry, the events file, the heartbeat thread,
the step/eval callback and the per-batch NaN check); `tracked=False` runs the bare Trainer.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Iterator

from greentui.config import RunConfig

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
warnings.filterwarnings("ignore")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

# Small eval split: these benchmarks time training, and an eval pass over 1,000 texts would
# dominate a short run.
BENCH_BASE = RunConfig(eval_samples=64, epochs=1.0)


def config(**values: object) -> RunConfig:
    """The tiny preset, one epoch, a small eval split, with `values` on top."""
    return BENCH_BASE.with_values(**values)


def samples_per_s(cfg: RunConfig, tracked: bool = False) -> float:
    """Samples trained per second of `trainer.train()` for `cfg`."""
    logging.getLogger("transformers").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder:
        run_dir = Path(folder)
        if tracked:
            return _tracked(cfg, run_dir)
        from greentui.worker.training import build_plan

        plan = build_plan(cfg, run_dir / "checkpoints")
        with _quiet():
            started = time.perf_counter()
            plan.trainer.train()
            elapsed = time.perf_counter() - started
        return _samples(cfg, plan.trainer.state.global_step, plan.train_samples) / elapsed


def _tracked(cfg: RunConfig, run_dir: Path) -> float:
    # The worker's own training function, under the worker's own telemetry; only the store
    # writes before and after training are left out (they are outside the timed part anyway).
    from greentui.worker.phases import PhaseClock
    from greentui.worker.run import TrainingProgress, _train

    with worker_telemetry(run_dir, cfg.country) as (events, telemetry), _quiet():
        clock = PhaseClock(events, telemetry.reading)  # phase events and their energy, as in the worker
        # No store: the store path only resolves a distillation teacher named by run id, which the bench has not.
        _status, metrics, _reason = _train(cfg, run_dir, events, threading.Event(), telemetry, TrainingProgress(),
                                           clock, run_dir / "runs.json", {})
    return metrics["samples_trained"] / metrics["duration_s"]


@contextlib.contextmanager
def worker_telemetry(run_dir: Path, country: str = "") -> Iterator[tuple[Any, Any]]:
    """What the worker runs around training: the events file, the heartbeat, and CodeCarbon with
    the NVML sampler (Telemetry); yields (events, telemetry) and stops them all after the block."""
    from greentui.events.log import EVENTS_FILE, EventWriter
    from greentui.worker.run import _start_heartbeat
    from greentui.worker.telemetry import Telemetry

    events = EventWriter(run_dir / EVENTS_FILE)
    telemetry = Telemetry(run_dir, country, events)
    heartbeat = _start_heartbeat(events)
    try:
        telemetry.start()
        yield events, telemetry
    finally:
        heartbeat.set()
        telemetry.stop()
        events.close()


@contextlib.contextmanager
def _quiet():
    # The Trainer prints every log line (the worker sends them to worker.log); a file costs
    # the same on both sides of an A/B pair and keeps the table readable.
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


def _samples(cfg: RunConfig, steps: int, train_samples: int) -> int:
    # The worker's definition of samples_trained (worker/run.py).
    return min(steps * cfg.batch_size * cfg.grad_accum_steps, int(train_samples * cfg.epochs))


def trainable_fraction(cfg: RunConfig) -> tuple[int, int]:
    """(trainable, total) parameters of the model `cfg` builds."""
    from greentui.worker.training import build_plan

    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder:
        plan = build_plan(cfg, Path(folder) / "checkpoints")
        return plan.trainable_params, plan.total_params
