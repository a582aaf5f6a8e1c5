"""What greentui asks of Slurm's own commands: a job's state (squeue, then sacct) and scancel.

Argument lists only, never a shell. A job id is checked before it is ever passed on, and what
Slurm prints back (ids, states, node names) is untrusted text: it is matched against Slurm's
formats and anything else is dropped, never stored or shown as it came.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from greentui.queue.executor_spec import ExecutorError

_JOB_ID = re.compile(r"[0-9]{1,12}(_[0-9]{1,9})?\Z")
_STATE = re.compile(r"[A-Z_]{2,30}")  # sacct writes `CANCELLED by 1000`: the word is the state
_NODE = re.compile(r"[A-Za-z0-9._\-\[\],]{1,200}\Z")
COMMAND_TIMEOUT_S = 60.0

# Slurm's job states, grouped by what they mean for the run.
WAITING = frozenset({"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD",
                     "SUSPENDED", "STOPPED", "SPECIAL_EXIT", "RESIZING", "SIGNALING", "STAGE_OUT"})
RUNNING = frozenset({"RUNNING", "COMPLETING"})
CANCELLED = frozenset({"CANCELLED", "REVOKED"})
FAILED = frozenset({"FAILED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED"})
COMPLETED = frozenset({"COMPLETED"})
ENDED = CANCELLED | FAILED | COMPLETED


class SlurmCommandError(ExecutorError):
    """A Slurm command failed or is not installed; the message names the command."""


@dataclass(frozen=True)
class JobState:
    """A job as Slurm reports it: its state word and the node it runs or ran on ('' when none)."""

    state: str
    node: str = ""

    @property
    def ended(self) -> bool:
        return self.state in ENDED


def checked_job_id(value: object) -> str:
    """A Slurm job id (`12`, or an array task's `12_3`) as text; ExecutorError for anything else."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not _JOB_ID.match(text):
        raise ExecutorError(f"executor.job_id = {str(value)[:40]!r}: not a Slurm job id (digits, or digits_digits)")
    return text


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    program = shutil.which(argv[0])
    if program is None:
        raise SlurmCommandError(f"{argv[0]}: not found (is this a Slurm login node? SLURM_CONF set?)")
    try:
        return subprocess.run([program, *argv[1:]], capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
                              check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SlurmCommandError(f"{argv[0]}: {err}") from None


def _parse(lines: str, job_id: str) -> JobState | None:
    """The line `ID|STATE|NODES` for exactly this job (sacct adds its steps, `12.batch`: skipped)."""
    for line in lines.splitlines():
        parts = line.strip().split("|")
        if len(parts) < 2 or parts[0].strip() != job_id:
            continue
        state = _STATE.match(parts[1].strip())
        if state is None:
            return None
        node = parts[2].strip() if len(parts) > 2 else ""
        return JobState(state.group(0), node if _NODE.match(node) and node != "(null)" else "")
    return None


def job_state(job_id: str) -> JobState | None:
    """The job's state: squeue while slurmctld remembers it, else sacct (accounting, or without slurmdbd
    the completion log: `sacct --completion`). None when neither knows the job."""
    job_id = checked_job_id(job_id)
    shown = _run(["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%i|%T|%N"])
    found = _parse(shown.stdout, job_id) if shown.returncode == 0 else None
    if found is not None:
        return found
    for completion in ([], ["--completion"]):
        shown = _run(["sacct", *completion, "-n", "-P", "-j", job_id, "-o", "JobID,State,NodeList"])
        found = _parse(shown.stdout, job_id) if shown.returncode == 0 else None
        if found is not None:
            return found
    return None


def scancel(job_id: str) -> None:
    """Cancel the job; a job that has ended already is not an error."""
    job_id = checked_job_id(job_id)
    done = _run(["scancel", job_id])
    if done.returncode != 0 and "already completing or completed" not in done.stderr:
        message = " ".join(done.stderr.split())[:200]
        raise SlurmCommandError(f"scancel {job_id}: exit {done.returncode}: {message!r}")
