"""Metrics computed from other metrics: one function, applied wherever a run gets its final metrics.

Those places: the worker's end of a run (whatever its status), a stop that had to kill the
worker (greentui.runs.process.stop) and reconcile (a crashed run). The metrics derived here are
the registry's `derived=True` ones.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from greentui.metrics.registry import as_number

JOULES_PER_KWH = 3.6e6
# Of an energy event, the cumulative figures a run's final metrics keep.
ENERGY_FIELDS = ("energy_kwh", "cpu_energy_kwh", "gpu_energy_kwh", "ram_energy_kwh", "emissions_kg")


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


def metrics_from_events(events: Iterable[Any]) -> dict[str, float]:
    """The final metrics a run's events vouch for, derived ones included: for a worker that could not store its own.

    The events are folded by the one reducer (greentui.events.reducer), so a killed run's figures
    are those the live view showed: energy and CO2 from the last energy event, steps and samples
    from the last step event, training time from "training started" to that step.
    """
    from greentui.events.reducer import fold

    metrics = {k: v for k, v in fold(events).metrics().items() if as_number(v) is not None}
    return {**metrics, **derived_metrics(metrics)}
