"""Quantization and pruning of the bundled model, fine-tuned briefly on the bundled data (and tiny BERT-family models)."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pytest
import torch
from transformers import DataCollatorWithPadding

from greentui.config import RunConfig
from greentui.worker.compression import (
    check_quantization,
    finish_pruning,
    linear_sparsity,
    prune,
    quantize,
    recover,
    serialized_size_mb,
)
from greentui.worker.loading import load_data, load_model, load_tokenizer
from greentui.worker.training import TechniqueUnavailable

# Short sequences and few rows: real batches of the bundled data that stay quick on 2 cores.
CONFIG = RunConfig(train_samples=64, eval_samples=128, max_length=64)


@pytest.fixture(scope="module")
def batches() -> dict[str, list[dict[str, Any]]]:
    """Training and evaluation batches as a Trainer's dataloader collates them (with load_data's `length` column)."""
    tokenizer = load_tokenizer(CONFIG)
    data = load_data(CONFIG, tokenizer)
    collate = DataCollatorWithPadding(tokenizer)

    def split(rows: Any, size: int) -> list[dict[str, Any]]:
        return [collate([rows[i] for i in range(start, min(start + size, len(rows)))]) for start in range(0, len(rows), size)]

    return {"train": split(data.train, 16), "eval": split(data.eval, 64)}


@pytest.fixture(scope="module")
def tuned(batches: dict[str, list[dict[str, Any]]]) -> dict[str, torch.Tensor]:
    """The weights of the bundled model fine-tuned for a few steps: what compression is given in a run."""
    torch.manual_seed(0)
    model = load_model(CONFIG, num_labels=2)
    recover(model, batches["train"], steps=24, learning_rate=1e-3)
    return copy.deepcopy(model.state_dict())


@pytest.fixture
def model(tuned: dict[str, torch.Tensor]) -> Any:
    fresh = load_model(CONFIG, num_labels=2)
    fresh.load_state_dict(tuned)
    return fresh.eval()


def logits(model: Any, batches: list[dict[str, Any]]) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits.float()
                          for b in batches])


def labels(batches: list[dict[str, Any]]) -> torch.Tensor:
    return torch.cat([b["labels"] for b in batches])


def test_dynamic_int8_replaces_every_linear_shrinks_the_file_and_keeps_the_predictions(model: Any, batches: Any) -> None:
    linears = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
    float_logits, float_size = logits(model, batches["eval"]), serialized_size_mb(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch's deprecation notices are silenced, and only within the call
        quantized = quantize(model, "dynamic-int8")
    assert not any(isinstance(m, torch.nn.Linear) for m in quantized.modules())
    assert sum(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in quantized.modules()) == linears == 14
    # Measured 0.585: the embeddings (41 % of this tiny model's weights) stay float32.
    assert serialized_size_mb(quantized) < 0.6 * float_size
    int8_logits = logits(quantized, batches["eval"])
    assert (int8_logits.argmax(-1) == float_logits.argmax(-1)).float().mean() >= 0.95
    truth = labels(batches["eval"])
    float_accuracy = (float_logits.argmax(-1) == truth).float().mean()
    assert abs((int8_logits.argmax(-1) == truth).float().mean() - float_accuracy) <= 0.03
    assert (int8_logits - float_logits).abs().mean() < 0.1 * float_logits.abs().mean()


@pytest.mark.parametrize(("mode", "dtype"), [("fp16", torch.float16), ("bf16", torch.bfloat16)])
def test_half_precision_casts_every_parameter_and_halves_the_file(model: Any, batches: Any, mode: str,
                                                                  dtype: torch.dtype) -> None:
    float_logits, float_size = logits(model, batches["eval"]), serialized_size_mb(model)
    model.train()
    half = quantize(model, mode)
    assert half is model and not half.training
    assert {p.dtype for p in half.parameters()} == {dtype}
    assert 0.45 < serialized_size_mb(half) / float_size < 0.55
    try:
        check_quantization(mode, "cpu")
    except TechniqueUnavailable as refusal:  # then the probe must be right: the CPU really cannot run it
        assert "'quantization'" in str(refusal)
        with pytest.raises((RuntimeError, NotImplementedError)):
            logits(half, batches["eval"])
        return
    half_logits = logits(half, batches["eval"])
    assert torch.isfinite(half_logits).all()
    assert (half_logits.argmax(-1) == float_logits.argmax(-1)).float().mean() >= 0.95


def test_quantization_is_checked_against_the_device(model: Any) -> None:
    with pytest.raises(TechniqueUnavailable, match="'quantization'.*fp16 or bf16"):
        check_quantization("dynamic-int8", "cuda")
    with pytest.raises(TechniqueUnavailable, match="'quantization'"):
        check_quantization("dynamic-int8", "cuda:1")
    check_quantization("dynamic-int8", "cpu")
    check_quantization("none", "cuda")
    with pytest.raises(ValueError, match="'quantization'"):
        check_quantization("int4", "cpu")
    model.train()
    assert quantize(model, "none") is model and not model.training


@pytest.mark.parametrize("fraction", [0.3, 0.7])
def test_magnitude_pruning_hits_the_fraction_and_its_zeros_survive_recovery(model: Any, batches: Any,
                                                                            fraction: float) -> None:
    dense_size = serialized_size_mb(model)
    described = prune(model, fraction, "magnitude")
    assert abs(linear_sparsity(model) - fraction) < 0.01
    assert described["sparsity"] == described["linear_sparsity"] == linear_sparsity(model)
    assert described["params_before"] == described["params_after"] and described["method"] == "magnitude"
    linears = {name: m for name, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    zeros = {name: m.weight == 0 for name, m in linears.items()}
    before = {name: m.weight.detach().clone() for name, m in linears.items()}

    loss = recover(model, batches["train"], steps=3, learning_rate=1e-3)
    assert isinstance(loss, float) and not model.training
    assert all((m.weight[zeros[name]] == 0).all() for name, m in linears.items())
    assert any((m.weight[~zeros[name]] != before[name][~zeros[name]]).any() for name, m in linears.items())

    finish_pruning(model)
    assert not any("weight_orig" in name for name, _ in model.named_parameters())
    assert not any("weight_mask" in name for name, _ in model.named_buffers())
    assert all((m.weight[zeros[name]] == 0).all() for name, m in linears.items())
    assert abs(linear_sparsity(model) - fraction) < 0.01
    assert serialized_size_mb(model) == pytest.approx(dense_size, rel=1e-3)  # the zeros are stored densely
    assert recover(model, batches["train"], steps=0, learning_rate=1e-3) is None


def test_heads_pruning_removes_half_the_heads_and_the_model_still_runs(model: Any, batches: Any) -> None:
    with torch.no_grad():  # as code around inference may be: the importance gradients are taken all the same
        described = prune(model, 0.5, "heads", batches["train"])
    layers = [layer.attention for layer in model.distilbert.transformer.layer]
    assert described["heads_total"] == 4 and described["sparsity"] == 0.5
    assert sum(map(len, described["pruned_heads"].values())) == 2
    assert all(attention.n_heads >= 1 for attention in layers)
    assert model.config.pruned_heads == {int(k): v for k, v in described["pruned_heads"].items()}
    # Each head of this model: 3 × (64 × 32 + 32) for its q/k/v rows and 64 × 32 for its out_lin columns.
    assert described["params_before"] - described["params_after"] == 2 * (3 * (64 * 32 + 32) + 64 * 32)
    assert described["params_after"] == sum(p.numel() for p in model.parameters())
    assert logits(model, batches["eval"]).shape == (len(labels(batches["eval"])), 2)


def test_heads_pruning_removes_the_heads_that_matter_least(model: Any, tuned: Any, batches: Any) -> None:
    kept = {int(layer): 1 - heads[0] for layer, heads in prune(model, 0.5, "heads", batches["train"])["pruned_heads"].items()}
    assert len(kept) == 2  # two heads per layer and one must stay: one goes from each
    silenced = load_model(CONFIG, num_labels=2)
    silenced.load_state_dict(tuned)
    for layer, head in kept.items():  # silence the heads that were important: now they must be the ones to go
        with torch.no_grad():
            silenced.distilbert.transformer.layer[layer].attention.out_lin.weight[:, head * 32:(head + 1) * 32] = 0
    pruned = prune(silenced, 0.5, "heads", batches["train"])["pruned_heads"]
    assert pruned == {str(layer): [head] for layer, head in kept.items()}


def tiny_bert_family(kind: str) -> Any:
    """A randomly initialised 2-layer, 4-head BERT or RoBERTa classifier over the bundled tokenizer's vocabulary."""
    from transformers import BertConfig, BertForSequenceClassification, RobertaConfig, RobertaForSequenceClassification

    config_class, model_class = {"bert": (BertConfig, BertForSequenceClassification),
                                 "roberta": (RobertaConfig, RobertaForSequenceClassification)}[kind]
    torch.manual_seed(0)
    config = config_class(vocab_size=587, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                          intermediate_size=64, max_position_embeddings=80, pad_token_id=0, num_labels=2)
    return model_class(config).eval()


