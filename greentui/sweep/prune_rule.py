"""When a sweep stops a run early as `pruned` (`--prune dominated`): the rule, pure, figures in and a verdict out.

Runs go one at a time in plan order, the baseline first. Each later run is judged at two rungs, 25 % and
50 % of its optimizer steps: at its first evaluation at or after the rung, once a projection made after
that evaluation, with steps still to go, is in (so the evaluation's cost is in the rate, and something
is left to save). It is pruned when another config with a completed run dominates it with margin: that
config is clearly better on one axis and the run is not clearly better on the other.

- accuracy: the run's best evaluation so far (the rule most in its favour) against the other config's
  best evaluation by the same fraction of its own steps (the mean over its completed repeats); a
  difference is clear beyond max(1 point, 2 × the binomial standard error of the difference at the two
  evaluation set sizes, 2 × √(sd² + sd²) over the two configs' repeats where there are repeats);
- energy: the run's projected energy at the end of training (greentui.projection: loading, training and
  the final evaluation) against the other config's measured energy less its inference phase, which the
  projection leaves out (the mean over its completed repeats); a difference is clear
  beyond max(25 %, 2 × √(sd² + sd²) as a share of the other's mean).

So a config that learns nothing at the same energy (a very low learning rate) is pruned, and so is one
that costs far more for no better accuracy; a config that is clearly cheaper is kept however much less
accurate it is: that is a trade-off the table must show. A pruned config run to the end would be off
the energy-accuracy front, or on it only by a difference within the margin. The baseline is never
judged. The 1-point floor is greentui.report.reproduction's; 25 % because a projection at a quarter of
training misses the end by that much and more on a busy machine (README, "Pruning a sweep"). A
contended run still counts as the config that dominates: contention only raises its energy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import sqrt
from statistics import mean, stdev
from typing import Iterable, Mapping, Sequence

from greentui.events.schema import EvalEvent, Event, InfoEvent, ProjectionEvent, StepEvent
from greentui.report.printable import printable

RUNGS = (0.25, 0.5)
ACCURACY_FLOOR = 0.01  # 1 point, as greentui.report.reproduction.FLOORS
ENERGY_FLOOR = 0.25  # a share of the other config's energy
Z = 2.0  # margins are two standard errors (or two spreads) wide


@dataclass(frozen=True)
class RunProgress:
    """What one run's events say, for the rule: its steps, its evaluations during training, its projections."""

    total_steps: int | None = None
    eval_samples: int | None = None
    evals: tuple[tuple[int, float], ...] = ()  # (step, accuracy) in the order they came
    projections: tuple[tuple[int, float], ...] = ()  # (step, projected kWh at the end of training)
    measured_kwh: float | None = None  # a finished run's energy, less its inference phase (the projection's basis)

    def with_events(self, events: Iterable[Event]) -> RunProgress:
        """This progress with more of the run's events folded in."""
        total, samples = self.total_steps, self.eval_samples
        evals, projections = list(self.evals), list(self.projections)
        for event in events:
            if isinstance(event, InfoEvent):
                total = event.total_steps or total
                samples = event.eval_samples or samples
            elif isinstance(event, StepEvent) and event.total_steps:
                total = total or event.total_steps
            elif isinstance(event, EvalEvent) and event.accuracy is not None:
                evals.append((event.step, event.accuracy))
            elif isinstance(event, ProjectionEvent):
                total = total or event.total_steps
                projections.append((event.step, event.energy_kwh))
        return replace(self, total_steps=total, eval_samples=samples, evals=tuple(evals),
                       projections=tuple(projections))

    def best_accuracy(self, fraction: float) -> float | None:
        """The best accuracy of the evaluations by `fraction` of the steps, None before the first."""
        if not self.total_steps:
            return None
        upto = fraction * self.total_steps + 1e-9
        return max((acc for step, acc in self.evals if step <= upto), default=None)

    @property
    def final_energy(self) -> float | None:
        """The measured energy where the run has finished, else its last projection's."""
        if self.measured_kwh is not None:
            return self.measured_kwh
        return self.projections[-1][1] if self.projections else None

    def rung_point(self, rung: float) -> tuple[int, float, float] | None:
        """(step, best accuracy by then, projected kWh) at the run's first evaluation at or after `rung`, once
        a projection after it is in with steps still to go; None until then (or never, if none comes)."""
        total = self.total_steps
        step = next((s for s, _ in self.evals if s >= rung * total), None) if total else None
        if step is None or not total:
            return None
        energy = next((kwh for s, kwh in self.projections if step < s < total), None)
        accuracy = self.best_accuracy(step / total)
        return None if energy is None or accuracy is None else (step, accuracy, energy)


@dataclass(frozen=True)
class Verdict:
    """A run to prune: the config that dominates it, where, and the figures in words (the record's `error`)."""

    by: str
    step: int
    total_steps: int
    projected_kwh: float
    reason: str


def _spread(values: Sequence[float]) -> float:
    return stdev(values) if len(values) > 1 else 0.0


def judge(run: RunProgress, rung: float, peers: Sequence[RunProgress],
          others: Mapping[str, Sequence[RunProgress]]) -> Verdict | None:
    """Whether `run` is dominated at `rung` by one of `others` (config → its completed runs, in plan order);
    `peers` are the run's own config's other finished runs, for its spread. None: it goes on."""
    point = run.rung_point(rung)
    if point is None or not run.total_steps:
        return None
    step, accuracy, energy = point
    fraction = step / run.total_steps
    own_acc = [accuracy, *(a for p in peers if (a := p.best_accuracy(fraction)) is not None)]
    own_kwh = [energy, *(e for p in peers if (e := p.final_energy) is not None)]
    for role, runs in others.items():
        accs = [a for p in runs if (a := p.best_accuracy(fraction)) is not None]
        kwhs = [e for p in runs if (e := p.final_energy) is not None]
        if not accs or not kwhs or mean(kwhs) <= 0:
            continue
        their_acc, their_kwh = mean(accs), mean(kwhs)
        samples = [p.eval_samples for p in runs if p.eval_samples]
        error = (sqrt(their_acc * (1 - their_acc) / (min(samples) * len(accs))
                      + accuracy * (1 - accuracy) / run.eval_samples) if samples and run.eval_samples else 0.0)
        acc_margin = max(ACCURACY_FLOOR, Z * error, Z * sqrt(_spread(accs) ** 2 + _spread(own_acc) ** 2))
        kwh_margin = max(ENERGY_FLOOR, Z * sqrt(_spread(kwhs) ** 2 + _spread(own_kwh) ** 2) / their_kwh)
        gap, ratio = their_acc - accuracy, energy / their_kwh - 1  # above 0: the other config is better
        if (gap > acc_margin or ratio > kwh_margin) and gap >= -acc_margin and ratio >= -kwh_margin:
            reason = (f"at step {step}/{run.total_steps} (the {rung * 100:.0f} % rung), dominated by "
                      f"{printable(role)} ({len(accs)} run(s)): accuracy {accuracy:.3f} vs {their_acc:.3f} by "
                      f"{fraction * 100:.0f} % of the steps ({-gap:+.3f}, margin {acc_margin:.3f}); projected "
                      f"energy {energy:.6f} vs {their_kwh:.6f} kWh ({ratio * 100:+.0f} %, "
                      f"margin {kwh_margin * 100:.0f} %)")
            return Verdict(role, step, run.total_steps, energy, reason)
    return None
