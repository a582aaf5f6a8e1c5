"""A real single-node Slurm cluster on localhost for the tests, from Debian's `slurm-wlm` and `munge`.

    python -m tests.slurm_cluster start DIR    # prints the SLURM_CONF to export
    python -m tests.slurm_cluster stop DIR

Everything lives in DIR: the munge key and socket, slurm.conf, the daemons' state, logs and pid
files. The node is this machine (its real CPUs and memory from `slurmd -C`); processes are tracked
by /proc and no cgroups are used (a container has none to give). Without slurmdbd, `sacct` has no
accounting database: the job completion log (jobcomp/filetxt) is what `sacct --completion` reads,
so finished jobs are listed there, and pending or running ones by `squeue`.

`stop` signals only the daemons this module started, by the pid files it had them write, and only
while /proc says the pid still runs that daemon. The tests use it through tests/slurm_support.py.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("slurmd", "slurmctld", "munged")  # stopped in this order: the node, the controller, then auth
NEEDED = ("munged", "slurmctld", "slurmd", "sinfo", "sbatch", "squeue", "sacct", "scancel")
START_TIMEOUT_S = 60.0


class ClusterUnavailable(RuntimeError):
    """Slurm cannot be started here; the message says why (a test's skip reason)."""


def missing_programs() -> list[str]:
    """The Slurm and munge programs not found on PATH (nor in /usr/sbin, where Debian puts the daemons)."""
    path = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin", "/sbin"])
    return [name for name in NEEDED if shutil.which(name, path=path) is None]


def _program(name: str) -> str:
    found = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin", "/sbin"]))
    if found is None:
        raise ClusterUnavailable(f"{name} is not installed (Debian: apt-get install slurm-wlm munge)")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _node_line() -> str:
    """This machine as Slurm sees it (`slurmd -C`), renamed `localhost`."""
    shown = subprocess.run([_program("slurmd"), "-C"], capture_output=True, text=True, timeout=30, check=False)
    line = next((text for text in shown.stdout.splitlines() if text.startswith("NodeName=")), "")
    if not line:
        raise ClusterUnavailable(f"slurmd -C printed no node line: {shown.stderr.strip()[:200]}")
    facts = dict(word.split("=", 1) for word in line.split() if "=" in word)
    keep = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore")
    memory = int(int(facts.get("RealMemory", "1024")) * 0.9)  # what slurmd sees, less a margin it never refuses
    return " ".join(["NodeName=localhost NodeAddr=127.0.0.1 NodeHostname=localhost",
                     *(f"{key}={facts[key]}" for key in keep if key in facts), f"RealMemory={memory}", "State=UNKNOWN"])


def slurm_conf(folder: Path, user: str) -> str:
    """A minimal slurm.conf for one node on localhost, everything kept under `folder`."""
    return "\n".join([
        "ClusterName=greentui-test",
        f"SlurmctldHost={socket.gethostname().split('.')[0]}(127.0.0.1)",  # slurmctld checks its own hostname
        f"SlurmctldPort={_free_port()}",
        f"SlurmdPort={_free_port()}",
        f"SlurmUser={user}",
        f"SlurmdUser={user}",
        "AuthType=auth/munge",
        f"AuthInfo=socket={folder / 'munge' / 'munge.socket'}",
        "CredType=cred/munge",
        f"StateSaveLocation={folder / 'state'}",
        f"SlurmdSpoolDir={folder / 'spool'}",
        f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
        f"SlurmdPidFile={folder / 'slurmd.pid'}",
        f"SlurmctldLogFile={folder / 'slurmctld.log'}",
        f"SlurmdLogFile={folder / 'slurmd.log'}",
        "SlurmctldDebug=info",
        "SlurmdDebug=info",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core",
        "ProctrackType=proctrack/linuxproc",  # no cgroups in a container
        "TaskPlugin=task/none",
        "MpiDefault=none",
        "SwitchType=switch/none",
        "ReturnToService=2",
        # No slurmdbd: the completion log is what `sacct --completion` lists finished jobs from.
        "AccountingStorageType=accounting_storage/none",
        "JobAcctGatherType=jobacct_gather/none",
        "JobCompType=jobcomp/filetxt",
        f"JobCompLoc={folder / 'jobcomp.txt'}",
        "MinJobAge=300",  # finished jobs stay in squeue/scontrol a while too
        "SchedulerType=sched/backfill",
        "SchedulerParameters=sched_interval=2",
        "SlurmdTimeout=60",
        "InactiveLimit=0",
        "KillWait=10",  # a cancelled job's worker gets SIGTERM, then this long to store its summary
        _node_line(),
        "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
        "",
    ])


def environment(folder: Path) -> dict[str, str]:
    """The variables Slurm's commands need to find this cluster."""
    return {"SLURM_CONF": str(folder / "slurm.conf")}


def _run_daemon(argv: list[str], folder: Path, what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, **environment(folder)}, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise ClusterUnavailable(f"{what} did not start (exit {done.returncode}): "
                                 f"{(done.stderr or done.stdout).strip().splitlines()[-1:]}")


def _start_munge(folder: Path) -> None:
    munge = folder / "munge"
    munge.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = munge / "munge.key"
    key.write_bytes(secrets.token_bytes(1024))
    key.chmod(0o400)
    argv = [_program("munged"), f"--key-file={key}", f"--socket={munge / 'munge.socket'}",
            f"--pid-file={folder / 'munged.pid'}", f"--log-file={folder / 'munged.log'}",
            f"--seed-file={munge / 'munged.seed'}"]
    if os.geteuid() == 0:
        argv.append("--force")  # munged asks for it to run as root, which a container's CI often is
    _run_daemon(argv, folder, "munged")


def start(folder: Path) -> dict[str, str]:
    """Start munged, slurmctld and slurmd with everything under `folder`; wait for the node to be idle.

    Returns the environment Slurm's commands need (SLURM_CONF); ClusterUnavailable says why not.
    """
    missing = missing_programs()
    if missing:
        raise ClusterUnavailable(f"{', '.join(missing)} not installed (Debian: apt-get install slurm-wlm munge)")
    folder = folder.resolve()
    for sub in ("state", "spool"):
        (folder / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    import pwd

    user = pwd.getpwuid(os.geteuid()).pw_name
    (folder / "slurm.conf").write_text(slurm_conf(folder, user), encoding="utf-8")
    try:
        _start_munge(folder)
        _run_daemon([_program("slurmctld"), "-i"], folder, "slurmctld")  # -i: a fresh state folder
        _run_daemon([_program("slurmd"), "-N", "localhost"], folder, "slurmd")
        _wait_idle(folder)
    except BaseException:
        stop(folder)
        raise
    return environment(folder)


def _wait_idle(folder: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    shown = ""
    while time.monotonic() < deadline:
        done = subprocess.run([_program("sinfo"), "-h", "-N", "-o", "%N %t"], capture_output=True, text=True,
                              timeout=30, check=False, env={**os.environ, **environment(folder)})
        shown = (done.stdout or done.stderr).strip()
        if re.search(r"^localhost idle$", shown, re.MULTILINE):
            return
        time.sleep(0.5)
    log = (folder / "slurmd.log").read_text(errors="replace").strip().splitlines()[-3:] \
        if (folder / "slurmd.log").exists() else []
    raise ClusterUnavailable(f"the node never became idle in {START_TIMEOUT_S:.0f} s (sinfo: {shown[:200]!r}; "
                             f"slurmd.log: {' | '.join(log)[:300]})")


def _runs(pid: int, name: str) -> bool:
    """True while `pid` is a live process of the program `name` (never signal a recycled pid)."""
    try:
        comm = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return comm == name and state != "Z"


def _end_jobs(folder: Path, grace_s: float) -> None:
    """Cancel the cluster's jobs and wait for them to go: a job step outlives a stopped slurmd otherwise."""
    env = {**os.environ, **environment(folder)}

    def job_ids() -> list[str]:
        shown = subprocess.run([_program("squeue"), "-h", "-o", "%i"], capture_output=True, text=True,
                               timeout=30, check=False, env=env)
        return [line.strip() for line in shown.stdout.splitlines() if line.strip().isdigit()] \
            if shown.returncode == 0 else []

    ids = job_ids()
    if ids:
        subprocess.run([_program("scancel"), *ids], capture_output=True, timeout=30, check=False, env=env)
    deadline = time.monotonic() + grace_s
    while ids and time.monotonic() < deadline:
        time.sleep(0.5)
        ids = job_ids()


def stop(folder: Path, grace_s: float = 15.0) -> None:
    """Stop the daemons `start` started in `folder` (by their pid files), each only if it is still that daemon;
    the cluster's jobs are cancelled first."""
    folder = folder.resolve()
    if (folder / "slurm.conf").exists():
        try:
            _end_jobs(folder, grace_s)
        except (ClusterUnavailable, OSError, subprocess.TimeoutExpired):
            pass  # the controller is not answering: its daemons are stopped all the same
    for name in DAEMONS:
        pid_file = folder / f"{name}.pid"
        try:
            pid = int(pid_file.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
        if pid <= 1 or not _runs(pid, name):
            continue
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while _runs(pid, name) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _runs(pid, name):
            os.kill(pid, signal.SIGKILL)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m tests.slurm_cluster start|stop DIR", file=sys.stderr)
        return 2
    folder = Path(argv[1])
    if argv[0] == "stop":
        stop(folder)
        return 0
    began = time.monotonic()
    try:
        env = start(folder)
    except ClusterUnavailable as err:
        print(f"slurm_cluster: {err}", file=sys.stderr)
        return 1
    print(f"export SLURM_CONF={env['SLURM_CONF']}  # started in {time.monotonic() - began:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
