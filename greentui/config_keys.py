"""Every run-config key declared once: its form group, what it does (the help text) and its allowed values.

RunConfig (config.py) holds each key's type and default; this holds the rest. The config's checks
and their error messages (CLI, TOML, sweeps), the setup form's groups and its help panel all read
these declarations, and a test fails when a key has none. No Textual here: the core reads it too.
Help figures are the cited sources' claims on their hardware (see TECHNIQUES.md), not promises.
"""

from __future__ import annotations

from dataclasses import dataclass

# (low, high, high_inclusive) for a numeric key; low is always inclusive.
Range = tuple[float, float, bool]

DATA = "Model & data"
TECHNIQUES = "Techniques"
HYPER = "Hyper-parameters"
CARBON = "Carbon"
COMPRESSION = "Compression & inference"


@dataclass(frozen=True)
class KeySpec:
    """One config key: the form group it is shown in, its help text, and its choices or range where it has one."""

    key: str
    group: str
    help: str
    choices: tuple[str, ...] = ()
    range: Range | None = None


# In the form's order: groups in order of first appearance, keys in order within them.
KEY_SPECS: tuple[KeySpec, ...] = (
    KeySpec("model", DATA,
        "A Hugging Face model id, a local folder, bundled:tiny-distilbert (2 layers, dim 64) or the"
        " bigger bundled:tiny-teacher (4 layers, dim 128, already fine-tuned), or package:NAME/FOLDER."
        " Distillation as a"
        " technique: DistilBERT is 40 % smaller than BERT and keeps 97 % of its quality (Sanh "
        "et al. 2019); about 60 % less energy for -2 points (Iyer)."),
    KeySpec("dataset", DATA,
        "A Hugging Face dataset id, a local folder, or bundled:sentiment-demo (synthetic demo "
        "data)."),
    KeySpec("text_column", DATA,
        "The dataset column that holds the input text."),
    KeySpec("label_column", DATA,
        "The dataset column that holds the class label."),
    KeySpec("train_samples", DATA,
        "Dataset reduction: train on only this many examples (0 = all). Gholap et al. (2025) "
        "report up to 40 % energy saved, at some cost in accuracy.", range=(0, 10**9, True)),
    KeySpec("eval_samples", DATA,
        "Evaluate on only this many examples (0 = all). Evaluation costs energy too.", range=(0, 10**9, True)),
    KeySpec("max_length", DATA,
        "Longest input in tokens; longer texts are cut. Attention cost grows with the square of"
        " it.", range=(8, 8192, True)),
    KeySpec("mixed_precision", TECHNIQUES,
        "fp16 / bf16 compute. Expect about 2x throughput on tensor-core GPUs at the same "
        "accuracy (2.1x for bert-large on a V100 in the HF table; 2.6x for DistilBERT-IMDB, "
        "Raschka), and less power per sample (Micikevicius et al. 2018). On a CPU only bf16 "
        "applies.",
        choices=("no", "fp16", "bf16")),
    KeySpec("gradient_checkpointing", TECHNIQUES,
        "Recompute activations in the backward pass instead of keeping them. Expect about 20-30"
        " % slower steps and much less activation memory (HF docs; Chen et al. 2016)."),
    KeySpec("optimizer", TECHNIQUES,
        "AdamW (decoupled weight decay), Adam, or SGD with momentum. Energy follows convergence"
        " speed: the optimizer that needs fewer steps to the target accuracy spends less "
        "(Gholap et al. 2025).",
        choices=("adamw", "adam", "sgd")),
    KeySpec("momentum", TECHNIQUES,
        "SGD's momentum. Only used when the optimizer is sgd.", range=(0.0, 1.0, False)),
    KeySpec("lr_scheduler", TECHNIQUES,
        "How the learning rate changes over training. Adaptive schedules such as cosine can cut"
        " the energy needed to reach a target accuracy (Henderson et al. 2020).",
        choices=("linear", "cosine", "constant")),
    KeySpec("warmup_ratio", TECHNIQUES,
        "Fraction of the steps spent ramping the learning rate up from zero.", range=(0.0, 1.0, False)),
    KeySpec("label_smoothing", TECHNIQUES,
        "Spread a little probability over the wrong classes. A regulariser; it may reduce the "
        "epochs needed, its energy effect is not measured in the literature we cite.", range=(0.0, 1.0, False)),
    KeySpec("dropout", TECHNIQUES,
        "Dropout in the model (DistilBERT's dropout, attention and classifier dropout). A "
        "regulariser.", range=(0.0, 1.0, False)),
    KeySpec("grad_accum_steps", TECHNIQUES,
        "Add up gradients over this many batches before a step: large effective batches in "
        "small memory. Energy effect 'variable' (Gholap et al. 2025); 7.75 vs 8.86 samples/s in"
        " the HF table.", range=(1, 4096, True)),
    KeySpec("early_stopping_patience", TECHNIQUES,
        "Stop after this many evaluations without improvement (0 = off). Low effort, energy "
        "effect 'variable' (Gholap et al. 2025; Prechelt 1998).", range=(0, 1000, True)),
    KeySpec("early_stopping_metric", TECHNIQUES,
        "The metric early stopping watches.",
        choices=("eval_loss", "accuracy")),
    KeySpec("dynamic_padding", TECHNIQUES,
        "Pad each batch to its own longest text instead of max_length. BERT-family fine-tunes "
        "ran 2-4.6x faster (CamemBERT X-NLI report)."),
    KeySpec("group_by_length", TECHNIQUES,
        "Batch texts of similar length together so padding shrinks further; -27 % time reported"
        " (lit-llama #396)."),
    KeySpec("lora", TECHNIQUES,
        "Train small low-rank adapters instead of all weights. About 3x less GPU memory and far"
        " fewer trainable parameters (Hu et al. 2021)."),
    KeySpec("lora_r", TECHNIQUES,
        "LoRA's rank: the adapters' size. Smaller trains fewer parameters.", range=(1, 1024, True)),
    KeySpec("save_model", COMPRESSION,
        "Keep the fine-tuned weights (safetensors, with the tokenizer) in the run folder, runs/ID/"
        "model: the best checkpoint under early stopping, LoRA merged into a plain model. The "
        "record shows their size (saved_model_mb); another run can distil from it by its run id. "
        "Deleting the run from the history deletes them."),
    KeySpec("distill_from", COMPRESSION,
        "Knowledge distillation (Hinton et al. 2015): the teacher whose softened logits the model "
        "learns from, as a run id of this store that saved its model, a local folder, a hub id or "
        "bundled:tiny-teacher; empty: none. DistilBERT, distilled from BERT, is 40 % smaller, 60 % "
        "faster and keeps 97 % of its quality (Sanh et al. 2019). A run that distils pays for its "
        "teacher's forward passes: they are in its energy."),
    KeySpec("distill_temperature", COMPRESSION,
        "Distillation's temperature T: both models' logits are divided by T before the softmax, so "
        "a higher T shows more of the teacher's view of the wrong classes. Hinton et al. use 2-20; "
        "the soft loss is scaled by T² to keep its gradients comparable.", range=(0.01, 100.0, True)),
    KeySpec("distill_alpha", COMPRESSION,
        "Weight of the soft-target (teacher) loss; the label loss gets 1 - alpha. 0.5 is the usual "
        "start; 1.0 learns from the teacher alone.", range=(0.0, 1.0, True)),
    KeySpec("quantization", COMPRESSION,
        "Post-training quantization of the fine-tuned model for the inference phase: dynamic INT8 of "
        "the Linear layers (torch's dynamic quantization, CPU only), or fp16/bf16 casts. Surveys report up "
        "to 50 % less inference energy; Q8BERT kept BERT's GLUE scores within 1 point at 4x smaller "
        "weights (Zafrir et al. 2019). Training is unchanged: only the deployed model is.",
        choices=("none", "dynamic-int8", "fp16", "bf16")),
    KeySpec("pruning", COMPRESSION,
        "Fraction of weights (magnitude) or attention heads (heads) removed after training (0 = none). "
        "Surveys report up to 30 % less energy; Michel et al. (2019) removed 20-40 % of BERT's heads "
        "with little loss. Zeroed weights shrink neither a dense model's size nor its time: only "
        "removed heads do.", range=(0.0, 0.9, True)),
    KeySpec("pruning_method", COMPRESSION,
        "magnitude: global magnitude pruning of every Linear weight (unstructured, Han et al. 2015); "
        "heads: remove the least important attention heads, importance from the loss's gradient "
        "(structured, Michel et al. 2019).",
        choices=("magnitude", "heads")),
    KeySpec("pruning_recovery_steps", COMPRESSION,
        "Fine-tuning steps after pruning, the pruned weights kept at zero, to win back accuracy "
        "(0 = none). Counted in the training phase's energy.", range=(0, 10**6, True)),
    KeySpec("inference_samples", COMPRESSION,
        "Predictions on held-out data in the measured inference phase, after training and "
        "compression: accuracy as deployed, latency, throughput and energy per 1,000 predictions "
        "(0 = no inference phase; at most the evaluation split's size).", range=(0, 10**7, True)),
    KeySpec("inference_batch_sizes", COMPRESSION,
        "The batch sizes whose latency the inference phase measures, comma separated (1,32): batch 1 "
        "is a single user's request, larger ones a server's."),
    KeySpec("epochs", HYPER,
        "Passes over the training data. Energy grows about linearly with it.", range=(0.01, 1000, True)),
    KeySpec("batch_size", HYPER,
        "Examples per forward pass. Larger batches use the hardware better, up to memory "
        "limits.", range=(1, 8192, True)),
    KeySpec("learning_rate", HYPER,
        "Step size of the optimizer. The tiny preset uses 1e-3 with AdamW; for SGD with momentum 0.9: 0.01 "
        "on it (0.05 diverges). The DistilBERT recipe: 2e-5.", range=(1e-9, 1.0, True)),
    KeySpec("weight_decay", HYPER,
        "L2-style shrinkage of the weights (decoupled in AdamW).", range=(0.0, 1.0, True)),
    KeySpec("seed", HYPER,
        "Random seed: the same seed and config give comparable runs.", range=(0, 2**32 - 1, True)),
    KeySpec("evals_per_epoch", HYPER,
        "How often to evaluate within an epoch: more points on the curve, more energy.", range=(1, 100, True)),
    KeySpec("country", CARBON,
        "3-letter ISO code (FRA, USA, DEU…) for the grid's carbon intensity. Empty: the world "
        "average of 475 g CO2/kWh is assumed, and the run says so."),
    KeySpec("pue", CARBON,
        "Power usage effectiveness of the room the machine runs in: facility energy ÷ IT energy. "
        "CodeCarbon multiplies the measured energy (so CO2) by it; 1.0 counts the machine alone. "
        "Data centres report about 1.1–1.6. The appendix states it.", range=(1.0, 3.0, True)),
    KeySpec("energy_budget_kwh", CARBON,
        "Most energy this run may use (kWh); 0: no limit. A warning once the projection from "
        "the rate so far goes over it; the run stops (status stopped, the reason recorded, no "
        "final evaluation: the last one during training stands) once the measured energy does.", range=(0.0, 1e6, True)),
    KeySpec("co2_budget_kg", CARBON,
        "Most CO2 this run may emit (kg); 0: no limit. Warned and enforced like the energy "
        "budget.", range=(0.0, 1e6, True)),
    KeySpec("idle_baseline_s", CARBON,
        "Seconds to measure the devices' idle power before loading (0 = off; 10 suggested on a "
        "GPU). The run then records its energy and its energy above idle, each labelled.", range=(0.0, 3600.0, True)),
    KeySpec("power_limit_w", CARBON,
        "GPU power cap (W) for the run; 0 = leave as found. Set through NVML on each of the run's GPUs "
        "before training and restored when the run ends, however it ends (needs root). On a shared "
        "box the cap slows everyone on that GPU. Up to 20 % energy saved (Gholap et al. 2025); "
        "15-76 % on some workloads (Zeus).", range=(0.0, 10000.0, True)),
    KeySpec("start_when", CARBON,
        "now, or low-carbon: wait for the window of lowest forecast carbon intensity that still lets "
        "the run finish before the deadline (the forecast: GREENTUI_CARBON_URL or "
        "GREENTUI_CARBON_FORECAST, see greentui doctor). The record keeps the expected and the "
        "realised saving.", choices=("now", "low-carbon")),
    KeySpec("deadline", CARBON,
        "With start_when = low-carbon: the run must be able to finish within this of its launch "
        "(90s, 45m, 12h, 2d). Its length comes from a previous run of the same config, else 1 h "
        "is assumed and said."),
)

SPECS: dict[str, KeySpec] = {spec.key: spec for spec in KEY_SPECS}
CHOICES: dict[str, tuple[str, ...]] = {spec.key: spec.choices for spec in KEY_SPECS if spec.choices}
RANGES: dict[str, Range] = {spec.key: spec.range for spec in KEY_SPECS if spec.range is not None}


def groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(group title, its keys) in the form's order."""
    titles = dict.fromkeys(spec.group for spec in KEY_SPECS)
    return tuple((title, tuple(s.key for s in KEY_SPECS if s.group == title)) for title in titles)
