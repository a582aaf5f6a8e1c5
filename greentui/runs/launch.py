"""Start a run's worker in its own process session, and stop it.

The worker's output goes to a file in RUN_DIR, never a pipe, so closing greentui, a
dropped SSH link or Ctrl+C in the TUI cannot stop training.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from greentui.config import RunConfig
from greentui.preflight import check_loadable, offline_environment
from greentui.runs.process import track
from greentui.store.record import RunRecord, new_run_id, utc_now
from greentui.store.run_store import RunStore

WORKER_LOG = "worker.log"


def default_name(config: RunConfig) -> str:
    """A readable run name from the model and the techniques, e.g. `tiny-distilbert bf16 cosine`."""
    model = config.model.split(":")[-1].rstrip("/").split("/")[-1]
    return " ".join([model, *config.techniques()]) or model


def launch(config: RunConfig, store: RunStore, name: str | None = None,
           sweep: dict[str, Any] | None = None) -> RunRecord:
    """Check everything, store the run as `running`, then start its worker; `sweep` tags a sweep's run.

    Bad input raises (ConfigError, PreflightError, StoreError) before anything is written.
    """
    store.check()
    online = check_loadable(config)
    run_id = new_run_id()
    run_dir = store.runs_root / run_id
    os.makedirs(store.runs_root, mode=0o700, exist_ok=True)
    os.mkdir(run_dir, mode=0o700)
    launch_doc = {"run_id": run_id, "store": str(store.path.resolve()), "config": config.to_dict()}
    _write_private(run_dir / "launch.json", json.dumps(launch_doc, indent=2))
    record = RunRecord(
        id=run_id,
        name=name or default_name(config),
        status="running",
        created_at=utc_now(),
        config=config.to_dict(),
        run_dir=os.path.relpath(run_dir, store.path.parent),
        sweep=dict(sweep or {}),
    )
    try:
        store.insert(record)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)  # a run the store never saw leaves no folder
        raise
    env = {**os.environ, **offline_environment(online), "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    log_fd = os.open(run_dir / WORKER_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        process = subprocess.Popen(  # an argument list, never a shell
            [sys.executable, "-m", "greentui.worker", str(run_dir.resolve())],
            stdin=subprocess.DEVNULL,
            stdout=log_fd,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            close_fds=True,
        )
    finally:
        os.close(log_fd)
    track(run_id, process)
    return store.update(run_id, pid=process.pid)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
