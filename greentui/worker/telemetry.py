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
from typing import TYPE_CHECKING, Any

from greentui.carbon import carbon_intensity
from greentui.events.log import EventWriter
from greentui.events.schema import EnergyEvent, InfoEvent, PowerEvent
from greentui.worker.nvml import NvmlSampler
from greentui.worker.shared_host import SharedHost

if TYPE_CHECKING:  # imported for real inside start's guard: CodeCarbon may fail to import
    from greentui.worker.codecarbon_readings import CodeCarbonTotals

CODECARBON_INTERVAL_S = 1.0
POWER_EVENT_INTERVAL_S = 1.0
ENERGY_EVENT_INTERVAL_S = 2.0
TRACKING_MODE = "machine"  # CodeCarbon's default, passed explicitly so the record can say it


class Telemetry:
    """Starts CodeCarbon and the NVML sampler, and emits power and cumulative energy events at ~1 Hz."""

    def __init__(self, run_dir: Path, country: str, events: EventWriter, pue: float = 1.0,
                 shared_host: bool = False) -> None:
        self.run_dir = run_dir
        self.country = country
        self.pue = pue  # CodeCarbon scales energy by it; NVML's own GPU figures are the GPU's alone
        self.events = events
        self.tracker: Any = None
        self.tracker_error: str | None = None
        self.latest: dict[str, float] | None = None  # the last energy figures and their `measured_at`
        self.totals: CodeCarbonTotals | None = None  # CodeCarbon's totals, handed over by its output hook
        self.nvml = NvmlSampler()
        self._offset: EnergyEvent | None = None  # totals left out of the run's figures (the idle baseline)
        self.contention: Any = None  # greentui.worker.contention.ContentionSampler, once started
        # With other runs on the box at once (the gpus executor): CPU and RAM split by greentui.worker.shared_host.
        self.shared: SharedHost | None = SharedHost() if shared_host else None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="greentui-telemetry", daemon=True)

    def start(self) -> None:
        """Start measuring; failures are recorded, never raised."""
        self.nvml.start()
        self._start_contention()
        try:
            from codecarbon import OfflineEmissionsTracker
            from codecarbon.output_methods.base_output import OutputMethod

            from greentui.worker.codecarbon_readings import CodeCarbonTotals

            logging.getLogger("codecarbon").setLevel(logging.ERROR)
            self.totals = CodeCarbonTotals()
            # CodeCarbon measures the run's GPUs only, the sampler's: given as NVML indices, since
            # CodeCarbon 3.3 matches no "GPU-…" UUID (it strips the leading G with lstrip("MIG-")).
            selected: dict[str, Any] = {} if self.nvml.selected is None else {"gpu_ids": list(self.nvml.selected)}
            self.tracker = OfflineEmissionsTracker(
                **selected,
                country_iso_code=self.country or None,
                pue=self.pue,
                measure_power_secs=CODECARBON_INTERVAL_S,
                # CodeCarbon hands its totals to each output handler's live_out every
                # api_call_interval measurements: 1 = after each measurement (each second).
                api_call_interval=1,
                output_handlers=[self.totals],
                output_dir=str(self.run_dir),
                output_methods=[OutputMethod.CSV],  # the run folder's emissions.csv
                allow_multiple_runs=True,  # several runs may share a machine
                tracking_mode=TRACKING_MODE,
                log_level="error",
                project_name="greentui",
            )
            self.tracker.start()
            # CodeCarbon counts from here, its hardware set up (a second or two after the sampler
            # started): the NVML figures count from the same moment, so the two cover one span.
            self.nvml.rebase()
        except Exception as err:  # noqa: BLE001 - any tracker failure must leave training alone
            self.tracker = None
            self.tracker_error = f"CodeCarbon could not start: {err}"
            self.events.emit(InfoEvent(message=self.tracker_error))
        self._thread.start()

    def _loop(self) -> None:
        last_energy = 0.0
        while not self._stop.wait(POWER_EVENT_INTERVAL_S):
            try:
                live = self._live_totals()  # one read of CodeCarbon's totals serves both events
                self._emit_power(live)
                if time.monotonic() - last_energy >= ENERGY_EVENT_INTERVAL_S:
                    last_energy = time.monotonic()
                    self._emit_energy(live)
            except Exception as err:  # noqa: BLE001 - measurement must never stop the run
                self.events.emit(InfoEvent(message=f"telemetry sample failed: {err}"))

    def _emit_power(self, live: tuple[Any, float] | None) -> None:
        # Average and peak power are the readers' (greentui.events.reducer), from these events.
        sample = self.nvml.drain()
        fields: dict[str, Any] = {}
        if sample is not None:
            fields.update(sample.as_event())
        for gap in self.nvml.new_gaps():
            self.events.emit(InfoEvent(message=f"GPU {gap['index']} ({gap['name']}) lost after {gap['from_s']:.1f} s "
                                               f"({gap['error']}): its energy from then on is not measured"))
        if live is not None:
            data, measured_at = live
            # Each second for the guard; events every 2 s.
            self._remember(self._rebased(self._own(_energy_event(data))), measured_at)
            fields["cpu_w"] = float(data.cpu_power)
            fields["ram_w"] = float(data.ram_power)
        if fields:
            self.events.emit(PowerEvent(**fields))

    def _live_totals(self) -> tuple[Any, float] | None:
        """CodeCarbon's cumulative EmissionsData as of its last measurement, and when it came."""
        if self.tracker is None or self.totals is None:
            return None
        return self.totals.live

    def _emit_energy(self, totals: tuple[Any, float] | None) -> EnergyEvent | None:
        if totals is None:
            return None
        data, measured_at = totals
        event = self.events.emit(self._rebased(self._own(_energy_event(data))))
        self._remember(event, measured_at)
        return event

    def reading(self) -> tuple[float, float] | None:
        """Cumulative kWh and kg CO₂ of the run now (None before CodeCarbon's first measurement)."""
        now = self._now()
        return None if now is None else (now.energy_kwh, now.emissions_kg)

    def rebase(self) -> EnergyEvent | None:
        """From now on, energy counts from here: what was measured so far (the idle baseline) is left out.

        Returns what had been measured, None without CodeCarbon."""
        self.nvml.rebase()
        self._offset = None
        self._offset = self._now()
        return self._offset

    def _now(self) -> EnergyEvent | None:
        # CodeCarbon's last measurement (at most a second old) plus each part's power since then.
        live = self._live_totals()
        if live is None:
            return None
        data, measured_at = live
        hours = max(0.0, time.perf_counter() - measured_at) / 3600.0
        cpu, gpu, ram = (float(w) * hours / 1000.0 for w in (data.cpu_power, data.gpu_power, data.ram_power))
        energy = float(data.energy_consumed)
        intensity = float(data.emissions) / energy if energy > 0 else 0.0
        return self._rebased(self._own(EnergyEvent(
            energy_kwh=energy + cpu + gpu + ram, emissions_kg=float(data.emissions) + (cpu + gpu + ram) * intensity,
            cpu_energy_kwh=float(data.cpu_energy) + cpu, gpu_energy_kwh=float(data.gpu_energy) + gpu,
            ram_energy_kwh=float(data.ram_energy) + ram)))

    def _own(self, event: EnergyEvent) -> EnergyEvent:
        """The run's own share of the box's energy: all of it, unless other runs share the box's CPU and RAM."""
        return event if self.shared is None else self.shared.split(event)

    def _rebased(self, event: EnergyEvent) -> EnergyEvent:
        offset = self._offset
        if offset is None:
            return event

        def less(value: float | None, base: float | None) -> float | None:
            return None if value is None else value - (base or 0.0)

        return EnergyEvent(t=event.t, energy_kwh=event.energy_kwh - offset.energy_kwh,
                           emissions_kg=event.emissions_kg - offset.emissions_kg,
                           cpu_energy_kwh=less(event.cpu_energy_kwh, offset.cpu_energy_kwh),
                           gpu_energy_kwh=less(event.gpu_energy_kwh, offset.gpu_energy_kwh),
                           ram_energy_kwh=less(event.ram_energy_kwh, offset.ram_energy_kwh))

    def _remember(self, event: EnergyEvent, measured_at: float) -> None:
        # CodeCarbon's totals are as of its last measurement (each CODECARBON_INTERVAL_S; the time
        # CodeCarbon handed them over, on the time.perf_counter clock); the projection needs that
        # time. The budget guard reads `latest` on the training thread: one reference swap, no lock.
        self.latest = {"energy_kwh": event.energy_kwh, "emissions_kg": event.emissions_kg, "measured_at": measured_at}

    def stop(self) -> dict[str, Any]:
        """Stop measuring; returns the final energy figures, GPU energy and the measurement record."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        figures: dict[str, Any] = {}
        if self.tracker is not None:
            try:
                self.tracker.stop()
                final = self.totals.final if self.totals is not None else None
                if final is None:
                    raise RuntimeError("it handed over no final totals")
                # The last energy event equals CodeCarbon's final figures exactly (its CSV's row).
                event = self._emit_energy(final)
                if event is not None:
                    figures = {k: v for k, v in dataclasses.asdict(event).items() if k not in ("t", "v")}
            except Exception as err:  # noqa: BLE001
                self.tracker_error = f"CodeCarbon failed at stop: {err}"
        contention = self.contention.stop() if self.contention is not None else None
        figures.update(self.nvml.stop())  # after the contention sampler: it asks NVML too
        measurement = self.measurement()
        if contention is not None:
            measurement["contention"] = contention
        return {"metrics": figures, "measurement": measurement}

    def _start_contention(self) -> None:
        # Who else uses the run's devices: other processes' CPU time, and other processes on its GPUs.
        from greentui.worker.contention import ContentionSampler, nvml_compute_pids

        lister = None
        if self.nvml.available:
            import pynvml

            lister = nvml_compute_pids(pynvml, self.nvml.handles())
        try:
            self.contention = ContentionSampler(lister)
            self.contention.start()
        except Exception as err:  # noqa: BLE001 - measurement must never stop the run
            self.contention = None
            self.events.emit(InfoEvent(message=f"contention not sampled: {err}"))

    def measurement(self) -> dict[str, Any]:
        """How each energy figure was produced, for the run record."""
        intensity, source = carbon_intensity(self.country)
        method: dict[str, Any] = {
            "method": "codecarbon-offline" if self.tracker is not None else "none",
            "interval_s": CODECARBON_INTERVAL_S,
            "country": self.country or None,
            "carbon_intensity_g_per_kwh": intensity,
            "carbon_intensity_source": source,
            "pue": self.pue,
            "gpu": self.nvml.describe(),
            "gpus": self.nvml.devices(),
            "gpu_gaps": self.nvml.gaps(),
            "simulated": self.nvml.simulated,  # the tests' stand-in GPU: CodeCarbon measured it too
        }
        if self.tracker is not None:
            final = self.totals.final if self.totals is not None else None
            method.update(_codecarbon_modes(self.tracker, final[0] if final else None))
            if self.nvml.simulated and method["codecarbon_gpu"] != "not measured":
                method["codecarbon_gpu"] += " on a simulated GPU"
        if self.shared is not None:
            method["cpu_ram_shared"] = self.shared.describe()
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


def _codecarbon_modes(tracker: Any, final: Any) -> dict[str, str]:
    """Which method CodeCarbon used for CPU, RAM and GPU power (RAPL, TDP estimate, NVML…).

    `final` is CodeCarbon's final EmissionsData (None when it gave none): RAM, GPU and the
    tracking mode are read from its public fields; only the CPU's method needs CodeCarbon's
    internals (codecarbon_readings.cpu_power_method).
    """
    from greentui.worker.codecarbon_readings import cpu_power_method

    ram_measured = final is not None and final.ram_power > 0
    gpus_measured = final is not None and final.gpu_count > 0
    return {
        "cpu": cpu_power_method(tracker),
        "ram": "RAM power model (watts per GB of RAM, CodeCarbon estimate)" if ram_measured else "not measured",
        "codecarbon_gpu": "NVML (CodeCarbon)" if gpus_measured else "not measured",
        "tracking_mode": str(final.tracking_mode) if final is not None else TRACKING_MODE,
    }
