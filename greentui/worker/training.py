"""Build the Hugging Face Trainer for a config, with every technique switched on for real."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from greentui.config import RunConfig
from greentui.worker.loading import PreparedData, load_data, load_model, load_tokenizer


class TechniqueUnavailable(RuntimeError):
    """A technique the config asks for cannot run on this machine; the message names the key."""


@dataclass(frozen=True)
class TrainingPlan:
    """A ready Trainer and the facts the events log and the run record report."""

    trainer: Any
    total_steps: int
    steps_per_epoch: int
    train_samples: int
    eval_samples: int
    trainable_params: int
    total_params: int
    device: str
    eval_batches: int  # batches in one evaluation
    distillation: dict[str, Any] | None = None  # the record's measurement.distillation, when distilling
    dataset: dict[str, Any] | None = None  # the record's measurement.dataset (greentui.worker.loading)


def compute_metrics(prediction: Any) -> dict[str, float]:
    """Accuracy and F1 (binary for two labels, macro-averaged otherwise), with numpy alone."""
    logits, labels = prediction.predictions, prediction.label_ids
    if isinstance(logits, tuple):
        logits = logits[0]
    predicted = np.asarray(logits).argmax(axis=-1)
    labels = np.asarray(labels)
    classes = np.unique(np.concatenate([labels, predicted]))
    scores = []
    for cls in classes:
        tp = np.sum((predicted == cls) & (labels == cls))
        fp = np.sum((predicted == cls) & (labels != cls))
        fn = np.sum((predicted != cls) & (labels == cls))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    f1 = scores[-1] if len(classes) == 2 else float(np.mean(scores))
    return {"accuracy": float(np.mean(predicted == labels)), "f1": float(f1)}


def optimizer_choice(config: RunConfig) -> tuple[type, dict[str, Any]]:
    """The torch optimizer class and its arguments (the Trainer adds per-group weight decay).

    Adam applies weight decay as L2 in the gradient; AdamW decouples it (Loshchilov & Hutter).
    """
    import torch

    if config.optimizer == "sgd":
        return torch.optim.SGD, {"lr": config.learning_rate, "momentum": config.momentum}
    if config.optimizer == "adam":
        return torch.optim.Adam, {"lr": config.learning_rate}
    return torch.optim.AdamW, {"lr": config.learning_rate}


def device_for(config: RunConfig) -> str:
    """cuda where there is a GPU, else cpu; TechniqueUnavailable for a mixed precision it cannot run.

    The rule is greentui.runs.capabilities' (checked at launch on a probe's facts): here it meets this
    process's own, in case the machine changed between launch and start (a queued run, another node)."""
    from greentui.runs.capabilities import refusal
    from greentui.worker.capabilities import facts_here

    facts = facts_here()
    found = refusal(replace(config, quantization="none"), facts)  # quantization is checked where it is applied
    if found:
        key, why = found
        raise TechniqueUnavailable(f"config key '{key}': {why}")
    return "cuda" if facts.cuda else "cpu"


def build_plan(config: RunConfig, output_dir: Path, callbacks: list[Any] | None = None,
               tokenising: Callable[[int, int], None] | None = None, store_path: Path | None = None) -> TrainingPlan:
    """Load model and data and build the Trainer that `trainer.train()` runs (`tokenising`: see load_data).

    `store_path`: the store whose runs `distill_from` may name by id."""
    from transformers import (
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        TrainingArguments,
        default_data_collator,
        set_seed,
    )

    device = device_for(config)
    from greentui.worker.compression import check_quantization

    check_quantization(config.quantization, device)  # before training, not after it
    set_seed(config.seed)
    tokenizer = load_tokenizer(config)
    data: PreparedData = load_data(config, tokenizer, tokenising)
    model = load_model(config, data.num_labels)
    if config.pruning > 0 and config.pruning_method == "heads":
        from greentui.worker.head_pruning import check_heads_supported

        check_heads_supported(model.config.model_type)

    batches_per_epoch = math.ceil(len(data.train) / config.batch_size)
    steps_per_epoch = max(1, batches_per_epoch // config.grad_accum_steps)
    total_steps = max(1, math.ceil(steps_per_epoch * config.epochs))
    eval_every = max(1, steps_per_epoch // config.evals_per_epoch)
    early_stopping = config.early_stopping_patience > 0
    eval_batch_size = max(config.batch_size, 32)

    args = TrainingArguments(
        output_dir=str(output_dir),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=eval_batch_size,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        lr_scheduler_type=_scheduler_name(config),
        warmup_steps=config.warmup_ratio,  # a float below 1 is a ratio of total steps
        label_smoothing_factor=config.label_smoothing,
        gradient_accumulation_steps=config.grad_accum_steps,
        # Gradient checkpointing is switched on in the model itself (loading.load_model).
        fp16=config.mixed_precision == "fp16",
        bf16=config.mixed_precision == "bf16",
        use_cpu=device == "cpu",
        train_sampling_strategy="group_by_length" if config.group_by_length else "random",
        eval_strategy="steps",
        eval_steps=eval_every,
        save_strategy="steps" if early_stopping else "no",
        save_steps=eval_every,
        save_total_limit=1 if early_stopping else None,
        load_best_model_at_end=early_stopping,
        metric_for_best_model=config.early_stopping_metric,
        greater_is_better=config.early_stopping_metric != "eval_loss",
        logging_steps=max(1, total_steps // 400),
        report_to="none",
        disable_tqdm=True,
        seed=config.seed,
        data_seed=config.seed,
        dataloader_num_workers=0,
    )
    collator = DataCollatorWithPadding(tokenizer) if config.dynamic_padding else default_data_collator
    all_callbacks = list(callbacks or [])
    if early_stopping:
        all_callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    trainer_class, teaching = _trainer_class(config, model, device, store_path)
    trainer = trainer_class(
        model=model,
        args=args,
        train_dataset=data.train,
        eval_dataset=data.eval,
        data_collator=collator,
        processing_class=tokenizer,
        compute_metrics=compute_metrics,
        callbacks=all_callbacks,
        optimizer_cls_and_kwargs=optimizer_choice(config),
        **teaching,
    )
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return TrainingPlan(
        trainer=trainer,
        total_steps=total_steps,
        steps_per_epoch=steps_per_epoch,
        train_samples=len(data.train),
        eval_samples=len(data.eval),
        trainable_params=trainable,
        total_params=total,
        device=device,
        eval_batches=math.ceil(len(data.eval) / eval_batch_size),
        distillation=teaching["teacher"].describe(config.distill_temperature, config.distill_alpha) if teaching else None,
        dataset=data.facts,
    )


def _trainer_class(config: RunConfig, model: Any, device: str, store_path: Path | None) -> tuple[type, dict[str, Any]]:
    """The Trainer, or with `distill_from` the distilling one and its arguments (the teacher loaded once)."""
    from transformers import Trainer

    if not config.distill_from:
        return Trainer, {}
    from greentui.teacher import resolve_teacher
    from greentui.worker.distillation import DistillationTrainer, load_teacher

    teacher = load_teacher(resolve_teacher(config.distill_from, store_path), model, device)
    return DistillationTrainer, {"teacher": teacher, "temperature": config.distill_temperature,
                                 "alpha": config.distill_alpha}


def _scheduler_name(config: RunConfig) -> str:
    # Plain "constant" would ignore the warmup the user asked for.
    if config.lr_scheduler == "constant" and config.warmup_ratio > 0:
        return "constant_with_warmup"
    return config.lr_scheduler
