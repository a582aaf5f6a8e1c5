"""Carbon-aware timing on an intensity series: the cleanest window to run in, and the CO2 of energy over time.

The rules, kept simple enough to check by hand:
- A window's intensity is the time-weighted mean of the series over [start, start + duration]; where
  the series does not cover a moment, the static (country table) figure stands in for it.
- Candidate starts are now and every later point of the series, up to the last start that still
  ends by the deadline; the lowest mean wins, the earliest among equals. When even starting now
  misses the deadline, the run starts now (said).
- A run's CO2 is the sum over its energy readings of the energy used since the previous reading
  times the intensity at the middle of that interval (static where not covered); the first
  reading's energy, counted from the tracker's start, at the intensity of its moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from greentui.intensity import IntensitySeries


@dataclass(frozen=True)
class Window:
    """Where to start, and the mean intensities that chose it (g/kWh)."""

    start: float
    mean_g: float
    now_mean_g: float  # had the run started at once
    fits_deadline: bool

    @property
    def saving(self) -> float:
        """The expected saving in CO2 against starting now, as a fraction (0.4: 40 % less)."""
        return 1.0 - self.mean_g / self.now_mean_g if self.now_mean_g > 0 else 0.0


def mean_intensity(series: IntensitySeries, start: float, end: float, static_g: float) -> float:
    """Time-weighted mean over [start, end] (static_g where the series is silent)."""
    if end <= start:
        return series.at(start) if series.at(start) is not None else static_g  # type: ignore[return-value]
    cuts = sorted({start, end, series.end, *(t for t, _ in series.points if start < t < end)})
    total = 0.0
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a >= end:
            break
        b = min(b, end)
        value = series.at(a)
        total += (static_g if value is None else value) * (b - a)
    return total / (end - start)


def best_window(series: IntensitySeries, now: float, duration_s: float, deadline_s: float, static_g: float) -> Window:
    """The start in [now, now + deadline - duration] with the lowest mean intensity over the run."""
    latest = now + deadline_s - duration_s
    now_mean = mean_intensity(series, now, now + duration_s, static_g)
    if latest < now:
        return Window(now, now_mean, now_mean, fits_deadline=False)
    best = Window(now, now_mean, now_mean, True)
    for start, _g in series.points:
        if now < start <= latest:
            mean = mean_intensity(series, start, start + duration_s, static_g)
            if mean < best.mean_g - 1e-9:
                best = Window(start, mean, now_mean, True)
    return best


def emissions_kg(readings: Sequence[tuple[float, float]], series: IntensitySeries, static_g: float
                 ) -> tuple[float, float, tuple[float, float]]:
    """CO2 of cumulative (epoch s, kWh) readings: (kg, the fraction of the energy the series covered,
    the (min, max) intensity met, static figures included)."""
    kg = covered = 0.0
    low, high = float("inf"), float("-inf")
    total = 0.0
    previous_t, previous_kwh = None, 0.0
    for t, kwh in readings:
        if kwh > previous_kwh:
            # The energy before the first reading (CodeCarbon counts from its start) is put at that reading.
            used = kwh - previous_kwh
            value = series.at(t if previous_t is None else (previous_t + t) / 2)
            g = static_g if value is None else value
            kg += used * g / 1000.0
            total += used
            covered += used if value is not None else 0.0
            low, high = min(low, g), max(high, g)
        previous_t, previous_kwh = t, max(kwh, previous_kwh)
    if total == 0:
        return 0.0, 0.0, (static_g, static_g)
    return kg, covered / total, (low, high)
