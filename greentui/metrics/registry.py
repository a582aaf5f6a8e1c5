"""Every metric a run record holds, declared once: key, labels, unit, format, scale, better direction.

The history and `greentui ls` columns, the index's row metrics, compare, the live status strip,
the CSV's column order and the attribution report all read these declarations; a consumer that
names a key not declared here fails at import (`metric` raises), and tests/test_metric_registry.py
checks each consumer's keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isfinite
from typing import Any, Callable, Iterable, Literal

from greentui.store.record import FINISHED

Direction = Literal["lower", "higher", "none"]
MISSING = "–"  # what every table shows for a metric a run does not have

# Which final statuses can carry a metric. Energy is measured from before the model loads, so
# every finished run has it, a crashed one from its events; training figures exist wherever
# training started; evaluation figures only where an evaluation ran (a stop evaluates first).
MEASURED = FINISHED
TRAINED = frozenset({"completed", "stopped", "failed", "diverged", "pruned"})
EVALUATED = frozenset({"completed", "stopped", "pruned"})  # a pruned run is stopped: it evaluates first
PRUNED = frozenset({"pruned"})
# The inference phase runs after training and evaluation, on a run that completed (config
# inference_samples); a run without the phase, and every older record, has none of its figures.
INFERRED = frozenset({"completed"})


def as_number(value: Any) -> float | None:
    """A stored value as a float, None for anything else (stored data is untrusted: text, bools, None)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def fmt(value: Any, spec: str, scale: float = 1.0, none: str = MISSING) -> str:
    """Format a possibly missing number."""
    number = as_number(value)
    return none if number is None else format(number * scale, spec)


def fmt_duration(seconds: Any) -> str:
    """Seconds as `42 s`, `3 m 05 s` or `2 h 03 m`."""
    number = as_number(seconds)
    if number is None or not isfinite(number):
        return MISSING
    whole = int(round(number))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} m {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} m"


@dataclass(frozen=True)
class Metric:
    """One metric: how it is named, shown and judged. Values are stored in `unit / scale` (CO2 in kg)."""

    key: str
    label: str  # in sentences and row titles: "energy", "CO2"
    short: str  # a narrow column's title: "kWh", "CO2 g"
    unit: str = ""  # of the shown value, after `scale`; "" for counts and ratios
    spec: str = ".4g"  # format() spec of the shown value
    scale: float = 1.0  # stored value × scale = shown value (kg → g)
    better: Direction = "none"
    statuses: frozenset[str] = MEASURED
    derived: bool = False  # computed by greentui.metrics.derived.derived_metrics from other metrics
    doc_label: str = ""  # the label in documents (Markdown), where CO₂ can have its subscript
    readable: Callable[[Any], str] | None = None  # a narrow cell's form, where it is not the number

    def text(self, value: Any) -> str:
        """The value in its shown unit and format (no unit), or the missing-value dash."""
        return fmt(value, self.spec, self.scale)

    def cell(self, value: Any) -> str:
        """The value as a narrow table cell: durations as `3 m 05 s`, others as `text`."""
        return self.readable(value) if self.readable else self.text(value)

    @property
    def title(self) -> str:
        """A row title with its unit: `energy (kWh)`; a label that names its unit stays as it is."""
        return self.label if not self.unit or self.unit in self.label.split() else f"{self.label} ({self.unit})"

    @property
    def document_label(self) -> str:
        """The label for Markdown and other documents."""
        return self.doc_label or self.label

    def with_unit(self, value: Any) -> str:
        """The value and its unit: `0.000408 kWh`, `0.881` (a ratio has none)."""
        return f"{self.text(value)} {self.unit}" if self.unit else self.text(value)

    def phrase(self, value: Any) -> str:
        """The value labelled for a line of prose: `accuracy 0.881`, `energy 0.000408 kWh`, `22.1 samples/s`."""
        return self.with_unit(value) if self.unit == self.label else f"{self.label} {self.with_unit(value)}"

    def change_is_better(self, value: Any, baseline: Any) -> bool | None:
        """True when `value` is better than `baseline`, False when worse; None: no direction, equal or missing."""
        new, old = as_number(value), as_number(baseline)
        if self.better == "none" or new is None or old is None or new == old:
            return None
        return (new > old) == (self.better == "higher")


