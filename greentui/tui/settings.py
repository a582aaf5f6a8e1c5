"""What the TUI remembers between sessions, in the user's config folder: the last used run config
(TOML) and small choices such as the history's columns (JSON). Written atomically, private to the user.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from greentui.config import ConfigError, RunConfig, load_toml, save_toml
from greentui.store.atomic import make_private_dir, replace_text

LAST_CONFIG_FILE = "last-config.toml"
HISTORY_COLUMNS_FILE = "history-columns.json"
MAX_CHOICE_BYTES = 64 * 1024  # a choice file is a few hundred bytes; anything larger is not one of ours


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


def load_choice(name: str) -> Any:
    """The JSON a choice file holds, or None when it is missing, too large or not JSON.

    The file is untrusted (a hand edit, another version): the caller checks what it holds.
    """
    path = config_dir() / name
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CHOICE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_CHOICE_BYTES:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def save_choice(name: str, value: Any) -> str | None:
    """Remember `value` as JSON in the choice file `name`; returns an error message (naming the path) instead of raising."""
    folder = config_dir()
    try:
        make_private_dir(folder)
        replace_text(folder / name, json.dumps(value, indent=1) + "\n")  # 0600, the old file or the new one
    except OSError as err:
        return f"cannot remember the choice in {folder / name}: {err.strerror or err}"
    return None
