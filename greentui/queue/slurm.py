"""The `slurm` executor: one Slurm job per queued run, submitted through submitit.

The job runs the run's worker on its node (greentui.queue.slurm_job) with the run folder on the
shared filesystem the store lives on; the worker records its own pid, process and hardware there
and writes the store under the same lock and atomic-write rules as anywhere. What greentui keeps of
the job is the record's `executor`: `{kind: slurm, job_id, state, node}`.

The runner maps the job's state onto the run on every poll (`refresh`): PENDING is a waiting run,
RUNNING a running one; a job that ended while its run is not finished is settled from its events
(greentui.runs.reconcile.settle): stopped when cancelled, failed on FAILED, TIMEOUT, OUT_OF_MEMORY
and the like, crashed when it completed without the worker storing a final status.
"""

from __future__ import annotations

import math
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from greentui.queue.executor_spec import ExecutorError, ExecutorSpec
from greentui.queue.executors import Slot
from greentui.queue.slurm_commands import CANCELLED, COMPLETED, FAILED, JobState, checked_job_id, job_state, scancel
from greentui.runs.launch import WORKER_LOG, Placement
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore

MAX_ACTIVE = 64  # Slurm queues the jobs itself; this only bounds how many one queue hands it at once
LOST_AFTER_S = 600.0  # a job neither squeue nor sacct knows for this long after its launch: the run crashed
CANCEL_SETTLE_S = 15.0  # how long `cancel` waits for Slurm to show a cancelled job as ended
SUBMIT_FOLDER = "slurm"  # RUN_DIR/slurm: submitit's pickles, the sbatch script and the job's own log


def sbatch_minutes(text: str) -> int:
    """Slurm's time format (`30`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`) in whole minutes (submitit's unit)."""
    days, _, clock = text.rpartition("-")
    parts = [int(p) for p in clock.split(":")]
    if days:  # D-HH, D-HH:MM, D-HH:MM:SS
        hours, minutes, seconds = (parts + [0, 0])[:3]
    elif len(parts) == 3:
        hours, minutes, seconds = parts
    else:  # minutes, or minutes:seconds
        hours, minutes, seconds = 0, parts[0], parts[1] if len(parts) > 1 else 0
    total_s = ((int(days or 0) * 24 + hours) * 60 + minutes) * 60 + seconds
    return max(1, math.ceil(total_s / 60))


def sbatch_parameters(settings: Mapping[str, Any], job_name: str) -> dict[str, Any]:
    """submitit's SlurmExecutor parameters from the spec's checked sbatch settings."""
    extra: dict[str, Any] = {}
    for word in settings.get("args", ()):
        key, has_value, value = str(word)[2:].partition("=")
        extra[key] = value if has_value else True  # submitit writes `--key` alone for True
    return {
        "job_name": job_name,
        # No time given: the partition's default limit, not submitit's five minutes.
        "time": sbatch_minutes(settings["time"]) if settings.get("time") else None,
        "partition": settings.get("partition"),
        "gres": settings.get("gres"),
        "cpus_per_task": settings.get("cpus"),
        "wckey": None,  # submitit's default wckey means nothing to most clusters' accounting
        "stderr_to_stdout": True,
        "additional_parameters": extra,
    }


