"""The idle baseline: the devices' power before anything is loaded, so a paper can report energy above idle.

Measured by the same method as the run (CodeCarbon's totals, NVML inside them where there is a GPU),
over `idle_baseline_s` seconds before loading; that energy is then left out of the run's figures
(Telemetry.rebase), and `energy_above_idle_kwh` takes the baseline's power times the measured time off
the run's energy. Both figures are stored, each labelled.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from greentui.events.schema import IDLE
from greentui.worker.phases import PhaseClock

DETAIL = "measuring idle power"


@dataclass(frozen=True)
class IdleBaseline:
    """What the devices drew, doing nothing, over `seconds`."""

    seconds: float
    energy_kwh: float

    @property
    def power_w(self) -> float:
        """Mean idle power."""
        return self.energy_kwh * 3.6e6 / self.seconds if self.seconds > 0 else 0.0

    def metrics(self, metrics: dict[str, Any]) -> dict[str, float]:
        """`idle_power_w` and, where the run's energy and measured time are known, `energy_above_idle_kwh`."""
        out = {"idle_power_w": round(self.power_w, 3)}
        energy, seconds = metrics.get("energy_kwh"), metrics.get("measured_s")
        if isinstance(energy, (int, float)) and isinstance(seconds, (int, float)):
            out["energy_above_idle_kwh"] = energy - self.power_w * seconds / 3.6e6
        return out

    def describe(self) -> dict[str, Any]:
        """The record's `measurement.idle_baseline`."""
        return {"seconds": round(self.seconds, 2), "power_w": round(self.power_w, 3),
                "energy_kwh": self.energy_kwh,
                "method": "mean power before loading, measured like the run (CodeCarbon); left out of the run's "
                          "energy, and energy_above_idle_kwh = energy_kwh - power_w x measured_s"}


def measure_idle(seconds: float, telemetry: Any, clock: PhaseClock, stop: threading.Event) -> IdleBaseline | None:
    """Wait `seconds` with the devices idle, then leave that energy out of the run's; None when not asked or not measurable."""
    if seconds <= 0:
        return None
    clock.enter(IDLE, DETAIL)
    started = time.monotonic()
    whole = math.ceil(seconds)
    for done in range(1, whole + 1):
        if stop.wait(min(1.0, max(0.0, seconds - (time.monotonic() - started)))):
            break
        clock.progress(min(done, whole), whole, "s", DETAIL, force=True)
    measured = telemetry.rebase()
    elapsed = time.monotonic() - started
    if measured is None or elapsed <= 0:
        return None
    return IdleBaseline(seconds=elapsed, energy_kwh=measured.energy_kwh)
