"""Metrics computed from other metrics: one function, applied wherever a run gets its final metrics.

Those places: the worker's end of a run (whatever its status), a stop that had to kill the
worker (greentui.runs.process.stop) and reconcile (a crashed run). The metrics derived here are
the registry's `derived=True` ones.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from greentui.metrics.registry import as_number

if TYPE_CHECKING:
    from greentui.events.reducer import RunSnapshot

JOULES_PER_KWH = 3.6e6


def derived_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """joules_per_sample, samples_per_s and the energy-to-accuracy ratio, where their inputs exist.

    Inputs may come from disk (a crashed run's events): anything not a number counts as missing.
    """
    out: dict[str, float] = {}
    energy = as_number(metrics.get("energy_kwh"))
    samples = as_number(metrics.get("samples_trained"))
    duration = as_number(metrics.get("duration_s"))
    accuracy = as_number(metrics.get("accuracy"))
    if samples and duration:
        out["samples_per_s"] = samples / duration
    if energy is not None and samples:
        out["joules_per_sample"] = energy * JOULES_PER_KWH / samples
    if energy is not None and accuracy:
        # EAR: energy spent per unit of accuracy (kWh / accuracy as a fraction); lower is better.
        out["ear_kwh"] = energy / accuracy
    return out


def final_metrics(run: RunSnapshot) -> dict[str, float]:
    """The final metrics a run's events vouch for, for a worker that could not store its own.

    What the one reducer measured (energy and CO2 from the last energy event, steps and samples
    from the last step event, training time from "training started" to that step), the numbers
    of the run's summary event over them where it wrote one, and the metrics derived from those.
    The events file is untrusted: only finite numbers reach the record.
    """
    final = run.summary.metrics if run.summary else {}
    metrics = {k: v for k, v in {**run.metrics(), **final}.items() if _finite(v)}
    return {**metrics, **derived_metrics(metrics)}


def metrics_from_events(events: Iterable[Any]) -> dict[str, float]:
    """`final_metrics` of a run's events (typed, or decoded lines)."""
    from greentui.events.reducer import fold

    return final_metrics(fold(events))


def _finite(value: Any) -> bool:
    number = as_number(value)
    return number is not None and math.isfinite(number)
