"""What the NVML sampler (greentui.worker.nvml) keeps about each measured GPU and hands to its readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Reading = tuple[float, float, float, float]  # watts, utilisation %, memory MiB, °C


@dataclass(frozen=True)
class GpuSample:
    """Means over one drain interval, one entry per measured GPU (a lost GPU reads 0 from then on)."""

    power_w: tuple[float, ...]
    util_pct: tuple[float, ...]
    mem_mb: tuple[float, ...]
    temp_c: tuple[float, ...]

    def as_event(self) -> dict[str, tuple[float, ...]]:
        """Fields of a `power` event (greentui.events.schema.PowerEvent)."""
        return {
            "gpu_w": tuple(round(w, 2) for w in self.power_w),
            "gpu_util": tuple(round(u, 1) for u in self.util_pct),
            "gpu_mem_mb": tuple(round(m, 1) for m in self.mem_mb),
            "gpu_temp_c": tuple(round(t, 1) for t in self.temp_c),
        }


@dataclass
class MeasuredGpu:
    """One measured GPU and what has been read from it (times on the time.monotonic clock)."""

    index: int  # NVML's
    handle: Any
    uuid: str
    name: str
    power_limit_w: float | None
    counter_start_mj: int | None  # None: no energy counter (before Volta), power is integrated
    counter_last_mj: int | None = None
    first_t: float | None = None  # the first and the last good power reading
    last_t: float = 0.0
    last_w: float = 0.0
    integrated_j: float = 0.0
    lost: bool = False
    latest: Reading = (0.0, 0.0, 0.0, 0.0)
    pending: list[Reading] = field(default_factory=list)

    def counted_j(self) -> float | None:
        """Energy by the counter, None without one (or if it went backwards: a driver reload)."""
        if self.counter_start_mj is None or self.counter_last_mj is None or self.counter_last_mj < self.counter_start_mj:
            return None
        return (self.counter_last_mj - self.counter_start_mj) / 1000.0

    def record(self, driver_version: str) -> dict[str, Any]:
        """What the run record says about this GPU and its energy."""
        counted = self.counted_j()
        return {"index": self.index, "uuid": self.uuid, "name": self.name, "power_limit_w": self.power_limit_w,
                "driver_version": driver_version,
                "energy_kwh": (self.integrated_j if counted is None else counted) / 3.6e6,
                "energy_source": "integrated power" if counted is None else "NVML energy counter",
                "measured_s": self.last_t - self.first_t if self.first_t is not None else 0.0,
                "partial": self.lost}


def mean_reading(readings: list[Reading]) -> Reading:
    """The mean of each quantity over the readings (at least one)."""
    n = len(readings)
    return (sum(r[0] for r in readings) / n, sum(r[1] for r in readings) / n,
            sum(r[2] for r in readings) / n, sum(r[3] for r in readings) / n)
