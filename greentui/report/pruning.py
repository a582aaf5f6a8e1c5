"""What a sweep's pruning (`--prune dominated`) did: the runs it stopped, why, and the energy it saved.

The saving is an estimate: each pruned run's projection when it was judged (its energy at the end of
training, the final evaluation included) less what it used. A completed run also has the phases after
training (saving, the inference phase), which the projection leaves out, so the estimate is low.
The full sweep's energy is what the sweep used plus that saving.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from greentui.store.record import RunRecord


def _label(record: RunRecord) -> str:
    repeat = record.sweep.get("repeat")
    return f"{record.sweep.get('role', '?')} #{repeat + 1 if isinstance(repeat, int) else '?'}"


def pruning_facts(records: Sequence[RunRecord]) -> dict[str, Any] | None:
    """The pruned runs and the energy figures, as plain data; None when no run was pruned."""
    pruned = [r for r in records if r.status == "pruned"]
    if not pruned:
        return None
    used = sum(v for r in records if (v := r.metric("energy_kwh")) is not None)
    saved = sum(v for r in pruned if (v := r.metric("pruned_saved_kwh")) is not None)
    return {"rule": "greentui.sweep.prune_rule (README, 'Pruning a sweep')",
            "runs": [{"id": r.id, "run": _label(r), "at_step": r.metric("pruned_at_step"),
                      "energy_kwh": r.metric("energy_kwh"), "projected_kwh": r.metric("pruned_projected_kwh"),
                      "saved_kwh": r.metric("pruned_saved_kwh"), "reason": r.error} for r in pruned],
            "used_kwh": used, "saved_kwh": saved, "full_sweep_kwh": used + saved}


def pruning_notes(facts: Mapping[str, Any] | None) -> list[str]:
    """The report's lines on pruning: one per pruned run, then the energy it saved."""
    if not facts:
        return []
    lines = [f"Pruned {run['run']} (`{run['id']}`): {run['reason'] or 'no reason stored'}." for run in facts["runs"]]
    full = facts["full_sweep_kwh"]
    share = f", {facts['saved_kwh'] / full * 100:.0f} % of the full sweep's estimated {full:.6f} kWh" if full > 0 else ""
    lines.append(f"Pruning saved an estimated {facts['saved_kwh']:.6f} kWh{share}: the pruned runs' projected "
                 "energy to the end of training less what they used (the sweep used "
                 f"{facts['used_kwh']:.6f} kWh; the phases after training are not in the estimate, so it is low).")
    return lines
