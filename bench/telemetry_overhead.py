"""Telemetry overhead: samples/s of a tracked tiny run ÷ the same run untracked (target ≥ 0.98).

Tracked is the worker's own training function under CodeCarbon, the NVML sampler, the events
file and the heartbeat; untracked is the bare Trainer built from the same config. Whole runs
timed one after the other differ here by ±10 % (the VM's speed wanders), more than the effect,
so the two copies of the run train in lock-step (bench/lockstep.py): turns of TURN_STEPS steps,
the same batches on both sides, handing over between two live processes. A session's ratio is
untracked ÷ tracked time over all turns but the first (warm-up); sessions start fresh process
pairs, alternating which side goes first, and the median over sessions is quoted.

While the untracked side trains, the tracked side's telemetry threads still run and can take
CPU from it; that can only flatter the ratio, by at most the share of a core the telemetry uses
on its own (measured here), so the verdict is taken on the ratio less that share.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path

from common import Row, main, median
from lockstep import take_turns
from train_rate import config, worker_telemetry

TARGET = 0.98
TURN_STEPS = 10  # about half a second of training per turn on 2 cores
SESSIONS = 11  # one session's ratio varies by about ±2 % here (an A/A check by hand, both sides untracked)


def bootstrap_interval(values: list[float], rounds: int = 2000, level: float = 0.9) -> tuple[float, float]:
    """The central `level` interval of the median of `values`, resampled with replacement."""
    rng = random.Random(0)
    medians = sorted(median(rng.choices(values, k=len(values))) for _ in range(rounds))
    cut = int(rounds * (1 - level) / 2)
    return medians[cut], medians[-cut - 1]


def telemetry_alone(seconds: float) -> float:
    """CPU seconds per second this process spends on the worker's telemetry and heartbeat alone."""
    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder, worker_telemetry(Path(folder)):
        time.sleep(2)  # CodeCarbon's start-up measurements are not the steady state
        cpu, wall = time.process_time(), time.perf_counter()
        threading.Event().wait(seconds)
        share = (time.process_time() - cpu) / (time.perf_counter() - wall)
    return share


def session_ratio(turns: int, turn_steps: int, tracked_first: bool) -> float:
    """Untracked ÷ tracked training time of one lock-step session, the warm-up turn left out."""
    # One epoch of exactly turns × turn_steps batches: the turns cover all of it.
    samples = turns * turn_steps * config().batch_size
    tracked, untracked = take_turns({"train_samples": samples}, turn_steps, turns, tracked_first)
    return sum(untracked[1:]) / sum(tracked[1:])


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    sessions, turns, turn_steps = (1, 3, 2) if quick else (SESSIONS, 30, TURN_STEPS)
    ratios = [session_ratio(turns, turn_steps, tracked_first=i % 2 == 0) for i in range(sessions)]
    ratio = median(ratios)
    low, high = bootstrap_interval(ratios)
    alone = telemetry_alone(2 if quick else 20)
    return [Row("telemetry overhead (tracked ÷ untracked samples/s)", f"{ratio:.3f}", f"≥ {TARGET}",
                ratio - alone >= TARGET,
                f"lock-step, {sessions} session(s) of {turns - 1} turns × {turn_steps} steps, session ratios "
                f"{', '.join(f'{r:.3f}' for r in ratios)} (90 % bootstrap of the median {low:.3f}–{high:.3f}); "
                f"the telemetry alone "
                f"uses {alone * 100:.2f} % of a core, so at worst {ratio - alone:.3f}")]


if __name__ == "__main__":
    main("telemetry overhead", __doc__, run)
