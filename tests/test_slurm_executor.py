"""The slurm executor against a real single-node Slurm cluster (tests/slurm_cluster.py), and the same flow
on submitit's local executor where Slurm cannot start here.

The runs are driven the way the queue's runner drives them: a slot from `capacity`, `launch` with the
executor's placement, then `refresh` on every poll until the run is finished.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Mapping

import pytest

from greentui.config import RunConfig
from greentui.queue.executor_spec import ExecutorError, ExecutorSpec, parse_executor
from greentui.queue.executors import executor_for
from greentui.queue.slurm import SlurmExecutor, sbatch_minutes, sbatch_parameters
from greentui.queue.slurm_commands import ENDED, JobState, _parse, checked_job_id
from greentui.queue.slurm_job import job_environment
from greentui.runs.launch import launch
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore
from greentui.sweep.plan import parse_techniques, plan_runs
from greentui.sweep.queue import create_sweep
from tests.slurm_support import Cluster
from tests.support import greentui, wait_until

TINY = RunConfig().with_values(train_samples=64, eval_samples=64, batch_size=32, epochs=1)


# --- what greentui hands Slurm and reads back ---------------------------------------------------------------

def test_slurm_times_become_whole_minutes_for_submitit() -> None:
    assert [sbatch_minutes(t) for t in ("30", "90:30", "01:00:00", "2-03", "1-00:01", "0-00:00:59")] == \
        [30, 91, 60, 51 * 60, 24 * 60 + 1, 1]


def test_sbatch_options_come_from_the_spec_and_none_is_left_to_the_partition() -> None:
    spec = parse_executor({"kind": "slurm", "slurm_partition": "gpu", "slurm_time": "02:00:00", "slurm_gres": "gpu:1",
                           "slurm_cpus": 4, "slurm_args": "--qos=debug --exclusive"})
    parameters = sbatch_parameters(spec.slurm, "greentui-x")
    assert parameters["partition"] == "gpu" and parameters["time"] == 120 and parameters["gres"] == "gpu:1"
    assert parameters["cpus_per_task"] == 4
    assert parameters["additional_parameters"] == {"qos": "debug", "exclusive": True}
    bare = sbatch_parameters({}, "greentui-x")
    assert bare["time"] is None and bare["partition"] is None  # never submitit's five-minute default


@pytest.mark.parametrize("bad", ["12; rm -rf /", "-1", "12.batch", "", "1" * 13, "12_", True, None, "１２"])
def test_a_job_id_is_checked_before_any_slurm_command_sees_it(bad: Any) -> None:
    with pytest.raises(ExecutorError, match="not a Slurm job id"):
        checked_job_id(bad)
    assert checked_job_id("12") == "12" and checked_job_id(" 12_3 ") == "12_3" and checked_job_id(7) == "7"


def test_what_slurm_prints_back_is_matched_not_trusted() -> None:
    assert _parse("12|CANCELLED by 1000|(null)\n", "12") == JobState("CANCELLED", "")
    assert _parse("12.batch|FAILED|n1\n12|TIMEOUT|node[01-02]\n", "12") == JobState("TIMEOUT", "node[01-02]")
    assert _parse("12|RUNNING|\x1b[31mevil\x1b[0m\n", "12") == JobState("RUNNING", "")  # a node name with escapes
    assert _parse("12|\x1b]0;x\x07|n1\n", "12") is None  # no state word: nothing stored
    assert _parse("120|COMPLETED|n1\n", "12") is None  # another job's line


def test_the_node_owns_its_slurm_variables_and_devices_greentui_owns_the_runs() -> None:
    submitted = {"PATH": "/bin", "SLURM_JOB_ID": "1", "CUDA_VISIBLE_DEVICES": "0", "HF_HUB_OFFLINE": "0"}
    here = {"SLURM_JOB_ID": "7", "CUDA_VISIBLE_DEVICES": "3"}
    env = job_environment(submitted, {"HF_HUB_OFFLINE": "1"}, here)
    assert env == {"PATH": "/bin", "SLURM_JOB_ID": "7", "CUDA_VISIBLE_DEVICES": "3", "HF_HUB_OFFLINE": "1"}
    assert "CUDA_VISIBLE_DEVICES" not in job_environment(submitted, {}, {})  # a CPU job: no GPU of the login node


def test_slurm_hands_out_slots_up_to_its_cap_and_places_runs_without_checking_this_machine(store_path: Path) -> None:
    executor = executor_for(ExecutorSpec(kind="slurm"))
    assert isinstance(executor, SlurmExecutor)
    store = RunStore(store_path)
    slots = executor.capacity(store, [])
    assert len(slots) == 64 and len(executor.capacity(store, [RunRecord(id="a", name="a", status="running",
                                                                           created_at="")] * 64)) == 0
    placement = executor.placement(store, slots[0])
    assert placement.submit is not None and placement.check_here is False
    assert placement.executor == {"kind": "slurm"}


# --- the same flow on a real cluster, or on submitit's local executor ----------------------------------------

class LocalSubmititExecutor(SlurmExecutor):
    """The slurm executor with submitit's local executor under it: the stand-in where Slurm cannot start.
    The job's state comes from submitit's own job object, mapped onto Slurm's words."""

    LOCAL_STATES = {"RUNNING": "RUNNING", "FINISHED": "COMPLETED", "INTERRUPTED": "CANCELLED"}

    def __init__(self, spec: ExecutorSpec) -> None:
        super().__init__(spec)
        self.jobs: dict[str, Any] = {}

    def submitit_executor(self, folder: Path, parameters: Mapping[str, Any]) -> Any:
        import submitit

        executor = submitit.LocalExecutor(folder=folder)
        executor.update_parameters(timeout_min=30)
        submit = executor.submit

        def keep(*args: Any) -> Any:
            job = submit(*args)
            self.jobs[str(job.job_id)] = job
            return job

        executor.submit = keep
        return executor

    def job_state(self, job_id: str) -> JobState | None:
        job = self.jobs.get(job_id)
        return JobState(self.LOCAL_STATES.get(job.state, "FAILED"), "localhost") if job else None


