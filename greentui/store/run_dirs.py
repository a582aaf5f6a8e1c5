"""Where a run's folder is: recorded relative to the store's folder."""

from __future__ import annotations

from pathlib import Path

from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore


def run_dir_of(store: RunStore, record: RunRecord) -> Path:
    """Absolute run directory of a record (stored relative to the store's folder)."""
    return (store.path.parent / record.run_dir).resolve()

