"""Older stores migrate once: curves kept inline in runs.json move to their run folders' curves.json.

Older greentui versions stored each run's downsampled curves inside its record, four fifths of
the file: a 10,000-run store took 84 MB instead of 24 and every listing paid for it. When
greentui starts on a store it may write, such records are moved, under the store's lock:

1. each run's curves are written to RUN_DIR/curves.json (then all of them flushed to disk),
2. runs.json is rewritten with those records' `curves` emptied, in one atomic replace.

A crash between the two leaves files beside records that still hold their curves: inline
curves win when read (greentui.store.curves.load_curves), so every curve is still shown and
the next start finishes the move. A record's curves stay inline, and are still shown, when
moving them could lose or change something: its folder is refused (outside the store's runs/,
see run_dirs), another record names the same folder, or a curves.json with other content is
already there (never overwritten). A store that cannot be written is left exactly as it is.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from greentui.store import layout as store_file
from greentui.store.atomic import make_private_dir
from greentui.store.curves import CURVES_FILE, save_curves
from greentui.store.index import append_index, is_current
from greentui.store.layout import StoreError
from greentui.store.run_dirs import RunDirRefused, confined_run_dir, runs_root
from greentui.store.run_store import RunStore

# A record with curves inline: `"curves":{"`. Records without them hold `"curves":{}`. Inside a JSON
# string every quote is escaped, so stored text cannot fake it; a config key named `curves` at most
# costs a parse that finds nothing to move.
_INLINE_CURVES = re.compile(rb'"curves"\s*:\s*\{\s*"')


@dataclass(frozen=True)
class CurvesMoved:
    """What one migration did: how many runs' curves moved, how many stayed inline, runs.json's size before and after."""

    moved: int
    kept: int
    size_before: int
    size_after: int

    def note(self) -> str:
        """The one line greentui says about it (CLI: stderr; TUI: a notification)."""
        kept = (f"; {self.kept:,} kept inline (no folder of their own under runs/, or a different curves.json "
                "already there)" if self.kept else "")
        return (f"moved the curves of {self.moved:,} run(s) from runs.json into their run folders: runs.json "
                f"{_megabytes(self.size_before)} → {_megabytes(self.size_after)}{kept}")


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def move_inline_curves(store: RunStore) -> CurvesMoved | None:
    """Move inline curves out of a writable store once; None when there was nothing to move or it cannot be written.

    Costs one read of runs.json when there is nothing to move (every start after the first).
    Never raises for the store's own state: a store that cannot be read, locked or written is
    left as it is, for the command itself to use or report.
    """
    path = store.path
    try:
        raw = store_file.read_bytes(path)
    except StoreError:
        return None
    if not raw or not _INLINE_CURVES.search(raw) or not _writable(path):
        return None
    try:
        with store.locked():
            return _move_locked(store)
    except (StoreError, OSError):
        return None  # locked for a minute, the lock cannot be made, or the disk said no: next time, as it is


def _writable(path: Path) -> bool:
    folder = path.parent if str(path.parent) else Path(".")
    return os.access(path, os.W_OK) and os.access(folder, os.W_OK)


def _move_locked(store: RunStore) -> CurvesMoved | None:
    path = store.path
    before = store.stamp()
    raw = store_file.read_bytes(path)  # afresh: another writer may have changed it before we had the lock
    data = store_file.parse(path, raw) if raw else None
    runs = data.get(store_file.RUNS_TABLE) if data else None
    if raw is None or not isinstance(runs, dict):
        return None
    moved, kept = _write_curves_files(path, runs)
    if not moved:
        return None  # nothing could move: runs.json is left byte for byte as it was
    os.sync()  # every curves.json on disk before the runs.json that no longer holds them
    assert data is not None
    store_file.write_atomically(path, [store_file.encode(data)])
    if is_current(path, before):
        # Only `curves` changed, which no index row holds: the index describes the new file as it did the old.
        append_index(path, store.stamp(), [])
    return CurvesMoved(len(moved), kept, len(raw), path.stat().st_size)


def _write_curves_files(store_path: Path, runs: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Write the curves.json of every record with inline curves that may move, and empty their `curves`.

    Returns the documents changed and how many records keep their curves inline.
    """
    folders = {doc_id: _folder_of(store_path, doc) for doc_id, doc in runs.items()}
    named = Counter(folder for folder in folders.values() if folder is not None)
    moved: list[dict[str, Any]] = []
    kept = 0
    for doc_id, doc in runs.items():
        if not (isinstance(doc, dict) and isinstance(doc.get("curves"), dict) and doc["curves"]):
            continue
        folder = folders[doc_id]
        if folder is None or named[folder] > 1 or not _placed(store_path, folder, doc["curves"]):
            kept += 1
            continue
        doc["curves"] = {}
        moved.append(doc)
    return moved, kept


def _folder_of(store_path: Path, doc: Any) -> Path | None:
    """The run folder a document names, when it is the run's own under the store's runs/; else None."""
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not doc["id"]:
        return None
    try:
        return confined_run_dir(store_path, doc["id"], doc.get("run_dir"))
    except (RunDirRefused, OSError, ValueError):
        return None  # outside runs/, or a path the system cannot even resolve


def _placed(store_path: Path, folder: Path, curves: dict[str, Any]) -> bool:
    """True once `folder`/curves.json holds exactly these curves: written now, or there already (an interrupted
    migration). False, writing nothing, where a different or unreadable curves.json is there, or on any error."""
    target = folder / CURVES_FILE
    try:
        if target.is_symlink() or target.exists():
            return target.is_file() and not target.is_symlink() and _same(target, curves)
        if not folder.exists():
            # A run whose folder is gone (a runs.json copied without its runs/) gets one, made as a launch makes it.
            make_private_dir(runs_root(store_path))
            os.mkdir(folder, 0o700)
            if folder.resolve() != folder:  # swapped for a link meanwhile: leave it
                return False
        elif not folder.is_dir() or folder.is_symlink():
            return False
        save_curves(folder, curves, durable=False)  # flushed all at once before runs.json is replaced
        return True
    except (OSError, ValueError, TypeError):
        return False


def _same(target: Path, curves: dict[str, Any]) -> bool:
    try:
        return bool(json.loads(target.read_text(encoding="utf-8")) == curves)
    except (OSError, ValueError):
        return False
