"""The sweep queue on disk: what --resume runs, skips and adopts, --detach, --list, and the report's notes."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from filelock import FileLock

from greentui.cli.main import main
from greentui.config import RunConfig
from greentui.queue.runner import work
from greentui.queue.runner_process import RUNNER_LOCK, RUNNER_LOG, ensure_runner, runner_running
from greentui.runs.process import pid_alive
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore
from greentui.sweep.model import Sweep
from greentui.sweep.plan import parse_techniques, plan_runs
from greentui.sweep.queue import (
    create_sweep,
    load_sweep,
    save_sweep,
    sweeps_dir,
    unfinished_sweeps,
)
from tests.support import greentui, wait_until

SHORT = RunConfig().with_values(train_samples=320, eval_samples=200, batch_size=32, epochs=2)
HARDWARE = {"cpu_model": "Test CPU", "cpu_count": 2, "device": "cpu", "gpus": []}
MEASUREMENT = {"method": "codecarbon-offline", "cpu": "cpu_load", "gpu": "not measured: no NVML",
               "carbon_intensity_g_per_kwh": 475.0, "carbon_intensity_source": "world average"}


def planned_sweep(store: RunStore, repeats: int) -> Sweep:
    """A real sweep file: the short tiny baseline against label smoothing."""
    techniques = parse_techniques("label_smoothing=0.1", SHORT)
    return create_sweep(store, SHORT, techniques, "ablation", repeats, plan_runs(SHORT, techniques, "ablation", repeats))


def stored(store: RunStore, sweep: Sweep, index: int, status: str, note: bool = True) -> RunRecord:
    """A finished record for one entry, as the runner would have left it; `note=False`: not noted in the file."""
    entry = sweep.entries[index]
    record = RunRecord(id=f"run-{index}", name=f"entry {index}", status=status, created_at=f"2026-11-22T09:0{index}",
                       config=sweep.config_of(entry).to_dict(),
                       hardware=HARDWARE, measurement=MEASUREMENT,
                       metrics={"energy_kwh": 0.001 * (index + 1), "duration_s": 10.0, "accuracy": 0.8},
                       sweep=entry.tag(sweep.id))
    store.insert(record)
    if note:  # noted in the file as it is now, which may hold other entries' runs already
        save_sweep(store, load_sweep(store, sweep.id).with_run(index, record.id))
    return record


def test_a_sweep_whose_runs_all_ended_is_finished_even_with_a_failed_one(store_path: Path, capsys) -> None:
    store = RunStore(store_path)
    sweep = planned_sweep(store, repeats=1)
    assert unfinished_sweeps(store) == [sweep]
    assert oct((sweeps_dir(store) / f"{sweep.id}.json").stat().st_mode & 0o777) == "0o600"
    stored(store, sweep, 0, "completed", note=False)  # greentui died before noting it: adopted
    stored(store, sweep, 1, "failed")  # ended: not run again, left out of the figures
    assert unfinished_sweeps(store) == []

    assert main(["--store", str(store_path), "sweep", "--resume"]) == 0
    assert "no unfinished sweep to resume" in capsys.readouterr().out
    assert len(store.all()) == 2  # nothing launched
    assert main(["--store", str(store_path), "sweep", "--list"]) == 0
    assert f"{sweep.id}  ablation 2/2 finished  label_smoothing=0.1" in capsys.readouterr().out

    assert main(["--store", str(store_path), "report", sweep.id[:17]]) == 0
    report = capsys.readouterr().out
    assert "1 completed run(s) of 2 planned; 1 not completed (left out)." in report
    assert "Measured on Test CPU ×2, no GPU, trained on cpu; energy by codecarbon-offline (CPU: cpu_load; " \
           "GPU: not measured); CO₂ at 475.0 g/kWh, world average." in report
    assert "| baseline | 1 |" in report and "| label_smoothing |" not in report

    out = store_path.parent / "runs.csv"
    assert main(["--store", str(store_path), "export", "--all", "-o", str(out)]) == 0
    with open(out, newline="") as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle)}
    assert rows["run-1"]["sweep.role"] == "label_smoothing" and rows["run-1"]["sweep.id"] == sweep.id


def test_a_second_runner_for_a_store_exits_at_once_and_launches_nothing(store_path: Path) -> None:
    store = RunStore(store_path)
    planned_sweep(store, repeats=1)
    said: list[str] = []
    with FileLock(str(sweeps_dir(store) / RUNNER_LOCK)):  # as the store's runner, in another process, holds it
        assert runner_running(store)
        assert ensure_runner(store) is None  # found, and re-used: no second one started
        assert work(store, said.append) == 1
    assert said == ["another runner works through this store's queue already"]
    assert store.all() == []  # nothing launched


@pytest.mark.slow
def test_detached_resume_runs_only_the_missing_entry(store_path: Path) -> None:
    store = RunStore(store_path)
    sweep = planned_sweep(store, repeats=2)  # baseline #1 #2, label_smoothing #1 #2
    stored(store, sweep, 0, "completed")
    stored(store, sweep, 1, "failed", note=False)
    stored(store, sweep, 2, "completed")

    result = greentui("sweep", "--resume", sweep.id[:17], "--detach", store=store_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 of 4 runs to go" in result.stdout
    pid = int(result.stdout.split("(pid ")[1].split(")")[0])
    assert pid_alive(pid)  # back while the runner still has a whole run to train
    assert os.getsid(pid) == pid  # its own session: closing the terminal does not stop it
    wait_until(lambda: not pid_alive(pid), "the detached runner to finish")

    log = (sweeps_dir(store) / RUNNER_LOG).read_text()
    assert "[4/4] label_smoothing #2: run" in log and f"sweep {sweep.id} done" in log
    new = [r for r in store.all() if not r.id.startswith("run-")]
    assert len(new) == 1 and new[0].status == "completed", log
    assert dict(new[0].sweep) == {"id": sweep.id, "role": "label_smoothing", "repeat": 1}
    assert new[0].config["seed"] == SHORT.seed + 1 and new[0].config["label_smoothing"] == pytest.approx(0.1)
    saved = json.loads((sweeps_dir(store) / f"{sweep.id}.json").read_text())
    assert [e["run_id"] for e in saved["entries"]] == ["run-0", "run-1", "run-2", new[0].id]
    assert unfinished_sweeps(store) == []
