"""Where `distill_from` points: a bundled or `package:` model, a run of this store, a folder or a hub id.

The CLI's preflight and the worker resolve it the same way, here (no torch): a run id becomes that
run's saved model folder (runs/ID/model, written when it ran with save_model = true).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from greentui.bundled import bundled_path, is_bundled
from greentui.packaged import is_packaged, packaged_path

KEY = "distill_from"
# A greentui run id (greentui.store.record.new_run_id): such a name is looked up in the store, never the hub.
RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")


class TeacherError(ValueError):
    """`distill_from` names nothing that can be loaded; the message names the key."""

    def __init__(self, message: str) -> None:
        super().__init__(f"config key '{KEY}': {message}")


@dataclass(frozen=True)
class TeacherSource:
    """A resolved teacher: what `from_pretrained` loads, and what kind of name the config gave."""

    name: str  # as configured
    location: str  # a folder, or a hub id
    kind: str  # bundled | package | run | folder | hub

    @property
    def is_local(self) -> bool:
        """True unless the teacher is a hub id (which preflight looks up in the cache or the hub)."""
        return self.kind != "hub"


def resolve_teacher(name: str, store_path: Path | None) -> TeacherSource:
    """The teacher `name` names; TeacherError when it is a run without a saved model or an unknown run id.

    A run of the store is tried before a folder of that name, as the store's own runs/ID folder
    is not the model (its model/ is). `store_path` None: no store to look runs up in.
    """
    if is_bundled(name):
        try:
            return TeacherSource(name, str(bundled_path(name)), "bundled")
        except FileNotFoundError as err:
            raise TeacherError(str(err)) from None
    if is_packaged(name):
        try:
            folder = packaged_path(name)
        except FileNotFoundError as err:
            raise TeacherError(str(err)) from None
        return TeacherSource(name, str(_model_folder(name, folder)), "package")
    run_folder = _saved_model_of_run(name, store_path)
    if run_folder is not None:
        return TeacherSource(name, str(run_folder), "run")
    local = Path(name).expanduser()
    if local.exists():
        return TeacherSource(name, str(_model_folder(name, local)), "folder")
    if RUN_ID.match(name):
        where = f"the store {store_path}" if store_path is not None else "no store (none was given)"
        raise TeacherError(f"{name!r} looks like a run id, but there is no such run in {where}")
    return TeacherSource(name, name, "hub")


def _saved_model_of_run(name: str, store_path: Path | None) -> Path | None:
    """The model folder of run `name` of the store; None when the store has no run by that id."""
    if store_path is None or not name or "/" in name:
        return None
    from greentui.store.run_dirs import MODEL_FOLDER, RunDirRefused, run_dir_of
    from greentui.store.run_store import RunStore

    store = RunStore(store_path)
    if not store.path.exists():
        return None
    record = store.get(name)
    if record is None or record.id != name:  # only an exact id: a prefix may also be a hub id
        return None
    try:
        folder = run_dir_of(store, record) / MODEL_FOLDER
    except RunDirRefused as err:
        raise TeacherError(str(err)) from None
    if not (folder / "config.json").is_file():
        raise TeacherError(f"run {name!r} saved no model (run it with save_model = true to distil from it)")
    return folder


def _model_folder(name: str, folder: Path) -> Path:
    """`folder` if it holds the config.json that from_pretrained reads, else TeacherError."""
    if not (folder / "config.json").is_file():
        raise TeacherError(f"{name!r} has no config.json ({folder}): name the folder that holds the weights")
    return folder
