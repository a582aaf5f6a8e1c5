"""greentui never signals a process it has not identified as the run's own worker.

A stored pid may be init's, "every process" (-1), greentui's own group, or somebody else's
process that got the pid after a reboot. Each case here runs a real unrelated process and
checks it survives `ls`, `stop` and reconcile, and that the run is judged by its identity.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from greentui.runs.identity import ProcessIdentity, identify, is_running
from greentui.runs.process import StopRefused, _signal_group
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore
from tests.support import greentui


@pytest.fixture
def bystander() -> subprocess.Popen[bytes]:
    """An unrelated process in a group of its own: what a reused pid would point at."""
    process = subprocess.Popen(["sleep", "300"], start_new_session=True)
    yield process
    process.kill()
    process.wait()


def running_record(store_path: Path, pid: int | None, process: dict | None = None, minutes_ago: float = 5) -> str:
    created = (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")
    (store_path.parent / "runs" / "r1").mkdir(parents=True)
    RunStore(store_path).insert(RunRecord(id="r1", name="r1", status="running", created_at=created,
                                          run_dir="runs/r1", pid=pid, process=process or {}))
    return "r1"


def test_identity_names_one_process_and_no_other(bystander: subprocess.Popen[bytes]) -> None:
    mine = identify(os.getpid())
    theirs = identify(bystander.pid)
    assert mine is not None and theirs is not None and is_running(mine) and is_running(theirs)
    assert mine != theirs
    assert identify(1) is None and identify(-1) is None
    reused = ProcessIdentity(theirs.pid, theirs.start_ticks + 1, theirs.boot_id, theirs.host)
    assert not is_running(reused)  # same pid, another start time: another process
    assert ProcessIdentity.from_doc(theirs.to_doc()) == theirs
    assert ProcessIdentity.from_doc({"pid": "12", "start_ticks": 1, "boot_id": "", "host": ""}) is None


def test_a_reused_pid_is_not_the_worker_and_is_never_signalled(store_path: Path,
                                                               bystander: subprocess.Popen[bytes]) -> None:
    theirs = identify(bystander.pid)
    assert theirs is not None
    forged = {**theirs.to_doc(), "start_ticks": theirs.start_ticks - 1}  # the worker that had this pid once
    run_id = running_record(store_path, bystander.pid, forged)

    stopped = greentui("stop", run_id, store=store_path)
    assert stopped.returncode == 1 and "is not running" in stopped.stderr
    listed = greentui("ls", "--json", store=store_path)
    assert listed.returncode == 0
    assert RunStore(store_path).get(run_id).status == "crashed"
    assert bystander.poll() is None  # still running: never signalled


def test_a_record_without_identity_is_believed_only_for_a_worker_command_line(
        store_path: Path, bystander: subprocess.Popen[bytes]) -> None:
    run_id = running_record(store_path, bystander.pid)  # as an older greentui stored it
    assert greentui("stop", run_id, store=store_path).returncode == 1
    assert greentui("ls", store=store_path).returncode == 0
    assert RunStore(store_path).get(run_id).status == "crashed"
    assert bystander.poll() is None


def test_a_run_being_launched_is_not_found_crashed(store_path: Path) -> None:
    run_id = running_record(store_path, pid=None, minutes_ago=0)  # stored, its worker not spawned yet
    assert greentui("ls", store=store_path).returncode == 0
    assert RunStore(store_path).get(run_id).status == "running"


def test_a_run_whose_pid_never_came_is_crashed_after_the_grace(store_path: Path) -> None:
    run_id = running_record(store_path, pid=None, minutes_ago=10)
    assert greentui("ls", store=store_path).returncode == 0
    assert RunStore(store_path).get(run_id).status == "crashed"


def test_groups_that_are_not_a_workers_own_are_refused() -> None:
    for pgid in (0, 1, -1, os.getpgrp()):
        with pytest.raises(StopRefused):
            _signal_group(pgid, 0)
    follower = subprocess.Popen(["sleep", "300"])  # in greentui's group, leading none
    try:
        with pytest.raises(StopRefused):
            _signal_group(follower.pid, 0)
    finally:
        follower.kill()
        follower.wait()


@pytest.mark.slow
def test_a_stop_right_after_the_launch_ends_the_run_stopped(store_path: Path) -> None:
    from greentui.config import RunConfig
    from greentui.runs.launch import launch
    from greentui.runs.process import stop
    from greentui.runs.reconcile import reconcile
    from tests.support import wait_until

    store = RunStore(store_path)
    record = launch(RunConfig(train_samples=64, eval_samples=32, epochs=1), store)
    stop(store, record)  # at once: the worker is still starting its interpreter
    def ended() -> RunRecord | None:
        reconcile(store)  # a worker killed by the signal instead would be found crashed here
        found = store.get(record.id)
        return found if found is not None and found.finished else None

    final = wait_until(ended, "the run to end")
    assert final.status == "stopped", (final.status, final.error)