class SlurmExecutor:
    """One Slurm job per run; Slurm decides when and where each starts."""

    def __init__(self, spec: ExecutorSpec) -> None:
        self.spec = spec

    def capacity(self, store: RunStore, active: list[RunRecord]) -> list[Slot]:
        return [Slot(f"slurm job {n + 1}", executor={"kind": "slurm"}) for n in range(MAX_ACTIVE - len(active))]

    def placement(self, store: RunStore, slot: Slot) -> Placement:
        # check_here=False: the login node's capabilities (no CUDA, say) say nothing of the job's node.
        return Placement(env=dict(slot.env), executor={"kind": "slurm", **slot.executor}, submit=self.submit,
                         check_here=False)

    def submitit_executor(self, folder: Path, parameters: Mapping[str, Any]) -> Any:
        """submitit's executor for a run's job folder, with the job's sbatch parameters (a test without a
        cluster puts submitit's local executor here)."""
        import submitit

        executor = submitit.SlurmExecutor(folder=folder, max_num_timeout=0)  # never requeued on timeout
        executor.update_parameters(**parameters)
        return executor

    def submit(self, record: RunRecord, run_dir: Path, argv: list[str], env: dict[str, str]) -> Mapping[str, Any]:
        """Submit the run's worker as a job; what the record keeps of it. Raises when Slurm refuses it."""
        from greentui.queue.slurm_job import run_worker

        parameters = sbatch_parameters(self.spec.slurm, f"greentui-{record.id}")
        executor = self.submitit_executor(run_dir / SUBMIT_FOLDER, parameters)
        # What launch added to this process's environment: it must reach the worker whatever the node exports.
        added = {k: v for k, v in env.items() if os.environ.get(k) != v}
        job = executor.submit(run_worker, argv, env, added, str(run_dir / WORKER_LOG))
        return {"job_id": checked_job_id(job.job_id), "state": "PENDING"}

    def job_state(self, job_id: str) -> JobState | None:
        """The job as Slurm reports it now; None when it knows no such job."""
        return job_state(job_id)

    def refresh(self, store: RunStore, record: RunRecord) -> RunRecord:
        """Store the job's state in the record; settle the run when its job ended and it did not."""
        try:
            job_id = checked_job_id(record.executor.get("job_id"))
        except ExecutorError:
            return record  # submit failed (the record says why) or a hand edit: nothing to ask Slurm
        found = self.job_state(job_id)
        current = store.get(record.id) or record
        if found is None:
            if not current.finished and _age_s(current) > LOST_AFTER_S:
                return _settled(store, current, "crashed", f"Slurm knows no job {job_id} (neither squeue nor sacct)")
            return current
        if (found.state, found.node) != (current.executor.get("state"), current.executor.get("node", "")):
            current = store.update(record.id, executor={**current.executor, "state": found.state, "node": found.node})
        if current.finished or not found.ended:
            return current
        if found.state in CANCELLED:
            return _settled(store, current, "stopped", f"Slurm job {job_id} was cancelled (scancel)")
        if found.state in FAILED:
            return _settled(store, current, "failed", f"Slurm job {job_id} ended {found.state}")
        assert found.state in COMPLETED
        return _settled(store, current, "crashed", f"Slurm job {job_id} completed but its worker stored no final status")

    def cancel(self, store: RunStore, record: RunRecord) -> None:
        """scancel the job: a pending one never starts (its run is stopped here), a running one's worker gets
        SIGTERM from Slurm and stores `stopped` itself."""
        cancel_job(store, record, self)


def cancel_job(store: RunStore, record: RunRecord, executor: SlurmExecutor | None = None) -> None:
    """`greentui stop` and `greentui queue cancel` on a Slurm run: scancel, then settle the run once Slurm
    shows the job ended (a job that never started has no worker to store its end)."""
    try:
        job_id = checked_job_id(record.executor.get("job_id"))
    except ExecutorError as err:
        if record.finished:
            return
        raise ExecutorError(f"run {record.id}: {err}") from None
    scancel(job_id)
    executor = executor or SlurmExecutor(ExecutorSpec(kind="slurm"))
    deadline = time.monotonic() + CANCEL_SETTLE_S
    while time.monotonic() < deadline:
        current = executor.refresh(store, store.get(record.id) or record)
        if current.finished:
            return
        time.sleep(0.5)


def _settled(store: RunStore, record: RunRecord, status: str, error: str) -> RunRecord:
    from greentui.runs.reconcile import settle

    settle(store, record, status, error)
    return store.get(record.id) or record


def _age_s(record: RunRecord) -> float:
    try:
        return time.time() - datetime.fromisoformat(record.created_at).timestamp()
    except ValueError:
        return 0.0
