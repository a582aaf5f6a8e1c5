"""The compute appendix: where, with what and how the runs were measured, and what the whole study cost.

The study total counts every selected run whatever its ending (failed, stopped, diverged and
contended runs spent energy too): it is the energy of the research, not only of the runs the
table compares. Facts that differ between runs are listed once per distinct value, so a mixed
study shows as mixed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Sequence

from greentui.metrics.quality import is_contended
from greentui.metrics.uncertainty import relative_of
from greentui.report.selection import Selection
from greentui.store.record import RunRecord

DEFAULT_PUE = 1.0  # what CodeCarbon assumes, and what runs from before the pue key were measured with
COMPONENTS = ("cpu", "ram", "gpu")


def _distinct(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def _hardware(record: RunRecord) -> dict[str, Any]:
    hw, gpus, names = record.hardware, record.measurement.get("gpus"), record.hardware.get("gpus")
    measured = [g for g in gpus if isinstance(g, dict)] if isinstance(gpus, list) else []
    return {"cpu_model": hw.get("cpu_model"), "cpu_count": hw.get("cpu_count"), "ram_gb": hw.get("ram_gb"),
            "device": hw.get("device"), "gpus": [str(g) for g in names] if isinstance(names, list) else [],
            "gpu_driver": _distinct(str(g["driver_version"]) for g in measured if g.get("driver_version")),
            "cuda": hw.get("cuda"),
            "gpu_power_limits_w": _distinct(float(w) for g in measured if isinstance(w := g.get("power_limit_w"), (int, float))
                                            and not isinstance(w, bool) and w > 0)}


def _method(record: RunRecord) -> dict[str, Any]:
    how = record.measurement
    table = how.get("uncertainty")
    energy = table.get("energy_kwh") if isinstance(table, dict) else None
    return {"method": how.get("method"), "interval_s": how.get("interval_s"),
            **{component: str(how.get(component, "?")) for component in COMPONENTS},
            "simulated_gpu": how.get("simulated") is True,
            # Rounded: the combined bound differs a little run to run, and one line per setup is wanted.
            "energy_uncertainty": None if (bound := relative_of(how)) is None else round(bound, 2),
            "uncertainty_basis": energy.get("method") if isinstance(energy, dict) else None}


def _carbon(record: RunRecord) -> dict[str, Any]:
    how = record.measurement
    return {"g_per_kwh": how.get("carbon_intensity_g_per_kwh"), "source": how.get("carbon_intensity_source"),
            "country": how.get("country")}


def _dataset(record: RunRecord) -> dict[str, Any]:
    stored = record.measurement.get("dataset")
    facts = stored if isinstance(stored, dict) else {}
    return {"dataset": record.config.get("dataset"), "train_samples": record.metrics.get("train_samples"),
            "eval_samples": record.metrics.get("eval_samples"), "fingerprint": facts.get("fingerprint")}


def _pue(record: RunRecord) -> float:
    value = record.measurement.get("pue")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else DEFAULT_PUE


def study_total(records: Sequence[RunRecord]) -> dict[str, Any]:
    """Energy, CO₂ and time of every run, by status too; runs that stored no energy are counted apart."""
    def total(runs: Iterable[RunRecord], key: str) -> float:
        return sum(v for r in runs if (v := r.metric(key)) is not None)

    statuses = Counter(r.status for r in records)
    return {"runs": len(records), "by_status": dict(sorted(statuses.items())),
            "contended": sum(1 for r in records if is_contended(r.measurement)),
            "energy_kwh": total(records, "energy_kwh"), "emissions_kg": total(records, "emissions_kg"),
            # A run's measured interval; a run from before phases were measured has its training time only.
            "measured_s": sum(v for r in records if (v := r.metric("measured_s") or r.metric("duration_s")) is not None),
            "energy_by_status": {s: total((r for r in records if r.status == s), "energy_kwh") for s in sorted(statuses)},
            "without_energy": sum(1 for r in records if r.metric("energy_kwh") is None)}


def appendix_facts(selection: Selection) -> dict[str, Any]:
    """Everything the appendix states, as plain data (the JSON report carries it whole)."""
    records = selection.records
    measured = [r for r in records if r.hardware or r.measurement]
    dates = sorted(d for r in records if isinstance(d := r.started_at or r.created_at, str) and d)
    return {"selection": selection.plan, "study": study_total(records),
            "hardware": _distinct(map(_hardware, measured)), "software": _distinct(dict(r.versions) for r in measured),
            "measurement": _distinct(map(_method, measured)), "carbon_intensity": _distinct(map(_carbon, measured)),
            "pue": _distinct(_pue(r) for r in measured), "datasets": _distinct(map(_dataset, records)),
            "seeds": sorted({s for r in records if isinstance(s := r.config.get("seed"), int)}),
            "repeats": {row.role: row.runs for row in selection.rows},
            "dates": [dates[0], dates[-1]] if dates else [],
            "runs": [{"id": r.id, "name": r.name, "status": r.status, "row": selection.role_of.get(r.id),
                      "energy_kwh": r.metric("energy_kwh"), "command": _command(r)} for r in records]}


def _command(record: RunRecord) -> str:
    """The run's `greentui run` command, or why there is none: one unreadable record spoils no report."""
    from greentui.report.errors import ReportError
    from greentui.report.reproduce import reproduce_command

    try:
        return reproduce_command(record)
    except ReportError as err:
        return f"(none: {err})"


