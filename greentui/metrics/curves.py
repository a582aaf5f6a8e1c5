"""The curves a run stores (RUN_DIR/curves.json), taken from its events' fold: used by the worker and by readers."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from greentui.events.reducer import RunSnapshot, fold
from greentui.events.schema import Event

MAX_CURVE_POINTS = 300
CURVE_DIGITS = 4  # significant digits kept in stored curves: far finer than a chart can show
EXACT_CURVES = ("eval_accuracy",)  # few points, and read as figures: kept whole


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


def steady_downsample(points: Sequence[Point], max_points: int) -> list[Point]:
    """At most `max_points` points that stay the same points while the series grows: every stride-th
    and the last, the stride doubling when they no longer fit. A growing curve drawn from these
    changes only at its end (and all over only when the stride doubles), where evenly spaced
    points would all move with each new one and redraw the whole curve."""
    if len(points) <= max_points:
        return list(points)
    if max_points < 3:
        return downsample(points, max_points)
    stride = 1
    while (len(points) - 1) // stride + 2 > max_points:
        stride *= 2
    kept = list(points[::stride])
    if (len(points) - 1) % stride:
        kept.append(points[-1])
    return kept


def stored_curves(snapshot: RunSnapshot, max_points: int = MAX_CURVE_POINTS) -> dict[str, list[Point]]:
    """Loss by step, eval metrics by step, and power / cumulative energy / CO2 by elapsed seconds,
    downsampled and shortened for storage."""
    out = {}
    for name, points in snapshot.curves.items():
        kept = downsample(points, max_points)
        out[name] = kept if name in EXACT_CURVES else [(x, _short(y)) for x, y in kept]
    return out


def curves_from_events(events: Iterable[Event | Mapping[str, Any]],
                       max_points: int = MAX_CURVE_POINTS) -> dict[str, list[Point]]:
    """`stored_curves` of a whole event stream."""
    return stored_curves(fold(events), max_points)