def _count(key: str, label: str, statuses: frozenset[str] = TRAINED) -> Metric:
    return Metric(key, label, label, spec=".0f", statuses=statuses)


def _power(source: str, kind: str) -> Metric:
    return Metric(f"{kind}_{source}_power_w", f"{kind} {source.upper()} power", f"{kind} {source.upper()} W",
                  "W", ".1f", better="lower")


def _energy(key: str, label: str) -> Metric:
    return Metric(key, label, label, "kWh", ".6f", better="lower")


def _latency(percentile: int, batch: int) -> Metric:
    # Milliseconds per batch of `batch` predictions, over the inference phase's timed batches.
    return Metric(f"inference_latency_ms_p{percentile}_b{batch}", f"latency p{percentile} batch {batch}",
                  f"p{percentile} b{batch} ms", "ms", ".2f", better="lower", statuses=INFERRED)


METRICS: tuple[Metric, ...] = (
    Metric("accuracy", "accuracy", "acc", spec=".3f", better="higher", statuses=EVALUATED),
    Metric("f1", "F1", "F1", spec=".3f", better="higher", statuses=EVALUATED),
    Metric("eval_loss", "eval loss", "eval loss", spec=".4f", better="lower", statuses=EVALUATED),
    # The Trainer's own average: only a run whose train() returned has it, as only such a run evaluates.
    Metric("train_loss", "train loss", "train loss", spec=".4f", better="lower", statuses=EVALUATED),
    Metric("duration_s", "time", "time", "s", ".1f", better="lower", statuses=TRAINED, readable=fmt_duration),
    Metric("samples_per_s", "samples/s", "samples/s", "samples/s", ".1f", better="higher", statuses=TRAINED,
           derived=True),
    Metric("energy_kwh", "energy", "kWh", "kWh", ".6f", better="lower"),
    Metric("emissions_kg", "CO2", "CO2 g", "g", ".3f", 1000.0, better="lower", doc_label="CO₂"),
    # Where an intensity series covered the run, emissions_kg is energy over time × intensity then, and
    # this is CodeCarbon's energy × the country's yearly figure, kept beside it (greentui.carbon_window).
    Metric("emissions_kg_static", "CO2 at the yearly average", "CO2 avg g", "g", ".3f", 1000.0, better="lower"),
    Metric("joules_per_sample", "J/sample", "J/sample", "J/sample", ".2f", better="lower", statuses=TRAINED,
           derived=True),
    Metric("ear_kwh", "kWh per accuracy", "kWh/acc", "kWh", ".6f", better="lower", statuses=EVALUATED,
           derived=True),
    _energy("cpu_energy_kwh", "CPU energy"),
    _energy("gpu_energy_kwh", "GPU energy"),
    _energy("ram_energy_kwh", "RAM energy"),
    _energy("gpu_nvml_energy_kwh", "GPU energy (NVML counter)"),
    _energy("gpu_power_integrated_kwh", "GPU energy (integrated power)"),
    # With an idle baseline (config idle_baseline_s): the run's energy less idle power × measured time.
    _energy("energy_above_idle_kwh", "energy above idle"),
    Metric("idle_power_w", "idle power", "idle W", "W", ".1f"),
    # The measured interval: the phases load, train, eval and save, which add up to it.
    Metric("measured_s", "measured time", "measured", "s", ".1f", readable=fmt_duration),
    *(_power(source, kind) for source in ("gpu", "cpu", "ram") for kind in ("avg", "peak")),
    _count("steps", "steps", MEASURED),  # a crashed run's come from its last step event
    _count("total_steps", "total steps"),
    _count("samples_trained", "samples trained"),
    _count("train_samples", "train samples"),
    _count("eval_samples", "eval samples"),
    _count("trainable_params", "trainable params"),
    _count("total_params", "total params"),
    Metric("trainable_fraction", "trainable fraction", "trainable", spec=".4f", statuses=TRAINED),
    _count("evaluated_at_step", "evaluated at step", EVALUATED),  # the evaluation that is the result
    # The size of the model as deployed (after quantization or pruning, where the run had them): its
    # state_dict as torch.save writes it, in SI megabytes, measured by the inference phase.
    Metric("model_size_mb", "model size", "size MB", "MB", ".3f", better="lower", statuses=EVALUATED),
    # Config save_model: the safetensors weight files kept in the run folder (before compression).
    Metric("saved_model_mb", "saved weights", "saved MB", "MB", ".3f", statuses=EVALUATED),
    _count("diverged_at_step", "diverged at step", frozenset({"diverged"})),
    # The Trainer's total_flos: only a run whose train() returned has it. FLOPs span 1e6..1e15: `#.3g`, 1.23e+12.
    Metric("train_flops", "training FLOPs", "train FLOPs", spec="#.3g", better="lower", statuses=EVALUATED),
    Metric("train_peak_mem_mb", "training peak memory", "train mem MB", "MB", ".1f", better="lower",
           statuses=TRAINED),
    # The inference phase: the model as deployed (quantized, pruned or neither), on held-out data.
    Metric("inference_accuracy", "inference accuracy", "inf acc", spec=".3f", better="higher", statuses=INFERRED),
    *(_latency(percentile, batch) for batch in (1, 32) for percentile in (50, 95)),
    Metric("inference_samples_per_s", "inference samples/s", "inf samples/s", "samples/s", ".1f", better="higher",
           statuses=INFERRED),
    # Energy per 1,000 predictions, ~1e-6..1e-3 kWh: `#.3g` keeps three digits where `.6f` would show zeros.
    Metric("inference_kwh_per_1k", "kWh per 1k predictions", "kWh/1k", "kWh", "#.3g", better="lower",
           statuses=INFERRED),
    # The whole phase's energy: part of energy_kwh (training's share is energy_kwh less this).
    Metric("inference_energy_kwh", "inference energy", "inf kWh", "kWh", "#.3g", better="lower", statuses=INFERRED),
    Metric("inference_peak_mem_mb", "inference peak memory", "inf mem MB", "MB", ".1f", better="lower",
           statuses=INFERRED),
    Metric("flops_per_prediction", "FLOPs per prediction", "FLOPs/pred", spec="#.3g", better="lower",
           statuses=INFERRED),
    # Config pruning: the fraction of weights (magnitude) or attention heads (heads) removed.
    Metric("pruning_sparsity", "pruning sparsity", "sparsity", spec=".3f", statuses=INFERRED),
    # A sweep run pruned (greentui.sweep.prune_rule): where it was stopped, the energy its projection said
    # the whole run would take (the end of training, its final evaluation included), and that less what it used.
    _count("pruned_at_step", "pruned: judged at step", PRUNED),  # it stops a few steps later (`steps`)
    Metric("pruned_projected_kwh", "projected energy when pruned", "proj. kWh", "kWh", ".6f", statuses=PRUNED),
    Metric("pruned_saved_kwh", "energy saved by pruning the run", "saved kWh", "kWh", ".6f", statuses=PRUNED),
)
BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}

