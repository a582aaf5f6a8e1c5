"""Where a run's folder is, and the rule that keeps every such path inside the store's runs/ folder.

A record's `run_dir` is read from runs.json, which anyone who can write the store may have
written: "/etc", "../victim" or a symlink planted in runs/ would otherwise have greentui read
events from, and write curves into, any folder. Only a direct child of the store's own runs/
folder (after resolving symlinks) is ever used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greentui.store.layout import StoreError

if TYPE_CHECKING:
    from greentui.store.record import RunRecord
    from greentui.store.run_store import RunStore

RUNS_FOLDER = "runs"
MODEL_FOLDER = "model"  # a run's saved weights and tokenizer (config save_model), inside its run folder


class RunDirRefused(StoreError):
    """A record's run_dir points outside the store's runs/ folder; the message names the run."""


def runs_root(store_path: Path) -> Path:
    """The folder that holds a store's run folders."""
    return store_path.parent / RUNS_FOLDER


def confined_run_dir(store_path: Path, run_id: str, run_dir: Any) -> Path:
    """The absolute folder `run_dir` names, if it is a direct child of the store's runs/; else RunDirRefused."""
    if isinstance(run_dir, str) and run_dir and "\x00" not in run_dir and not os.path.isabs(run_dir):
        root = runs_root(store_path).resolve()
        target = (store_path.parent / run_dir).resolve()
        if target.parent == root:
            return target
    raise RunDirRefused(f"run {run_id!r}: its run_dir {run_dir!r} is not a folder inside {runs_root(store_path)}; "
                        "greentui will not read or write there")


def run_dir_of(store: RunStore, record: RunRecord) -> Path:
    """Absolute run directory of a record (stored relative to the store's folder); RunDirRefused outside runs/."""
    return confined_run_dir(store.path, record.id, record.run_dir)


def remove_saved_model(store_path: Path, run_id: str, run_dir: Any) -> None:
    """Delete a run's saved model (the only big thing in its folder), when its folder is confined to runs/.

    A `model` that is a symlink is unlinked, never followed: what it points to is not the run's.
    """
    import shutil

    try:
        folder = confined_run_dir(store_path, run_id, run_dir) / MODEL_FOLDER
    except RunDirRefused:
        return
    if folder.is_symlink():
        folder.unlink(missing_ok=True)
    elif folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)


def saved_model_folder(store: RunStore, run_id: str) -> tuple[RunRecord, Path]:
    """A completed run of the store and its saved model folder (`greentui infer`); StoreError saying
    what is missing: the run, its completion, or the model (a symlinked `model` is refused)."""
    record = store.get(run_id) if store.path.exists() else None
    if record is None or record.id != run_id:
        raise StoreError(f"no run {run_id!r} in {store.path}")
    if record.status != "completed":
        raise StoreError(f"run {record.id} is {record.status}: only a completed run's model can be deployed")
    folder = run_dir_of(store, record) / MODEL_FOLDER
    if folder.is_symlink() or not (folder / "config.json").is_file():
        raise StoreError(f"run {record.id} saved no model ({folder}): run it with save_model = true")
    return record, folder
