"""The one sweep queue runner of a greentui process: queued sweeps run one after another, on one thread.

One thread, so a GPU never has two of this process's sweep runs at once. It knows nothing of
the UI: it reports through the two callbacks it is given (the TUI hands it ones that go
through `call_from_thread`), from its own thread. Cancelling stops the waiting, never a run:
the workers are detached, and the next greentui (or `greentui sweep --resume`) goes on.
"""

from __future__ import annotations

import threading
from typing import Callable

from greentui.store.run_store import RunStore
from greentui.sweep.model import Sweep
from greentui.sweep.queue import run_queue


class SweepRunner:
    """A queue of sweeps and the thread that works through it while it has any."""

    def __init__(self, store: RunStore, say: Callable[[str], None], on_error: Callable[[str], None]) -> None:
        self.store = store
        self.say = say
        self.on_error = on_error
        self._queue: list[Sweep] = []
        self._current: str | None = None  # the id of the sweep being run
        self._lock = threading.Lock()  # guards the queue, _current and _thread
        self._thread: threading.Thread | None = None
        self._cancelled = threading.Event()

    @property
    def busy(self) -> bool:
        """True while a sweep is being run or waits its turn."""
        with self._lock:
            return self._thread is not None

    def queue(self, sweep: Sweep) -> bool:
        """Run `sweep` after those already queued; False (nothing done) if it is queued or running already."""
        with self._lock:
            if self._cancelled.is_set() or sweep.id == self._current or any(s.id == sweep.id for s in self._queue):
                return False
            self._queue.append(sweep)
            if self._thread is None:
                # A daemon: a runner waiting on a run must not keep a closed greentui's process alive.
                self._thread = threading.Thread(target=self._work, name="greentui-sweeps", daemon=True)
                self._thread.start()
        return True

    def cancel(self) -> None:
        """Stop waiting and run nothing more (what is queued stays in its files, for the next greentui)."""
        self._cancelled.set()
        with self._lock:
            self._queue.clear()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end (tests, and a CLI that wants to wait)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _next(self) -> Sweep | None:
        with self._lock:  # taken with the append in queue(): no sweep is left unrun
            if not self._queue or self._cancelled.is_set():
                self._thread = None
                self._current = None
                return None
            sweep = self._queue.pop(0)
            self._current = sweep.id
            return sweep

    def _work(self) -> None:
        try:
            while (sweep := self._next()) is not None:
                try:
                    run_queue(self.store, sweep, say=self.say, should_stop=self._cancelled.is_set)
                except Exception as err:  # noqa: BLE001 - reported, and the next sweep still runs
                    if not self._cancelled.is_set():
                        self.on_error(f"sweep {sweep.id}: {err}")
        finally:  # even if a callback raised: a dead thread must not read as busy
            with self._lock:
                self._thread = None
                self._current = None
