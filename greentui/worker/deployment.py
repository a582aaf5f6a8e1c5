"""After training: prune the model (and fine-tune it back) if asked, quantize it, and measure it deployed.

Pruning changes the weights, so it and its recovery steps are training work (counted in the
`train` phase); quantization only changes how the deployed model computes, so it belongs to
the `infer` phase with the measurements. The saved model (save_model) is the one before either:
`greentui infer` compresses it in other ways without training again.
"""

from __future__ import annotations

import threading
from itertools import islice
from typing import Any, Callable

from greentui.config import RunConfig

IMPORTANCE_BATCHES = 8  # training batches whose gradients rank the attention heads


def prune_trained(model: Any, config: RunConfig, train_batches: Callable[[], Any]) -> dict[str, Any]:
    """Prune `model` in place as the config asks, recover for pruning_recovery_steps, make it
    permanent; the record's measurement.pruning. `train_batches()` gives a fresh pass of batches."""
    from greentui.worker.compression import finish_pruning, linear_sparsity, prune, recover

    importance = list(islice(iter(train_batches()), IMPORTANCE_BATCHES)) if config.pruning_method == "heads" else None
    described = prune(model, config.pruning, config.pruning_method, importance)
    if config.pruning_recovery_steps:
        described["recovery_loss"] = recover(model, _Repeating(train_batches), config.pruning_recovery_steps,
                                             config.learning_rate)
        described["recovery_steps"] = config.pruning_recovery_steps
    finish_pruning(model)
    described["linear_sparsity"] = linear_sparsity(model)  # after recovery: the zeros must have stayed
    return described


class _Repeating:
    """Batches pass after pass, for recovery steps that outnumber one pass."""

    def __init__(self, passes: Callable[[], Any]) -> None:
        self.passes = passes

    def __iter__(self) -> Any:
        while True:
            empty = True
            for batch in self.passes():
                empty = False
                yield batch
            if empty:
                return


def measure_deployed(model: Any, config: RunConfig, eval_data: Any, collator: Any, device: str,
                     reading: Any, stop_requested: threading.Event,
                     progress: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Quantize `model` as asked and measure it on held-out rows: (metrics, measurement.inference)."""
    from greentui.worker.compression import quantize, serialized_size_mb
    from greentui.worker.inference import InferencePhase, held_out

    model.eval()
    phase = InferencePhase(held_out(config, eval_data), collator, device, config.batch_sizes(), reading,
                           stop_requested, progress)
    flops = phase.counted_flops(model)  # of the float model: see counted_flops
    deployed = quantize(model, config.quantization)
    metrics, doc = phase.measure(deployed, serialized_size_mb(deployed), flops)
    doc["quantization"] = config.quantization
    doc["device"] = device
    return metrics, doc


def deploy_saved(config: RunConfig, model_dir: str, clock: Any, reading: Any, stop_requested: threading.Event,
                 noted: dict[str, Any]) -> dict[str, Any]:
    """`greentui infer`: load a saved model, prune and quantize it as asked, measure it; the run's metrics.

    No training: the record's accuracy is the deployed model's, on the same held-out rows."""
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        default_data_collator,
        set_seed,
    )

    from greentui.events.schema import INFER, TRAIN
    from greentui.worker.compression import check_quantization
    from greentui.worker.loading import load_data
    from greentui.worker.training import device_for

    device = device_for(config)
    check_quantization(config.quantization, device)
    set_seed(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    data = load_data(config, tokenizer, lambda done, total: clock.progress(done, total, "rows", "tokenising"))
    noted["dataset"] = data.facts
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, use_safetensors=True,
                                                               trust_remote_code=False).to(device)
    collator = DataCollatorWithPadding(tokenizer) if config.dynamic_padding else default_data_collator
    metrics: dict[str, Any] = {"eval_samples": len(data.eval), "total_params": sum(p.numel() for p in model.parameters())}
    if config.pruning > 0:
        clock.enter(TRAIN, f"pruning {config.pruning:.0%} ({config.pruning_method})")
        noted["pruning"] = prune_trained(model, config, lambda: _train_batches(data.train, collator, config, device))
        metrics["pruning_sparsity"] = noted["pruning"]["sparsity"]
    clock.enter(INFER, "measuring the deployed model")
    figures, noted["inference"] = measure_deployed(
        model, config, data.eval, collator, device, reading, stop_requested,
        lambda done, total, unit, detail: clock.progress(done, total, unit, detail))
    metrics.update(figures)
    if "inference_accuracy" in figures:
        metrics["accuracy"] = figures["inference_accuracy"]
    return metrics


def _train_batches(train: Any, collator: Any, config: RunConfig, device: str) -> Any:
    """One shuffled pass of training batches on `device`, for head importance and recovery steps."""
    import torch
    from torch.utils.data import DataLoader

    from greentui.worker.inference import MODEL_INPUTS

    rows = train.select_columns([c for c in train.column_names if c in MODEL_INPUTS])
    loader = DataLoader(rows, batch_size=config.batch_size, shuffle=True, collate_fn=collator,
                        generator=torch.Generator().manual_seed(config.seed))
    for batch in loader:
        yield {k: v.to(device) for k, v in batch.items()}
