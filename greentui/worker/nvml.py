"""A pynvml sampler thread: each GPU's power, energy counter, utilisation, memory and temperature.

Samples at a few Hz and hands aggregated, immutable snapshots to whoever drains it,
about once a second. Where there is no NVIDIA GPU or no NVML, it says so once and
yields nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

SAMPLE_INTERVAL_S = 0.25


@dataclass(frozen=True)
class GpuSample:
    """Means over one drain interval, one entry per GPU."""

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


class NvmlSampler:
    """Reads NVML in its own thread; `drain()` returns the mean since the last drain."""

    def __init__(self) -> None:
        self.available = False
        self.reason = "not started"
        self.gpu_names: list[str] = []
        self._handles: list[Any] = []
        self._pending: list[tuple[list[float], list[float], list[float], list[float]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._energy_start_mj: list[int | None] = []
        self._integrated_j = 0.0
        self._last_t: float | None = None

    def start(self) -> None:
        """Initialise NVML and start sampling; on any failure, record why and stay idle."""
        try:
            import pynvml

            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            if count == 0:
                self.reason = "NVML found no GPU"
                return
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            self.gpu_names = [_text(pynvml.nvmlDeviceGetName(h)) for h in self._handles]
            self._energy_start_mj = [_energy_mj(h) for h in self._handles]
        except Exception as err:  # noqa: BLE001 - no GPU, no driver, no library: all mean "not measured"
            self.reason = f"no NVIDIA GPU or NVML ({type(err).__name__}: {err})"
            return
        self.available = True
        self.reason = ""
        self._thread = threading.Thread(target=self._loop, name="greentui-nvml", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        import pynvml

        while not self._stop.wait(SAMPLE_INTERVAL_S):
            try:
                power = [pynvml.nvmlDeviceGetPowerUsage(h) / 1000.0 for h in self._handles]
                util = [float(pynvml.nvmlDeviceGetUtilizationRates(h).gpu) for h in self._handles]
                mem = [pynvml.nvmlDeviceGetMemoryInfo(h).used / 2**20 for h in self._handles]
                temp = [float(pynvml.nvmlDeviceGetTemperature(h, pynvml.NVML_TEMPERATURE_GPU)) for h in self._handles]
            except Exception:  # noqa: BLE001 - a missed sample is not worth stopping for
                continue
            now = time.monotonic()
            with self._lock:
                if self._last_t is not None:
                    self._integrated_j += sum(power) * (now - self._last_t)
                self._last_t = now
                self._pending.append((power, util, mem, temp))

    def drain(self) -> GpuSample | None:
        """Mean of the samples since the last drain, or None when there are none."""
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return None

        def mean(index: int) -> tuple[float, ...]:
            columns = zip(*(sample[index] for sample in pending), strict=True)
            return tuple(sum(col) / len(pending) for col in columns)

        return GpuSample(power_w=mean(0), util_pct=mean(1), mem_mb=mean(2), temp_c=mean(3))

    def stop(self) -> dict[str, float]:
        """Stop sampling; returns GPU energy by the NVML counter and by integrating power.

        Peak GPU power is not taken from these 4 Hz samples: it has one definition, over the power
        events (greentui.events.reducer), so a crashed run's record and the live view agree."""
        if not self.available:
            return {}
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        metrics = {
            "gpu_power_integrated_kwh": self._integrated_j / 3.6e6,
        }
        ends = [_energy_mj(h) for h in self._handles]
        pairs = list(zip(self._energy_start_mj, ends, strict=True))
        if pairs and all(s is not None and e is not None for s, e in pairs):
            used_mj = sum(e - s for s, e in pairs if s is not None and e is not None)
            metrics["gpu_nvml_energy_kwh"] = used_mj / 1000.0 / 3.6e6
        try:
            import pynvml

            pynvml.nvmlShutdown()
        except Exception:  # noqa: BLE001
            pass
        return metrics

    def describe(self) -> str:
        """How GPU energy is measured here, in words for the run record."""
        if not self.available:
            return f"not measured: {self.reason}"
        counter = all(s is not None for s in self._energy_start_mj)
        how = "NVML energy counter" if counter else "NVML power samples integrated"
        return f"{how} on {len(self._handles)} GPU(s): {', '.join(self.gpu_names)}"


def _energy_mj(handle: Any) -> int | None:
    """Total energy since driver load in millijoules, where the GPU supports it (Volta and newer)."""
    try:
        import pynvml

        return int(pynvml.nvmlDeviceGetTotalEnergyConsumption(handle))
    except Exception:  # noqa: BLE001
        return None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
