"""What each technique buys: per combination, mean ± spread over repeats and the change against the baseline.

Spread is the sample standard deviation over a combination's completed repeats (none for a
single run). A change is flagged as noise when it is smaller than the combined spread of the
two groups, sqrt(sd_baseline² + sd_combination²): the difference could come from running the
same thing twice. Without repeats on both sides nothing can be said, and the flag says so.

Energy-like measures (energy, CO₂, inference kWh per 1k predictions, lifetime energy) carry a
stated measurement uncertainty too (greentui.metrics.uncertainty). It is systematic, shared by
runs measured the same way on the same machine, so it cancels in a change between such groups;
where the two groups were measured differently (another machine, another CPU or GPU method) it
does not, and each side's bound is added to the spread in quadrature.

Lifetime energy is what a model costs to make and then to use: its training energy (the run's
energy less its inference phase's) plus N predictions at its measured kWh per 1,000, for a
stated N. It is computed per run, then averaged like the others; a run without an inference
phase has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt
from statistics import mean, stdev
from typing import Callable, Iterable, Sequence

from greentui.metrics.pareto import pareto_front
from greentui.metrics.quality import is_contended
from greentui.metrics.registry import Metric, metric
from greentui.metrics.uncertainty import relative_of
from greentui.store.record import RunRecord
from greentui.sweep.plan import BASELINE

# The measures attributed, by their name in the rows; each is taken in its registry unit (CO2 in g).
# The first four every completed run has; the inference ones only runs with an inference phase.
MEASURES: dict[str, Metric] = {"energy": metric("energy_kwh"), "time": metric("duration_s"),
                               "co2": metric("emissions_kg"), "accuracy": metric("accuracy"),
                               "inference_per_1k": metric("inference_kwh_per_1k"),
                               "latency_p50_b1": metric("inference_latency_ms_p50_b1"),
                               "model_size": metric("model_size_mb"),
                               "inference_accuracy": metric("inference_accuracy")}
# Not a stored metric: the report computes it for the N it is given (attribute's lifetime_predictions).
LIFETIME = Metric("lifetime_kwh", "lifetime energy", "lifetime kWh", "kWh", ".6f", better="lower",
                  doc_label="lifetime energy")
# Every figure of a row: the stored measures, then lifetime energy.
FIGURES: dict[str, Metric] = {**MEASURES, "lifetime": LIFETIME}
# Measured as energy, so they share its stated uncertainty (see above).
ENERGY_LIKE = frozenset({"energy", "co2", "inference_per_1k", "lifetime"})
DEFAULT_LIFETIME_PREDICTIONS = 1_000_000


@dataclass(frozen=True)
class Stat:
    """Mean and spread (sample standard deviation, None below two values) of one measure."""

    mean: float
    spread: float | None
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat | None:
        """The statistic of some values, None for none."""
        if not values:
            return None
        return cls(mean(values), stdev(values) if len(values) > 1 else None, len(values))


@dataclass(frozen=True)
class Attribution:
    """One technique combination against the baseline. Changes are None where a side has no value."""

    role: str
    runs: int
    stats: dict[str, Stat | None]
    change: dict[str, float | None]  # absolute change of the mean, in the unit shown (kWh, s, g, ms, MB, accuracy)
    change_pct: dict[str, float | None]
    noise: dict[str, bool | None]  # True: within the spread; None: no spread to judge by
    kwh_per_accuracy: float | None  # energy ÷ accuracy: kWh spent per unit of accuracy reached
    pareto: bool = False
    other_setup: bool = False  # measured on another machine or by another method than the baseline
    lifetime_predictions: float = DEFAULT_LIFETIME_PREDICTIONS  # the N of the lifetime energy


def completed_groups(records: Iterable[RunRecord], role_of: Callable[[RunRecord], str],
                     include_contended: bool = False) -> dict[str, list[RunRecord]]:
    """Completed runs grouped by role, in first-seen order; contended runs left out unless asked for."""
    groups: dict[str, list[RunRecord]] = {}
    for record in records:
        if record.status == "completed" and (include_contended or not is_contended(record.measurement)):
            groups.setdefault(role_of(record), []).append(record)
    return groups


def contended_note(records: Iterable[RunRecord], included: bool) -> str | None:
    """What the table says about its contended runs, None when there are none."""
    count = sum(1 for r in records if r.status == "completed" and is_contended(r.measurement))
    if not count:
        return None
    if included:
        return f"⚠ {count} contended run(s) included (other work shared their devices): their energy is not theirs alone."
    return (f"{count} contended run(s) left out (other work shared their devices); "
            "--include-contended keeps them.")


def setup_of(record: RunRecord) -> tuple[str, ...]:
    """How a run was measured and where: runs with the same setup share their systematic errors."""
    how, hw = record.measurement, record.hardware
    gpus = hw.get("gpus")
    return (str(how.get("method")), str(how.get("cpu")), str(how.get("codecarbon_gpu")), str(hw.get("cpu_model")),
            " ".join(map(str, gpus)) if isinstance(gpus, list) else "")


def _mean_bound(runs: Sequence[RunRecord]) -> float:
    values = [u for r in runs if (u := relative_of(r.measurement)) is not None]
    return mean(values) if values else 0.0


def training_kwh(record: RunRecord) -> float | None:
    """The run's energy less its inference phase's (all of it without one), None without energy."""
    energy = record.metric("energy_kwh")
    if energy is None:
        return None
    inference = record.metric("inference_energy_kwh")
    return energy - inference if inference is not None else energy


def lifetime_kwh(record: RunRecord, predictions: float) -> float | None:
    """Training energy plus `predictions` at the run's measured kWh per 1,000; None without either."""
    trained, per_1k = training_kwh(record), record.metric("inference_kwh_per_1k")
    return None if trained is None or per_1k is None else trained + predictions * per_1k / 1000


