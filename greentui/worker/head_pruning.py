"""Structured attention-head pruning by importance (Michel et al. 2019, 'Are Sixteen Heads Really Better than One?').

A head's importance is |∂L/∂ξ_h|, the loss's sensitivity to a gate ξ_h = 1 that scales the head's
output, summed over training batches and normalised per layer by its ℓ2 norm, as Michel et al. do
(after Molchanov et al. 2017). The gate multiplies the output projection's input, which is the
heads' outputs side by side, so one hook serves every architecture whose layout is known here.

transformers 5 removed PreTrainedModel.prune_heads, so removal is done here: the heads' rows of the
query, key and value Linear layers and their columns of the output projection go, and the
attention module's head count follows; `compression.prune` is the public way in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from greentui.worker.training import TechniqueUnavailable

KEY = "pruning_method"


@dataclass(frozen=True)
class AttentionLayer:
    """One layer's self-attention, in the names its architecture uses."""

    counter: Any  # the module whose attribute counts the heads (its forward reshapes with -1 heads)
    count_attribute: str
    head_size: int
    projections: tuple[tuple[Any, str], ...]  # (owner, attribute) of the query, key and value Linear layers
    output: tuple[Any, str]  # (owner, attribute) of the output projection: its inputs are the heads' outputs

    @property
    def heads(self) -> int:
        return int(getattr(self.counter, self.count_attribute))


HEAD_LAYOUTS = ("distilbert", "bert", "roberta")  # the model types attention_layers knows


def check_heads_supported(model_type: str | None) -> None:
    """Refuse heads pruning for an unknown attention layout before training, not after it."""
    if model_type not in HEAD_LAYOUTS:
        raise TechniqueUnavailable(f"config key '{KEY}': heads pruning knows the attention of DistilBERT, BERT "
                                   f"(MiniLM) and RoBERTa models, not {model_type!r} (use magnitude)")


def attention_layers(model: Any) -> list[AttentionLayer]:
    """The model's self-attention layers; TechniqueUnavailable for an architecture without a known layout."""
    kind = getattr(model.config, "model_type", None)
    base = model.base_model
    if kind == "distilbert":
        return [AttentionLayer(a, "n_heads", a.attention_head_size, ((a, "q_lin"), (a, "k_lin"), (a, "v_lin")),
                               (a, "out_lin")) for a in (layer.attention for layer in base.transformer.layer)]
    if kind in ("bert", "roberta"):  # RoBERTa's attention is BERT's; MiniLM checkpoints are model_type bert
        return [AttentionLayer(s, "num_attention_heads", s.attention_head_size,
                               ((s, "query"), (s, "key"), (s, "value")), (layer.attention.output, "dense"))
                for layer, s in ((layer, layer.attention.self) for layer in base.encoder.layer)]
    check_heads_supported(kind)
    raise AssertionError(f"{kind} is in HEAD_LAYOUTS without a layout")  # unreachable while the two agree


def importance(model: Any, layers: list[AttentionLayer], inputs: Iterable[dict[str, Any]]) -> list[list[float]]:
    """Each layer's heads' importance over `inputs` (forward's arguments, labels included), per layer of unit ℓ2 norm.

    Michel et al. take |∂L/∂ξ_h| per example; here it is per batch, which is what a Trainer's
    dataloader yields. The model runs in eval mode (no dropout noise in the scores) and only the
    gates' gradients are taken, so the parameters' .grad stays as it was."""
    import torch

    device = next(model.parameters()).device
    gates = [torch.ones(layer.heads, device=device, requires_grad=True) for layer in layers]
    scores = [torch.zeros(layer.heads, device=device) for layer in layers]
    hooks = [getattr(*layer.output).register_forward_pre_hook(_gate_hook(gate, layer.head_size))
             for layer, gate in zip(layers, gates, strict=True)]
    was_training = model.training
    model.eval()
    seen = 0
    try:
        with torch.enable_grad():  # the caller may be in a no_grad block, as code around inference often is
            for batch in inputs:
                loss = model(**batch).loss
                if loss is None:
                    raise ValueError("heads pruning needs training batches with labels")
                for score, grad in zip(scores, torch.autograd.grad(loss, gates), strict=True):
                    score += grad.abs()
                seen += 1
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    if not seen:
        raise ValueError("heads pruning needs training batches to score the heads")
    return [(s / s.norm().clamp_min(1e-20)).tolist() for s in scores]  # clamp: a layer of dead heads stays 0


def _gate_hook(gate: Any, head_size: int) -> Any:
    def scale(module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        (x,) = args  # a Linear's forward takes its input alone
        return (x * gate.repeat_interleave(head_size).to(x.dtype),)

    return scale


def least_important(scores: list[list[float]], count: int) -> dict[int, list[int]]:
    """The `count` least important heads, {layer: [heads]}, leaving every layer at least one head.

    The ranking is global, across layers (the per-layer normalisation makes scores comparable);
    ties go to the earlier layer and head, so the choice is reproducible."""
    left = [len(layer) for layer in scores]
    chosen: dict[int, list[int]] = {}
    for _, layer, head in sorted((s, i, h) for i, layer_scores in enumerate(scores) for h, s in enumerate(layer_scores)):
        if sum(len(heads) for heads in chosen.values()) == count:
            break
        if left[layer] > 1:
            chosen.setdefault(layer, []).append(head)
            left[layer] -= 1
    return {layer: sorted(heads) for layer, heads in sorted(chosen.items())}


def remove_heads(model: Any, layers: list[AttentionLayer], heads: dict[int, list[int]]) -> dict[int, list[int]]:
    """Remove `heads` (current indices) and record them in model.config.pruned_heads; the record's new entries.

    pruned_heads keeps the original head numbers, as transformers' did, so a second pruning of a
    pruned model maps its current indices back through the heads already gone."""
    import torch

    recorded = {int(k): list(v) for k, v in (getattr(model.config, "pruned_heads", None) or {}).items()}
    added: dict[int, list[int]] = {}
    for index, removed in heads.items():
        layer = layers[index]
        original = [h for h in range(layer.heads + len(recorded.get(index, []))) if h not in recorded.get(index, [])]
        keep = [h for h in range(layer.heads) if h not in removed]
        size = layer.head_size
        device = getattr(*layer.output).weight.device
        rows = torch.cat([torch.arange(h * size, (h + 1) * size, device=device) for h in keep])
        for owner, name in layer.projections:
            setattr(owner, name, _sliced(getattr(owner, name), rows, dim=0))
        owner, name = layer.output
        setattr(owner, name, _sliced(getattr(owner, name), rows, dim=1))
        setattr(layer.counter, layer.count_attribute, len(keep))
        if hasattr(layer.counter, "all_head_size"):  # BERT's attention keeps the width too
            layer.counter.all_head_size = len(keep) * size
        added[index] = [original[h] for h in removed]
        recorded[index] = sorted(recorded.get(index, []) + added[index])
    model.config.pruned_heads = recorded
    return added


def _sliced(linear: Any, index: Any, dim: int) -> Any:
    """A new Linear with only the `index` outputs (dim 0) or inputs (dim 1) of `linear`, on its device and dtype."""
    import torch

    weight = linear.weight.detach().index_select(dim, index)
    bias = linear.bias
    if bias is not None and dim == 0:
        bias = bias.detach().index_select(0, index)
    new = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None,
                          device=weight.device, dtype=weight.dtype)
    with torch.no_grad():
        new.weight.copy_(weight)
        if bias is not None:
            new.bias.copy_(bias)
    new.requires_grad_(linear.weight.requires_grad)
    return new
