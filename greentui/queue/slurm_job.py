"""What a Slurm job runs: the run's worker, with the environment greentui gave it, on the job's node.

submitit pickles `run_worker` by reference, so it stays a small top-level function that imports
nothing heavy: the worker is its own process, exactly as greentui starts it on this machine.
"""

from __future__ import annotations

import os
import subprocess
from typing import Mapping

# What the node decides, never the machine that submitted: Slurm's job variables and the devices it gave.
NODE_OWNED_PREFIXES = ("SLURM_", "SLURMD_", "SUBMITIT_")
NODE_OWNED = frozenset({"CUDA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES", "HOSTNAME", "TMPDIR"})


def node_owned(name: str) -> bool:
    return name in NODE_OWNED or name.startswith(NODE_OWNED_PREFIXES)


def job_environment(submitted: Mapping[str, str], added: Mapping[str, str], here: Mapping[str, str]) -> dict[str, str]:
    """The worker's environment on the node: the submitter's (less what the node owns), the node's own,
    then what greentui added for this run (offline flags, the run's placement), which always wins."""
    return {**{k: v for k, v in submitted.items() if not node_owned(k)}, **here, **added}


def run_worker(argv: list[str], submitted: dict[str, str], added: dict[str, str], log_path: str) -> int:
    """Run the worker to its end with its output appended to the run's worker.log; its exit code.

    A worker that fails raises, so Slurm records the job FAILED as well as the run. On scancel Slurm
    signals every process of the job, the worker included: it stores `stopped` itself.
    """
    env = job_environment(submitted, added, os.environ)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        code = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log_fd, stderr=subprocess.STDOUT,
                              env=env, check=False).returncode
    finally:
        os.close(log_fd)
    if code != 0:
        raise RuntimeError(f"the worker exited with status {code} (see {log_path})")
    return code