def _values(runs: Sequence[RunRecord], name: str, predictions: float) -> list[float]:
    if name == "lifetime":
        return [v for r in runs if (v := lifetime_kwh(r, predictions)) is not None]
    declared = MEASURES[name]
    return [v * declared.scale for r in runs if (v := r.metric(declared.key)) is not None]


def attribute(groups: dict[str, list[RunRecord]], baseline: str = BASELINE,
              lifetime_predictions: float = DEFAULT_LIFETIME_PREDICTIONS) -> list[Attribution]:
    """One row per group, the baseline first; the energy–accuracy Pareto front marked.

    Lifetime energy counts `lifetime_predictions` predictions over the model's life.
    """
    stats = {role: {name: Stat.of(_values(runs, name, lifetime_predictions)) for name in FIGURES}
             for role, runs in groups.items()}
    base = stats.get(baseline, {})
    setups = {role: {setup_of(r) for r in runs} for role, runs in groups.items()}
    bounds = {role: _mean_bound(runs) for role, runs in groups.items()}
    rows = []
    for role in sorted(groups, key=lambda r: r != baseline):
        own = stats[role]
        change: dict[str, float | None] = {}
        pct: dict[str, float | None] = {}
        noise: dict[str, bool | None] = {}
        for name in FIGURES:
            a, b = base.get(name), own[name]
            change[name] = b.mean - a.mean if a and b else None
            pct[name] = 100 * (b.mean - a.mean) / a.mean if a and b and a.mean else None
            if not (a and b and a.spread is not None and b.spread is not None):
                noise[name] = None
                continue
            allowed = a.spread ** 2 + b.spread ** 2
            if name in ENERGY_LIKE and setups[role] != setups.get(baseline):
                allowed += (a.mean * bounds.get(baseline, 0.0)) ** 2 + (b.mean * bounds[role]) ** 2
            noise[name] = abs(b.mean - a.mean) < sqrt(allowed)
        energy, accuracy = own["energy"], own["accuracy"]
        ratio = energy.mean / accuracy.mean if energy and accuracy and accuracy.mean else None
        rows.append(Attribution(role, len(groups[role]), own, change, pct, noise, ratio,
                                other_setup=role != baseline and setups[role] != setups.get(baseline),
                                lifetime_predictions=lifetime_predictions))
    points = [(r.stats["energy"].mean, r.stats["accuracy"].mean) if r.stats["energy"] and r.stats["accuracy"]
              else None for r in rows]
    front = pareto_front(points)
    return [Attribution(**{**r.__dict__, "pareto": i in front}) for i, r in enumerate(rows)]