def two_run_sweep(store: RunStore, executor: SlurmExecutor) -> list[RunRecord]:
    """A baseline-against-label-smoothing sweep launched the way the runner launches it; its finished runs."""
    techniques = parse_techniques("label_smoothing=0.1", TINY)
    sweep = create_sweep(store, TINY, techniques, "ablation", 1, plan_runs(TINY, techniques, "ablation", 1))
    launched = []
    for entry, slot in zip(sweep.entries, executor.capacity(store, []), strict=False):
        launched.append(launch(sweep.config_of(entry), store, sweep=entry.tag(sweep.id),
                               placement=executor.placement(store, slot)))
    assert all(record.executor.get("job_id") for record in launched)

    def all_ended() -> list[RunRecord] | None:  # the runs finished, and their jobs too (a worker exits after its write)
        records = [executor.refresh(store, record) for record in launched]
        return records if all(r.finished and r.executor.get("state") in ENDED for r in records) else None

    return wait_until(all_ended, "both Slurm runs and their jobs to finish", every=1.0)


def check_completed(records: list[RunRecord]) -> None:
    for record in records:
        assert record.status == "completed", (record.status, record.error)
        assert record.executor["kind"] == "slurm" and record.executor["job_id"].isdigit()
        assert record.executor["state"] == "COMPLETED"
        assert record.hardware.get("cpu_count") and record.hardware.get("device") == "cpu"  # the node's, by its worker
        assert record.pid is not None and record.process  # the worker noted itself: nobody here spawned it
        assert record.metrics.get("accuracy") is not None


@pytest.mark.slow
def test_a_two_run_sweep_runs_as_slurm_jobs_and_sacct_lists_them(slurm: Cluster, store_path: Path) -> None:
    if not slurm.up:
        pytest.skip(slurm.reason)
    store = RunStore(store_path)
    records = two_run_sweep(store, SlurmExecutor(ExecutorSpec(kind="slurm")))
    check_completed(records)
    stored = {record.id: record for record in store.all()}
    assert set(stored) == {record.id for record in records}
    assert {stored[r.id].executor["job_id"] for r in records} == {r.executor["job_id"] for r in records}
    job_ids = ",".join(record.executor["job_id"] for record in records)
    # No slurmdbd here: sacct reads the completion log (a cluster with accounting lists them without -c).
    listed = subprocess.run(["sacct", "--completion", "-n", "-P", "-j", job_ids, "-o", "JobID,State"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    assert {line for line in listed.splitlines()} == {f"{r.executor['job_id']}|COMPLETED" for r in records}
    assert all((Path(store_path.parent, r.run_dir) / "slurm").is_dir() for r in records)  # submitit's folder


def test_stopping_a_pending_slurm_run_cancels_its_job_before_a_worker_starts(slurm: Cluster, store_path: Path) -> None:
    if not slurm.up:
        pytest.skip(slurm.reason)
    store = RunStore(store_path)
    executor = executor_for(parse_executor({"kind": "slurm", "slurm_args": ["--begin=now+1hour"]}))  # held an hour
    record = launch(TINY, store, placement=executor.placement(store, executor.capacity(store, [])[0]))
    job_id = record.executor["job_id"]
    assert executor.refresh(store, record).executor["state"] == "PENDING"

    stopped = greentui("stop", record.id, store=store_path)
    assert stopped.returncode == 0, stopped.stderr
    final = store.get(record.id)
    assert final is not None and final.status == "stopped" and final.pid is None  # no worker ever started
    assert f"Slurm job {job_id} was cancelled (scancel)" in (final.error or "")
    assert final.executor["state"] == "CANCELLED"
    listed = subprocess.run(["sacct", "--completion", "-n", "-P", "-j", job_id, "-o", "JobID,State"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    assert listed.split("|")[1].startswith("CANCELLED")


@pytest.mark.slow
def test_without_a_cluster_submitits_local_executor_runs_the_same_flow(slurm: Cluster, store_path: Path) -> None:
    if slurm.up:
        pytest.skip("a real Slurm cluster ran this flow (test_a_two_run_sweep_runs_as_slurm_jobs_and_sacct_lists_them)")
    store = RunStore(store_path)
    check_completed(two_run_sweep(store, LocalSubmititExecutor(ExecutorSpec(kind="slurm"))))