@pytest.mark.parametrize("kind", ["distilbert", "bert", "roberta"])
def test_removing_a_silenced_head_leaves_the_logits_as_they_were(model: Any, batches: Any, kind: str) -> None:
    """A head whose output columns are zero scores 0 and goes first; removing it must change nothing else."""
    if kind != "distilbert":
        model = tiny_bert_family(kind)
    layers = model.distilbert.transformer.layer if kind == "distilbert" else model.base_model.encoder.layer
    output = (lambda i: layers[i].attention.out_lin) if kind == "distilbert" else (lambda i: layers[i].attention.output.dense)
    heads = 2 if kind == "distilbert" else 4
    size = output(0).in_features // heads
    with torch.no_grad():
        output(0).weight[:, :size] = 0  # layer 0, head 0: the kept heads' rows are then not the first ones
    before = logits(model, batches["eval"])
    described = prune(model, 1 / (heads * 2), "heads", batches["train"])
    assert described["pruned_heads"] == {"0": [0]}
    assert output(0).in_features == (heads - 1) * size
    torch.testing.assert_close(logits(model, batches["eval"]), before, rtol=1e-4, atol=1e-5)
    if kind == "bert":  # a second pruning records the original head numbers: current head 2 of layer 0 was head 3
        assert layers[0].attention.self.all_head_size == 3 * size
        with torch.no_grad():
            output(0).weight[:, 2 * size:3 * size] = 0
        prune(model, 1 / 7, "heads", batches["train"])
        assert model.config.pruned_heads == {0: [0, 3]}


def test_heads_pruning_refuses_an_architecture_it_does_not_know(batches: Any) -> None:
    from transformers import GPT2Config, GPT2ForSequenceClassification

    gpt2 = GPT2ForSequenceClassification(GPT2Config(vocab_size=587, n_positions=64, n_embd=32, n_layer=2, n_head=2,
                                                     pad_token_id=0, num_labels=2))
    params = sum(p.numel() for p in gpt2.parameters())
    with pytest.raises(TechniqueUnavailable, match="'pruning_method'.*'gpt2'"):
        prune(gpt2, 0.5, "heads", batches["train"])
    assert sum(p.numel() for p in gpt2.parameters()) == params
    assert prune(gpt2, 0.0, "magnitude")["heads_total"] == 4  # magnitude pruning needs no known layout


def test_a_zero_fraction_changes_nothing(model: Any) -> None:
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for method in ("magnitude", "heads"):
        described = prune(model, 0.0, method)
        assert described["sparsity"] == 0.0 and described["params_before"] == described["params_after"]
    assert described["pruned_heads"] == {}
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    with pytest.raises(ValueError, match="'pruning_method'"):
        prune(model, 0.5, "structured")
