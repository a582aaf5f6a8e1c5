"""The one way greentui replaces a file: a private temporary file beside it, renamed over it.

Every file greentui writes (runs.json, its index, curves, sweep queues, exports, reports, saved
configs) goes through here, so each is created 0600 whatever the umask, is either the old file
or the new one after a crash, and is never written through a symlink: the rename replaces the
link itself, and a caller that means to write through one resolves it on purpose first.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Iterable

# Temporary files are named `.NAME.<random>.tmp`; a writer killed between creating and renaming
# one leaves it behind, and `remove_stale_temp_files` clears those older than this.
STALE_TEMP_S = 600.0


def replace_file(path: Path, pieces: Iterable[bytes | memoryview], durable: bool = True) -> None:
    """Write `pieces` to a new private file and rename it over `path`; raises OSError, leaving `path` as it was.

    `durable` fsyncs the file and the folder: for the store and anything a user asked for; an
    index that is only a shortcut (rebuilt whenever it does not match) skips the cost.
    """
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)  # 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        _fsync_folder(folder)


def replace_text(path: Path, text: str, durable: bool = True) -> None:
    """`replace_file` for text, encoded as UTF-8 (lone surrogates escaped, never a half-written file)."""
    replace_file(path, [text.encode("utf-8", "backslashreplace")], durable=durable)


def make_private_dir(path: Path) -> None:
    """Create a folder and any missing parents as 0700 (the umask can only narrow that); existing ones are left."""
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)  # Path.mkdir(parents=True) makes the parents 0777 less the umask
        except FileExistsError:
            pass


def remove_stale_temp_files(path: Path, older_than_s: float = STALE_TEMP_S) -> int:
    """Delete temporary files that killed writers of `path` left beside it; returns how many.

    Only files named the way `replace_file` names them for this very file, owned by this user
    and untouched for `older_than_s`: a live writer's file is seconds old.
    """
    folder = path.parent if str(path.parent) else Path(".")
    removed = 0
    try:
        candidates = list(folder.glob(f".{path.name}.*.tmp"))
    except OSError:
        return 0
    now = time.time()
    for candidate in candidates:
        try:
            info = candidate.lstat()
            if info.st_uid == os.getuid() and now - info.st_mtime > older_than_s and candidate.is_file():
                candidate.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
