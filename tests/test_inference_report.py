"""The attribution report's inference figures and lifetime energy, on records carrying the inference phase's metrics.

The records are crafted (the worker's inference phase is tested where it runs): this tests the reading side.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest

from greentui.cli.main import main
from greentui.config import RunConfig
from greentui.report.attribution import (
    DEFAULT_LIFETIME_PREDICTIONS,
    FIGURES,
    attribute,
    completed_groups,
    lifetime_kwh,
    training_kwh,
)
from greentui.report.tables import DEPLOYED, TRAINING, count_text, csv_text, markdown
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore
from tests.test_sweep_plan import run

# (config changes, energy_kwh, inference_energy_kwh, inference_kwh_per_1k, latency p50 b1 ms, model MB, inference acc)
RUNS = [({}, 0.010, 0.002, 0.0004, 5.0, 260.0, 0.85),
        ({}, 0.012, 0.002, 0.0006, 6.0, 260.0, 0.87),
        ({"lora": True}, 0.006, 0.001, 0.0002, 3.0, 70.0, 0.84),
        ({"lora": True}, 0.008, 0.001, 0.0002, 3.5, 70.0, 0.83)]


def inference_record(n: int) -> RunRecord:
    changes, kwh, inference_kwh, per_1k, latency, size_mb, accuracy = RUNS[n]
    return RunRecord(id=f"r{n}", name=f"r{n}", status="completed", created_at=f"2026-11-22T09:0{n}",
                     config=RunConfig().with_values(**changes).to_dict(),
                     metrics={"energy_kwh": kwh, "duration_s": 10.0, "emissions_kg": kwh * 0.475,
                              "accuracy": accuracy + 0.01, "inference_energy_kwh": inference_kwh,
                              "inference_kwh_per_1k": per_1k, "inference_latency_ms_p50_b1": latency,
                              "model_size_mb": size_mb, "inference_accuracy": accuracy,
                              "inference_samples_per_s": 900.0, "flops_per_prediction": 1.1e9})


def inference_store(path: Path) -> RunStore:
    store = RunStore(path)
    for n in range(len(RUNS)):
        store.insert(inference_record(n))
    return store


def by_role(records: list[RunRecord]) -> dict[str, list[RunRecord]]:
    return completed_groups(records, lambda r: "lora" if r.config.get("lora") else "baseline")


def test_inference_changes_and_lifetime_energy_against_the_baseline() -> None:
    base, lora = attribute(by_role([inference_record(n) for n in range(4)]))
    assert base.stats["inference_per_1k"].mean == pytest.approx(0.0005)  # (0.0004 + 0.0006) / 2
    assert lora.change["inference_per_1k"] == pytest.approx(0.0002 - 0.0005)
    assert lora.change_pct["inference_per_1k"] == pytest.approx(-60.0)
    assert lora.change["latency_p50_b1"] == pytest.approx(3.25 - 5.5)
    assert lora.change["model_size"] == pytest.approx(-190.0) and lora.change_pct["model_size"] == pytest.approx(-190 / 2.6)
    assert lora.change["inference_accuracy"] == pytest.approx(0.835 - 0.86)
    # Lifetime, N = 1,000,000: (energy − inference energy) + N × kWh per 1k / 1000, per run, then averaged.
    base_lifetime = [(0.010 - 0.002) + 1e6 * 0.0004 / 1000, (0.012 - 0.002) + 1e6 * 0.0006 / 1000]  # 0.408, 0.610
    lora_lifetime = [(0.006 - 0.001) + 1e6 * 0.0002 / 1000, (0.008 - 0.001) + 1e6 * 0.0002 / 1000]  # 0.205, 0.207
    assert base.stats["lifetime"].mean == pytest.approx(sum(base_lifetime) / 2)  # 0.509
    assert lora.stats["lifetime"].mean == pytest.approx(sum(lora_lifetime) / 2)  # 0.206
    assert lora.change["lifetime"] == pytest.approx(0.206 - 0.509)
    assert lora.change_pct["lifetime"] == pytest.approx(100 * (0.206 - 0.509) / 0.509)
    assert base.lifetime_predictions == 1_000_000
    few = attribute(by_role([inference_record(n) for n in range(4)]), lifetime_predictions=5000)[1]
    assert few.stats["lifetime"].mean == pytest.approx((0.005 + 0.001 + 0.007 + 0.001) / 2)  # 0.007
    assert few.change["lifetime"] == pytest.approx(0.007 - (0.008 + 0.002 + 0.010 + 0.003) / 2)  # −0.0045


def test_training_energy_is_the_run_less_its_inference_phase_or_all_of_it_without_one() -> None:
    record = inference_record(0)
    assert training_kwh(record) == pytest.approx(0.008)
    bare = replace(record, metrics={"energy_kwh": 0.01, "inference_kwh_per_1k": 0.0004})
    assert training_kwh(bare) == 0.01 and lifetime_kwh(bare, 2000) == pytest.approx(0.01 + 0.0008)
    assert lifetime_kwh(replace(record, metrics={"energy_kwh": 0.01}), 1000) is None  # no inference phase
    assert lifetime_kwh(replace(record, metrics={"inference_kwh_per_1k": 0.0004}), 1000) is None


def test_only_energy_like_figures_widen_by_the_measurement_bound_between_setups() -> None:
    def measured(record: RunRecord, cpu: str) -> RunRecord:
        return replace(record, hardware={"cpu_model": cpu},
                       measurement={"method": "codecarbon-offline", "uncertainty": {"energy_kwh": {"relative": 0.6}}})

    base = [measured(inference_record(n), "CPU A") for n in (0, 1)]
    lora = [replace(r, metrics={**r.metrics, "inference_kwh_per_1k": v})
            for r, v in zip((measured(inference_record(n), "CPU A") for n in (2, 3)), (0.00020, 0.00022), strict=True)]
    same = attribute({"baseline": base, "lora": lora})[1]
    assert same.noise["inference_per_1k"] is False and same.noise["latency_p50_b1"] is False
    moved = attribute({"baseline": base, "lora": [replace(r, hardware={"cpu_model": "CPU B"}) for r in lora]})[1]
    assert moved.noise["inference_per_1k"] is True  # ±60 % on each side swallows −58 %
    assert moved.noise["latency_p50_b1"] is False  # not an energy figure: the bound does not apply


def test_markdown_has_the_inference_table_with_the_numbers_and_states_n() -> None:
    text = markdown(attribute(by_role([inference_record(n) for n in range(4)])), "t")
    assert "for N = 1,000,000 predictions over the model's life" in text
    assert ("| techniques | runs | kWh per 1k predictions | Δ kWh per 1k predictions | latency p50 batch 1 ms | "
            "Δ latency p50 batch 1 ms | model size MB | Δ model size MB | inference accuracy | Δ inf acc (points) | "
            "lifetime energy kWh | Δ lifetime energy kWh |") in text
    assert ("| lora | 2 | 0.000200 ± 0.00 | -0.000300 (-60.0 %) | 3.25 ± 0.35 | -2.25 (-40.9 %) | 70.000 ± 0.000 | "
            "-190.000 (-73.1 %) | 0.835 ± 0.007 | -2.5 | 0.206000 ± 0.001414 | -0.303000 (-59.5 %) |") in text
    only_size = [replace(r, metrics={"energy_kwh": 0.01, "accuracy": 0.8, "model_size_mb": 100.0 + n})
                 for n, r in enumerate(inference_record(n) for n in range(4))]
    text = markdown(attribute(by_role(only_size)), "t")  # saved models, no inference phase: only the size column
    assert "| techniques | runs | model size MB | Δ model size MB |" in text and "lifetime" not in text


def test_old_records_show_no_inference_columns_and_the_csv_header_stays_the_same() -> None:
    old = [run("baseline", 1.0, 100, 0.80), run("baseline", 1.2, 110, 0.82), run("bf16", 0.5, 50, 0.81)]
    old_rows = attribute(completed_groups(old, lambda r: r.sweep["role"]))
    text = markdown(old_rows, "t")
    for absent in ("kWh per 1k", "latency", "model size", "inference", "lifetime", "| – | – |"):
        assert absent not in text, absent
    assert text.count("| techniques |") == 1
    new_rows = attribute(by_role([inference_record(n) for n in range(4)]))
    old_table, new_table = csv.reader(io.StringIO(csv_text(old_rows))), csv.reader(io.StringIO(csv_text(new_rows)))
    header = next(old_table)
    assert header == next(new_table)
    assert header[:24] == ["techniques", "runs", *(f"{p}_{s}" for p in ("energy_kwh", "time_s", "co2_g", "accuracy")
                                                  for s in ("mean", "sd", "change", "change_pct", "within_noise")),
                           "kwh_per_accuracy", "pareto"]  # where they were before the inference columns
    assert header[-1] == "lifetime_predictions" and "lifetime_kwh_change" in header and "inference_per_1k_kwh_mean" in header
    old_base = dict(zip(header, next(old_table), strict=True))
    assert old_base["inference_per_1k_kwh_mean"] == "" and old_base["lifetime_kwh_change"] == ""
    new_lora = list(csv.DictReader(io.StringIO(csv_text(new_rows))))[1]
    assert float(new_lora["inference_per_1k_kwh_change"]) == pytest.approx(-0.0003)
    assert float(new_lora["lifetime_kwh_change"]) == pytest.approx(-0.303) and new_lora["lifetime_predictions"] == "1000000"
    assert set(TRAINING) | set(DEPLOYED) == set(FIGURES) and not set(TRAINING) & set(DEPLOYED)


def report(store_path: Path, *extra: str) -> list[str]:
    return ["--store", str(store_path), "report", "--runs", "r1", "r2", "r3", "--baseline", "r0", *extra]


@pytest.mark.parametrize("bad", ["0", "-5", "abc", "1.5", "nan"])
def test_lifetime_predictions_must_be_a_whole_number_above_zero(store_path: Path, capsys, bad: str) -> None:
    inference_store(store_path)
    before = store_path.read_bytes()
    assert main(report(store_path, "--lifetime-predictions", bad)) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith(f"greentui: --lifetime-predictions {bad!r}: ")
    assert store_path.read_bytes() == before


def test_lifetime_predictions_set_the_n_of_the_lifetime_figure(store_path: Path, capsys) -> None:
    inference_store(store_path)
    assert main(report(store_path)) == 0
    default = capsys.readouterr().out
    assert "for N = 1,000,000 predictions" in default
    assert "| 0.206000 ± 0.001414 | -0.303000 (-59.5 %) |" in default
    assert main(report(store_path, "--lifetime-predictions", "5000")) == 0
    few = capsys.readouterr().out
    assert "for N = 5,000 predictions" in few
    # baseline (0.008 + 0.002, 0.010 + 0.003), lora (0.005 + 0.001, 0.007 + 0.001): means 0.0115 and 0.007
    assert "| baseline | 2 | 0.000500 ± 0.000141 | baseline |" in few and "| 0.011500 ± 0.002121 | baseline |" in few
    assert "| 0.007000 ± 0.001414 | -0.004500 (-39.1 %) |" in few
    assert main(report(store_path, "--lifetime-predictions", "5000", "--format", "csv")) == 0
    lora = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))[1]
    assert float(lora["lifetime_kwh_mean"]) == pytest.approx(0.007) and lora["lifetime_predictions"] == "5000"
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert f"(default {count_text(DEFAULT_LIFETIME_PREDICTIONS)})" in " ".join(capsys.readouterr().out.split())
