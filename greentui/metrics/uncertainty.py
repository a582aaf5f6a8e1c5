"""How far each energy figure can be trusted: its method and a stated relative uncertainty.

The figures are stated bounds, not measured errors, and each names its basis:

- NVML power and energy: NVIDIA's NVML reference states readings accurate to within ±5 % of the
  power drawn (stated for Fermi and Kepler; no figure is published for later GPUs, and on Ampere and
  newer a reading is a one-second average). Integrating 4 Hz samples adds the samples' spread.
- CPU by RAPL: a counter of the package's energy, but not the board, fans or power supply; ±10 %.
- CPU by load × TDP (CodeCarbon's cpu_load mode) or half the TDP (constant mode): a model that
  cannot know where between idle and turbo the CPU draws; ±50 % (±100 % with a generic TDP, where
  CodeCarbon does not know the CPU model).
- RAM by CodeCarbon's model (a fixed number of watts per memory module or GB): ±50 %.

A total's uncertainty combines its parts in quadrature (independent sources) in absolute terms.
These are systematic: two runs measured the same way on the same machine share most of them,
so a change between such runs is judged by the runs' spread (greentui.report.attribution), not
by these bounds, which say how far the absolute figure in a paper can be off.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt
from typing import Any, Mapping

from greentui.metrics.registry import as_number


@dataclass(frozen=True)
class Bound:
    """A figure's method and its stated relative uncertainty (0.05: ±5 %)."""

    method: str
    relative: float
    basis: str

    def to_doc(self) -> dict[str, Any]:
        """The record's form: {method, relative, basis}."""
        return {"method": self.method, "relative": round(self.relative, 4), "basis": self.basis}


NVML = Bound("NVML", 0.05, "NVML reference: ±5 % of the power drawn")
RAPL = Bound("RAPL", 0.10, "package energy counter; board and power supply not included")
TDP_MODEL = Bound("TDP model", 0.50, "CodeCarbon's load × TDP (or half-TDP) model")
GENERIC_TDP = Bound("generic TDP model", 1.00, "CodeCarbon's model with a TDP guessed for an unknown CPU")
RAM_MODEL = Bound("RAM model", 0.50, "CodeCarbon's watts-per-memory model")


def cpu_bound(cpu_method: str) -> Bound | None:
    """The CPU figure's bound from the record's `measurement.cpu` (None: not measured)."""
    if cpu_method.startswith("not measured") or not cpu_method:
        return None
    if "rapl" in cpu_method or "power_gadget" in cpu_method or "windows_emi" in cpu_method:
        return RAPL
    return GENERIC_TDP if "generic" in cpu_method else TDP_MODEL


def sampled_bound(spread: float | None) -> Bound:
    """Integrated NVML power: NVML's ±5 % and the samples' relative standard error, in quadrature."""
    extra = spread or 0.0
    return Bound("NVML power integrated", sqrt(NVML.relative ** 2 + extra ** 2),
                 f"{NVML.basis}; sampling spread ±{extra:.1%}")


def uncertainties(metrics: Mapping[str, Any], measurement: Mapping[str, Any],
                  sampling_spread: float | None = None) -> dict[str, dict[str, Any]]:
    """The record's `measurement.uncertainty`: each energy figure's bound, and the total's combined one."""
    parts: dict[str, Bound | None] = {
        "cpu_energy_kwh": cpu_bound(str(measurement.get("cpu", ""))),
        "ram_energy_kwh": RAM_MODEL if str(measurement.get("ram", "")).startswith("RAM power model") else None,
        "gpu_energy_kwh": NVML if str(measurement.get("codecarbon_gpu", "")).startswith("NVML") else None,
    }
    out = {key: bound.to_doc() for key, bound in parts.items() if bound is not None and key in metrics}
    if "gpu_nvml_energy_kwh" in metrics:
        out["gpu_nvml_energy_kwh"] = Bound("NVML energy counter", NVML.relative, NVML.basis).to_doc()
    if "gpu_power_integrated_kwh" in metrics:
        out["gpu_power_integrated_kwh"] = sampled_bound(sampling_spread).to_doc()
    total = combined({key: (as_number(metrics.get(key)), bound) for key, bound in parts.items()},
                     as_number(metrics.get("energy_kwh")))
    if total is not None:
        out["energy_kwh"] = total.to_doc()
        out["emissions_kg"] = Bound(total.method, total.relative,
                                    total.basis + "; the carbon intensity (an annual average) is not included").to_doc()
    return out


def combined(parts: Mapping[str, tuple[float | None, Bound | None]], total: float | None) -> Bound | None:
    """The total's bound: its parts' absolute uncertainties in quadrature, relative to the total."""
    known = [(value, bound) for value, bound in parts.values() if value is not None and bound is not None and value > 0]
    if not known or not total or total <= 0:
        return None
    absolute = sqrt(sum((value * bound.relative) ** 2 for value, bound in known))
    methods = " + ".join(dict.fromkeys(bound.method for _, bound in known))
    return Bound(methods, absolute / total, "parts combined in quadrature")


def relative_of(measurement: Mapping[str, Any], key: str = "energy_kwh") -> float | None:
    """A stored record's relative uncertainty of one figure, None where it has none (stored data is untrusted)."""
    table = measurement.get("uncertainty")
    entry = table.get(key) if isinstance(table, Mapping) else None
    value = as_number(entry.get("relative")) if isinstance(entry, Mapping) else None
    return value if value is not None and value >= 0 else None
