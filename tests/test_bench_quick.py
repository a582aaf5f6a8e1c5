"""The benchmarks' quick mode runs end to end, so bench/ cannot rot between performance checks.

Timings are not judged here (quick-mode figures are too short to mean anything); the test
only checks that every area produced its rows.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # trains the bundled model in real worker processes

BENCH = Path(__file__).resolve().parent.parent / "bench"
AREAS = ("start-up", "first frame", "chart cost", "idle TUI cost", "terminal traffic",
         "store scale: open", "store scale: append",
         "cli scale", "store migration", "telemetry overhead", "peers: CodeCarbon alone", "padding", "bf16 autocast",
         "gradient checkpointing", "LoRA")


def test_every_benchmark_runs_in_quick_mode(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(BENCH / "run_all.py"), "--quick"], capture_output=True,
                            text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    missing = [area for area in AREAS if not any(row.startswith(f"| {area}") for row in rows)]
    assert missing == [], result.stdout