# The metrics of a run's row: `greentui ls`, the history table and the index (whose lines hold
# them in this order: changing it changes the index format).
TABLE_METRICS: tuple[Metric, ...] = tuple(BY_KEY[k] for k in
                                          ("accuracy", "duration_s", "energy_kwh", "emissions_kg", "joules_per_sample"))


def metric(key: str) -> Metric:
    """The declaration of a metric; KeyError names a key nobody declared."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"metric {key!r} is not declared in greentui.metrics.registry") from None


def find(key: str) -> Metric | None:
    """The declaration of a key read from disk, or None for one this version does not know."""
    return BY_KEY.get(key)


def format_value(key: str, value: Any, cell: bool = False) -> str:
    """A declared metric's value as text (`cell`: its narrow-table form), or the missing-value dash."""
    declared = metric(key)
    return declared.cell(value) if cell else declared.text(value)


def change_is_better(key: str, value: Any, baseline: Any) -> bool | None:
    """Whether `value` of a declared metric is better than `baseline` (None: no verdict); see Metric."""
    return metric(key).change_is_better(value, baseline)


def declared_order(keys: Iterable[str]) -> list[str]:
    """Metric keys in declaration order, then the undeclared ones (other versions') in the order given."""
    seen = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    rank = {m.key: i for i, m in enumerate(METRICS)}
    return sorted(seen, key=lambda k: (rank.get(k, len(rank)), seen[k]))
