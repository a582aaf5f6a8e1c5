"""The run store: one TinyDB document per run in runs.json, safe for several writers.

Every read-modify-write runs under a file lock, and every write lands atomically
(temporary file, fsync, rename), so two greentui processes and a worker can write at
once and a crash mid-write leaves the old file or the new one, never a torn one.
A runs.json that does not parse is never written over.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from filelock import FileLock, Timeout
from tinydb import TinyDB, where
from tinydb.storages import Storage

from greentui.record import RunRecord

DEFAULT_STORE = "runs.json"
TABLE = "runs"
LOCK_TIMEOUT_S = 60.0


class StoreError(RuntimeError):
    """The store cannot be read or written; the message names the file."""


def resolve_store_path(cli_value: str | None = None) -> Path:
    """`--store`, else $GREENTUI_STORE, else ./runs.json."""
    return Path(cli_value or os.environ.get("GREENTUI_STORE") or DEFAULT_STORE)


class AtomicJSONStorage(Storage):
    """TinyDB storage that reads the whole file fresh and replaces it atomically on write.

    With `hold_reads`, the file is parsed once and that data reused for the storage's life:
    only for one operation under the store's lock, where nobody else can write. TinyDB reads
    the whole file up to four times per insert, and parsing is the dearest part of a write.
    """

    def __init__(self, path: Path, hold_reads: bool = False) -> None:
        self.path = path
        self.hold_reads = hold_reads
        self._held: dict[str, dict[str, Any]] | None = None

    def read(self) -> dict[str, dict[str, Any]] | None:
        """The whole database, or None for a missing or empty file; raises StoreError if corrupt."""
        if self._held is not None:
            return self._held
        data = self._parse()
        if self.hold_reads:
            self._held = data
        return data

    def _parse(self) -> dict[str, dict[str, Any]] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StoreError(f"cannot read run store {self.path}: {err.strerror}") from None
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except ValueError as err:
            raise StoreError(
                f"run store {self.path} is not valid JSON ({err}); greentui will not touch it: "
                "repair it or move it aside"
            ) from None
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StoreError(f"run store {self.path} does not hold TinyDB tables; greentui will not touch it")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Write to a private temporary file beside the store, fsync it, then rename it over the store."""
        folder = self.path.parent
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        except OSError as err:
            raise StoreError(f"cannot write run store {self.path}: {err.strerror}") from None
        try:
            # json.dumps, not json.dump: dump streams through the pure-Python encoder, many
            # times slower than the C encoder dumps uses for a whole document at once.
            text = json.dumps(data, separators=(",", ":"))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
            if self.hold_reads:
                self._held = data
        except OSError as err:
            Path(tmp).unlink(missing_ok=True)
            raise StoreError(f"cannot write run store {self.path}: {err.strerror}") from None
        _fsync_folder(folder)


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


class RunStore:
    """The runs in one runs.json. Reads need no lock (files are replaced whole); writes take it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S, mode=0o600)
        # The runs as last parsed, with the file's stamp at that time: reads of an unchanged
        # file (history's reload clock, start-up's check, reconcile and re-attach) cost a stat.
        self._parsed: tuple[tuple[int, int, int], list[RunRecord]] | None = None

    @property
    def runs_root(self) -> Path:
        """Folder that holds the run directories of this store."""
        return self.path.parent / "runs"

    def check(self) -> None:
        """Raise StoreError unless the store is readable (a missing file is fine) and its folder writable."""
        self.all()  # parses (and validates) the file; the parse is kept for the next read
        folder = self.path.parent if str(self.path.parent) else Path(".")
        if not folder.is_dir():
            raise StoreError(f"run store folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise StoreError(f"run store folder {folder} is not writable")

    @contextmanager
    def _table(self, write: bool) -> Iterator[Any]:
        # A fresh TinyDB per operation: TinyDB caches query results and the next id,
        # both of which go stale when another process writes the same file.
        if write:
            try:
                self._lock.acquire()
            except Timeout:
                raise StoreError(f"run store {self.path} stayed locked for {LOCK_TIMEOUT_S:.0f} s") from None
            except OSError as err:
                raise StoreError(f"cannot lock run store {self.path}: {err.strerror}") from None
        try:
            db = TinyDB(self.path, storage=AtomicJSONStorage, hold_reads=write)
            yield db.table(TABLE, cache_size=0)
        finally:
            if write:
                self._lock.release()

    def insert(self, record: RunRecord) -> None:
        """Add a new run; its id must not be in the store yet."""
        with self._table(write=True) as table:
            if table.contains(where("id") == record.id):
                raise StoreError(f"run {record.id} is already in {self.path}")
            table.insert(record.to_doc())

    def update(self, run_id: str, **changes: Any) -> RunRecord:
        """Change top-level fields of a run; dict fields are merged key by key."""
        with self._table(write=True) as table:
            docs = table.search(where("id") == run_id)
            if not docs:
                raise StoreError(f"no run {run_id} in {self.path}")
            doc = dict(docs[0])
            for key, value in changes.items():
                if isinstance(value, dict) and isinstance(doc.get(key), dict):
                    doc[key] = {**doc[key], **value}
                else:
                    doc[key] = value
            table.update(doc, doc_ids=[docs[0].doc_id])
            return RunRecord.from_doc(doc)

    def delete(self, run_ids: list[str]) -> int:
        """Remove runs by id; returns how many were removed."""
        with self._table(write=True) as table:
            removed = table.remove(where("id").one_of(list(run_ids)))
            return len(removed)

    def get(self, run_id: str) -> RunRecord | None:
        """The run with this id (a unique prefix also matches), or None; the caller's own copy."""
        runs = self.all()
        found = [r for r in runs if r.id == run_id] or [r for r in runs if r.id.startswith(run_id)]
        return RunRecord.from_doc(found[0].to_doc(), copy=False) if len(found) == 1 else None

    def stamp(self) -> tuple[int, int, int] | None:
        """(inode, size, mtime in ns) of the file, None when missing: equal stamps mean nothing was written.

        Every write replaces the file by rename, so a new inode marks it even within one mtime tick.
        """
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_ino, info.st_size, info.st_mtime_ns

    def all(self) -> list[RunRecord]:
        """Every run, oldest first; the file is parsed again only when its stamp changed.

        The stamp is taken before reading, so a write racing the read costs one extra parse
        later, never a stale answer. Callers get their own list, but the records in it are
        shared with later calls: read them, never change their dicts (`get` gives a copy).
        """
        stamp = self.stamp()
        parsed = self._parsed
        if stamp is not None and parsed is not None and parsed[0] == stamp:
            return list(parsed[1])
        with self._table(write=False) as table:
            docs = table.all()
        # The documents were parsed from the file just now and nothing else holds them,
        # so the records may own them without the deep copy from_doc makes by default.
        runs = sorted((RunRecord.from_doc(d, copy=False) for d in docs), key=lambda r: r.created_at)
        self._parsed = (stamp, runs) if stamp is not None else None
        return list(runs)
