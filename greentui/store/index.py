"""The run index: one short row per run, what the history table shows, kept beside runs.json.

Opening the history on thousands of runs must not parse every config, hardware note and
metric of each. The index (`runs.json.index`) holds the table's columns only, as an append-
only log of JSON lines: `["run", …]` rows (a later row for the same id replaces the earlier),
`["gone", id]` for deleted runs, `["unreadable", note]` for documents that are not runs (so
every listing can warn of them), and after every write the stamp (inode, size, mtime) of the
runs.json it describes. It is valid only while its last line is the stamp of runs.json as it
is now; anything else (a torn last line, another tool's edit) means it is rebuilt from
runs.json. It holds nothing runs.json does not, so deleting it loses nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

from greentui.store.atomic import replace_file
from greentui.store.summary import RunSummary

HEADER = ["greentui-run-index", 3]  # 2: a run's flags (contended, simulated) after its pid; 3: its tags after them
Stamp = tuple[int, int, int]


def index_path(store_path: Path) -> Path:
    """Where the index of a store lives."""
    return store_path.with_name(store_path.name + ".index")


def _encode(lines: Iterable[list[Any]]) -> bytes:
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()


def _stamp_line(stamp: Stamp) -> list[Any]:
    return ["stamp", *stamp]


def is_current(store_path: Path, stamp: Stamp | None) -> bool:
    """True when the index describes the store file with this stamp (reads only the index's tail)."""
    if stamp is None:
        return False
    try:
        with open(index_path(store_path), "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - 200))
            tail = handle.read()
    except OSError:
        return False
    return tail.endswith(b"\n") and tail.rstrip(b"\n").rsplit(b"\n", 1)[-1] == _encode([_stamp_line(stamp)])[:-1]


def read_index(store_path: Path, stamp: Stamp | None, unreadable: list[str] | None = None) -> list[RunSummary] | None:
    """Every run's summary in first-seen order if the index is current for `stamp`, else None.

    `unreadable` is given the notes on runs.json's documents that are not runs, as the rebuild found them."""
    if not is_current(store_path, stamp):
        return None
    notes: list[str] = []
    try:
        raw = index_path(store_path).read_bytes()
        lines = json.loads(b"[" + raw.rstrip(b"\n").replace(b"\n", b",") + b"]")
        if lines[0] != HEADER:
            return None
        runs: dict[str, RunSummary] = {}
        for line in lines[1:]:
            if line[0] == "run":
                runs[line[1]] = RunSummary.from_line(line)
            elif line[0] == "gone":
                runs.pop(line[1], None)
            elif line[0] == "unreadable" and isinstance(line[1], str):
                notes.append(line[1])
    except (OSError, ValueError, TypeError, IndexError):
        return None  # half-written or from another version: rebuilt from runs.json
    if len(lines) > 2 * len(runs) + 100:
        write_index(store_path, stamp, list(runs.values()), notes)  # superseded rows pile up: compact
    if unreadable is not None:
        unreadable[:] = notes
    return list(runs.values())


def write_index(store_path: Path, stamp: Stamp | None, summaries: Sequence[RunSummary],
                unreadable: Sequence[str] = ()) -> None:
    """A fresh index, by rename (no fsync: after a crash a stale or torn index is only rebuilt).

    `unreadable`: notes on the documents that are not runs, kept so every listing can warn of them."""
    if stamp is None:
        return
    lines: list[list[Any]] = [HEADER, *(["unreadable", note] for note in unreadable), *(s.line() for s in summaries),
                              _stamp_line(stamp)]
    try:
        replace_file(index_path(store_path), [_encode(lines)], durable=False)
    except OSError:
        pass  # only a shortcut: a store whose folder cannot hold it still works, slower


def append_index(store_path: Path, stamp: Stamp | None, lines: Iterable[list[Any]]) -> None:
    """After a write (under the store's lock) that turned a store the index described into `stamp`."""
    if stamp is None:
        return
    try:
        with open(index_path(store_path), "ab") as handle:
            handle.write(_encode([*lines, _stamp_line(stamp)]))
    except OSError:
        pass  # the index goes stale and is rebuilt on the next read


def gone_line(run_id: str) -> list[Any]:
    """The index line that removes a run."""
    return ["gone", run_id]
