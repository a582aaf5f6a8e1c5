"""`greentui sweep --prune dominated` on a real small sweep: the run that buys nothing is stopped as `pruned`,
never the baseline, and the finished table holds the same energy-accuracy front as the full sweep.

The known outcome rests on accuracy, which training on the CPU gives the same every time, and on an
energy gap far wider than a busy 2-core machine's noise: the baseline's learning rate (1e-7) is too low
to learn anything, so four epochs of it ("epochs") reach the baseline's accuracy exactly, at eight times
its steps. The learning rate that does learn (1e-3) is worth its energy, alone and with four epochs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from greentui.events.log import EVENTS_FILE, read_all
from greentui.events.reducer import fold
from greentui.report.attribution import attribute, completed_groups
from greentui.report.selection import sweep_selection
from greentui.runs.launch import launch
from greentui.store.record import RunRecord
from greentui.store.run_dirs import run_dir_of
from greentui.store.run_store import RunStore
from greentui.sweep.queue import load_sweep
from tests.support import greentui, wait_until

pytestmark = pytest.mark.slow  # trains the bundled model in real worker processes

BASELINE = ["--preset", "tiny", "--set", "train_samples=320", "--set", "eval_samples=200", "--set", "batch_size=32",
            "--set", "epochs=0.5", "--set", "evals_per_epoch=4", "--set", "inference_samples=0",
            "--set", "learning_rate=1e-7"]


def front(records: list[RunRecord], role_of=lambda r: str(r.sweep.get("role"))) -> set[str]:
    """The rows on the energy-accuracy front (★) of these runs, as the report computes it."""
    return {row.role for row in attribute(completed_groups(records, role_of)) if row.pareto}


def test_a_sweep_prunes_the_run_that_buys_nothing_and_keeps_the_full_sweeps_front(store_path: Path) -> None:
    result = greentui("sweep", *BASELINE, "--techniques", "learning_rate=1e-3,epochs=4", "--prune", "dominated",
                      store=store_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pruning dominated runs at 25 % and 50 % of their steps" in result.stdout
    store = RunStore(store_path)
    runs = {r.sweep["role"]: r for r in store.all() if r.sweep}
    assert {role: r.status for role, r in runs.items()} == {
        "baseline": "completed", "learning_rate": "completed", "epochs": "pruned", "learning_rate+epochs": "completed"}

    pruned = runs["epochs"]
    assert pruned.error is not None and "dominated by baseline (1 run(s)): accuracy 0.565 vs 0.565" in pruned.error
    assert f"[3/4] epochs #1: pruned: {pruned.error}" in result.stdout
    at_step, steps = pruned.metric("pruned_at_step"), pruned.metric("steps")
    assert at_step in (10.0, 20.0) and steps is not None and at_step <= steps < 40  # stopped at its rung
    used, projected = pruned.metric("energy_kwh"), pruned.metric("pruned_projected_kwh")
    assert used is not None and projected is not None and projected > used
    assert pruned.metric("pruned_saved_kwh") == pytest.approx(projected - used)
    assert pruned.metric("accuracy") is not None  # stopped, so evaluated first, like `greentui stop`
    assert fold(read_all(run_dir_of(store, pruned) / EVENTS_FILE)).final_status == "pruned"  # its live screen too

    sweep_id = pruned.sweep["id"]
    again = greentui("sweep", "--resume", sweep_id, store=store_path)
    assert again.returncode == 0 and "0 of 4 runs to go" in again.stdout and "started" not in again.stdout
    report = greentui("report", sweep_id, "--format", "json", store=store_path)
    assert report.returncode == 0, report.stderr
    assert '"status": "pruned"' in report.stdout and '"saved_kwh"' in report.stdout
    markdown = greentui("report", sweep_id, store=store_path).stdout
    assert "3 completed run(s) of 4 planned; 1 not completed (left out, 1 of them pruned)." in markdown
    assert f"Pruned epochs #1 (`{pruned.id}`): at step" in markdown and "Pruning saved an estimated" in markdown
    assert "| epochs |" not in markdown  # a pruned run is in no row

    # The full sweep: the same runs, and the pruned config run to the end as a plain run.
    sweep = load_sweep(store, sweep_id)
    entry = next(e for e in sweep.entries if e.role == "epochs")
    started = launch(sweep.config_of(entry), store, "epochs, run to the end")
    full = wait_until(lambda: (r := store.get(started.id)) is not None and r.finished and r, "the full run to end")
    assert full is not None and full.status == "completed" and full.metric("steps") == 40
    finished = [r for r in store.all() if r.sweep]
    with_full = [*finished, full]
    pruned_front = {row.role for row in sweep_selection(store, sweep).rows if row.pareto}
    assert pruned_front == front(finished)
    assert front(with_full, lambda r: str(r.sweep.get("role", "epochs"))) == pruned_front
    # The known outcome: four epochs at 1e-7 learn no more than half an epoch did; the front never had them.
    assert full.metric("accuracy") == runs["baseline"].metric("accuracy") and "epochs" not in pruned_front