def paragraph(facts: dict[str, Any]) -> str:
    """The appendix in a few plain sentences a paper can paste."""
    study, hardware = facts["study"], facts["hardware"]
    where = "; ".join(_machine(h) for h in hardware) or "an unrecorded machine"
    methods = "; ".join(_method_words(m) for m in facts["measurement"]) or "no recorded method"
    carbon = "; ".join(f"{c['g_per_kwh']} g CO2-eq/kWh ({c['source']})" for c in facts["carbon_intensity"]) or "unknown"
    failed = study["runs"] - study["by_status"].get("completed", 0)
    pue = ", ".join(f"{p:g}" for p in facts["pue"]) or f"{DEFAULT_PUE:g}"
    software = facts["software"][0] if facts["software"] else {}
    stack = ", ".join(f"{k} {v}" for k, v in software.items() if k in ("python", "torch", "transformers", "codecarbon",
                                                                          "greentui"))
    text = (f"The experiments ran on {where}, with {stack or 'unrecorded software'}. "
            f"Energy was measured by {methods}; emissions assume {carbon} and a PUE of {pue}. "
            f"The whole study took {study['runs']} runs ({failed} of them not completed, "
            f"{study['contended']} contended) and used {study['energy_kwh']:.4g} kWh, "
            f"{study['emissions_kg'] * 1000:.4g} g CO2-eq, over {study['measured_s'] / 3600:.3g} h measured; "
            "these totals include the runs left out of the comparison.")
    if study["without_energy"]:
        text += f" {study['without_energy']} run(s) stored no energy figure and are not in the total."
    if any(m["simulated_gpu"] for m in facts["measurement"]):
        text += " Some runs measured a simulated GPU: their GPU figures are not measurements."
    return text


def _machine(h: dict[str, Any]) -> str:
    gpus = ", ".join(h["gpus"]) or "no GPU"
    extra = "".join([f", driver {'/'.join(map(str, h['gpu_driver']))}" if h["gpu_driver"] else "",
                     f", CUDA {h['cuda']}" if h["cuda"] else "",
                     f", power limit {'/'.join(f'{w:g}' for w in h['gpu_power_limits_w'])} W"
                     if h["gpu_power_limits_w"] else ""])
    return f"{h['cpu_model']} ({h['cpu_count']} logical CPUs, {h['ram_gb']} GB RAM), {gpus}{extra}"


def _method_words(m: dict[str, Any]) -> str:
    bound = f", stated uncertainty ±{m['energy_uncertainty']:.0%}" if m["energy_uncertainty"] is not None else ""
    gpu = m["gpu"].split(":")[0]
    return f"{m['method']} every {m['interval_s']} s (CPU: {m['cpu']}; RAM: {m['ram']}; GPU: {gpu}{bound})"


def fact_lines(facts: dict[str, Any]) -> list[str]:
    """The facts a reader may check, a line each: the study total first."""
    study = facts["study"]
    return [f"Study total ({facts['selection']}): {study['runs']} runs, "
            + ", ".join(f"{n} {s}" for s, n in study["by_status"].items())
            + f"; {study['energy_kwh']:.6f} kWh, {study['emissions_kg'] * 1000:.4f} g CO2-eq"
            + "".join(f"; {s}: {kwh:.6f} kWh" for s, kwh in study["energy_by_status"].items() if s != "completed"),
            *(f"Hardware: {_machine(h)}, trained on {h['device']}" for h in facts["hardware"]),
            *(f"Software: {', '.join(f'{k} {v}' for k, v in s.items())}" for s in facts["software"]),
            *(f"Measurement: {_method_words(m)}" for m in facts["measurement"]),
            *(f"Carbon intensity: {c['g_per_kwh']} g/kWh, {c['source']}" for c in facts["carbon_intensity"]),
            f"PUE: {', '.join(f'{p:g}' for p in facts['pue']) or DEFAULT_PUE}",
            *(f"Dataset: {d['dataset']}, {d['train_samples']} train / {d['eval_samples']} eval rows, "
              f"fingerprint {d['fingerprint'] or 'not recorded'}" for d in facts["datasets"]),
            f"Seeds: {', '.join(map(str, facts['seeds'])) or 'not recorded'}; runs per row: "
            + ", ".join(f"{role} {n}" for role, n in facts["repeats"].items()),
            f"Dates: {' to '.join(facts['dates']) or 'not recorded'}"]


def markdown_appendix(selection: Selection) -> str:
    """The appendix as Markdown: the paragraph, then the facts, then each run's command."""
    facts = appendix_facts(selection)
    lines = ["## Compute appendix", "", paragraph(facts), "", *(f"- {line}" for line in fact_lines(facts)),
             "", "Each run, and the command that reproduces it:", "",
             *(f"- `{r['id']}` ({r['status']}{', ' + r['row'] if r['row'] else ''}): `{r['command']}`"
               for r in facts["runs"])]
    return "\n".join(lines) + "\n"
