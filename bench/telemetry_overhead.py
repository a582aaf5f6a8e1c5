"""Telemetry overhead: samples/s of a tracked tiny run ÷ the same run untracked (target ≥ 0.98).

Tracked is the worker's own training function under CodeCarbon, the NVML sampler, the events
file and the heartbeat; untracked is the bare Trainer built from the same config. Both train
the same samples with the same seed, interleaved, medians quoted. Single runs on a small VM
vary by several per cent, more than the effect, so the table also gives a bootstrap interval
of the median per-pair ratio and what the telemetry costs on its own: the CPU time the
tracker, sampler and heartbeat use per second with no training beside them.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path

from common import Row, interleaved, main, median, spread
from train_rate import config, samples_per_s

TARGET = 0.98


def bootstrap_interval(values: list[float], rounds: int = 2000, level: float = 0.9) -> tuple[float, float]:
    """The central `level` interval of the median of `values`, resampled with replacement."""
    rng = random.Random(0)
    medians = sorted(median(rng.choices(values, k=len(values))) for _ in range(rounds))
    cut = int(rounds * (1 - level) / 2)
    return medians[cut], medians[-cut - 1]


def telemetry_alone(seconds: float) -> float:
    """CPU seconds per second this process spends on the worker's telemetry and heartbeat alone."""
    from greentui.events import EVENTS_FILE, EventWriter
    from greentui.worker.run import _start_heartbeat
    from greentui.worker.telemetry import Telemetry

    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder:
        events = EventWriter(Path(folder) / EVENTS_FILE)
        telemetry = Telemetry(Path(folder), "", events)
        heartbeat = _start_heartbeat(events)
        telemetry.start()
        time.sleep(2)  # CodeCarbon's start-up measurements are not the steady state
        cpu, wall = time.process_time(), time.perf_counter()
        threading.Event().wait(seconds)
        share = (time.process_time() - cpu) / (time.perf_counter() - wall)
        heartbeat.set()
        telemetry.stop()
        events.close()
    return share


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    # Long enough that CodeCarbon samples many times (every second) during training.
    cfg = config(train_samples=96 if quick else 2400)
    rounds = 1 if quick else 15  # per-run noise here is about ±5 %: fewer pairs cannot resolve 2 %
    tracked, untracked = interleaved(lambda: samples_per_s(cfg, tracked=True),
                                     lambda: samples_per_s(cfg, tracked=False), rounds)
    ratios = [t / u for t, u in zip(tracked, untracked)]
    ratio = median(tracked) / median(untracked)
    low, high = bootstrap_interval(ratios)
    alone = telemetry_alone(2 if quick else 20)
    return [Row("telemetry overhead (tracked ÷ untracked samples/s)", f"{ratio:.3f}", f"≥ {TARGET}",
                ratio >= TARGET,
                f"{median(tracked):.0f} vs {median(untracked):.0f} samples/s, {rounds}× interleaved, "
                f"per-pair ratios {spread(ratios)}, their median {median(ratios):.3f} "
                f"(90 % bootstrap {low:.3f}–{high:.3f}); the telemetry alone uses {alone * 100:.2f} % of a core")]


if __name__ == "__main__":
    main("telemetry overhead", __doc__, run)
