"""Where a run is heading: its training time, energy and CO2 at the end, projected from its rate so far.

The rule, kept simple enough to check by hand:
- Time: the seconds per step since the first reading (taken at the end of the first step seen)
  times the steps left. Model loading and the first step's warm-up happen before that reading,
  so they are counted once and never multiplied. Evaluations during training come at regular
  intervals and are in the rate in proportion to how many came so far (none before the first).
- Energy and CO2: the average power since the first reading (kWh and kg per second, between
  the times the energy figures were *measured*, which lag the steps by up to a second or two)
  times the seconds from the last measurement to the projected end of training. Counting from
  the measurement time, not the step time, keeps that lag out of the figures.
- The evaluation after training is added at the mean length of the evaluations seen so far
  (none is known before the first one). Training time does not include it, as the record's
  duration_s does not.
Nothing is projected before MIN_FRACTION of the steps and MIN_STEPS steps are done, or before
the energy figures span MIN_ENERGY_SPAN_S: earlier figures swing too much to be of use.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_FRACTION = 0.03
MIN_STEPS = 5
MIN_ENERGY_SPAN_S = 2.0


@dataclass(frozen=True)
class Reading:
    """Progress at one moment, all times in seconds on one clock (the caller picks the origin).

    `t` is when optimizer step `step` ended; `energy_t` is when the cumulative `energy_kwh` and
    `emissions_kg` were measured, usually a little before `t`.
    """

    step: int
    t: float
    energy_kwh: float
    emissions_kg: float
    energy_t: float


@dataclass(frozen=True)
class Projection:
    """Projected totals at the end of training, and how much of it the projection rests on."""

    duration_s: float  # the clock's value at the end of training: training seconds when its origin is the start
    energy_kwh: float  # cumulative, the evaluation after training included
    emissions_kg: float
    fraction_done: float


def training_end(first_step: int, first_t: float, step: int, t: float, total_steps: int) -> float | None:
    """The clock's value when step `total_steps` ends, at the seconds per step between the two
    readings (`first_step` ended at `first_t`, `step` at `t`); None until enough is done to go on.
    The one rate model: the worker's projection and the live screen's ETA both use it."""
    done = step - first_step
    if total_steps <= 0 or done <= 0 or step < MIN_STEPS or step / total_steps < MIN_FRACTION:
        return None
    return t + (t - first_t) * max(0, total_steps - step) / done


def project(first: Reading, now: Reading, total_steps: int, final_eval_s: float = 0.0) -> Projection | None:
    """Totals at `total_steps` at the rate between `first` and `now`, plus `final_eval_s` seconds of
    evaluation at the same power; None until enough is done to go on."""
    end_t = training_end(first.step, first.t, now.step, now.t, total_steps)
    span = now.energy_t - first.energy_t
    if end_t is None or span < MIN_ENERGY_SPAN_S:
        return None
    seconds_left = max(0.0, end_t - now.energy_t) + final_eval_s
    return Projection(
        duration_s=end_t,
        energy_kwh=now.energy_kwh + (now.energy_kwh - first.energy_kwh) / span * seconds_left,
        emissions_kg=now.emissions_kg + (now.emissions_kg - first.emissions_kg) / span * seconds_left,
        fraction_done=min(1.0, now.step / total_steps),
    )


class Projector:
    """Follows one run's readings and evaluation lengths; projects from the first reading seen."""

    def __init__(self) -> None:
        self.first: Reading | None = None
        self.latest: Projection | None = None
        self._eval_seconds: list[float] = []

    def note_eval(self, seconds: float) -> None:
        """An evaluation during training took `seconds`; the one after training is taken to match their mean."""
        self._eval_seconds.append(seconds)

    def update(self, reading: Reading, total_steps: int) -> Projection | None:
        """Take a reading; returns the current projection (None until there is enough to go on)."""
        if self.first is None or reading.step < self.first.step:
            self.first = reading
        final_eval = sum(self._eval_seconds) / len(self._eval_seconds) if self._eval_seconds else 0.0
        projection = project(self.first, reading, total_steps, final_eval)
        self.latest = projection or self.latest
        return projection
