"""RUN_DIR/events.jsonl: the worker's append-only event log, and an incremental reader.

One JSON object a line, each with `type` and `t` (seconds since the epoch). Lines are
flushed as written so that a reader in another process sees them at once.

Event types and their main fields:
- status:    status (running|completed|failed|stopped|crashed|diverged), reason
- info:      message (setup facts: dataset sizes, trainable parameters, total steps)
- step:      step, total_steps, epoch, loss, lr, samples
- eval:      step, epoch, accuracy, f1, eval_loss
- power:     gpu_w (list, one per GPU), cpu_w, ram_w, gpu_util, gpu_mem_mb, gpu_temp_c
- energy:    energy_kwh, cpu_energy_kwh, gpu_energy_kwh, ram_energy_kwh, emissions_kg (cumulative)
- projection: step, total_steps, duration_s (training), energy_kwh, emissions_kg: totals at the end
             of training at the rate so far (greentui.projection), every ~2 s once 3 % is done
- budget:    state (warning|exceeded|unmeasured), message: a budget will be / has been exceeded, or cannot be
- heartbeat: step
- summary:   metrics (final), status
- error:     message, traceback
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

EVENTS_FILE = "events.jsonl"


class EventWriter:
    """Appends events to a run's events file; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._lock = threading.Lock()

    def emit(self, type_: str, **fields: Any) -> dict[str, Any]:
        """Write one event line and flush it; returns the event."""
        event = {"type": type_, "t": round(time.time(), 3), **fields}
        line = json.dumps(event, separators=(",", ":"), default=_jsonable)
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


def _jsonable(value: Any) -> Any:
    """Numbers from numpy/torch become plain floats; anything else becomes its text."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


class EventTail:
    """Reads the events appended since the last call; keeps a partly written last line for later."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def read_new(self) -> list[dict[str, Any]]:
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
                event = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash: skip it, keep the rest
            if isinstance(event, dict):
                events.append(event)
        return events


def read_all(path: Path) -> list[dict[str, Any]]:
    """Every complete event in the file."""
    return EventTail(path).read_new()
