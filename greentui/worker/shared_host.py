"""CPU and RAM energy of a run that shares its box with other runs (the `gpus` executor): the split rule.

CodeCarbon's machine mode measures the whole CPU and all of RAM, whichever run asks. With n runs on
one box at once, each would count the box's CPU and RAM n times over. The rule: each interval's CPU
and RAM energy is divided by the number of runs holding a device lease on this machine during it
(this run included), so the runs' shares add up to what the box used. GPU energy is never split:
each run measures its own GPU. The record says the rule, the mean number of runs, and the unsplit
figures.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any, Callable

from greentui.events.schema import EnergyEvent

RULE = ("each interval's CPU and RAM energy divided by the number of runs holding a device lease on this "
        "machine then (this one included); GPU energy is the run's own GPU's")
COUNT_EVERY_S = 1.0


def runs_holding_leases() -> int:
    """How many runs hold a device lease on this machine now (at least this one)."""
    from greentui.runs.lease import held_keys

    return max(1, len(held_keys()))


class SharedHost:
    """Turns cumulative whole-box energy events into this run's share, interval by interval."""

    def __init__(self, count: Callable[[], int] = runs_holding_leases) -> None:
        self._count = count
        self._lock = threading.Lock()  # the telemetry thread and the training thread's phase clock both ask
        self._raw = (0.0, 0.0)  # the whole box's cumulative CPU and RAM kWh as last split
        self._split = (0.0, 0.0)  # this run's share of them
        self._n, self._counted_at = 1, float("-inf")
        self._weighted = self._seconds = 0.0
        self._last_t: float | None = None

    def split(self, event: EnergyEvent) -> EnergyEvent:
        """The event with this run's share of CPU and RAM energy, the total and CO₂ following."""
        cpu, ram = event.cpu_energy_kwh or 0.0, event.ram_energy_kwh or 0.0
        with self._lock:
            n = self._runs_now()
            share_cpu = self._split[0] + (cpu - self._raw[0]) / n
            share_ram = self._split[1] + (ram - self._raw[1]) / n
            if cpu >= self._raw[0] and ram >= self._raw[1]:  # only measured progress moves the split forward
                self._raw, self._split = (cpu, ram), (share_cpu, share_ram)
        saved = (cpu - share_cpu) + (ram - share_ram)
        energy = max(0.0, event.energy_kwh - saved)
        emissions = event.emissions_kg * energy / event.energy_kwh if event.energy_kwh > 0 else event.emissions_kg
        return dataclasses.replace(event, energy_kwh=energy, emissions_kg=emissions,
                                   cpu_energy_kwh=share_cpu if event.cpu_energy_kwh is not None else None,
                                   ram_energy_kwh=share_ram if event.ram_energy_kwh is not None else None)

    def _runs_now(self) -> int:
        now = time.monotonic()
        if now - self._counted_at >= COUNT_EVERY_S:
            try:
                self._n = self._count()
            except Exception:  # noqa: BLE001 - a count that fails keeps the last one
                pass
            self._counted_at = now
        if self._last_t is not None:
            self._weighted += self._n * (now - self._last_t)
            self._seconds += now - self._last_t
        self._last_t = now
        return self._n

    def describe(self) -> dict[str, Any]:
        """What the record's measurement keeps: the rule, the mean number of runs, the box's unsplit CPU and RAM kWh."""
        with self._lock:
            mean = self._weighted / self._seconds if self._seconds > 0 else float(self._n)
            return {"rule": RULE, "runs_at_once_mean": round(mean, 2),
                    "box_cpu_energy_kwh": self._raw[0], "box_ram_energy_kwh": self._raw[1]}
