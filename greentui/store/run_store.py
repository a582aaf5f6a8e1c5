"""The run store: one TinyDB document per run in runs.json, safe for several writers.

Every read-modify-write runs under a file lock, and every write lands atomically
(temporary file, fsync, rename), so two greentui processes and a worker can write at
once and a crash mid-write leaves the old file or the new one, never a torn one.
A runs.json that does not parse is never written over.

The two writes every run makes (its insert, its updates) splice one line into the file
(see store_file); everything else goes through TinyDB. Beside the file, an index of short
rows (see store_index) lets the history open without parsing every run.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from tinydb import TinyDB, where
from tinydb.storages import Storage

from greentui.store import layout as store_file
from greentui.store.atomic import remove_stale_temp_files
from greentui.store.collector import collector_paused
from greentui.store.index import (
    Stamp,
    append_index,
    gone_line,
    is_current,
    read_index,
    write_index,
)
from greentui.store.layout import StoreError
from greentui.store.record import RecordError, RunRecord
from greentui.store.summary import RunSummary

if TYPE_CHECKING:
    from filelock import FileLock

__all__ = ["DEFAULT_STORE", "RunStore", "RunSummary", "StoreError", "resolve_store_path"]

DEFAULT_STORE = "runs.json"
TABLE = store_file.RUNS_TABLE
LOCK_TIMEOUT_S = 60.0


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
        data = store_file.read_tables(self.path)
        if data is not None:
            store_file.check_tinydb_can_keep(self.path, data)
        if self.hold_reads:
            self._held = data
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """The whole database, one run per line, replaced atomically."""
        try:
            store_file.write_atomically(self.path, [store_file.encode(data)])
        except BaseException:
            # TinyDB changes the very dict `read` handed it before asking to write it: a write that
            # failed must not leave that change in memory for the next read to find.
            self._held = None
            raise
        if self.hold_reads:
            self._held = data


class RunStore:
    """The runs in one runs.json. Reads need no lock (files are replaced whole); writes take it."""

    def __init__(self, path: Path) -> None:
        # A symlinked runs.json is a shared store: write through to its target on purpose (the lock,
        # temporary files and run folders beside the target), never replace the link with a file.
        self.path = Path(os.path.realpath(path)) if Path(path).is_symlink() else Path(path)
        self.unreadable: list[str] = []  # documents of the last parse that are not runs (see `all`)
        self._lock: FileLock | None = None  # made at the first write: filelock's import is a third of `ls`'s start
        # The runs (and their summaries) as last read, with the file's stamp at that time:
        # reads of an unchanged file (history's reload clock, start-up's check, reconcile and
        # re-attach) cost a stat.
        self._parsed: tuple[Stamp, list[RunRecord]] | None = None
        self._summaries: tuple[Stamp, list[RunSummary]] | None = None
        self._raw: tuple[Stamp, bytes] | None = None

    @property
    def runs_root(self) -> Path:
        """Folder that holds the run directories of this store."""
        return self.path.parent / "runs"  # the same as greentui.store.run_dirs.runs_root

    def check(self) -> None:
        """Raise StoreError unless the store is readable (a missing file is fine) and its folder writable."""
        self.summaries()  # an index valid for this very file means it parsed; else it is parsed now
        folder = self.path.parent if str(self.path.parent) else Path(".")
        if not folder.is_dir():
            raise StoreError(f"run store folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise StoreError(f"run store folder {folder} is not writable")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        from filelock import FileLock, Timeout  # here: a listing that writes nothing never pays for the import

        if self._lock is None:
            self._lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S, mode=0o600)
        try:
            self._lock.acquire()
        except Timeout:
            raise StoreError(f"run store {self.path} stayed locked for {LOCK_TIMEOUT_S:.0f} s") from None
        except OSError as err:
            raise StoreError(f"cannot lock run store {self.path}: {err.strerror}") from None
        try:
            store_file.check_regular(self.path)
            remove_stale_temp_files(self.path)  # left by writers killed mid-write; only we write them
            yield
        finally:
            self._lock.release()

    def locked(self) -> AbstractContextManager[None]:
        """The store's write lock, for a whole-file rewrite done elsewhere (greentui.store.curve_migration)."""
        return self._locked()

    def _table(self, hold_reads: bool = False) -> Any:
        # A fresh TinyDB per operation: TinyDB caches query results and the next id,
        # both of which go stale when another process writes the same file.
        db = TinyDB(self.path, storage=AtomicJSONStorage, hold_reads=hold_reads)
        return db.table(TABLE, cache_size=0)

    def insert(self, record: RunRecord) -> None:
        """Add a new run; its id must not be in the store yet."""
        doc = record.to_doc()
        with self._locked():
            before = self.stamp()
            raw = store_file.read_bytes(self.path) if self._fast_path_safe(before) else None
            fast = store_file.appended(raw, doc) if raw and not store_file.mentions_id(raw, record.id) else None
            if fast:
                store_file.write_atomically(self.path, fast[1])
            else:
                table = self._table(hold_reads=True)
                if table.contains(where("id") == record.id):
                    raise StoreError(f"run {record.id} is already in {self.path}")
                table.insert(doc)
            self._log_index(before, [RunSummary.of(record).line()])

    def update(self, run_id: str, **changes: Any) -> RunRecord:
        """Change top-level fields of a run; dict fields are merged key by key."""

        def change(doc: dict[str, Any]) -> dict[str, Any]:
            for key, value in changes.items():
                if isinstance(value, dict) and isinstance(doc.get(key), dict):
                    doc[key] = {**doc[key], **value}
                else:
                    doc[key] = value
            return doc

        with self._locked():
            before = self.stamp()
            raw = store_file.read_bytes(self.path) if self._fast_path_safe(before) else None
            fast = store_file.replaced(raw, run_id, change) if raw else None
            if fast:
                doc = fast[0]
                store_file.write_atomically(self.path, fast[1])
            else:
                table = self._table(hold_reads=True)
                docs = table.search(where("id") == run_id)
                if not docs:
                    raise StoreError(f"no run {run_id} in {self.path}")
                for found in docs:  # duplicate ids (hand edits, merged stores) change together
                    doc = change(dict(found))
                    table.update(doc, doc_ids=[found.doc_id])
            record = RunRecord.from_doc(doc)
            self._log_index(before, [RunSummary.of(record).line()])
            return record

    def delete(self, run_ids: list[str]) -> int:
        """Remove runs by id, and their saved models (their run folders' logs stay); returns how many were removed."""
        from greentui.store.run_dirs import remove_saved_model

        with self._locked():
            before = self.stamp()
            table = self._table(hold_reads=True)
            matching = where("id").one_of(list(run_ids))
            folders = [(doc.get("id"), doc.get("run_dir")) for doc in table.search(matching)]
            removed = table.remove(matching)
            self._log_index(before, [gone_line(run_id) for run_id in run_ids])
        for run_id, run_dir in folders:  # after the record is gone: no run names a model that is half deleted
            remove_saved_model(self.path, str(run_id), run_dir)
        return len(removed)

    def _fast_path_safe(self, stamp: Stamp | None) -> bool:
        # Splicing a line into the file never parses the rest of it, so it is done only to a file
        # known to parse: one the index describes (built from a parse, or kept by writes like this).
        # Any other file takes TinyDB's path, which parses it and refuses it if it is broken.
        return is_current(self.path, stamp)

    def _log_index(self, before: Stamp | None, lines: list[list[Any]]) -> None:
        """After a write: if the index described the file before it, record the change and the new stamp."""
        if is_current(self.path, before):
            append_index(self.path, self.stamp(), lines)

    def get(self, run_id: str) -> RunRecord | None:
        """The run with this id (a unique prefix also matches), or None; the caller's own copy.

        An exact id in a file the index vouches for is read from its own line: the history's
        detail pane asks for one run at a time, and parsing thousands for it takes a second.
        """
        if not self.parsed_current():
            doc = self._find_line(run_id)
            if doc is not None:
                return RunRecord.from_doc(doc, copy=False)
        runs = self.all()
        exact = [r for r in runs if r.id == run_id]
        found = exact[-1:] or [r for r in runs if r.id.startswith(run_id)]  # duplicates: the newest line
        return RunRecord.from_doc(found[0].to_doc(), copy=False) if len(found) == 1 else None

    def curves(self, record: RunRecord) -> dict[str, Any]:
        """A run's downsampled curves: inline in older records, else from its run folder (see greentui.store.curves)."""
        from greentui.store.curves import load_curves
        from greentui.store.run_dirs import RunDirRefused, confined_run_dir

        try:
            folder: Path | None = confined_run_dir(self.path, record.id, record.run_dir)
        except RunDirRefused:
            folder = None  # inline curves (older records) are still shown; a folder outside runs/ is not read
        return load_curves(folder, record.curves)

    def _find_line(self, run_id: str) -> dict[str, Any] | None:
        stamp = self.stamp()
        if not is_current(self.path, stamp):
            return None
        raw = self._raw[1] if self._raw and self._raw[0] == stamp else store_file.read_bytes(self.path)
        if raw is None or stamp is None or self.stamp() != stamp:
            return None  # written meanwhile: the slow path reads it afresh
        self._raw = (stamp, raw)  # kept: the cursor moving over the table asks run after run
        return store_file.find(raw, run_id)

    def stamp(self) -> Stamp | None:
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
        with collector_paused():  # a million new containers, and no cycles among them
            data = store_file.read_tables(self.path) or {}
            # The documents were parsed from the file just now and nothing else holds them,
            # so the records may own them without the deep copy from_doc makes by default.
            # Read straight from the parsed table, not through TinyDB, whose copy of each
            # document cost a tenth of reading, and which crashed on a document that is not
            # an object or a document id that is not a number.
            readable, self.unreadable = [], []
            for doc_id, doc in data.get(TABLE, {}).items():
                try:
                    if not isinstance(doc, dict):
                        raise RecordError(f"a {type(doc).__name__}, not an object")
                    if not doc_id.isdecimal():
                        raise RecordError("its document id is not a number")
                    readable.append(RunRecord.from_doc(doc, copy=False))
                except RecordError as err:
                    self.unreadable.append(f"{self.path}: document {doc_id[:40]}: {err}")
        runs = sorted(readable, key=lambda r: r.created_at)
        self._parsed = (stamp, runs) if stamp is not None else None
        return list(runs)

    def parsed_current(self) -> bool:
        """True when `all` and `get` would answer from memory, without parsing the file."""
        parsed = self._parsed
        return parsed is not None and parsed[0] == self.stamp()

    def summaries(self) -> list[RunSummary]:
        """Every run's table row, oldest first: from the index when it matches the file, else built and saved."""
        stamp = self.stamp()
        held = self._summaries
        if stamp is not None and held is not None and held[0] == stamp:
            return list(held[1])
        rows = read_index(self.path, stamp, self.unreadable)
        if rows is None:
            rows = [RunSummary.of(r) for r in self.all()]
            write_index(self.path, stamp, rows, self.unreadable)
        rows.sort(key=lambda r: r.created_at)
        self._summaries = (stamp, rows) if stamp is not None else None
        return list(rows)
