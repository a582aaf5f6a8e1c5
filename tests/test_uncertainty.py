"""Each energy figure's stated uncertainty: its bound by method, the total's in quadrature, and where it is used."""

from __future__ import annotations

from dataclasses import replace
from math import sqrt

import pytest

from greentui.metrics.uncertainty import RAM_MODEL, RAPL, TDP_MODEL, relative_of, uncertainties
from greentui.report.attribution import attribute
from greentui.report.csv_export import csv_text
from greentui.store.record import RunRecord

CPU_ONLY = {"cpu": "cpu_load", "ram": "RAM power model (watts per GB of RAM, CodeCarbon estimate)",
            "codecarbon_gpu": "not measured"}


def test_a_cpu_only_run_combines_its_models_in_quadrature() -> None:
    metrics = {"energy_kwh": 1.0, "cpu_energy_kwh": 0.4, "ram_energy_kwh": 0.6, "gpu_energy_kwh": 0.0}
    table = uncertainties(metrics, CPU_ONLY)
    assert table["cpu_energy_kwh"]["relative"] == TDP_MODEL.relative
    assert table["ram_energy_kwh"]["relative"] == RAM_MODEL.relative
    assert "gpu_energy_kwh" not in table  # not measured: no bound claimed
    expected = sqrt((0.4 * TDP_MODEL.relative) ** 2 + (0.6 * RAM_MODEL.relative) ** 2)
    assert table["energy_kwh"]["relative"] == pytest.approx(expected, abs=1e-4)
    assert table["energy_kwh"]["method"] == "TDP model + RAM model"
    assert "carbon intensity" in table["emissions_kg"]["basis"]


def test_rapl_and_nvml_figures_are_bounded_tighter_and_sampling_adds_its_spread() -> None:
    how = {**CPU_ONLY, "cpu": "intel_rapl", "codecarbon_gpu": "NVML (CodeCarbon)"}
    metrics = {"energy_kwh": 1.0, "cpu_energy_kwh": 0.1, "ram_energy_kwh": 0.0, "gpu_energy_kwh": 0.9,
               "gpu_nvml_energy_kwh": 0.9, "gpu_power_integrated_kwh": 0.91}
    table = uncertainties(metrics, how, sampling_spread=0.03)
    assert table["cpu_energy_kwh"]["relative"] == RAPL.relative
    assert table["gpu_nvml_energy_kwh"]["relative"] == 0.05
    assert table["gpu_power_integrated_kwh"]["relative"] == pytest.approx(sqrt(0.05 ** 2 + 0.03 ** 2), abs=1e-4)
    assert table["energy_kwh"]["relative"] < 0.06  # the GPU dominates, measured to ±5 %
    generic = uncertainties(metrics, {**how, "cpu": "constant (generic TDP: CPU model unknown to CodeCarbon)"})
    assert generic["cpu_energy_kwh"]["relative"] == 1.0


@pytest.mark.parametrize("junk", [None, "±5 %", {"energy_kwh": "a lot"}, {"energy_kwh": {"relative": -1}},
                                  {"energy_kwh": {"relative": True}}, {"energy_kwh": []}])
def test_a_stored_uncertainty_of_the_wrong_shape_reads_as_none(junk: object) -> None:
    assert relative_of({"uncertainty": junk}) is None


def _run(run_id: str, energy: float, cpu_model: str, role: str) -> RunRecord:
    return RunRecord(id=run_id, name=run_id, status="completed", created_at="", sweep={"role": role},
                     hardware={"cpu_model": cpu_model}, metrics={"energy_kwh": energy, "accuracy": 0.8},
                     measurement={**CPU_ONLY, "method": "codecarbon-offline",
                                  "uncertainty": {"energy_kwh": {"relative": 0.4}}})


def test_attribution_adds_the_bounds_only_where_the_groups_were_measured_differently() -> None:
    base = [_run("b1", 1.00, "CPU A", "baseline"), _run("b2", 1.02, "CPU A", "baseline")]
    same = [_run("s1", 0.80, "CPU A", "lora"), _run("s2", 0.82, "CPU A", "lora")]
    rows = attribute({"baseline": base, "lora": same})
    assert rows[1].noise["energy"] is False  # -20 % against a spread of 0.014: a real change
    moved = [replace(r, hardware={"cpu_model": "CPU B"}) for r in same]
    rows = attribute({"baseline": base, "lora": moved})
    assert rows[1].noise["energy"] is True  # another machine: ±40 % on each side swallows it


def test_the_csv_carries_the_uncertainty_and_the_phases_as_dotted_columns() -> None:
    record = replace(_run("r1", 1.0, "CPU A", "baseline"),
                     phases={"train": {"duration_s": 3.0, "energy_kwh": 0.9}, "eval": {"duration_s": 1.0}})
    text, rows = csv_text([record])
    header = text.splitlines()[0].split(",")
    assert rows == 1
    assert {"measurement.uncertainty.energy_kwh.relative", "phases.train.energy_kwh", "phases.eval.duration_s"} <= set(header)
