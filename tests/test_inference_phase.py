"""The inference phase in real runs: measured on its own, the model as deployed, compression in effect."""

from __future__ import annotations

from pathlib import Path

import pytest

from greentui.config import ConfigError, RunConfig
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore
from tests.support import greentui
from tests.test_distillation import completed

# The final evaluation and the inference phase predict the same 120 held-out rows.
QUICK = ("--preset", "tiny", "--set", "train_samples=200", "--set", "eval_samples=120", "--set", "epochs=1",
         "--set", "inference_samples=120")
INFERENCE_METRICS = ("inference_accuracy", "inference_kwh_per_1k", "inference_samples_per_s",
                     "inference_latency_ms_p50_b1", "inference_latency_ms_p95_b1", "inference_latency_ms_p50_b32",
                     "inference_peak_mem_mb", "model_size_mb", "flops_per_prediction", "inference_energy_kwh")


def phase_energy(record: RunRecord, phase: str) -> float:
    return float(record.phases[phase]["energy_kwh"])


@pytest.fixture(scope="module")
def plain_and_int8(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunRecord, RunRecord]:
    """One store, the same fine-tuning twice: deployed as trained, and with dynamic INT8."""
    store = tmp_path_factory.mktemp("inference") / "runs.json"
    return completed(store, *QUICK), completed(store, *QUICK, "--set", "quantization=dynamic-int8")


def test_the_inference_phase_has_its_own_energy_within_the_run(plain_and_int8: tuple[RunRecord, RunRecord]) -> None:
    plain, _ = plain_and_int8
    assert phase_energy(plain, "inference") > 0
    assert plain.metric("inference_energy_kwh") == pytest.approx(phase_energy(plain, "inference"))
    # Its energy is part of the run's, not added to it: the phases still add up to the total.
    total = sum(float(p["energy_kwh"]) for p in plain.phases.values())
    assert total == pytest.approx(plain.metric("energy_kwh"), rel=0.01)
    for key in INFERENCE_METRICS:
        assert plain.metric(key) is not None and plain.metric(key) > 0, key
    assert plain.metric("train_flops") and plain.metric("train_flops") > 0
    assert plain.metric("train_peak_mem_mb") and plain.metric("train_peak_mem_mb") > 0


def test_energy_per_prediction_is_measured_over_a_window_the_meter_resolves(
        plain_and_int8: tuple[RunRecord, RunRecord]) -> None:
    from greentui.worker.inference import ENERGY_WINDOW_S

    plain, _ = plain_and_int8
    window = plain.measurement["inference"]["energy_window"]
    assert window["seconds"] >= ENERGY_WINDOW_S  # several of CodeCarbon's one-second readings
    assert window["predictions"] == window["passes"] * 120
    assert plain.metric("inference_kwh_per_1k") == pytest.approx(window["energy_kwh"] / window["predictions"] * 1000)
    # The window is inside the phase: the phase's energy covers it.
    assert window["energy_kwh"] <= phase_energy(plain, "inference")
    assert window["predictions"] / window["seconds"] == pytest.approx(plain.metric("inference_samples_per_s"))


def test_an_uncompressed_model_predicts_as_it_evaluated(plain_and_int8: tuple[RunRecord, RunRecord]) -> None:
    plain, _ = plain_and_int8
    assert plain.metric("eval_samples") == plain.measurement["inference"]["samples"] == 120
    assert plain.metric("inference_accuracy") == plain.metric("accuracy")


def test_dynamic_int8_deploys_a_smaller_model_measured_the_same_way(
        plain_and_int8: tuple[RunRecord, RunRecord]) -> None:
    plain, int8 = plain_and_int8
    assert int8.measurement["inference"]["quantization"] == "dynamic-int8"
    assert "int8" in int8.techniques()
    assert int8.metric("model_size_mb") < 0.6 * plain.metric("model_size_mb")
    # Same training: the same accuracy before deployment, close after it.
    assert int8.metric("accuracy") == plain.metric("accuracy")
    assert abs(int8.metric("inference_accuracy") - plain.metric("inference_accuracy")) <= 0.05
    # FLOPs are the float model's operations: quantization changes their precision, not their count.
    assert int8.metric("flops_per_prediction") == plain.metric("flops_per_prediction")


def test_no_inference_phase_when_asked_for_none(tmp_path: Path) -> None:
    record = completed(tmp_path / "runs.json", *QUICK, "--set", "inference_samples=0")
    assert "inference" not in record.phases
    assert not [k for k in record.metrics if k.startswith("inference_")]


def test_a_quantization_the_device_cannot_run_is_refused_naming_the_key() -> None:
    from greentui.worker.compression import check_quantization
    from greentui.worker.training import TechniqueUnavailable

    with pytest.raises(TechniqueUnavailable, match="quantization"):
        check_quantization("dynamic-int8", "cuda")  # torch's dynamic quantization has CPU kernels only


