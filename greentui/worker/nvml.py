"""A pynvml sampler thread: power, energy counter, utilisation, memory and temperature of the run's GPUs.

Only the GPUs CUDA_VISIBLE_DEVICES leaves the run are measured (greentui.runs.gpu_select). It
samples at a few Hz and hands aggregated, immutable snapshots to whoever drains it, about once a
second, one entry per measured GPU. A GPU lost mid-run is no longer read: the others go on, the
gap is recorded and the energy figures say they are partial. Where there is no NVIDIA GPU or no
NVML, it says so once and yields nothing. An NVML that says it is simulated (the tests' stand-in)
marks everything measured through it as simulated.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable, TypeVar

from greentui.runs.gpu_select import select_gpus
from greentui.worker.nvml_gpu import GpuSample, MeasuredGpu, Reading, mean_reading

SAMPLE_INTERVAL_S = 0.25
GPU_IS_LOST = 15  # NVML_ERROR_GPU_IS_LOST: the GPU fell off the bus or needs a reset; it will not answer again

T = TypeVar("T")


class NvmlSampler:
    """Reads NVML in its own thread; `drain()` returns the mean since the last drain."""

    def __init__(self) -> None:
        self.available = False
        self.reason = "not started"
        self.simulated = False
        self.driver_version = ""
        self.selection_note = ""
        self.selected: list[int] | None = None  # NVML indices of the run's GPUs; None: NVML never answered
        self._gpus: list[MeasuredGpu] = []
        self._gaps: list[dict[str, Any]] = []
        self._gaps_told = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0

    def start(self) -> None:
        """Initialise NVML, pick the run's GPUs and start sampling; on any failure, record why and stay idle."""
        try:
            import pynvml

            self.simulated = getattr(pynvml, "SIMULATED", False) is True
            pynvml.nvmlInit()
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
            uuids = [_text(pynvml.nvmlDeviceGetUUID(h)) for h in handles]
            names = [_text(pynvml.nvmlDeviceGetName(h)) for h in handles]
            visible = os.environ.get("CUDA_VISIBLE_DEVICES")
            selection = select_gpus(visible, uuids, names, os.environ.get("CUDA_DEVICE_ORDER"))
            self.selected, self.selection_note = list(selection.indices), selection.note
            self.driver_version = _text(_optional(pynvml.nvmlSystemGetDriverVersion) or "")
            if not handles:
                self.reason = "NVML found no GPU"
                return
            if not self.selected:
                self.reason = f"CUDA_VISIBLE_DEVICES={visible!r} leaves the run no GPU"
                return
            self._gpus = [MeasuredGpu(i, handles[i], uuids[i], names[i], _optional(_power_limit_w, handles[i]),
                               _optional(_counter_mj, handles[i])) for i in self.selected]
        except Exception as err:  # noqa: BLE001 - no GPU, no driver, no library: all mean "not measured"
            self.reason = f"no NVIDIA GPU or NVML ({type(err).__name__}: {err})"
            return
        self.available = True
        self.reason = ""
        self._started = time.monotonic()
        self._read_all()  # the first reading, where the counter starts: both figures span the same time
        self._thread = threading.Thread(target=self._loop, name="greentui-nvml", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_S):
            self._read_all()

    def _read_all(self) -> None:
        import pynvml

        for gpu in self._gpus:
            if gpu.lost:
                continue
            try:
                reading = (pynvml.nvmlDeviceGetPowerUsage(gpu.handle) / 1000.0,
                           float(pynvml.nvmlDeviceGetUtilizationRates(gpu.handle).gpu),
                           pynvml.nvmlDeviceGetMemoryInfo(gpu.handle).used / 2**20,
                           float(pynvml.nvmlDeviceGetTemperature(gpu.handle, pynvml.NVML_TEMPERATURE_GPU)))
            except Exception as err:  # noqa: BLE001 - a missed reading is bridged by the next one
                if getattr(err, "value", None) == GPU_IS_LOST:
                    self._lose(gpu, err)
                continue
            counter = _optional(_counter_mj, gpu.handle) if gpu.counter_start_mj is not None else None
            with self._lock:
                now = time.monotonic()  # under the lock: stop's last reading may race a slow loop's
                if gpu.first_t is None:
                    gpu.first_t = now
                else:  # trapezoids between readings
                    gpu.integrated_j += (gpu.last_w + reading[0]) / 2 * (now - gpu.last_t)
                gpu.last_t, gpu.last_w, gpu.latest = now, reading[0], reading
                gpu.pending.append(reading)
                if counter is not None:
                    gpu.counter_last_mj = counter

    def _lose(self, gpu: MeasuredGpu, err: Exception) -> None:
        # Its energy is known up to its last good reading; from then on it is a gap in the figures.
        with self._lock:
            last_good = gpu.last_t if gpu.first_t is not None else time.monotonic()
            gpu.lost = True
            self._gaps.append({"index": gpu.index, "uuid": gpu.uuid, "name": gpu.name,
                               "from_s": round(last_good - self._started, 2),
                               "at": time.time() - (time.monotonic() - last_good), "error": str(err)})

    def drain(self) -> GpuSample | None:
        """Mean of the samples since the last drain, or None when there are none."""
        with self._lock:
            if not any(gpu.pending for gpu in self._gpus):
                return None
            means: list[Reading] = []
            for gpu in self._gpus:
                pending, gpu.pending = gpu.pending, []
                if pending:
                    means.append(mean_reading(pending))
                else:  # nothing new this interval: its last reading stands, or 0 once lost
                    means.append((0.0, 0.0, 0.0, 0.0) if gpu.lost else gpu.latest)
        power, util, mem, temp = (tuple(column) for column in zip(*means, strict=True))
        return GpuSample(power_w=power, util_pct=util, mem_mb=mem, temp_c=temp)

    def new_gaps(self) -> list[dict[str, Any]]:
        """GPUs lost since the last call (each told once, for a notice in the events)."""
        with self._lock:
            fresh, self._gaps_told = self._gaps[self._gaps_told:], len(self._gaps)
        return [dict(gap) for gap in fresh]

    def handles(self) -> list[Any]:
        """The NVML handles of the measured GPUs (valid until `stop`)."""
        return [gpu.handle for gpu in self._gpus]

    def rebase(self) -> None:
        """Count energy from now on (the idle baseline before it is left out, as in Telemetry.rebase)."""
        if not self.available:
            return
        self._read_all()
        with self._lock:
            for gpu in self._gpus:
                gpu.integrated_j = 0.0
                gpu.first_t = gpu.last_t if gpu.first_t is not None else None
                if gpu.counter_start_mj is not None and gpu.counter_last_mj is not None:
                    gpu.counter_start_mj = gpu.counter_last_mj

    def stop(self) -> dict[str, float]:
        """Stop sampling; returns GPU energy by the NVML counter and by integrating power.

        Peak GPU power is not taken from these 4 Hz samples: it has one definition, over the power
        events (greentui.events.reducer), so a crashed run's record and the live view agree."""
        if not self.available:
            return {}
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._read_all()  # the last reading, where the counter ends
        metrics = {"gpu_power_integrated_kwh": sum(gpu.integrated_j for gpu in self._gpus) / 3.6e6}
        counted = [gpu.counted_j() for gpu in self._gpus]
        if all(joules is not None for joules in counted):
            metrics["gpu_nvml_energy_kwh"] = sum(j for j in counted if j is not None) / 3.6e6
        _optional(_shutdown)
        return metrics

    def devices(self) -> list[dict[str, Any]]:
        """The measured GPUs for the record: index, UUID, name, power limit, driver, energy and how it was got."""
        return [gpu.record(self.driver_version) for gpu in self._gpus]

    def gaps(self) -> list[dict[str, Any]]:
        """GPUs lost mid-run: which, from when (seconds after measuring began) and the error."""
        with self._lock:
            return [dict(gap) for gap in self._gaps]

    def describe(self) -> str:
        """How GPU energy is measured here, in words for the run record."""
        simulated = "simulated GPU (a stand-in for NVML, not a real measurement): " if self.simulated else ""
        if not self.available:
            return f"{simulated}not measured: {self.reason}" + (f" ({self.selection_note})" if self.selection_note else "")
        counter = all(gpu.counter_start_mj is not None for gpu in self._gpus)
        how = "NVML energy counter" if counter else "NVML power samples integrated"
        names = ", ".join(f"GPU {gpu.index} {gpu.name}" for gpu in self._gpus)
        text = f"{simulated}{how} on {len(self._gpus)} GPU(s): {names}"
        lost = [f"GPU {gap['index']} ({gap['name']}) lost after {gap['from_s']:.1f} s" for gap in self.gaps()]
        if lost:
            text += f"; GPU energy is partial: {', '.join(lost)}"
        return text + (f"; {self.selection_note}" if self.selection_note else "")


def _counter_mj(handle: Any) -> int:
    """Total energy since driver load in millijoules, where the GPU supports it (Volta and newer)."""
    import pynvml

    return int(pynvml.nvmlDeviceGetTotalEnergyConsumption(handle))


def _power_limit_w(handle: Any) -> float:
    import pynvml

    return float(pynvml.nvmlDeviceGetEnforcedPowerLimit(handle)) / 1000.0


def _shutdown() -> None:
    import pynvml

    pynvml.nvmlShutdown()


def _optional(read: Callable[..., T], *args: Any) -> T | None:
    """`read(*args)`, or None when NVML cannot answer it."""
    try:
        return read(*args)
    except Exception:  # noqa: BLE001 - an optional reading
        return None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
