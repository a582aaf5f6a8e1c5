"""Load the model, tokenizer and dataset a config names, with its techniques applied.

Bundled names resolve to folders under assets/, `package:` names to folders inside an installed
Python package; both go through the same `from_pretrained` / `load_dataset` calls as a hub model or
dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from greentui.bundled import bundled_path, is_bundled
from greentui.config import RunConfig
from greentui.packaged import is_packaged, packaged_path

# Config attributes that hold dropout probabilities, by architecture family.
DROPOUT_ATTRIBUTES = (
    "dropout",  # DistilBERT: embeddings and feed-forward
    "attention_dropout",  # DistilBERT
    "seq_classif_dropout",  # DistilBERT classification head
    "hidden_dropout_prob",  # BERT, RoBERTa
    "attention_probs_dropout_prob",  # BERT, RoBERTa
    "classifier_dropout",  # BERT, RoBERTa head
)


def resolve(name: str) -> str:
    """A bundled or `package:` name becomes its folder; anything else is passed on as a path or hub id."""
    if is_bundled(name):
        return str(bundled_path(name))
    if is_packaged(name):
        return str(packaged_path(name))
    return name


def load_tokenizer(config: RunConfig) -> Any:
    """The tokenizer of the configured model."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve(config.model))


def load_model(config: RunConfig, num_labels: int) -> Any:
    """The classification model with dropout, gradient checkpointing and LoRA applied."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    source = resolve(config.model)
    model_config = AutoConfig.from_pretrained(source, num_labels=num_labels)
    for attribute in DROPOUT_ATTRIBUTES:
        if hasattr(model_config, attribute):
            setattr(model_config, attribute, config.dropout)
    model = AutoModelForSequenceClassification.from_pretrained(
        source, config=model_config, use_safetensors=True, trust_remote_code=False
    )
    if config.gradient_checkpointing:
        # Non-reentrant checkpointing works with frozen inputs, as under LoRA.
        # transformers 5 calls it activation checkpointing; older releases, gradient checkpointing.
        if hasattr(model, "activation_checkpointing_enable"):
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if config.lora:
        model = _add_lora(model, config)
    return model


# LoRA goes on the attention query and value projections (Hu et al. 2021), named per family.
LORA_TARGETS = {
    "distilbert": ["q_lin", "v_lin"],
    "bert": ["query", "value"],
    "roberta": ["query", "value"],
    "deberta-v2": ["query_proj", "value_proj"],
}


def _add_lora(model: Any, config: RunConfig) -> Any:
    from peft import LoraConfig, TaskType, get_peft_model

    lora_config = LoraConfig(
        task_type=TaskType.SEQ_CLS,  # keeps the new classification head trainable
        target_modules=LORA_TARGETS.get(model.config.model_type, "all-linear"),
        r=config.lora_r,
        lora_alpha=2 * config.lora_r,
        lora_dropout=config.dropout,
    )
    if config.gradient_checkpointing:
        model.enable_input_require_grads()
    return get_peft_model(model, lora_config)


@dataclass(frozen=True)
class PreparedData:
    """Tokenised train and eval splits, and facts about them for the events log."""

    train: Any
    eval: Any
    num_labels: int
    eval_split: str
    facts: dict[str, Any]  # the record's measurement.dataset: id, splits, rows and content fingerprint


def load_data(config: RunConfig, tokenizer: Any, progress: Callable[[int, int], None] | None = None) -> PreparedData:
    """Load, reduce and tokenise the dataset; padding to max_length unless dynamic padding is on.

    `progress(done, total)` is told the rows tokenised so far, of both splits (not at all when the
    datasets cache already holds them)."""
    from datasets import load_dataset

    source = resolve(config.dataset)
    splits = load_dataset(source) if not Path(source).is_file() else load_dataset("json", data_files=source)
    if "train" not in splits:
        raise ValueError(f"dataset {config.dataset!r} has no 'train' split (it has: {', '.join(splits)})")
    eval_split = next((s for s in ("test", "validation", "valid") if s in splits), None)
    if eval_split is None:
        raise ValueError(f"dataset {config.dataset!r} has no 'test' or 'validation' split")
    for column, key in ((config.text_column, "text_column"), (config.label_column, "label_column")):
        if column not in splits["train"].column_names:
            raise ValueError(
                f"config key '{key}': dataset {config.dataset!r} has no column {column!r} "
                f"(columns: {', '.join(splits['train'].column_names)})"
            )
    train = _reduce(splits["train"], config.train_samples, config.seed)
    evaluation = _reduce(splits[eval_split], config.eval_samples, config.seed)
    labels = sorted(set(splits["train"][config.label_column]))
    facts = {"id": config.dataset, "train_split": "train", "eval_split": eval_split, "train_rows": len(train),
             "eval_rows": len(evaluation), "fingerprint": fingerprint(train, evaluation, config),
             "fingerprint_method": "sha256 of the selected rows' text and label, train then eval, in order"}
    rows = len(train) + len(evaluation)
    tokenised = [0]

    def tokenize(batch: dict[str, list]) -> dict[str, list]:
        encoded = tokenizer(
            batch[config.text_column],
            truncation=True,
            max_length=config.max_length,
            padding=False if config.dynamic_padding else "max_length",
        )
        encoded["labels"] = batch[config.label_column]
        # Precomputed lengths spare the length-grouped sampler a pass over the data.
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        tokenised[0] += len(encoded["input_ids"])
        if progress is not None:
            progress(min(tokenised[0], rows), rows)
        return encoded

    drop = splits["train"].column_names
    train = train.map(tokenize, batched=True, remove_columns=drop)
    evaluation = evaluation.map(tokenize, batched=True, remove_columns=drop)
    return PreparedData(train=train, eval=evaluation, num_labels=max(2, len(labels)), eval_split=eval_split,
                        facts=facts)


def fingerprint(train: Any, evaluation: Any, config: RunConfig) -> str:
    """A digest of exactly the rows the run used, so a reader can tell two runs saw the same data.

    The datasets library's own fingerprint hashes the steps that made a split, not its content,
    and differs between a hub copy and a local one of the same rows.
    """
    import hashlib

    digest = hashlib.sha256()
    for split in (train, evaluation):
        for text, label in zip(split[config.text_column], split[config.label_column], strict=True):
            digest.update(str(text).encode("utf-8", "surrogatepass") + b"\x1f" + str(label).encode() + b"\x1e")
        digest.update(b"\x1d")  # where train ends: the same rows split differently hash differently
    return "sha256:" + digest.hexdigest()[:32]


def _reduce(split: Any, samples: int, seed: int) -> Any:
    """A seeded random subset of `samples` rows (all rows when 0 or more than there are)."""
    if not samples or samples >= len(split):
        return split
    return split.shuffle(seed=seed).select(range(samples))
