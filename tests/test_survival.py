"""Runs that survive: real processes, real signals, real crashes (issue "Runs that survive")."""

from __future__ import annotations

import json
import os
import signal
import stat
import tempfile
from pathlib import Path

import pytest

from greentui.events.log import EVENTS_FILE, read_all
from greentui.events.schema import EnergyEvent
from greentui.store.run_store import RunStore
from tests.support import greentui, wait_until

pytestmark = pytest.mark.slow  # trains the bundled model in real worker processes

# Enough steps to be caught mid-run, few enough to finish quickly.
SHORT = ["--set", "train_samples=320", "--set", "eval_samples=200", "--set", "batch_size=32"]


def start_detached(store_path: Path, *extra: str) -> str:
    result = greentui("run", "--detach", *SHORT, *extra, store=store_path)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[1]


def steps_seen(store_path: Path, run_id: str) -> int:
    events = read_all(store_path.parent / "runs" / run_id / EVENTS_FILE)
    return sum(1 for e in events if e.kind == "step")


def final_record(store_path: Path, run_id: str):
    store = RunStore(store_path)
    wait_until(lambda: store.get(run_id).status != "running", f"run {run_id} to finish")
    return store.get(run_id)


def test_killed_worker_is_reported_crashed_with_its_curve(store_path: Path) -> None:
    run_id = start_detached(store_path, "--set", "epochs=50")
    wait_until(lambda: steps_seen(store_path, run_id) >= 3, "three training steps")
    pid = RunStore(store_path).get(run_id).pid
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2],
               "the worker to die")
    record = json.loads(greentui("show", run_id, "--json", store=store_path).stdout)
    assert record["status"] == "crashed"
    assert len(record["curves"]["train_loss"]) >= 3
    assert "vanished" in record["error"]


def test_stop_leaves_no_process_of_the_group(store_path: Path) -> None:
    run_id = start_detached(store_path, "--set", "epochs=50")
    wait_until(lambda: steps_seen(store_path, run_id) >= 1, "a training step")
    pgid = RunStore(store_path).get(run_id).pid
    assert greentui("stop", run_id, store=store_path).returncode == 0
    record = RunStore(store_path).get(run_id)
    assert record.status == "stopped" and record.metrics["energy_kwh"] > 0
    wait_until(lambda: not group_alive(pgid), "the process group to be gone (pgrep -g)")


def test_a_stop_that_kills_the_worker_keeps_what_its_events_recorded(store_path: Path) -> None:
    from greentui.runs.process import stop

    run_id = start_detached(store_path, "--set", "epochs=50")
    events_path = store_path.parent / "runs" / run_id / EVENTS_FILE

    def trained_and_measured() -> bool:
        events = read_all(events_path)
        measured = any(isinstance(e, EnergyEvent) and e.energy_kwh > 0 for e in events)
        return measured and steps_seen(store_path, run_id) >= 3

    wait_until(trained_and_measured, "three steps and an energy figure")
    store = RunStore(store_path)
    record = store.get(run_id)
    assert stop(store, record, grace_s=0.0) is False  # no grace: straight to SIGKILL
    wait_until(lambda: not group_alive(record.pid), "the killed worker's group to be gone")
    final = RunStore(store_path).get(run_id)
    assert final.status == "stopped" and "killed" in final.error
    metrics = final.metrics
    assert metrics["energy_kwh"] > 0 and metrics["steps"] >= 3 and metrics["samples_trained"] == metrics["steps"] * 32
    assert metrics["duration_s"] > 0 and metrics["samples_per_s"] > 0 and metrics["joules_per_sample"] > 0


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_nan_loss_ends_the_run_as_diverged_at_that_step(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENTUI_FAULT_NAN_STEP", "4")
    result = greentui("run", *SHORT, store=store_path)
    assert result.returncode == 1
    record = RunStore(store_path).all()[0]
    assert record.status == "diverged"
    assert "step 4" in record.error and record.metrics["diverged_at_step"] == 4
    # Training ran three steps: the record says so, and the derived metrics follow.
    assert record.metrics["steps"] == 3 and record.metrics["samples_trained"] == 3 * 32
    assert record.metrics["duration_s"] > 0 and record.metrics["samples_per_s"] > 0
    assert record.metrics["joules_per_sample"] > 0
    assert [s for s, _ in RunStore(store_path).curves(record)["train_loss"]][-1] <= 3


def test_broken_codecarbon_and_nvml_do_not_stop_training(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shims = store_path.parent / "shims"
    (shims / "codecarbon").mkdir(parents=True)
    (shims / "codecarbon" / "__init__.py").write_text("raise RuntimeError('codecarbon broken on purpose')\n")
    (shims / "pynvml.py").write_text(
        "def nvmlInit():\n    raise RuntimeError('nvml broken on purpose')\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(shims))
    result = greentui("run", *SHORT, "--set", "epochs=1", store=store_path)
    assert result.returncode == 0, result.stdout + result.stderr
    record = RunStore(store_path).all()[0]
    assert record.status == "completed"
    assert record.measurement["method"] == "none"
    assert "codecarbon broken on purpose" in record.measurement["missing"]
    assert "nvml broken on purpose" in record.measurement["gpu"]


def test_stale_codecarbon_lock_file_is_ignored(store_path: Path) -> None:
    lock = Path(tempfile.gettempdir()) / ".codecarbon.lock"  # where CodeCarbon keeps its lock
    existed = lock.exists()
    lock.touch()
    try:
        result = greentui("run", *SHORT, "--set", "epochs=1", store=store_path)
    finally:
        if not existed:
            lock.unlink(missing_ok=True)
    assert result.returncode == 0, result.stdout + result.stderr
    record = RunStore(store_path).all()[0]
    assert record.measurement["method"] == "codecarbon-offline" and record.metrics["energy_kwh"] > 0


def test_shell_metacharacters_create_no_files(store_path: Path) -> None:
    evil = "$(touch pwned1); `touch pwned2` | touch pwned3 && touch pwned4"
    result = greentui("run", *SHORT, "--set", "epochs=1", "--name", evil,
                      "--set", f"text_column={evil}", store=store_path)
    assert result.returncode == 1  # the column does not exist: a clear failure, nothing run through a shell
    record = RunStore(store_path).all()[0]
    assert record.name == evil and "text_column" in record.error
    created = [p.name for p in store_path.parent.rglob("pwned*")] + [p.name for p in Path.cwd().glob("pwned*")]
    assert created == []


def test_files_are_private_whatever_the_umask(store_path: Path) -> None:
    old = os.umask(0o022)
    try:
        result = greentui("run", *SHORT, "--set", "epochs=1", store=store_path)
        assert result.returncode == 0, result.stderr
        csv_path = store_path.parent / "out.csv"
        assert greentui("export", "--all", "-o", str(csv_path), store=store_path).returncode == 0
    finally:
        os.umask(old)
    run_dir = store_path.parent / "runs" / RunStore(store_path).all()[0].id
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(store_path) == 0o600 and mode(csv_path) == 0o600
    assert mode(store_path.with_name("runs.json.lock")) == 0o600
    assert mode(store_path.parent / "runs") == 0o700 and mode(run_dir) == 0o700
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"events.jsonl", "launch.json", "worker.log", "emissions.csv"}
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
