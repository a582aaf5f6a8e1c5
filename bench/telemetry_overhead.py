"""Telemetry overhead: samples/s of a tracked tiny run ÷ the same run untracked (target ≥ 0.98).

Tracked is the worker's own training function under CodeCarbon, the NVML sampler, the events
file and the heartbeat; untracked is the bare Trainer built from the same config. Both train
the same samples with the same seed, interleaved, medians quoted.
"""

from __future__ import annotations

from common import Row, interleaved, main, median, spread
from train_rate import config, samples_per_s

TARGET = 0.98


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    # Long enough that CodeCarbon samples many times (every second) during training.
    cfg = config(train_samples=96 if quick else 2400)
    rounds = 1 if quick else 9  # per-run noise here is about ±8 %: fewer pairs cannot resolve 2 %
    tracked, untracked = interleaved(lambda: samples_per_s(cfg, tracked=True),
                                     lambda: samples_per_s(cfg, tracked=False), rounds)
    ratios = [t / u for t, u in zip(tracked, untracked)]
    ratio = median(tracked) / median(untracked)
    return [Row("telemetry overhead (tracked ÷ untracked samples/s)", f"{ratio:.3f}", f"≥ {TARGET}",
                ratio >= TARGET,
                f"{median(tracked):.0f} vs {median(untracked):.0f} samples/s, {rounds}× interleaved, "
                f"per-pair ratios {spread(ratios)}")]


if __name__ == "__main__":
    main("telemetry overhead", __doc__, run)
