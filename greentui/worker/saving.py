"""Keep a run's fine-tuned model (config save_model): safetensors weights and the tokenizer, in runs/ID/model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

BYTES_PER_MB = 1_000_000  # model_size_mb is in SI megabytes, as file sizes on disk are usually quoted


def save_model(trainer: Any, folder: Path) -> float:
    """Save the trainer's final model where `from_pretrained` loads it as a plain checkpoint; its weights' MB.

    The final model is the one the run evaluated last (early stopping has loaded its best one back
    by now). LoRA adapters are merged into the base weights first, so the folder needs no peft to
    load and another run can distil from it; the run is over, so merging in place costs nothing.
    """
    model = trainer.model
    if hasattr(model, "merge_and_unload"):  # a peft model
        model = model.merge_and_unload()
    model.save_pretrained(str(folder))  # safetensors: transformers 5 writes no other format
    tokenizer = getattr(trainer, "processing_class", None)
    if tokenizer is not None:
        tokenizer.save_pretrained(str(folder))
    return weights_size_mb(folder)


def weights_size_mb(folder: Path) -> float:
    """The size of the safetensors weight files in `folder` (shards included), in MB."""
    return sum(f.stat().st_size for f in folder.glob("*.safetensors")) / BYTES_PER_MB
