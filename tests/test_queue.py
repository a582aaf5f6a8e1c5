"""The store's queue: its actions from the command line, its runner (one per store, replaced when killed,
nothing run twice), a start failure that ends a sweep, and the gpus executor on simulated GPUs."""

from __future__ import annotations

import json
import os
import signal
from datetime import datetime
from pathlib import Path

import pytest
from filelock import FileLock

from greentui.config import RunConfig
from greentui.queue.runner_process import RUNNER_LOCK, runner_running
from greentui.queue.state import queue_sweeps
from greentui.store.run_store import RunStore
from greentui.sweep.plan import parse_techniques, plan_runs
from greentui.sweep.queue import all_sweeps, create_sweep, sweeps_dir, unfinished_sweeps
from tests.support import greentui, simulated_gpu_env, wait_until

SHORT = ["--set", "train_samples=320", "--set", "eval_samples=200", "--set", "batch_size=32", "--set", "epochs=2"]
UUID_A = "GPU-aaaaaaaa-1111-4000-8000-00000000000a"
UUID_B = "GPU-bbbbbbbb-2222-4000-8000-00000000000b"


def planned(store: RunStore, technique: str = "label_smoothing=0.1"):
    baseline = RunConfig().with_values(train_samples=320, eval_samples=200, batch_size=32, epochs=1)
    techniques = parse_techniques(technique, baseline)
    return create_sweep(store, baseline, techniques, "ablation", 1, plan_runs(baseline, techniques, "ablation", 1))


def test_cancel_pause_resume_and_move_change_the_queue_files(store_path: Path) -> None:
    store = RunStore(store_path)
    first, second, third = planned(store), planned(store, "epochs=2"), planned(store, "learning_rate=0.002")
    assert [s.id for s in queue_sweeps(store)] == [first.id, second.id, third.id]  # in the order queued
    # As the store's runner (in another process) holds its lock: the actions only change the files here.
    with FileLock(str(sweeps_dir(store) / RUNNER_LOCK)):
        moved = greentui("queue", "move", third.id, "1", store=store_path)
        assert moved.returncode == 0, moved.stderr
        assert f"sweep {third.id} is now number 1 of 3" in moved.stdout
        assert [s.id for s in queue_sweeps(store)] == [third.id, first.id, second.id]

        assert greentui("queue", "pause", first.id, store=store_path).returncode == 0
        listing = greentui("queue", store=store_path).stdout
        assert f"2. {first.id}  ablation  local  paused  0/2 done" in listing
        assert "baseline #1                  queued" in listing and "runner: at work" in listing
        resumed = greentui("queue", "resume", store=store_path)  # no id: every paused sweep
        assert f"sweep {first.id} resumed" in resumed.stdout

        # A prefix of the id (the shortest the first sweep does not share: two sweeps made in one second
        # share 17 characters one time in 16).
        prefix = next(second.id[:n] for n in range(17, len(second.id) + 1) if not first.id.startswith(second.id[:n]))
        cancelled = greentui("queue", "cancel", prefix, store=store_path)
        assert cancelled.returncode == 0 and "cancelled" in cancelled.stdout
        assert {s.id: s.control for s in all_sweeps(store)}[second.id] == "cancelled"
        assert second.id not in [s.id for s in unfinished_sweeps(store)]  # over: never resumed
        bad = greentui("queue", "move", first.id, "9", store=store_path)
        assert bad.returncode == 2 and "position 9: give 1 to 3" in bad.stderr
        again = greentui("sweep", "--resume", second.id, store=store_path)
        assert again.returncode == 2 and f"sweep {second.id} is cancelled" in again.stderr
    assert store.all() == []  # nothing was launched by any of it


def test_a_sweep_that_can_never_start_stops_with_its_reason_and_is_not_resumed(store_path: Path) -> None:
    swept = greentui("sweep", "--set", "model=./no-such-model", "--techniques", "label_smoothing=0.1",
                     store=store_path, timeout=120)
    assert swept.returncode == 1, swept.stdout + swept.stderr
    assert "stopped:" in swept.stdout and "no-such-model" in swept.stdout
    store = RunStore(store_path)
    [sweep] = all_sweeps(store)
    assert sweep.control == "stopped" and "no-such-model" in sweep.reason
    assert sweep.entries[0].outcome == "failed-to-start"
    assert unfinished_sweeps(store) == []  # not picked up by the next greentui
    listing = greentui("queue", store=store_path).stdout
    assert "stopped:" in listing and "failed-to-start" in listing
    assert store.all() == []


