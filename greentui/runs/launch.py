"""Start a run's worker in its own process session, and stop it.

The worker's output goes to a file in RUN_DIR, never a pipe, so closing greentui, a
dropped SSH link or Ctrl+C in the TUI cannot stop training.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from greentui.config import RunConfig
from greentui.packaged import is_packaged, package_of
from greentui.preflight import check_loadable, offline_environment
from greentui.runs.capabilities import check_runnable
from greentui.runs.identity import identify
from greentui.runs.process import track
from greentui.runs.timing import Timing, plan_timing, save_series
from greentui.store.atomic import make_private_dir, replace_text
from greentui.store.layout import StoreError
from greentui.store.record import RunRecord, new_run_id, utc_now
from greentui.store.run_store import RunStore

WORKER_LOG = "worker.log"
LAUNCH_FILE = "launch.json"


# A batch system's submit: (record, run folder, the worker's argv, its environment) -> what the
# record's `executor` keeps of the job (its id). It raises when the job cannot be submitted.
Submit = Callable[[RunRecord, Path, list[str], dict[str, str]], Mapping[str, Any]]


@dataclass(frozen=True)
class Placement:
    """Where a run's worker runs: here in its own session (the default), pinned to a GPU, or as a batch job."""

    env: Mapping[str, str] = field(default_factory=dict)  # added to the worker's environment (CUDA_VISIBLE_DEVICES)
    executor: Mapping[str, Any] = field(default_factory=lambda: {"kind": "local"})  # the record's `executor`
    submit: Submit | None = None  # a batch system's: the worker starts where the job runs, not here
    check_here: bool = True  # False: this machine's capabilities say nothing of the one the job lands on


HERE = Placement()


def default_name(config: RunConfig) -> str:
    """A readable run name from the model and the techniques, e.g. `tiny-distilbert bf16 cosine`."""
    # A package keeps its weights in a folder with a generic name (`model`): the package names them.
    model = package_of(config.model) if is_packaged(config.model) else config.model.split(":")[-1].rstrip("/").split("/")[-1]
    return " ".join([model, *config.techniques()]) or model


def launch(config: RunConfig, store: RunStore, name: str | None = None,
           sweep: dict[str, Any] | None = None, allow_overlap: bool = False,
           parent: RunRecord | None = None, timing: Timing | None = None, placement: Placement = HERE) -> RunRecord:
    """Check everything, store the run as `running`, then start its worker; `sweep` tags a sweep's run.

    `parent`: a run whose saved model this run only deploys and measures (`greentui infer`), no training.
    `timing`: the carbon timing chosen already (greentui.runs.timing); None: chosen here, for this run alone.
    `placement`: where the worker runs (greentui.queue.executors); by default here, in its own session.

    The worker waits for its devices while another run holds them (greentui.runs.lease), unless
    `allow_overlap`, which its record keeps.

    Bad input raises (ConfigError, PreflightError, StoreError) before anything is written.
    """
    store.check()
    online = check_loadable(config, store.path)
    if placement.check_here:  # fp16 on a machine without CUDA: refused now, not as a failed run seconds later
        check_runnable(config)
    # The intensity forecast, and a low-carbon run's window (a sweep's runs: chosen for the whole sweep).
    series, carbon = timing if timing is not None else plan_timing(config, store)
    run_id = new_run_id()
    run_dir = store.runs_root / run_id
    launch_doc = {"run_id": run_id, "store": str(store.path.resolve()), "config": config.to_dict(),
                  "allow_overlap": allow_overlap, "parent_id": parent.id if parent else None, "carbon": carbon,
                  "executor": dict(placement.executor)}
    try:
        make_private_dir(store.runs_root)
        os.mkdir(run_dir, mode=0o700)
        if series is not None:
            save_series(run_dir, series)
        replace_text(run_dir / LAUNCH_FILE, json.dumps(launch_doc, indent=2))
    except OSError as err:  # a full disk or a read-only folder: one line, and no half-made run folder
        shutil.rmtree(run_dir, ignore_errors=True)
        raise StoreError(f"cannot create the run folder {run_dir}: {err.strerror or err}") from None
    record = RunRecord(
        id=run_id,
        name=name or default_name(config),
        status="running",
        created_at=utc_now(),
        config=config.to_dict(),
        run_dir=os.path.relpath(run_dir, store.path.parent),
        sweep=dict(sweep or {}),
        parent_id=parent.id if parent else None,
        executor=dict(placement.executor),
    )
    try:
        store.insert(record)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)  # a run the store never saw leaves no folder
        raise
    env = {**os.environ, **offline_environment(online), "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false",
           **placement.env}
    if placement.submit is not None:
        return _submit(store, record, run_dir, env, placement.submit)
    try:
        process = _spawn_worker(run_dir, env)
    except OSError as err:  # the record exists: it says why, rather than waiting to be found crashed
        store.update(run_id, status="failed", finished_at=utc_now(), error=f"the worker could not start: {err}")
        raise StoreError(f"cannot start the worker of run {run_id}: {err.strerror or err}") from None
    track(run_id, process)
    identity = identify(process.pid)  # the child exists from here on: its start time is fixed
    return store.update(run_id, pid=process.pid, process=identity.to_doc() if identity else {})


def worker_command(run_dir: Path) -> list[str]:
    """The worker's command line: the same here and in a batch job."""
    return [sys.executable, "-m", "greentui.worker", str(run_dir.resolve())]


def _submit(store: RunStore, record: RunRecord, run_dir: Path, env: dict[str, str], submit: Submit) -> RunRecord:
    """Hand the worker to a batch system; the record keeps the job's id, and the worker its own pid once it starts."""
    try:
        job = dict(submit(record, run_dir, worker_command(run_dir), env))
    except Exception as err:  # noqa: BLE001 - any refusal of the batch system: the record says why
        reason = f"the job could not be submitted: {err}"
        store.update(record.id, status="failed", finished_at=utc_now(), error=reason)
        raise StoreError(f"run {record.id}: {reason}") from None
    return store.update(record.id, executor={**record.executor, **job})


def _spawn_worker(run_dir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The worker in its own session, its output to RUN_DIR/worker.log (never a pipe)."""
    log_fd = os.open(run_dir / WORKER_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    # Spawned with SIGTERM blocked (the mask is inherited): a stop sent before the worker has its
    # handler waits for it instead of killing the worker (greentui.worker.__main__ unblocks it).
    unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        return subprocess.Popen(  # an argument list, never a shell
            worker_command(run_dir),
            stdin=subprocess.DEVNULL,
            stdout=log_fd,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            close_fds=True,
        )
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
        os.close(log_fd)
