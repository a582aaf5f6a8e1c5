"""Padding: samples/s with dynamic padding + length grouping ÷ padding every batch to max_length.

On the bundled data at max_length 512 (target ≥ 2.0): padding to max_length makes every
batch pay for 512 tokens of attention and feed-forward however short its texts are.
"""

from __future__ import annotations

from common import Row, interleaved, main, median, spread
from train_rate import config, samples_per_s

TARGET = 2.0


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    samples = 48 if quick else 480
    dynamic = config(max_length=512, train_samples=samples, dynamic_padding=True, group_by_length=True)
    padded = config(max_length=512, train_samples=samples, dynamic_padding=False, group_by_length=False)
    rounds = 1 if quick else 3
    fast, slow = interleaved(lambda: samples_per_s(dynamic), lambda: samples_per_s(padded), rounds)
    ratio = median(fast) / median(slow)
    return [Row("padding (dynamic + length grouping ÷ pad to 512)", f"{ratio:.2f}", f"≥ {TARGET}",
                ratio >= TARGET,
                f"{median(fast):.0f} vs {median(slow):.0f} samples/s, {rounds}× interleaved "
                f"({spread(fast)} vs {spread(slow)})")]


if __name__ == "__main__":
    main("padding", __doc__, run)
