"""GPU power caps (power_limit_w) against the simulated GPU, which logs every set call: refused at launch
without a GPU, without permission or out of range; set before training and put back however the run
ends, a SIGKILLed worker's limits by the next `greentui ls`; the record keeps asked, enforced and original."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from greentui.events.log import EVENTS_FILE, read_all
from greentui.runs.power_restore import owed_restores
from greentui.store.record import FINISHED
from greentui.store.run_store import RunStore
from tests.support import greentui, isolated_env, simulated_gpu_env, wait_until  # noqa: F401 - autouse fixture

UUID = "GPU-cccccccc-3333-4000-8000-000000000002"
SHORT = ["--set", "train_samples=320", "--set", "eval_samples=200", "--set", "batch_size=32"]


def capped_gpu(**changes) -> dict:
    return {"name": "Simulated L4", "uuid": UUID, "power_w": 60.0, "power_limit_w": 72,
            "power_limit_range_w": [40, 72], "allow_set": True, **changes}


def gpu_env(tmp_path: Path, **gpu) -> tuple[dict[str, str], Path]:
    log = tmp_path / "limits.jsonl"
    return simulated_gpu_env(tmp_path, [capped_gpu(**gpu)], power_limit_log=str(log)), log


def sets(log: Path) -> list[tuple[int, bool]]:
    """Every set call the simulated GPU saw: (milliwatts, accepted)."""
    if not log.exists():
        return []
    return [(entry["mw"], entry["ok"]) for entry in map(json.loads, log.read_text().splitlines())]


def finished(store_path: Path):
    records = RunStore(store_path).all() if store_path.exists() else []
    return records[0] if records and records[0].status in FINISHED else None


def test_without_a_gpu_the_cap_is_refused_at_launch_naming_the_key(store_path: Path) -> None:
    result = greentui("run", *SHORT, "--set", "power_limit_w=150", store=store_path)
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1
    assert "'power_limit_w'" in result.stderr and "NVIDIA GPU" in result.stderr
    assert not store_path.exists() or RunStore(store_path).summaries() == []


@pytest.mark.parametrize(("gpu", "watts", "says"), [
    ({"allow_set": False}, 50, "needs root"),
    ({}, 300, "outside GPU 0's range [40, 72] W"),
])
def test_a_cap_that_cannot_be_set_is_refused_at_launch_and_nothing_changes(store_path: Path, tmp_path: Path,
                                                                          gpu: dict, watts: int, says: str) -> None:
    env, log = gpu_env(tmp_path, **gpu)
    result = greentui("run", *SHORT, "--set", f"power_limit_w={watts}", store=store_path, env=env)
    assert result.returncode != 0 and "'power_limit_w'" in result.stderr and says in result.stderr, result.stderr
    assert not store_path.exists() or RunStore(store_path).summaries() == []
    assert all(mw == 72000 for mw, _ok in sets(log))  # at most the permission probe: a set to the limit it had


@pytest.mark.slow
def test_a_capped_run_sets_the_limit_then_puts_it_back_and_records_all_three(store_path: Path, tmp_path: Path) -> None:
    env, log = gpu_env(tmp_path)
    result = greentui("run", *SHORT, "--set", "power_limit_w=50", store=store_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    record = RunStore(store_path).all()[0]
    assert record.status == "completed" and "cap50W" in record.techniques()
    # The launch's permission probe (72 W, as it was), the cap, the restore: in that order, nothing else.
    assert sets(log) == [(72000, True), (50000, True), (72000, True)]
    limit = record.measurement["power_limit"]
    assert limit["asked_w"] == 50 and limit["restored"] is True
    assert limit["gpus"] == [{"index": 0, "uuid": UUID, "original_w": 72.0, "enforced_w": 50.0}]
    # The run measured its GPU under the cap: the record's GPU says 50 W was the limit it ran at.
    assert record.measurement["gpus"][0]["power_limit_w"] == 50.0
    assert owed_restores(RunStore(store_path)) == []
    events = read_all(store_path.parent / record.run_dir / EVENTS_FILE)
    assert any(e.kind == "info" and "power limit set: GPU 0 50 W (was 72 W)" in e.message for e in events)


@pytest.mark.slow
def test_a_run_that_fails_puts_the_limit_back_too(store_path: Path, tmp_path: Path) -> None:
    env, log = gpu_env(tmp_path)
    env["GREENTUI_FAULT_NAN_STEP"] = "3"  # the loss turns NaN at step 3: the run diverges
    result = greentui("run", *SHORT, "--set", "power_limit_w=45", store=store_path, env=env)
    record = RunStore(store_path).all()[0]
    assert result.returncode != 0 and record.status == "diverged", record.error
    assert sets(log)[-2:] == [(45000, True), (72000, True)]
    assert record.measurement["power_limit"]["restored"] is True


@pytest.mark.slow
def test_a_killed_workers_limit_is_put_back_by_the_next_ls(store_path: Path, tmp_path: Path) -> None:
    env, log = gpu_env(tmp_path)
    started = greentui("run", "--detach", *SHORT, "--set", "epochs=20", "--set", "power_limit_w=40",
                       store=store_path, env=env)
    assert started.returncode == 0, started.stderr
    record = RunStore(store_path).all()[0]
    events_path = store_path.parent / record.run_dir / EVENTS_FILE
    wait_until(lambda: any(e.kind == "step" for e in read_all(events_path)), "the first training step")
    assert sets(log)[-1] == (40000, True) and owed_restores(RunStore(store_path)) == [record.id]
    pid = RunStore(store_path).get(record.id).pid
    os.kill(pid, signal.SIGKILL)  # no handler runs: the worker cannot put anything back itself
    wait_until(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid), "the worker to die")
    listed = greentui("ls", store=store_path, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "GPU 0: power limit put back to 72 W" in listed.stderr
    assert sets(log)[-1] == (72000, True)
    assert owed_restores(RunStore(store_path)) == []
    assert RunStore(store_path).get(record.id).status == "crashed"
    again = greentui("ls", store=store_path, env=env)  # nothing owed any more: nothing set again
    assert "power limit" not in again.stderr and sets(log)[-1] == (72000, True) and len(sets(log)) == 3


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True
