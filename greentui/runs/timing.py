"""At launch: the carbon-intensity series a run is measured against, and for start_when = low-carbon its window.

The launcher asks the source once (greentui.intensity) and keeps the series in the run folder, so
the worker computes the run's CO2 from the very figures that chose its start, a provider is asked
once per run, and the record can be checked later. The worker waits for the planned start.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from greentui.carbon import carbon_intensity
from greentui.carbon_window import best_window
from greentui.config import ConfigError, RunConfig, parse_duration
from greentui.intensity import FILE_ENV, URL_ENV, IntensitySeries, time_varying_source
from greentui.store.atomic import replace_text
from greentui.store.run_store import RunStore

SERIES_FILE = "intensity.json"
START_NOW_FILE = "start-now"  # in the run folder: the worker's wait for a window ends when it appears
ASSUMED_S = 3600.0  # a run's length when no earlier run of its config says
LOOKED_AT = 50  # earlier runs read for a duration: the newest with the same techniques
# Keys that say when a run starts, not what it is: runs differing only in them are the same run.
TIMING_KEYS = ("start_when", "deadline")


Timing = tuple[IntensitySeries | None, dict[str, Any]]  # the series, and launch.json's `carbon` part


def plan_timing(config: RunConfig, store: RunStore, now: float | None = None,
                then: list[RunConfig] | None = None) -> Timing:
    """The series (None: the country table) and launch.json's `carbon` part; ConfigError when
    start_when = low-carbon has no forecast to go by.

    `then`: the configs of the sweep's runs that follow this one, one after another: the window is
    chosen for them all, so the whole sweep runs in it (the followers start at once: follower_timing)."""
    now = time.time() if now is None else now
    series, note = time_varying_source(config.country)
    static_g, _ = carbon_intensity(config.country)
    doc: dict[str, Any] = {"start_when": config.start_when, "source": series.source if series else "country table",
                           "note": note, "launched_at": now}
    if config.start_when != "low-carbon":
        return series, doc
    if series is None:
        raise ConfigError("start_when", f"low-carbon needs an intensity forecast: {note or f'set {URL_ENV} or {FILE_ENV}'}")
    deadline_s = parse_duration("deadline", config.deadline)
    estimated_s, estimate_from = _expected_duration(config, store)
    if then:
        estimates = [estimated_s, *(_expected_duration(c, store)[0] for c in then)]
        estimated_s, estimate_from = sum(estimates), f"the sweep's {len(estimates)} runs, each as its config last took"
        doc["scope"] = f"sweep of {len(estimates)} runs"
    window = best_window(series, now, estimated_s, deadline_s, static_g)
    doc.update(deadline_s=deadline_s, estimated_s=estimated_s, estimate_from=estimate_from,
               planned_start=window.start, window_g=round(window.mean_g, 1), now_g=round(window.now_mean_g, 1),
               expected_saving=round(window.saving, 4), fits_deadline=window.fits_deadline,
               intensity_now_g=series.at(now) if series.at(now) is not None else static_g)
    return series, doc


def follower_timing(config: RunConfig, first: Timing, first_run: str) -> Timing:
    """A sweep run after the one that waited: it starts at once, in the window chosen for the whole sweep,
    measured against the same series (the source is not asked again)."""
    series, doc = first
    window = {k: doc[k] for k in ("planned_start", "window_g", "deadline_s", "estimated_s") if k in doc}
    return series, {"start_when": config.start_when, "source": doc["source"], "note": doc["note"],
                    "launched_at": time.time(), "sweep_window": {**window, "waited_in": first_run}}


def save_series(run_dir: Path, series: IntensitySeries) -> None:
    """Keep the series beside the run (the worker reads it back)."""
    import json

    replace_text(run_dir / SERIES_FILE, json.dumps(series.to_doc()))


def waiting_text(doc: dict[str, Any]) -> str:
    """`waiting for a low-carbon window at 14:00:00 (212 g/kWh, now 389)`: the window's mean, the intensity now."""
    at = datetime.fromtimestamp(float(doc["planned_start"])).strftime("%H:%M:%S")
    now = doc.get("intensity_now_g", doc["now_g"])
    return f"waiting for a low-carbon window at {at} ({doc['window_g']:.0f} g/kWh, now {now:.0f})"


def start_now(store: RunStore, record: Any) -> None:
    """Leave the marker that ends the run's wait (in its own folder, found through the store's confined lookup)."""
    from greentui.store.run_dirs import run_dir_of

    (run_dir_of(store, record) / START_NOW_FILE).touch(mode=0o600)


def _expected_duration(config: RunConfig, store: RunStore) -> tuple[float, str]:
    """The measured seconds of the newest completed run of the same config, else ASSUMED_S; and whence."""
    wanted = {k: v for k, v in config.to_dict().items() if k not in TIMING_KEYS}
    tags = tuple(t for t in config.techniques() if t != config.start_when)
    candidates = [s for s in store.summaries() if s.status == "completed"
                  and tuple(t for t in s.tags if t not in ("low-carbon",)) == tags]
    for summary in sorted(candidates, key=lambda s: s.created_at, reverse=True)[:LOOKED_AT]:
        record = store.get(summary.id)
        if record is None:
            continue
        try:
            same = {k: v for k, v in RunConfig.from_mapping(dict(record.config)).to_dict().items()
                    if k not in TIMING_KEYS} == wanted
        except ConfigError:
            continue
        measured = record.metric("measured_s") or record.metric("duration_s")
        if same and measured:
            return float(measured), f"run {record.id}"
    return ASSUMED_S, "assumed (no earlier run of this config)"
