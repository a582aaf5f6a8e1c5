"""In the worker: wait for a low-carbon window, and at the end the run's CO2 from intensity over time.

The launcher chose the window and kept the series in the run folder (greentui.runs.timing). The
wait comes before the device lease, so a run waiting for clean power holds no GPU; `greentui
start-now RUN_ID` (or `g` in the live view) leaves a marker file that ends the wait, as a stop does.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from greentui.carbon import carbon_intensity
from greentui.carbon_window import emissions_kg
from greentui.events.log import EVENTS_FILE, EventWriter, read_all
from greentui.events.schema import WAITING, EnergyEvent, InfoEvent, PhaseEvent
from greentui.intensity import IntensityError, IntensitySeries
from greentui.runs.timing import SERIES_FILE, START_NOW_FILE, waiting_text

POLL_S = 0.5


def wait_for_window(carbon: dict[str, Any], run_dir: Path, events: EventWriter, stop: threading.Event) -> dict[str, Any]:
    """Sleep until the planned start, a start-now marker or a stop; what the record keeps of the wait."""
    planned = carbon.get("planned_start")
    began = time.time()
    if not isinstance(planned, (int, float)) or planned <= began:
        return {"waited_s": 0.0, "started_at": began, "started": "at once"}
    events.emit(PhaseEvent(phase=WAITING, detail=waiting_text(carbon)))
    how = "in the window"
    while time.time() < planned:
        if stop.wait(min(POLL_S, max(0.0, planned - time.time()))):
            how = "stopped while waiting"
            break
        if (run_dir / START_NOW_FILE).exists():
            how = "told to start now"
            events.emit(InfoEvent(message="told to start now: the low-carbon window is not waited for"))
            break
    started = time.time()
    return {"waited_s": round(started - began, 1), "started_at": started, "started": how}


def time_varying_co2(run_dir: Path, country: str, carbon: dict[str, Any], metrics: dict[str, Any],
                     measurement: dict[str, Any]) -> None:
    """Where the run folder holds an intensity series: emissions_kg becomes the integral of energy over
    time times the intensity then; CodeCarbon's yearly-average figure stays as emissions_kg_static."""
    try:
        series = IntensitySeries.from_doc(json.loads((run_dir / SERIES_FILE).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return
    except (OSError, ValueError, IntensityError) as err:
        measurement["carbon_timing"] = {**carbon, "error": f"intensity series not read: {err}"}
        return
    readings = [(e.t, e.energy_kwh) for e in read_all(run_dir / EVENTS_FILE) if isinstance(e, EnergyEvent)]
    static_g, _ = carbon_intensity(country)
    kg, covered, (low, high) = emissions_kg(readings, series, static_g)
    timing = dict(carbon)
    if covered > 0 and "emissions_kg" in metrics:
        metrics["emissions_kg_static"] = metrics["emissions_kg"]
        metrics["emissions_kg"] = kg
        measurement["carbon_intensity_source"] = f"{series.source} (time-varying; {covered:.0%} of the energy covered)"
        measurement["carbon_intensity_range_g_per_kwh"] = [round(low, 1), round(high, 1)]
        if "planned_start" in carbon and isinstance(carbon.get("waited_s"), (int, float)):
            # Had it started at launch: the same readings, moved back by the wait.
            shift = float(carbon["waited_s"])
            at_launch, _, _ = emissions_kg([(t - shift, kwh) for t, kwh in readings], series, static_g)
            timing["realised_saving"] = round(1 - kg / at_launch, 4) if at_launch > 0 else None
    timing["covered"] = round(covered, 4)
    measurement["carbon_timing"] = timing
