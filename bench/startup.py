"""Start-up: wall time of `greentui --help` ÷ wall time of `python -c "import torch"` (target ≤ 0.25).

Both are fresh processes, interleaved, medians quoted; torch is the yardstick because
greentui's light commands must not pay for it (DESIGN.md).
"""

from __future__ import annotations

import subprocess
import sys
import time

from common import Row, greentui_command, interleaved, main, median

TARGET = 0.25


def wall(command: list[str]) -> float:
    """Seconds from spawn to exit."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    rounds = 2 if quick else 9
    help_cmd = [*greentui_command(), "--help"]
    torch_cmd = [sys.executable, "-c", "import torch"]
    wall(help_cmd), wall(torch_cmd)  # warm the page cache: later runs are what a user sees
    helps, torches = interleaved(lambda: wall(help_cmd), lambda: wall(torch_cmd), rounds)
    ratio = median(helps) / median(torches)
    return [Row("start-up (greentui --help ÷ import torch)", f"{ratio:.3f}", f"≤ {TARGET}", ratio <= TARGET,
                f"{median(helps) * 1000:.0f} ms vs {median(torches) * 1000:.0f} ms, {rounds}× interleaved")]


if __name__ == "__main__":
    main("start-up", __doc__, run)