@pytest.mark.slow
def test_a_killed_runner_is_replaced_and_nothing_runs_twice_then_cancel_stops_the_sweep(store_path: Path) -> None:
    started = greentui("sweep", "--preset", "tiny", *SHORT, "--techniques", "label_smoothing=0.1,epochs=3",
                       "--detach", store=store_path)
    assert started.returncode == 0, started.stderr
    pid = int(started.stdout.split("(pid ")[1].split(")")[0])
    store = RunStore(store_path)
    [sweep] = all_sweeps(store)
    wait_until(lambda: len(store.all()) == 1, "the first run to start")
    os.kill(pid, signal.SIGKILL)  # the runner dies mid-sweep; the run it started goes on
    wait_until(lambda: not runner_running(store), "the killed runner's lock to go")
    resumed = greentui("queue", "resume", store=store_path)  # nothing paused, but a runner is started
    wait_until(lambda: len(store.all()) == 2, "the replacement runner to start the second run")
    records = store.all()
    assert sorted(r.sweep["role"] for r in records) == ["baseline", "label_smoothing"], resumed.stdout
    assert records[0].status == "completed"  # followed to its end by the new runner, not started again

    cancelled = greentui("queue", "cancel", sweep.id, store=store_path)
    assert cancelled.returncode == 0, cancelled.stderr
    wait_until(lambda: not runner_running(store), "the runner to stop the cancelled sweep and exit")
    by_role = {r.sweep["role"]: r for r in store.all()}
    assert by_role["label_smoothing"].status == "stopped"
    assert len(store.all()) == 2  # the third entry never started
    listing = greentui("queue", store=store_path).stdout
    assert "cancelled" in listing and "epochs #1" in listing
    noted = [e.run_id for e in all_sweeps(store)[0].entries]
    assert noted[:2] == [by_role["baseline"].id, by_role["label_smoothing"].id] and noted[2] is None


@pytest.mark.slow
def test_the_gpus_executor_runs_one_run_per_gpu_at_once_each_measured_on_its_own(tmp_path: Path) -> None:
    store_path = tmp_path / "runs.json"
    gpus = [{"name": "Simulated A100", "uuid": UUID_A, "power_w": 100.0, "energy_counter": True},
            {"name": "Simulated H100", "uuid": UUID_B, "power_w": 300.0, "energy_counter": True}]
    env = simulated_gpu_env(tmp_path, gpus) | {"GREENTUI_LEASE_DIR": str(tmp_path / "leases")}
    swept = greentui("sweep", "--preset", "tiny", *SHORT, "--techniques", "label_smoothing=0.1",
                     "--executor", "gpus", store=store_path, env=env)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert "on gpus all" in swept.stdout
    records = RunStore(store_path).all()
    assert [r.status for r in records] == ["completed", "completed"]
    on = {r.executor["uuid"]: r for r in records}
    assert set(on) == {UUID_A, UUID_B}  # one run on each GPU
    for uuid, record in on.items():
        assert record.executor["kind"] == "gpus"
        assert [g["uuid"] for g in record.measurement["gpus"]] == [uuid]  # its own GPU, and only it
        assert record.measurement["lease"]["devices"] == [f"gpu-{uuid}"]
        shared = record.measurement["cpu_ram_shared"]
        assert shared["runs_at_once_mean"] > 1.0  # the other run shared the CPU for part of the time
        assert record.metrics["cpu_energy_kwh"] < shared["box_cpu_energy_kwh"]
    first, second = on[UUID_A], on[UUID_B]
    begin = max(datetime.fromisoformat(r.started_at) for r in records)
    end = min(datetime.fromisoformat(r.finished_at) for r in records)
    assert begin < end  # at once, not one after the other
    # Each GPU's energy is its own: 300 W against 100 W over about the same time.
    ratio = second.metrics["gpu_energy_kwh"] / first.metrics["gpu_energy_kwh"]
    assert 2.0 < ratio < 4.5, json.dumps([first.metrics, second.metrics])


def test_run_queue_puts_one_run_last_in_the_queue_under_its_name(store_path: Path) -> None:
    store = RunStore(store_path)
    sweep = planned(store)
    with FileLock(str(sweeps_dir(store) / RUNNER_LOCK)):  # the runner is at work elsewhere: nothing starts here
        queued = greentui("run", "--queue", "--set", "epochs=1", "--name", "one more", store=store_path)
        assert queued.returncode == 0, queued.stderr
        assert "queued as" in queued.stdout and "(local)" in queued.stdout
        order = queue_sweeps(store)
        assert [s.id for s in order][0] == sweep.id and order[1].plan == "run"
        assert order[1].entries[0].role == "one more" and order[1].baseline.epochs == 1
        assert "one more #1" in greentui("queue", store=store_path).stdout
        refused = greentui("run", "--gpus", "0", store=store_path)
        assert refused.returncode == 2 and "add --queue" in refused.stderr
    assert store.all() == []
