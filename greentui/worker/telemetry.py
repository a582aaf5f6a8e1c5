"""Energy and power measurement in the worker: CodeCarbon's offline tracker and an NVML sampler.

Neither may stop training: when one cannot start, the run carries on and the record's
`measurement` says what was missing.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from pathlib import Path
from typing import Any

from greentui.carbon import carbon_intensity
from greentui.events.log import EventWriter
from greentui.events.schema import EnergyEvent, InfoEvent, PowerEvent
from greentui.worker.nvml import NvmlSampler

CODECARBON_INTERVAL_S = 1.0
POWER_EVENT_INTERVAL_S = 1.0
ENERGY_EVENT_INTERVAL_S = 2.0


class Telemetry:
    """Starts CodeCarbon and the NVML sampler, and emits power and cumulative energy events at ~1 Hz."""

    def __init__(self, run_dir: Path, country: str, events: EventWriter) -> None:
        self.run_dir = run_dir
        self.country = country
        self.events = events
        self.tracker: Any = None
        self.tracker_error: str | None = None
        self.latest: dict[str, float] | None = None  # the last energy figures and their `measured_at`
        self.nvml = NvmlSampler()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="greentui-telemetry", daemon=True)
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start measuring; failures are recorded, never raised."""
        self.nvml.start()
        try:
            from codecarbon import OfflineEmissionsTracker

            logging.getLogger("codecarbon").setLevel(logging.ERROR)
            self.tracker = OfflineEmissionsTracker(
                country_iso_code=self.country or None,
                measure_power_secs=CODECARBON_INTERVAL_S,
                output_dir=str(self.run_dir),
                save_to_file=True,
                allow_multiple_runs=True,  # several runs may share a machine
                log_level="error",
                project_name="greentui",
            )
            self.tracker.start()
        except Exception as err:  # noqa: BLE001 - any tracker failure must leave training alone
            self.tracker = None
            self.tracker_error = f"CodeCarbon could not start: {err}"
            self.events.emit(InfoEvent(message=self.tracker_error))
        self._thread.start()

    def _loop(self) -> None:
        last_energy = 0.0
        while not self._stop.wait(POWER_EVENT_INTERVAL_S):
            try:
                data = self._live_emissions()  # one read of CodeCarbon's totals serves both events
                self._emit_power(data)
                if time.monotonic() - last_energy >= ENERGY_EVENT_INTERVAL_S:
                    last_energy = time.monotonic()
                    self._emit_energy(data)
            except Exception as err:  # noqa: BLE001 - measurement must never stop the run
                self.events.emit(InfoEvent(message=f"telemetry sample failed: {err}"))

    def _emit_power(self, data: Any) -> None:
        # Average and peak power are the readers' (greentui.events.reducer), from these events.
        sample = self.nvml.drain()
        fields: dict[str, Any] = {}
        if sample is not None:
            fields.update(sample.as_event())
        if data is not None:
            self._remember(_energy_event(data))  # each second for the guard; energy events every 2 s
            fields["cpu_w"] = float(data.cpu_power)
            fields["ram_w"] = float(data.ram_power)
        if fields:
            self.events.emit(PowerEvent(**fields))

    def _live_emissions(self) -> Any:
        if self.tracker is None:
            return None
        with self._lock:
            # CodeCarbon has no public call for totals so far without writing its CSV.
            return self.tracker._prepare_emissions_data()

    def _emit_energy(self, data: Any) -> EnergyEvent | None:
        if data is None:
            return None
        event = self.events.emit(_energy_event(data))
        self._remember(event)
        return event

    def _remember(self, event: EnergyEvent) -> None:
        # CodeCarbon's totals are as of its last measurement (each CODECARBON_INTERVAL_S, on the
        # time.perf_counter clock); the projection needs that time. The budget guard reads `latest`
        # on the training thread: one reference swap, no lock.
        measured = getattr(self.tracker, "_last_measured_time", None)
        at = float(measured) if isinstance(measured, (int, float)) else time.perf_counter()
        self.latest = {"energy_kwh": event.energy_kwh, "emissions_kg": event.emissions_kg, "measured_at": at}

    def stop(self) -> dict[str, Any]:
        """Stop measuring; returns the final energy figures, GPU energy and the measurement record."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        figures: dict[str, Any] = {}
        if self.tracker is not None:
            try:
                with self._lock:
                    self.tracker.stop()
                # The last energy event equals CodeCarbon's final figures exactly.
                final = self._emit_energy(self.tracker.final_emissions_data)
                if final is not None:
                    figures = {k: v for k, v in dataclasses.asdict(final).items() if k not in ("t", "v")}
            except Exception as err:  # noqa: BLE001
                self.tracker_error = f"CodeCarbon failed at stop: {err}"
        figures.update(self.nvml.stop())
        return {"metrics": figures, "measurement": self.measurement()}

    def measurement(self) -> dict[str, Any]:
        """How each energy figure was produced, for the run record."""
        intensity, source = carbon_intensity(self.country)
        method: dict[str, Any] = {
            "method": "codecarbon-offline" if self.tracker is not None else "none",
            "interval_s": CODECARBON_INTERVAL_S,
            "country": self.country or None,
            "carbon_intensity_g_per_kwh": intensity,
            "carbon_intensity_source": source,
            "gpu": self.nvml.describe(),
        }
        if self.tracker is not None:
            method.update(_codecarbon_modes(self.tracker))
        if self.tracker_error:
            method["missing"] = self.tracker_error
        return method


def _energy_event(data: Any) -> EnergyEvent:
    """The cumulative energy and emissions in CodeCarbon's EmissionsData, as an energy event."""
    return EnergyEvent(
        energy_kwh=float(data.energy_consumed),
        cpu_energy_kwh=float(data.cpu_energy),
        gpu_energy_kwh=float(data.gpu_energy),
        ram_energy_kwh=float(data.ram_energy),
        emissions_kg=float(data.emissions),
    )


def _codecarbon_modes(tracker: Any) -> dict[str, str]:
    """Which method CodeCarbon used for CPU, RAM and GPU power (RAPL, TDP estimate, NVML…)."""
    modes = {"cpu": "not measured", "ram": "not measured", "codecarbon_gpu": "not measured"}
    for part in getattr(tracker, "_hardware", []):
        kind = type(part).__name__
        if kind == "CPU":
            mode = getattr(part, "_mode", "unknown")
            generic = getattr(part, "_is_generic_tdp", False)
            modes["cpu"] = f"{mode}" + (" (generic TDP: CPU model unknown to CodeCarbon)" if generic else "")
        elif kind == "RAM":
            modes["ram"] = "RAM power model (watts per GB of RAM, CodeCarbon estimate)"
        elif kind == "GPU":
            modes["codecarbon_gpu"] = "NVML (CodeCarbon)"
    modes["tracking_mode"] = str(tracker._conf.get("tracking_mode", ""))
    return modes
