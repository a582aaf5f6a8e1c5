"""Metrics computed from other metrics: one function, applied wherever a run gets its final metrics."""

from __future__ import annotations

from typing import Any


def derived_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """joules_per_sample, samples_per_s and the energy-to-accuracy ratio, where their inputs exist."""
    out: dict[str, float] = {}
    energy = metrics.get("energy_kwh")
    samples = metrics.get("samples_trained")
    duration = metrics.get("duration_s")
    accuracy = metrics.get("accuracy")
    if samples and duration:
        out["samples_per_s"] = samples / duration
    if energy is not None and samples:
        out["joules_per_sample"] = energy * 3.6e6 / samples
    if energy is not None and accuracy:
        # EAR: energy spent per unit of accuracy (kWh / accuracy as a fraction); lower is better.
        out["ear_kwh"] = energy / accuracy
    return out

