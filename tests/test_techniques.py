"""Each efficiency technique, checked in the real Trainer and model that the worker builds."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from greentui.config import RunConfig
from greentui.presets import preset
from greentui.worker.training import TechniqueUnavailable, build_plan

pytestmark = pytest.mark.slow  # trains the bundled model in real worker processes

# Small slices of the bundled data keep each Trainer quick to build.
SMALL = preset("tiny").with_values(train_samples=256, eval_samples=64, epochs=1.0)


def plan_for(tmp_path: Path, **values: object):
    return build_plan(SMALL.with_values(**values), tmp_path / "out")


def lr_at(plan, step: int, total: int = 100) -> float:
    trainer = plan.trainer
    trainer.create_optimizer_and_scheduler(num_training_steps=total)
    for _ in range(step):
        trainer.optimizer.step()
        trainer.lr_scheduler.step()
    return trainer.lr_scheduler.get_last_lr()[0]


def output_dtypes_while_training(plan) -> set[torch.dtype]:
    """Train one step and report the dtype the classifier layer computed in."""
    seen: set[torch.dtype] = set()
    layer = [m for m in plan.trainer.model.modules() if isinstance(m, torch.nn.Linear)][-1]
    layer.register_forward_hook(lambda _m, _i, out: seen.add(out.dtype))
    plan.trainer.train()
    return seen


def test_bf16_autocasts_on_cpu(tmp_path: Path) -> None:
    one_step = {"train_samples": 32, "batch_size": 32, "evals_per_epoch": 1, "eval_samples": 32}
    assert output_dtypes_while_training(plan_for(tmp_path, **one_step)) == {torch.float32}
    plan = plan_for(tmp_path, mixed_precision="bf16", **one_step)
    assert plan.trainer.accelerator.mixed_precision == "bf16"
    assert torch.bfloat16 in output_dtypes_while_training(plan)


@pytest.mark.skipif(torch.cuda.is_available(), reason="fp16 is allowed where CUDA exists")
def test_fp16_without_cuda_is_refused_with_the_key(tmp_path: Path) -> None:
    with pytest.raises(TechniqueUnavailable, match="mixed_precision"):
        plan_for(tmp_path, mixed_precision="fp16")


def checkpointing(model) -> bool:
    # transformers 5 renamed gradient checkpointing to activation checkpointing.
    flag = getattr(model, "is_activation_checkpointing", None)
    return bool(model.is_gradient_checkpointing if flag is None else flag)


def test_gradient_checkpointing(tmp_path: Path) -> None:
    assert not checkpointing(plan_for(tmp_path).trainer.model)
    assert checkpointing(plan_for(tmp_path, gradient_checkpointing=True).trainer.model)


@pytest.mark.parametrize(("name", "cls"), [("adamw", torch.optim.AdamW), ("adam", torch.optim.Adam), ("sgd", torch.optim.SGD)])
def test_optimizer_choice(tmp_path: Path, name: str, cls: type) -> None:
    plan = plan_for(tmp_path, optimizer=name, momentum=0.7, learning_rate=0.005, weight_decay=0.02)
    optimizer = plan.trainer.create_optimizer()
    assert type(optimizer) is cls
    groups = optimizer.param_groups
    assert {g["lr"] for g in groups} == {0.005}
    assert sorted(g["weight_decay"] for g in groups) == [0.0, 0.02]  # no decay on biases and LayerNorm
    if name == "sgd":
        assert all(g["momentum"] == 0.7 for g in groups)


def test_schedulers_shape_the_learning_rate(tmp_path: Path) -> None:
    lr = 0.001
    cosine = lr_at(plan_for(tmp_path, lr_scheduler="cosine", warmup_ratio=0.0, learning_rate=lr), 50)
    linear = lr_at(plan_for(tmp_path, lr_scheduler="linear", warmup_ratio=0.0, learning_rate=lr), 75)
    constant = lr_at(plan_for(tmp_path, lr_scheduler="constant", warmup_ratio=0.0, learning_rate=lr), 75)
    warming = lr_at(plan_for(tmp_path, lr_scheduler="constant", warmup_ratio=0.2, learning_rate=lr), 10, total=100)
    assert cosine == pytest.approx(lr * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert linear == pytest.approx(lr * 0.25)
    assert constant == pytest.approx(lr)
    assert warming == pytest.approx(lr * 10 / 20)  # halfway through a 20-step warmup


def test_label_smoothing(tmp_path: Path) -> None:
    assert plan_for(tmp_path).trainer.label_smoother is None
    assert plan_for(tmp_path, label_smoothing=0.1).trainer.label_smoother.epsilon == 0.1


def test_dropout_reaches_every_dropout_module(tmp_path: Path) -> None:
    model = plan_for(tmp_path, dropout=0.3).trainer.model
    rates = {m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)}
    assert rates == {0.3}
    assert model.config.attention_dropout == 0.3


def test_gradient_accumulation_cuts_optimizer_steps(tmp_path: Path) -> None:
    plain = plan_for(tmp_path, batch_size=16)
    accumulated = plan_for(tmp_path, batch_size=16, grad_accum_steps=4)
    assert accumulated.trainer.args.gradient_accumulation_steps == 4
    assert plain.total_steps == 16 and accumulated.total_steps == 4


def test_dataset_reduction(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, train_samples=100, eval_samples=50)
    assert (plan.train_samples, plan.eval_samples) == (100, 50)


def test_dynamic_padding_versus_max_length(tmp_path: Path) -> None:
    dynamic = [b["input_ids"].shape[1] for b in plan_for(tmp_path, max_length=256).trainer.get_train_dataloader()]
    fixed = [b["input_ids"].shape[1] for b in
             plan_for(tmp_path, max_length=256, dynamic_padding=False).trainer.get_train_dataloader()]
    assert set(fixed) == {256}
    assert len(set(dynamic)) > 1 and sum(dynamic) / len(dynamic) < 256


def test_group_by_length_uses_the_length_grouped_sampler(tmp_path: Path) -> None:
    from transformers.trainer_pt_utils import LengthGroupedSampler

    assert not isinstance(plan_for(tmp_path, group_by_length=False).trainer._get_train_sampler(), LengthGroupedSampler)
    assert isinstance(plan_for(tmp_path, group_by_length=True).trainer._get_train_sampler(), LengthGroupedSampler)


def test_lora_freezes_the_base_model(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, lora=True, lora_r=4)
    assert plan.trainable_params / plan.total_params < 0.1
    trainable = [n for n, p in plan.trainer.model.named_parameters() if p.requires_grad]
    assert any("lora_" in n for n in trainable)
    assert not any("word_embeddings" in n for n in trainable)


def test_early_stopping_ends_training_before_the_last_step(tmp_path: Path) -> None:
    # A learning rate this small cannot move accuracy, so patience runs out after two evaluations.
    config = SMALL.with_values(epochs=3.0, evals_per_epoch=4, early_stopping_patience=1,
                               early_stopping_metric="accuracy", learning_rate=1e-9)
    plan = build_plan(config, tmp_path / "out")
    plan.trainer.train()
    assert plan.trainer.state.global_step < plan.total_steps
    assert plan.trainer.state.global_step == 2 * (plan.steps_per_epoch // 4)


def test_technique_key_defaults_change_nothing(tmp_path: Path) -> None:
    plan = plan_for(tmp_path)
    args = plan.trainer.args
    assert not (args.bf16 or args.fp16 or args.gradient_accumulation_steps != 1 or args.label_smoothing_factor)
    assert isinstance(RunConfig(), RunConfig)
