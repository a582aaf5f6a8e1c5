"""The offline model and dataset that ship with greentui (the `bundled:` names)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PREFIX = "bundled:"


def assets_dir() -> Path:
    """The installed assets folder (the repository's top-level assets/)."""
    return Path(str(resources.files("greentui.assets")))


def is_bundled(name: str) -> bool:
    """True for names such as `bundled:tiny-distilbert`."""
    return name.startswith(PREFIX)


def bundled_path(name: str) -> Path:
    """Folder of a bundled model or dataset; FileNotFoundError lists what is bundled."""
    folder = assets_dir() / name[len(PREFIX):]
    if not folder.is_dir() or not name[len(PREFIX):]:
        known = sorted(p.name for p in assets_dir().iterdir() if p.is_dir() and not p.name.startswith("_"))
        raise FileNotFoundError(f"{name!r} is not bundled with greentui (bundled: {', '.join(known)})")
    return folder
