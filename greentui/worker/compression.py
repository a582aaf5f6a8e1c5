"""Post-training compression of a fine-tuned classifier for the inference phase: quantization and pruning.

Quantization changes what each weight costs (int8 Linear layers, or the whole model in fp16 or bf16);
pruning changes how many weights there are: magnitude pruning zeroes the smallest weights (the same
dense storage, so no smaller file, unless something downstream exploits the zeros), heads pruning
removes whole attention heads (fewer parameters, less compute). A short recovery fine-tune between
pruning and deployment wins back accuracy; the masks keep magnitude pruning's zeros through it.
"""

from __future__ import annotations

import functools
import inspect
import tempfile
import warnings
from typing import Any, Iterable

from greentui.worker.capabilities import DTYPES
from greentui.worker.head_pruning import attention_layers, importance, least_important, remove_heads
from greentui.worker.saving import BYTES_PER_MB
from greentui.worker.training import TechniqueUnavailable

QUANTIZATION_MODES = ("none", "dynamic-int8", "fp16", "bf16")
PRUNING_METHODS = ("magnitude", "heads")
MAX_GRAD_NORM = 1.0  # the Trainer's default clipping, so a recovery step behaves like a training step


def check_quantization(mode: str, device: str) -> None:
    """TechniqueUnavailable, naming 'quantization' and what to use instead, when `device` cannot run `mode`.

    The rules are greentui.runs.capabilities' (the launcher checks them before the run, on a probe's
    facts); here they meet this process's own facts."""
    from greentui.runs.capabilities import quantization_refusal
    from greentui.worker.capabilities import facts_here

    if mode not in QUANTIZATION_MODES:
        raise ValueError(f"config key 'quantization': {mode!r} is not one of {', '.join(QUANTIZATION_MODES)}")
    if mode == "none":
        return
    reason = quantization_refusal(mode, device.split(":")[0] == "cuda", facts_here())
    if reason:
        raise TechniqueUnavailable(f"config key 'quantization': {reason}")



@functools.cache
def quantize(model: Any, mode: str) -> Any:
    """The model to deploy, in eval mode: itself for none, with int8 Linear layers, or cast to fp16 or bf16.

    The model is changed in place (and returned): the float model is not used again, and a copy
    would hold both in memory. Call finish_pruning first on a magnitude-pruned model, so that the
    quantized layers are built from plain weights."""
    import torch

    model.eval()
    if mode == "none":
        return model
    if mode == "dynamic-int8":
        with warnings.catch_warnings():
            # torch 2.13 still ships torch.ao.quantization but warns that it is deprecated (twice a
            # call; the text says "removed in 2.10") and, once a process, that qint8 tensors are:
            # notices for whoever maintains this, not for someone reading a run's log. Nothing else
            # is silenced, and nothing outside this call.
            warnings.filterwarnings("ignore", message="torch.ao.quantization is deprecated", category=DeprecationWarning)
            warnings.filterwarnings("ignore", message=".*quantized tensor creation functions .* are deprecated",
                                    category=UserWarning)
            return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    if mode in DTYPES:
        return model.to(getattr(torch, DTYPES[mode]))
    raise ValueError(f"config key 'quantization': {mode!r} is not one of {', '.join(QUANTIZATION_MODES)}")


