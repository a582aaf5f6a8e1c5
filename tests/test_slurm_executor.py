"""The slurm executor against a real single-node Slurm cluster (tests/slurm_cluster.py), and the same flow
on submitit's local executor where Slurm cannot start here.

On the real cluster the runs go through the command line and the store's runner (`greentui sweep
--executor slurm`, `greentui run --queue`, `greentui queue cancel`). The local stand-in is driven the
way the runner drives an executor: a slot from `capacity`, `launch` with its placement, then `refresh`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Mapping

import pytest

from greentui.config import RunConfig
from greentui.queue.executor_spec import ExecutorError, ExecutorSpec, parse_executor
from greentui.queue.executors import executor_for
from greentui.queue.runner_process import runner_running
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
TINY_SETS = [arg for key, value in (("train_samples", 64), ("eval_samples", 64), ("batch_size", 32), ("epochs", 1))
             for arg in ("--set", f"{key}={value}")]


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


def check_completed(records: list[RunRecord], states_seen: tuple[str, ...] = ("COMPLETED",)) -> None:
    for record in records:
        assert record.status == "completed", (record.status, record.error)
        assert record.executor["kind"] == "slurm" and record.executor["job_id"].isdigit()
        assert record.executor["state"] in states_seen
        assert record.hardware.get("cpu_count") and record.hardware.get("device") == "cpu"  # the node's, by its worker
        assert record.pid is not None and record.process  # the worker noted itself: nobody here spawned it
        assert record.metrics.get("accuracy") is not None


def sacct_states(job_ids: list[str]) -> dict[str, str]:
    """What sacct lists of these jobs. No slurmdbd here: it reads the completion log (--completion); a
    cluster with accounting lists them without it."""
    listed = subprocess.run(["sacct", "--completion", "-n", "-P", "-j", ",".join(job_ids), "-o", "JobID,State"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    return dict(line.split("|", 1) for line in listed.splitlines() if "|" in line)


@pytest.mark.slow
def test_a_two_run_sweep_runs_as_slurm_jobs_and_sacct_lists_them(slurm: Cluster, store_path: Path) -> None:
    if not slurm.up:
        pytest.skip(slurm.reason)
    swept = greentui("sweep", "--preset", "tiny", *TINY_SETS, "--techniques", "label_smoothing=0.1",
                     "--executor", "slurm", "--slurm-time", "20", "--slurm-cpus", "1", store=store_path)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert "on slurm" in swept.stdout
    store = RunStore(store_path)
    records = store.all()
    assert sorted(r.sweep["role"] for r in records) == ["baseline", "label_smoothing"]
    job_ids = [r.executor["job_id"] for r in records]
    # The runner stops following a run once it is finished; its job ends a moment later (the worker exits).
    states = wait_until(lambda: (found := sacct_states(job_ids)) and len(found) == 2 and found, "sacct to list both")
    assert states == {job_id: "COMPLETED" for job_id in job_ids}
    check_completed(records, states_seen=("RUNNING", "COMPLETING", "COMPLETED"))
    assert all((store_path.parent / r.run_dir / "slurm").is_dir() for r in records)  # submitit's folder
    script = next((store_path.parent / records[0].run_dir / "slurm").glob("*_submission.sh")).read_text()
    assert "#SBATCH --time=20" in script and "#SBATCH --cpus-per-task=1" in script


def queue_pending_run(store_path: Path) -> RunRecord:
    """A queued run whose Slurm job is held for an hour (--begin): pending while the test acts on it."""
    queued = greentui("run", "--queue", "--preset", "tiny", *TINY_SETS, "--executor", "slurm",
                      "--slurm-args=--begin=now+1hour", store=store_path)
    assert queued.returncode == 0, queued.stdout + queued.stderr
    store = RunStore(store_path)
    return wait_until(lambda: next((r for r in store.all() if r.executor.get("state") == "PENDING"), None),
                      "the runner to submit the job and see it pending")


def check_cancelled_before_it_started(store_path: Path, record: RunRecord) -> None:
    final = wait_until(lambda: (r := RunStore(store_path).get(record.id)) and r.finished and r, "the run to end")
    job_id = record.executor["job_id"]
    assert final.status == "stopped" and final.pid is None  # no worker ever started
    assert f"Slurm job {job_id} was cancelled (scancel)" in (final.error or "")
    assert final.executor["state"] == "CANCELLED"
    assert sacct_states([job_id])[job_id].startswith("CANCELLED")


def test_queue_cancel_of_a_pending_slurm_run_reaches_scancel(slurm: Cluster, store_path: Path) -> None:
    if not slurm.up:
        pytest.skip(slurm.reason)
    record = queue_pending_run(store_path)
    cancelled = greentui("queue", "cancel", record.id, store=store_path)
    assert cancelled.returncode == 0, cancelled.stderr
    check_cancelled_before_it_started(store_path, record)
    wait_until(lambda: not runner_running(RunStore(store_path)), "the runner to exit with nothing left")


def test_stop_of_a_pending_slurm_run_reaches_scancel(slurm: Cluster, store_path: Path) -> None:
    if not slurm.up:
        pytest.skip(slurm.reason)
    record = queue_pending_run(store_path)
    stopped = greentui("stop", record.id, store=store_path)
    assert stopped.returncode == 0, stopped.stderr
    check_cancelled_before_it_started(store_path, record)
    wait_until(lambda: not runner_running(RunStore(store_path)), "the runner to exit with nothing left")


@pytest.mark.slow
def test_without_a_cluster_submitits_local_executor_runs_the_same_flow(slurm: Cluster, store_path: Path) -> None:
    if slurm.up:
        pytest.skip("a real Slurm cluster ran this flow (test_a_two_run_sweep_runs_as_slurm_jobs_and_sacct_lists_them)")
    store = RunStore(store_path)
    check_completed(two_run_sweep(store, LocalSubmititExecutor(ExecutorSpec(kind="slurm"))))
