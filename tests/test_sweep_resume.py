"""A real sweep, killed mid-way, finishes with `greentui sweep --resume` without running anything twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from greentui.store.run_store import RunStore
from tests.support import greentui, wait_until

pytestmark = pytest.mark.slow  # trains the bundled model in real worker processes

SHORT = ["--set", "train_samples=320", "--set", "eval_samples=200", "--set", "batch_size=32", "--set", "epochs=2"]


def sweep_runs(store_path: Path) -> list:
    return [r for r in RunStore(store_path).all() if r.sweep]


def test_killed_sweep_resumes_without_repeating_runs(store_path: Path) -> None:
    runner = subprocess.Popen([sys.executable, "-m", "greentui", "--store", str(store_path), "sweep", "--preset", "tiny",
                               *SHORT, "--techniques", "label_smoothing=0.1", "--repeats", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=store_path.parent)
    # Kill the runner once the first run is done and the second has started: its worker goes on.
    wait_until(lambda: len(sweep_runs(store_path)) == 2, "the second run to start")
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    first, second = sweep_runs(store_path)
    assert first.status == "completed" and first.sweep["role"] == "baseline"
    assert second.sweep["role"] == "label_smoothing"

    resumed = greentui("sweep", "--resume", store=store_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "1 of 2 runs to go" in resumed.stdout
    assert f"run {second.id} still going, waiting for it" in resumed.stdout or second.finished
    assert "started" not in resumed.stdout  # nothing launched again
    runs = sweep_runs(store_path)
    assert [(r.id, r.status) for r in runs] == [(first.id, "completed"), (second.id, "completed")]

    again = greentui("sweep", "--resume", store=store_path)
    assert "no unfinished sweep to resume" in again.stdout
    report = greentui("report", first.sweep["id"][:15], store=store_path)
    assert report.returncode == 0, report.stderr
    assert "2 completed run(s) of 2 planned" in report.stdout and "| label_smoothing | 1 |" in report.stdout


def test_bad_sweep_input_names_the_value_and_writes_nothing(store_path: Path) -> None:
    bad = greentui("sweep", "--preset", "tiny", "--techniques", "optimizer=lion", store=store_path)
    assert bad.returncode == 2 and "config key 'optimizer'" in bad.stderr
    missing = greentui("report", "nosuchsweep", store=store_path)
    assert missing.returncode == 2 and "no sweep 'nosuchsweep'" in missing.stderr
    assert not store_path.exists() and not (store_path.parent / "sweeps").exists()