@pytest.mark.parametrize("value", ["0", "1,a", "5000", ""])
def test_bad_batch_sizes_name_the_key(value: str) -> None:
    with pytest.raises(ConfigError, match="inference_batch_sizes"):
        RunConfig.from_mapping({"inference_batch_sizes": value})


def infer_refused(store_path: Path, *args: str) -> str:
    """`greentui infer ARGS` refused with one line, the store unchanged."""
    before = store_path.read_bytes()
    result = greentui("infer", *args, store=store_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert store_path.read_bytes() == before
    return result.stderr


def test_greentui_infer_deploys_a_saved_model_again_as_a_linked_run(tmp_path: Path) -> None:
    store_path = tmp_path / "runs.json"
    parent = completed(store_path, *QUICK, "--set", "save_model=true")
    result = greentui("infer", parent.id, "--set", "quantization=dynamic-int8", store=store_path)
    assert result.returncode == 0, result.stdout + result.stderr
    child = RunStore(store_path).get(result.stdout.split()[1])
    assert child is not None and child.status == "completed", (child, result.stdout)
    assert child.parent_id == parent.id and parent.parent_id is None
    assert child.config["quantization"] == "dynamic-int8" and child.config["train_samples"] == 200
    assert "train" not in child.phases and phase_energy(child, "inference") > 0  # no training: nothing to pay for
    assert child.metric("accuracy") == child.metric("inference_accuracy")
    assert abs(child.metric("inference_accuracy") - parent.metric("inference_accuracy")) <= 0.05
    assert child.metric("model_size_mb") < 0.6 * parent.metric("model_size_mb")
    # Its energy is its own phases' (load, eval, inference): no training leaks in from the parent.
    assert sum(p["energy_kwh"] for p in child.phases.values()) == pytest.approx(child.metric("energy_kwh"), rel=0.01)


def test_greentui_infer_refuses_what_it_cannot_deploy(tmp_path: Path) -> None:
    store_path = tmp_path / "runs.json"
    unsaved = completed(store_path, *QUICK, "--set", "inference_samples=0")
    assert "saved no model" in infer_refused(store_path, unsaved.id)
    assert "no run" in infer_refused(store_path, "20260101-000000-abcd")
    assert "'epochs'" in infer_refused(store_path, unsaved.id, "--set", "epochs=2")
    assert "'quantisation'" in infer_refused(store_path, unsaved.id, "--set", "quantisation=fp16")


def test_magnitude_pruning_reaches_its_sparsity_and_keeps_it_through_recovery(tmp_path: Path) -> None:
    record = completed(tmp_path / "runs.json", *QUICK, "--set", "pruning=0.3",
                       "--set", "pruning_recovery_steps=5")
    pruning = record.measurement["pruning"]
    assert pruning["method"] == "magnitude" and pruning["recovery_steps"] == 5
    assert abs(pruning["linear_sparsity"] - 0.3) <= 0.01  # measured on the weights after recovery
    assert record.metric("pruning_sparsity") == pytest.approx(pruning["sparsity"], abs=1e-9)
    assert "prune0.3-r5" in record.techniques()
    # A dense model with zeros is no smaller on disk: the honest figure, not the literature's.
    assert record.metric("model_size_mb") == pytest.approx(
        completed(tmp_path / "runs.json", *QUICK).metric("model_size_mb"), rel=0.01)


def test_heads_pruning_removes_heads_and_the_saved_model_stays_loadable(tmp_path: Path) -> None:
    store_path = tmp_path / "runs.json"
    record = completed(store_path, *QUICK, "--set", "pruning=0.5", "--set", "pruning_method=heads",
                       "--set", "save_model=true")
    pruning = record.measurement["pruning"]
    assert sum(len(h) for h in pruning["pruned_heads"].values()) == 2 == round(0.5 * pruning["heads_total"])
    assert pruning["params_after"] < pruning["params_before"]
    # Fewer heads compute less: the FLOPs counted per prediction drop too.
    plain = completed(store_path, *QUICK)
    assert record.metric("flops_per_prediction") < plain.metric("flops_per_prediction")
    # The saved model is the one before compression: `greentui infer` prunes it another way.
    result = greentui("infer", record.id, "--set", "pruning=0.25", "--set", "pruning_method=heads", store=store_path)
    assert result.returncode == 0, result.stdout + result.stderr
    child = RunStore(store_path).get(result.stdout.split()[1])
    assert child is not None and child.status == "completed", child
    assert sum(len(h) for h in child.measurement["pruning"]["pruned_heads"].values()) == 1
