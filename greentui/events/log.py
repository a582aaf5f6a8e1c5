"""RUN_DIR/events.jsonl: the worker's append-only event log, and an incremental reader.

One JSON object a line; what a line may hold (every event kind, its fields and their types, the
schema version) is defined once, in greentui.events.schema, and written and read only through
its `encode` and `parse`. Lines are flushed as written so that a reader in another process sees
them at once. Readers get typed events and a count of the lines they had to skip.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TypeVar

from greentui.events.schema import Event, encode, parse

EVENTS_FILE = "events.jsonl"
E = TypeVar("E", bound=Event)


class EventWriter:
    """Appends events to a run's events file; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._lock = threading.Lock()

    def emit(self, event: E) -> E:
        """Write one event line and flush it; returns the event."""
        line = encode(event)
        with self._lock:
            if not self._file.closed:
                self._file.write(line + "\n")
                self._file.flush()
        return event

    def close(self) -> None:
        """Flush to disk and close."""
        with self._lock:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()


class EventList(list[Event]):
    """Events read from a file, and how many of its lines were skipped as not valid events."""

    def __init__(self, events: list[Event], skipped: int) -> None:
        super().__init__(events)
        self.skipped = skipped


class EventTail:
    """Reads the events appended since the last call; keeps a partly written last line for later.

    `skipped` counts the complete lines that were not valid events (torn by a crash, not JSON,
    an unknown kind, a field of the wrong type); they are passed over, never raised.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.skipped = 0
        self._offset = 0
        self._partial = b""

    def read_new(self) -> list[Event]:
        """Events written since the previous call (all of them on the first call)."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()  # empty when the chunk ended on a newline
        events = []
        for line in lines:
            if not line.strip():
                continue
            try:
                event = parse(json.loads(line))
            except (ValueError, RecursionError):
                event = None  # a line torn by a crash: skip it, keep the rest
            if event is None:
                self.skipped += 1
            else:
                events.append(event)
        return events


def read_all(path: Path) -> EventList:
    """Every complete, valid event in the file, with the count of lines skipped."""
    tail = EventTail(path)
    events = tail.read_new()
    return EventList(events, tail.skipped)
