"""The run's phases (load, train, eval, save): when each began, and its time, energy and CO₂.

Energy is cumulative (CodeCarbon's totals, read at each phase change), so a phase's energy is the
difference of two readings and the phases add up to the run's total by construction: the last
phase ends at CodeCarbon's final totals. A reading between two of CodeCarbon's measurements (one
a second) is the last measurement plus its power times the time since, so a phase boundary is
placed to well under a second.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from greentui.events.log import EventWriter
from greentui.events.schema import MEASURED_PHASES, PhaseEvent

Reading = tuple[float, float]  # cumulative kWh and kg CO₂ so far
PROGRESS_EVERY_S = 0.5  # phase progress events at most this often: a tokeniser calls back per batch


class PhaseClock:
    """Marks phase changes as events and sums each phase's time and energy.

    `reading()` gives the cumulative (kWh, kg) now, or None while nothing is measured yet
    (read as zero: measurement starts with the first phase)."""

    def __init__(self, events: EventWriter, reading: Callable[[], Reading | None]) -> None:
        self.events = events
        self.reading = reading
        self.current: str | None = None
        self._since = 0.0
        self._at_start: Reading = (0.0, 0.0)
        self._totals: dict[str, list[float]] = {}  # phase -> [seconds, kWh, kg]
        self._last_progress = 0.0
        self._lock = threading.Lock()  # the Trainer's thread and the worker's may both change phase

    def enter(self, phase: str, detail: str | None = None) -> None:
        """The run is now in `phase`; the one before it ends here."""
        with self._lock:
            self._close_current(self._read())
            self.current, self._since, self._last_progress = phase, time.monotonic(), 0.0
        self.events.emit(PhaseEvent(phase=phase, detail=detail))

    def progress(self, done: int, total: int | None, unit: str, detail: str | None = None, force: bool = False) -> None:
        """How far the current phase has got (throttled to PROGRESS_EVERY_S unless `force`)."""
        now = time.monotonic()
        if self.current is None or (not force and now - self._last_progress < PROGRESS_EVERY_S):
            return
        self._last_progress = now
        self.events.emit(PhaseEvent(phase=self.current, detail=detail, done=done, total=total, unit=unit))

    @contextmanager
    def within(self, phase: str, detail: str | None = None) -> Iterator[None]:
        """`phase` for the duration of the block (an evaluation inside training), then back."""
        outer = self.current
        self.enter(phase, detail)
        try:
            yield
        finally:
            if outer is not None:
                self.enter(outer)

    def wrap(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """`function`, run within `phase` each time it is called."""
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self.within(phase):
                return function(*args, **kwargs)
        return wrapped

    def close(self, final: Reading | None) -> dict[str, dict[str, float]]:
        """End the last phase at the final totals; each measured phase's duration_s, energy_kwh, emissions_kg."""
        with self._lock:
            self._close_current(final if final is not None else self._read())
            self.current = None
        return {phase: {"duration_s": round(seconds, 3), "energy_kwh": kwh, "emissions_kg": kg}
                for phase, (seconds, kwh, kg) in self._totals.items() if phase in MEASURED_PHASES}

    def _read(self) -> Reading:
        reading = self.reading()
        if reading is None:
            return self._at_start
        # Never below the previous boundary: an interpolated reading may run a little ahead.
        return max(reading[0], self._at_start[0]), max(reading[1], self._at_start[1])

    def _close_current(self, now: Reading) -> None:
        if self.current is not None:
            totals = self._totals.setdefault(self.current, [0.0, 0.0, 0.0])
            totals[0] += time.monotonic() - self._since
            totals[1] += now[0] - self._at_start[0]
            totals[2] += now[1] - self._at_start[1]
        self._at_start = now
