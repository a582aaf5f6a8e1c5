"""Check, before anything is written, that a config's model and dataset can be loaded here.

Uses huggingface_hub's cache look-ups (cheap, no torch) and, only when something is
not cached, one short request to the hub.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from greentui.bundled import bundled_path, is_bundled
from greentui.config import RunConfig
from greentui.packaged import is_packaged, packaged_path
from greentui.teacher import KEY as TEACHER_KEY
from greentui.teacher import TeacherError, resolve_teacher

HUB_TIMEOUT_S = 5.0


class PreflightError(RuntimeError):
    """The model or dataset cannot be loaded; the message names the key and suggests the way out."""


def check_loadable(config: RunConfig, store_path: Path | None = None) -> bool:
    """Raise PreflightError unless model, dataset and teacher can be loaded; True when the hub is needed.

    `store_path`: the store whose runs `distill_from` may name (None: a run id is not resolved)."""
    needs_hub = _check_teacher(config, store_path)
    for key, kind in (("model", "model"), ("dataset", "dataset")):
        name = getattr(config, key)
        if is_bundled(name):
            try:
                bundled_path(name)
            except FileNotFoundError as err:
                raise PreflightError(f"config key '{key}': {err}") from None
            continue
        if is_packaged(name):
            _check_packaged(key, name)
            continue
        if Path(name).expanduser().exists():
            continue
        needs_hub = _check_hub(key, name, kind) or needs_hub
    return needs_hub


def _check_hub(key: str, name: str, kind: str, offline: str = "use --preset tiny") -> bool:
    """Raise PreflightError unless the hub id `name` is cached or can be downloaded; True when it must be."""
    if _cached(name, kind):
        return False
    reason = _hub_unreachable(name, kind)
    if reason:
        raise PreflightError(
            f"config key '{key}': {kind} {name!r} is not in the Hugging Face cache and cannot be "
            f"downloaded ({reason}); on a machine without the hub, {offline}"
        )
    return True


def _check_teacher(config: RunConfig, store_path: Path | None) -> bool:
    """`distill_from` resolves (see greentui.teacher) and shares the model's vocabulary; True when on the hub."""
    if not config.distill_from:
        return False
    try:
        teacher = resolve_teacher(config.distill_from, store_path)
    except TeacherError as err:
        raise PreflightError(str(err)) from None
    if not teacher.is_local:
        return _check_hub(TEACHER_KEY, teacher.location, "model", "distil from bundled:tiny-teacher or a saved run")
    _check_same_vocabulary(config, Path(teacher.location))
    return False


def _check_same_vocabulary(config: RunConfig, teacher: Path) -> None:
    """Where both config.json files are at hand, a teacher with another vocabulary is refused now.

    (The worker checks vocabulary and labels again on the loaded models: the student's labels come
    from the dataset, which preflight does not load.)"""
    student = _local_folder(config.model)
    sizes = [_vocab_size(folder) for folder in (student, teacher)] if student is not None else [None]
    if None not in sizes and sizes[0] != sizes[1]:
        raise PreflightError(
            f"config key '{TEACHER_KEY}': the teacher {config.distill_from!r} has a vocabulary of {sizes[1]} "
            f"tokens and the model {config.model!r} one of {sizes[0]}: distillation needs the same tokenizer"
        )


def _local_folder(name: str) -> Path | None:
    """The folder a bundled, `package:` or local model name names; None for a hub id or a missing folder."""
    try:
        if is_bundled(name):
            return bundled_path(name)
        if is_packaged(name):
            return packaged_path(name)
    except FileNotFoundError:
        return None
    local = Path(name).expanduser()
    return local if local.is_dir() else None


def _vocab_size(folder: Path) -> int | None:
    """config.json's vocab_size, None when it cannot be read (the worker then checks the loaded model)."""
    try:
        value = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("vocab_size")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _check_packaged(key: str, name: str) -> None:
    """A `package:` folder must exist and, for a model, hold the config.json that from_pretrained reads."""
    try:
        folder = packaged_path(name)
    except FileNotFoundError as err:
        raise PreflightError(f"config key '{key}': {err}") from None
    if key == "model" and not (folder / "config.json").is_file():
        raise PreflightError(
            f"config key '{key}': {name!r} has no config.json ({folder}): name the folder that holds the weights"
        )


def offline_environment(needs_hub: bool) -> dict[str, str]:
    """Environment for the worker: no hub look-ups at all when everything is local."""
    if needs_hub:
        return {}
    return {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def _cached(repo_id: str, kind: str) -> bool:
    from huggingface_hub import scan_cache_dir, try_to_load_from_cache

    filename = "config.json" if kind == "model" else "README.md"
    try:
        if isinstance(try_to_load_from_cache(repo_id, filename, repo_type=kind), str):
            return True
        # Datasets whose README was not kept still count when any file of theirs is cached.
        return any(repo.repo_id == repo_id and repo.repo_type == kind for repo in scan_cache_dir().repos)
    except Exception:  # noqa: BLE001 - a missing or odd cache just means "not cached"
        return False


def _hub_unreachable(repo_id: str, kind: str) -> str | None:
    """None when the hub knows the repo, else why it cannot be had."""
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return "HF_HUB_OFFLINE=1 is set"
    from huggingface_hub import dataset_info, model_info

    try:
        (model_info if kind == "model" else dataset_info)(repo_id, timeout=HUB_TIMEOUT_S)
    except Exception as err:  # noqa: BLE001 - no network, unknown repo, gated repo: all mean "not loadable"
        return f"{type(err).__name__}: {str(err).splitlines()[0][:160]}" if str(err) else type(err).__name__
    return None