def prune(model: Any, fraction: float, method: str, batches: Iterable[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Prune `fraction` of the Linear weights (magnitude) or of the attention heads (heads), in place; a description.

    magnitude: global L1 unstructured pruning over every Linear layer's weight, one threshold for
    all (layers with many small weights lose more); the masks stay attached until finish_pruning.
    heads: see head_pruning; `batches` (training batches with labels) score the heads. The
    description is JSON-ready: sparsity is what was achieved (heads: the fraction removed)."""
    if method not in PRUNING_METHODS:
        raise ValueError(f"config key 'pruning_method': {method!r} is not one of {', '.join(PRUNING_METHODS)}")
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"pruning fraction {fraction} is outside [0, 1)")
    params_before = _params(model)
    if method == "magnitude":
        if fraction > 0:
            from torch.nn.utils import prune as torch_prune

            targets = [(module, "weight") for module in _linears(model)]
            torch_prune.global_unstructured(targets, pruning_method=torch_prune.L1Unstructured, amount=fraction)
        return _described(model, method, fraction, linear_sparsity(model), params_before, _config_heads(model))
    layers = attention_layers(model)  # refuses an unknown layout before any work
    heads_total = sum(layer.heads for layer in layers)
    pruned: dict[int, list[int]] = {}
    if fraction > 0:
        if batches is None:
            raise ValueError("heads pruning needs training batches to score the heads")
        count = round(fraction * heads_total)
        scores = importance(model, layers, (model_inputs(model, batch) for batch in batches))
        pruned = remove_heads(model, layers, least_important(scores, count))
    removed = sum(len(heads) for heads in pruned.values())
    described = _described(model, method, fraction, removed / heads_total, params_before, heads_total)
    described["pruned_heads"] = {str(layer): heads for layer, heads in pruned.items()}
    return described


def _described(model: Any, method: str, fraction: float, sparsity: float, params_before: int,
               heads_total: int | None) -> dict[str, Any]:
    return {"method": method, "fraction": fraction, "sparsity": sparsity, "linear_sparsity": linear_sparsity(model),
            "params_before": params_before, "params_after": _params(model), "heads_total": heads_total}


def recover(model: Any, batches: Iterable[dict[str, Any]], steps: int, learning_rate: float) -> float | None:
    """Fine-tune for `steps` AdamW steps on `batches` (re-iterated as needed); the last loss, None for 0 steps.

    Pruning masks stay attached, so the pruned weights stay zero: their gradient reaches weight_orig
    masked. No weight decay (the Trainer's default), which also leaves weight_orig's pruned entries
    as they were. The model ends in eval mode, ready for the inference phase."""
    import torch

    if steps <= 0:
        model.eval()
        return None
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=0.0)
    loss, done = 0.0, 0
    model.train()
    try:
        while done < steps:
            before = done
            for batch in batches:
                output = model(**model_inputs(model, batch))
                output.loss.backward()
                torch.nn.utils.clip_grad_norm_(parameters, MAX_GRAD_NORM)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                loss, done = float(output.loss.detach()), done + 1
                if done == steps:
                    break
            if done == before:
                raise ValueError("recovery fine-tuning needs training batches")
    finally:
        model.eval()
    return loss


def finish_pruning(model: Any) -> None:
    """Make magnitude pruning permanent: each pruned tensor becomes a plain parameter with its zeros, masks gone."""
    from torch.nn.utils import prune as torch_prune

    for module in model.modules():
        names = [hook._tensor_name for hook in module._forward_pre_hooks.values()
                 if isinstance(hook, torch_prune.BasePruningMethod)]
        for name in names:
            torch_prune.remove(module, name)


def linear_sparsity(model: Any) -> float:
    """Zero weights / all weights over the model's Linear layers (pruned, int8 or plain); 0 with none."""
    zeros = total = 0
    for module in _linears(model, quantized=True):
        weight = module.weight() if callable(module.weight) else module.weight  # int8 Linear: a method
        if weight.is_quantized:
            weight = weight.dequantize()
        zeros += int((weight == 0).sum())
        total += weight.numel()
    return zeros / total if total else 0.0


def serialized_size_mb(model: Any) -> float:
    """The state_dict's size as torch.save writes it, in SI MB (int8 packed params, casts and masks included).

    A model still carrying pruning masks counts both weight_orig and the mask: call finish_pruning
    first to measure what would be deployed. It is written to a temporary file, not to memory, so a
    large model is not held twice."""
    import torch

    with tempfile.TemporaryFile() as file:
        torch.save(model.state_dict(), file)
        return file.tell() / BYTES_PER_MB


def model_inputs(model: Any, batch: dict[str, Any]) -> dict[str, Any]:
    """The batch's tensors that the model's forward takes, on its device.

    Columns forward does not name (load_data's `length`) are dropped, as the Trainer's
    remove_unused_columns does before its dataloader yields."""
    accepted = inspect.signature(model.forward).parameters
    device = next(model.parameters()).device
    return {k: v.to(device) for k, v in batch.items() if k in accepted}


def _linears(model: Any, quantized: bool = False) -> list[Any]:
    import torch

    kinds: tuple[type, ...] = (torch.nn.Linear,)
    if quantized:
        kinds += (torch.ao.nn.quantized.dynamic.Linear,)
    return [module for module in model.modules() if isinstance(module, kinds)]


def _params(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())


def _config_heads(model: Any) -> int | None:
    """Heads in all layers by the config (configs map n_heads and n_layers to these names), None if it has none."""
    heads, layers = (getattr(model.config, name, None) for name in ("num_attention_heads", "num_hidden_layers"))
    return heads * layers if isinstance(heads, int) and isinstance(layers, int) else None
