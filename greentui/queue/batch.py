"""The batch systems' executor modules, imported only when a run uses one (submitit is an optional extra).

Kept apart from greentui.queue.executors so that `greentui stop` (and the TUI) reach a Slurm job's
cancel without importing what finds free GPUs.
"""

from __future__ import annotations

import importlib
from typing import Any

from greentui.queue.executor_spec import ExecutorError
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore


def batch_module(kind: str) -> Any:
    """A batch system's executor module, imported only when a run uses it (submitit is an optional extra)."""
    try:
        return importlib.import_module(f"greentui.queue.{kind}")
    except ImportError as err:
        raise ExecutorError(f"executor {kind!r} needs submitit: pip install 'greentui[slurm]' ({err})") from None


def cancel_batch_job(store: RunStore, record: RunRecord) -> None:
    """`greentui stop` on a batch job's run: the batch system cancels it."""
    batch_module(str(record.executor.get("kind"))).cancel_job(store, record)
