"""Check, before anything is written, that a config's model and dataset can be loaded here.

Uses huggingface_hub's cache look-ups (cheap, no torch) and, only when something is
not cached, one short request to the hub.
"""

from __future__ import annotations

import os
from pathlib import Path

from greentui.bundled import bundled_path, is_bundled
from greentui.config import RunConfig
from greentui.packaged import is_packaged, packaged_path

HUB_TIMEOUT_S = 5.0


class PreflightError(RuntimeError):
    """The model or dataset cannot be loaded; the message names the key and suggests the way out."""


def check_loadable(config: RunConfig) -> bool:
    """Raise PreflightError unless model and dataset can be loaded; True when the hub is needed."""
    needs_hub = False
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
        if _cached(name, kind):
            continue
        reason = _hub_unreachable(name, kind)
        if reason:
            raise PreflightError(
                f"config key '{key}': {kind} {name!r} is not in the Hugging Face cache and cannot be "
                f"downloaded ({reason}); on a machine without the hub, use --preset tiny"
            )
        needs_hub = True
    return needs_hub


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
