"""Curves and derived metrics computed from a run's events: used by the worker and by readers."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

MAX_CURVE_POINTS = 300
CURVE_DIGITS = 4  # significant digits kept in stored curves: far finer than a chart can show


def _short(value: float) -> float:
    # A float's full repr takes ~18 characters; curves are most of a stored run, and
    # runs.json is parsed whole on every read, so the digits nobody can see are dropped.
    return float(f"{value:.{CURVE_DIGITS}g}")

Point = tuple[float, float]


def downsample(points: Sequence[Point], max_points: int = MAX_CURVE_POINTS) -> list[Point]:
    """At most `max_points` evenly spaced points, always keeping the first and the last."""
    if len(points) <= max_points:
        return list(points)
    if max_points < 2:
        return [points[-1]]
    step = (len(points) - 1) / (max_points - 1)
    return [points[round(i * step)] for i in range(max_points)]


def curves_from_events(events: Iterable[dict[str, Any]], max_points: int = MAX_CURVE_POINTS) -> dict[str, list[Point]]:
    """Loss by step, eval metrics by step, and power / cumulative energy / CO2 by elapsed seconds."""
    series: dict[str, list[Point]] = {
        "train_loss": [],
        "eval_loss": [],
        "eval_accuracy": [],
        "power_w": [],
        "energy_kwh": [],
        "emissions_kg": [],
    }
    start: float | None = None
    for event in events:
        t = float(event.get("t", 0.0))
        start = t if start is None else start
        elapsed = round(t - start, 2)
        kind = event.get("type")
        if kind == "step" and event.get("loss") is not None:
            series["train_loss"].append((event["step"], _short(event["loss"])))
        elif kind == "eval":
            if event.get("eval_loss") is not None:
                series["eval_loss"].append((event["step"], _short(event["eval_loss"])))
            if event.get("accuracy") is not None:
                series["eval_accuracy"].append((event["step"], event["accuracy"]))
        elif kind == "power":
            watts = total_power(event)
            if watts is not None:
                series["power_w"].append((elapsed, _short(watts)))
        elif kind == "energy":
            series["energy_kwh"].append((elapsed, _short(event["energy_kwh"])))
            series["emissions_kg"].append((elapsed, _short(event["emissions_kg"])))
    return {name: downsample(points, max_points) for name, points in series.items()}


def total_power(event: dict[str, Any]) -> float | None:
    """Watts drawn in a power event: all GPUs where measured, else CodeCarbon's CPU + RAM estimate."""
    gpus = event.get("gpu_w")
    if gpus:
        return float(sum(gpus))
    parts = [event.get("cpu_w"), event.get("ram_w")]
    if all(p is None for p in parts):
        return None
    return float(sum(p for p in parts if p is not None))


def last_event(events: Iterable[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    """The most recent event of one type."""
    found = None
    for event in events:
        if event.get("type") == kind:
            found = event
    return found


