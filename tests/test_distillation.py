"""save_model and knowledge distillation, on the bundled models in real runs (and the loss in the real Trainer)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from greentui.bundled import bundled_path
from greentui.config import RunConfig
from greentui.presets import preset
from greentui.store.record import RunRecord, utc_now
from greentui.store.run_store import RunStore
from greentui.worker.training import build_plan
from tests.support import greentui

# Short runs: enough steps for a student to follow its teacher, few enough to stay quick on 2 cores.
QUICK = ("--set", "train_samples=200", "--set", "eval_samples=100", "--set", "epochs=1")
TEACHER = "bundled:tiny-teacher"


def run_to_record(store_path: Path, *args: str) -> RunRecord:
    """`greentui run ARGS` to its end; the stored record (the command's output on failure)."""
    result = greentui("run", *args, store=store_path)
    first = result.stdout.splitlines()[0] if result.stdout else ""
    assert first.startswith("run "), result.stdout + result.stderr
    record = RunStore(store_path).get(first.split()[1])
    assert record is not None, result.stdout
    return record


def completed(store_path: Path, *args: str) -> RunRecord:
    record = run_to_record(store_path, *args)
    assert record.status == "completed", (record.status, record.error)
    return record


def refused(store_path: Path, *args: str) -> str:
    """`greentui run ARGS` refused before anything is stored: its one-line error."""
    before = store_path.read_bytes() if store_path.exists() else None
    runs_before = sorted(p.name for p in (store_path.parent / "runs").glob("*"))
    result = greentui("run", *args, store=store_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert (store_path.read_bytes() if store_path.exists() else None) == before
    assert sorted(p.name for p in (store_path.parent / "runs").glob("*")) == runs_before
    return result.stderr


def model_folder(store_path: Path, record: RunRecord) -> Path:
    return store_path.parent / record.run_dir / "model"


def evaluated_again(record: RunRecord, folder: Path, tmp_path: Path) -> float:
    """The accuracy of the model in `folder` on the run's own evaluation split, evaluated afresh."""
    config = RunConfig.from_mapping(record.config).with_values(model=str(folder), save_model=False, lora=False)
    return build_plan(config, tmp_path / "again").trainer.evaluate()["eval_accuracy"]


def save_teacher(tmp_path: Path, name: str, invert: bool = False, **config_changes: object) -> Path:
    """The bundled teacher, or one built from its config with `config_changes` (random weights), saved to tmp_path.

    `invert` negates its classifier's weight and bias: the logits change sign, so the teacher
    confidently predicts the wrong class wherever the real one predicts the right one."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    source = bundled_path(TEACHER)
    if config_changes:
        config = AutoConfig.from_pretrained(source, **config_changes)
        model = AutoModelForSequenceClassification.from_config(config)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(source)
    if invert:
        with torch.no_grad():
            model.classifier.weight.neg_()
            model.classifier.bias.neg_()
    folder = tmp_path / name
    model.save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_saved_model_loads_is_the_evaluated_one_teaches_and_goes_with_its_run(store_path: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    saved = completed(store_path, *QUICK, "--set", "save_model=true")
    folder = model_folder(store_path, saved)
    weights = folder / "model.safetensors"
    assert weights.is_file() and (folder / "tokenizer.json").is_file()
    assert saved.metrics["saved_model_mb"] == pytest.approx(weights.stat().st_size / 1e6)
    # The deployed size (torch.save of the state_dict) differs from the file's by serialisation overhead only.
    assert saved.metrics["model_size_mb"] == pytest.approx(saved.metrics["saved_model_mb"], rel=0.05)
    assert "classifier.weight" in load_file(weights)  # a classifier, loadable as a plain checkpoint
    assert evaluated_again(saved, folder, tmp_path) == pytest.approx(saved.metrics["accuracy"])

    # A run of this store that saved its model is a teacher by its id.
    student = completed(store_path, *QUICK, "--set", f"distill_from={saved.id}")
    assert student.measurement["distillation"]["teacher"] == saved.id
    assert student.measurement["distillation"]["teacher_kind"] == "run"
    assert student.measurement["distillation"]["teacher_params"] == saved.metrics["total_params"]
    assert "saved_model_mb" not in student.metrics  # save_model is off by default
    assert not model_folder(store_path, student).exists()

    # Deleting the run from the history frees its model (its logs stay); it can teach no more.
    assert RunStore(store_path).delete([saved.id]) == 1
    assert not folder.exists() and (folder.parent / "events.jsonl").is_file()
    assert "'distill_from'" in refused(store_path, *QUICK, "--set", f"distill_from={saved.id}")


@pytest.mark.slow
def test_lora_run_saves_the_merged_model(store_path: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    saved = completed(store_path, *QUICK, "--set", "lora=true", "--set", "save_model=true")
    folder = model_folder(store_path, saved)
    names = set(load_file(folder / "model.safetensors"))
    assert not (folder / "adapter_config.json").exists()
    assert names and not any("lora_" in n or "base_model" in n for n in names)  # plain DistilBERT names
    # The merged weights are the adapted ones: the plain checkpoint scores what the LoRA run scored.
    assert evaluated_again(saved, folder, tmp_path) == pytest.approx(saved.metrics["accuracy"])


@pytest.mark.slow
def test_the_student_follows_its_teacher_even_an_inverted_one(store_path: Path, tmp_path: Path) -> None:
    inverted = save_teacher(tmp_path, "inverted-teacher", invert=True)
    soft_only = (*QUICK, "--set", "distill_alpha=1.0")  # the labels have no say: only the teacher teaches
    real = completed(store_path, *soft_only, "--set", f"distill_from={TEACHER}")
    wrong = completed(store_path, *soft_only, "--set", f"distill_from={inverted}")
    assert wrong.metrics["accuracy"] < 0.5 < real.metrics["accuracy"]

    described = real.measurement["distillation"]
    assert described["teacher"] == TEACHER and described["teacher_kind"] == "bundled"
    assert described["temperature"] == 2.0 and described["alpha"] == 1.0
    assert described["teacher_params"] > real.metrics["total_params"]  # the teacher is the bigger model
    assert "energy" in described["energy"]
    assert "kd-tiny-teacher-a1" in real.name and wrong.measurement["distillation"]["teacher_kind"] == "folder"


def test_distillation_loss_is_hintons_mix_and_the_teacher_runs_only_in_training(tmp_path: Path) -> None:
    import torch.nn.functional as F

    config = preset("tiny").with_values(train_samples=64, eval_samples=32, epochs=1.0, batch_size=16,
                                        distill_from=TEACHER, distill_alpha=0.3, distill_temperature=3.0,
                                        label_smoothing=0.1)
    plan = build_plan(config, tmp_path / "out")
    trainer, teacher = plan.trainer, plan.trainer.teacher
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())
    assert next(teacher.parameters()).device.type == plan.device
    assert plan.distillation is not None and plan.distillation["teacher_params"] == sum(
        p.numel() for p in teacher.parameters())

    batch = {k: v.to(plan.device) for k, v in next(iter(trainer.get_train_dataloader())).items()}
    trainer.model.train()
    with torch.no_grad():
        loss = trainer.compute_loss(trainer.model, dict(batch))
        student = trainer.model(**{k: v for k, v in batch.items() if k != "labels"}).logits
        target = teacher(**{k: v for k, v in batch.items() if k != "labels"}).logits
    hard = F.cross_entropy(student, batch["labels"], label_smoothing=0.1)
    soft = F.kl_div(F.log_softmax(student / 3, -1), F.softmax(target / 3, -1), reduction="batchmean") * 9
    assert float(loss) == pytest.approx(float(0.7 * hard + 0.3 * soft), rel=1e-5)
    assert float(soft) > 0  # the two models disagree: the soft term is there to be weighed

    calls: list[bool] = []
    teacher.register_forward_hook(lambda *_: calls.append(trainer.model.training))
    trainer.train()
    assert calls and all(calls) and len(calls) == trainer.state.global_step  # one pass a training batch
    calls.clear()
    trainer.evaluate()
    assert calls == []  # evaluation is the student's alone


def store_with_a_run_without_a_model(store_path: Path) -> str:
    run_id = "20261121-100100-a000"
    (store_path.parent / "runs" / run_id).mkdir(parents=True)
    RunStore(store_path).insert(RunRecord(id=run_id, name="no model", status="completed", created_at=utc_now(),
                                          config=RunConfig().to_dict(), run_dir=f"runs/{run_id}"))
    return run_id


def test_bad_teachers_and_weights_are_refused_naming_the_key(store_path: Path, tmp_path: Path) -> None:
    unsaved = store_with_a_run_without_a_model(store_path)
    other_vocabulary = save_teacher(tmp_path, "other-vocab", vocab_size=100)
    cases = {
        "20991231-235959-beef": "no such run",  # the shape of a run id: never looked up on the hub
        unsaved: "saved no model",
        str(other_vocabulary): "vocabulary of 100 tokens",
        str(tmp_path / "no-such-folder" / "x"): "is not in the Hugging Face cache",
        "bundled:no-such-teacher": "not bundled",
    }
    for name, why in cases.items():
        error = refused(store_path, "--set", f"distill_from={name}")
        assert "config key 'distill_from'" in error and why in error, error
    for key, value in (("distill_alpha", "1.5"), ("distill_alpha", "-0.1"), ("distill_temperature", "0")):
        assert f"config key '{key}'" in refused(store_path, "--set", f"distill_from={TEACHER}", "--set", f"{key}={value}")


@pytest.mark.slow
@pytest.mark.parametrize(("teacher", "why"), [("labels", "number of labels 3"),
                                              ("untrained", "no trained classification head")])
def test_a_teacher_that_cannot_teach_this_model_fails_the_run_naming_the_key(
        store_path: Path, tmp_path: Path, teacher: str, why: str) -> None:
    # Only a loaded model tells its label count and whether its head was trained: the worker says so.
    source = str(save_teacher(tmp_path, "three-labels", num_labels=3)) if teacher == "labels" else "bundled:tiny-distilbert"
    record = run_to_record(store_path, *QUICK, "--set", f"distill_from={source}")
    assert record.status == "failed"
    assert record.error is not None and "config key 'distill_from'" in record.error and why in record.error
    assert "\n" not in record.error
    assert "steps" not in record.metrics  # it failed before training started


def test_deleting_runs_frees_their_own_saved_models_and_nothing_else(store_path: Path, tmp_path: Path) -> None:
    store = RunStore(store_path)
    runs = store_path.parent / "runs"
    elsewhere, victim = tmp_path / "elsewhere", tmp_path / "victim" / "model"
    for folder in (runs / "own" / "model", elsewhere, victim):
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(b"weights")
    (runs / "linked").mkdir()
    (runs / "linked" / "model").symlink_to(elsewhere)  # a planted link: unlinked, never followed
    for run_id, run_dir in (("own", "runs/own"), ("linked", "runs/linked"), ("outside", "runs/../victim")):
        store.insert(RunRecord(id=run_id, name=run_id, status="completed", created_at=utc_now(), run_dir=run_dir))
    assert store.delete(["own", "linked", "outside"]) == 3
    assert not (runs / "own" / "model").exists() and (runs / "own").is_dir()  # the run's logs stay
    assert not (runs / "linked" / "model").is_symlink() and (elsewhere / "model.safetensors").is_file()
    assert (victim / "model.safetensors").is_file()  # a run_dir outside runs/ is never touched
