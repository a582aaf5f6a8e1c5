"""The last used run config, remembered between sessions as TOML in the user's config folder."""

from __future__ import annotations

import os
from pathlib import Path

from greentui.config import ConfigError, RunConfig, load_toml, save_toml
from greentui.store.atomic import make_private_dir

LAST_CONFIG_FILE = "last-config.toml"


def config_dir() -> Path:
    """$XDG_CONFIG_HOME/greentui, else ~/.config/greentui (the XDG default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "greentui"


def load_last_config() -> RunConfig | None:
    """The config of the last run started from the form, or None when there is none or it no longer validates."""
    path = config_dir() / LAST_CONFIG_FILE
    if not path.is_file():
        return None
    try:
        return load_toml(path)
    except ConfigError:
        # A key renamed or a range tightened since it was saved: fall back to the preset.
        return None


def save_last_config(config: RunConfig) -> str | None:
    """Remember `config`; returns an error message (naming the path) instead of raising."""
    folder = config_dir()
    try:
        make_private_dir(folder)  # 0700 with its parents, whatever the umask
        save_toml(config, folder / LAST_CONFIG_FILE)
    except OSError as err:
        return f"cannot remember the config in {folder / LAST_CONFIG_FILE}: {err.strerror}"
    return None
