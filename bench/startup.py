"""Start-up: wall time of `greentui --help` ÷ wall time of `python -c "import torch"` (target ≤ 0.25).

Both are fresh processes, interleaved, medians quoted; torch is the yardstick because
greentui's light commands must not pay for it (DESIGN.md). The peers' own `--help` (nvitop,
CodeCarbon, W&B, MLflow: `pip install -e '.[bench]'`) are timed in the same rounds where they
are installed, next to this interpreter or on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import Row, greentui_command, interleaved, main, median

TARGET = 0.25
PEERS = ("nvitop", "codecarbon", "wandb", "mlflow")


def wall(command: list[str]) -> float:
    """Seconds from spawn to exit."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def peer_script(name: str) -> str | None:
    """The peer's command: the script beside this interpreter (its venv), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    rounds = 2 if quick else 9
    help_cmd = [*greentui_command(), "--help"]
    torch_cmd = [sys.executable, "-c", "import torch"]
    wall(help_cmd), wall(torch_cmd)  # warm the page cache: later runs are what a user sees
    helps, torches = interleaved(lambda: wall(help_cmd), lambda: wall(torch_cmd), rounds)
    ratio = median(helps) / median(torches)
    rows = [Row("start-up (greentui --help ÷ import torch)", f"{ratio:.3f}", f"≤ {TARGET}", ratio <= TARGET,
                f"{median(helps) * 1000:.0f} ms vs {median(torches) * 1000:.0f} ms, {rounds}× interleaved")]
    for name in PEERS:
        script = peer_script(name)
        if script is None:
            rows.append(Row(f"start-up: {name} --help", "not installed", detail="pip install -e '.[bench]'"))
            continue
        peer_cmd = [script, "--help"]
        wall(peer_cmd)
        ours, theirs = interleaved(lambda: wall(help_cmd), lambda cmd=peer_cmd: wall(cmd), rounds)
        rows.append(Row(f"start-up: {name} --help", f"{median(theirs) * 1000:.0f} ms",
                        detail=f"greentui --help {median(ours) * 1000:.0f} ms in the same rounds, {rounds}× interleaved"))
    return rows

if __name__ == "__main__":
    main("start-up", __doc__, run)
