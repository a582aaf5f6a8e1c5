"""Real runs under the machine-wide device lease: one run per device at a time, overlap only when asked and
then recorded; contention on a run's (simulated) GPU marks it contended."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from greentui.events.log import EVENTS_FILE, read_all
from greentui.events.schema import PhaseEvent, SummaryEvent
from greentui.metrics.quality import is_contended
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore
from tests.support import greentui, simulated_gpu_env, wait_until

SMALL = ("--preset", "tiny", "--set", "train_samples=300", "--set", "eval_samples=100", "--set", "epochs=1")


def start(store_path: Path, name: str, *extra: str, env: dict[str, str] | None = None) -> str:
    result = greentui("run", *SMALL, "--name", name, "--detach", *extra, store=store_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.split()[1]


def finished(store_path: Path, run_ids: list[str]) -> list[RunRecord]:
    store = RunStore(store_path)
    records = [store.get(run_id) for run_id in run_ids]
    return [r for r in records if r is not None and r.finished]


def wait_finished(store_path: Path, run_ids: list[str]) -> list[RunRecord]:
    """The runs' records once every one of them has finished."""
    def all_done() -> list[RunRecord] | None:
        done = finished(store_path, run_ids)
        return done if len(done) == len(run_ids) else None

    return wait_until(all_done, f"{len(run_ids)} run(s) to finish")


def measured_interval(store_path: Path, record: RunRecord) -> tuple[float, float]:
    """From the run's first measured phase (load) to its summary: the span its figures cover."""
    events = read_all(store_path.parent / record.run_dir / EVENTS_FILE)
    begin = next(e.t for e in events if isinstance(e, PhaseEvent) and e.phase == "load")
    end = next(e.t for e in events if isinstance(e, SummaryEvent))
    return begin, end


@pytest.mark.slow
def test_two_runs_on_one_device_take_turns_and_the_second_says_what_it_waits_for(store_path: Path) -> None:
    ids = [start(store_path, "first"), start(store_path, "second")]
    records = wait_finished(store_path, ids)
    assert all(r.status == "completed" for r in records), [(r.status, r.error) for r in records]
    (a0, a1), (b0, b1) = (measured_interval(store_path, r) for r in records)
    assert a1 <= b0 or b1 <= a0, "the two runs were measured at the same time"
    waited = [r for r in records if r.measurement["lease"]["waited_s"] > 0]
    assert len(waited) >= 1 and all(r.measurement["lease"]["devices"] == ["cpu"] for r in records)
    later = waited[0]
    events = read_all(store_path.parent / later.run_dir / EVENTS_FILE)
    waits = [e.detail or "" for e in events if isinstance(e, PhaseEvent) and e.phase == "waiting"]
    assert waits and "waiting for the CPU" in waits[0] and "held by pid" in waits[0]


@pytest.mark.slow
def test_allow_overlap_starts_at_once_and_marks_the_run_contended(store_path: Path) -> None:
    first = start(store_path, "holder")
    wait_until(lambda: any(isinstance(e, PhaseEvent) and e.phase == "train"
                           for e in read_all(store_path.parent / "runs" / first / EVENTS_FILE)), "the first run to train")
    second = start(store_path, "overlapping", "--allow-overlap")
    records = {r.id: r for r in wait_finished(store_path, [first, second])}
    lease = records[second].measurement["lease"]
    assert lease["allow_overlap"] is True and "cpu" in lease["overlapped"] and lease["waited_s"] == 0
    assert is_contended(records[second].measurement)
    listed = greentui("ls", store=store_path).stdout
    assert "⚠" in next(line for line in listed.splitlines() if line.startswith(second))


@pytest.mark.slow
def test_another_process_on_the_runs_gpu_marks_it_contended(store_path: Path, tmp_path: Path) -> None:
    # The test's own process stands for another user's job on the run's (simulated) GPU.
    gpus = [{"name": "Simulated L4", "uuid": "GPU-5e1f0000-aaaa-bbbb-cccc-000000000001", "power_w": 60.0,
             "processes": [[os.getpid(), 2048]]}]
    run_id = start(store_path, "shared gpu", env=simulated_gpu_env(tmp_path, gpus))
    record = wait_finished(store_path, [run_id])[0]
    contention = record.measurement["contention"]
    assert record.status == "completed" and contention["gpu_share"] > 0.5, contention
    assert any(other["pid"] == os.getpid() for other in contention["others"])
    assert is_contended(record.measurement) and record.measurement["simulated"] is True
