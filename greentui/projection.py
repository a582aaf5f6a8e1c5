"""Where a run is heading: its final time, energy and CO2 projected from its rate so far.

The rate is measured from the first training step seen, so model loading and the first
step's warm-up are counted once, not multiplied: the remaining steps are assumed to cost what
the steps so far cost on average (evaluations included in proportion to how many came so
far). Nothing is projected before MIN_FRACTION of the steps and MIN_STEPS steps are done.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_FRACTION = 0.03
MIN_STEPS = 5


@dataclass(frozen=True)
class Reading:
    """Progress at one moment: optimizer step, seconds since some fixed origin, cumulative kWh and kg CO2."""

    step: int
    t: float
    energy_kwh: float
    emissions_kg: float


@dataclass(frozen=True)
class Projection:
    """Projected totals at the end of training, and how much of it the projection rests on."""

    duration_s: float  # from the reference reading's origin (the caller's elapsed-time origin)
    energy_kwh: float
    emissions_kg: float
    fraction_done: float


def project(first: Reading, now: Reading, total_steps: int) -> Projection | None:
    """Totals at `total_steps`, at the rate between `first` and `now`; None until enough is done."""
    done = now.step - first.step
    if total_steps <= 0 or now.step < MIN_STEPS or now.step / total_steps < MIN_FRACTION or done <= 0:
        return None
    left = max(0, total_steps - now.step) / done
    return Projection(
        duration_s=now.t + (now.t - first.t) * left,
        energy_kwh=now.energy_kwh + (now.energy_kwh - first.energy_kwh) * left,
        emissions_kg=now.emissions_kg + (now.emissions_kg - first.emissions_kg) * left,
        fraction_done=now.step / total_steps,
    )


class Projector:
    """Follows a run's readings and projects from the first one seen with training under way."""

    def __init__(self) -> None:
        self.first: Reading | None = None
        self.latest: Projection | None = None

    def update(self, reading: Reading, total_steps: int) -> Projection | None:
        """Take a reading; returns the current projection (None until there is enough to go on)."""
        if self.first is None or reading.step < self.first.step:
            self.first = reading
        projection = project(self.first, reading, total_steps)
        self.latest = projection or self.latest
        return projection
