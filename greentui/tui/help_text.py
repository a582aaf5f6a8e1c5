"""What each config key does and what the literature expects from it, for the setup screen's side panel.

Figures are the cited sources' claims on their hardware (see TECHNIQUES.md), not promises.
"""

from __future__ import annotations

FIELD_HELP: dict[str, str] = {
    "preset": "A named starting point. tiny: the bundled model and synthetic demo data, runs offline in "
    "about a minute on a CPU. distilbert-imdb: the Hugging Face recipe (needs the model and data cached).",
    "name": "A label for the run in history. Left empty, greentui names it after the model and techniques.",
    "model": "A Hugging Face model id, a local folder, or bundled:tiny-distilbert. "
    "Distillation as a technique: DistilBERT is 40 % smaller than BERT and keeps 97 % of its quality "
    "(Sanh et al. 2019); about 60 % less energy for -2 points (Iyer).",
    "dataset": "A Hugging Face dataset id, a local folder, or bundled:sentiment-demo (synthetic demo data).",
    "text_column": "The dataset column that holds the input text.",
    "label_column": "The dataset column that holds the class label.",
    "train_samples": "Dataset reduction: train on only this many examples (0 = all). Gholap et al. (2025) "
    "report up to 40 % energy saved, at some cost in accuracy.",
    "eval_samples": "Evaluate on only this many examples (0 = all). Evaluation costs energy too.",
    "max_length": "Longest input in tokens; longer texts are cut. Attention cost grows with the square of it.",
    "mixed_precision": "fp16 / bf16 compute. Expect about 2x throughput on tensor-core GPUs at the same "
    "accuracy (2.1x for bert-large on a V100 in the HF table; 2.6x for DistilBERT-IMDB, Raschka), and less "
    "power per sample (Micikevicius et al. 2018). On a CPU only bf16 applies.",
    "gradient_checkpointing": "Recompute activations in the backward pass instead of keeping them. "
    "Expect about 20-30 % slower steps and much less activation memory (HF docs; Chen et al. 2016).",
    "optimizer": "AdamW (decoupled weight decay), Adam, or SGD with momentum. Energy follows convergence "
    "speed: the optimizer that needs fewer steps to the target accuracy spends less (Gholap et al. 2025).",
    "momentum": "SGD's momentum. Only used when the optimizer is sgd.",
    "lr_scheduler": "How the learning rate changes over training. Adaptive schedules such as cosine can cut "
    "the energy needed to reach a target accuracy (Henderson et al. 2020).",
    "warmup_ratio": "Fraction of the steps spent ramping the learning rate up from zero.",
    "label_smoothing": "Spread a little probability over the wrong classes. A regulariser; it may reduce "
    "the epochs needed, its energy effect is not measured in the literature we cite.",
    "dropout": "Dropout in the model (DistilBERT's dropout, attention and classifier dropout). A regulariser.",
    "grad_accum_steps": "Add up gradients over this many batches before a step: large effective batches "
    "in small memory. Energy effect 'variable' (Gholap et al. 2025); 7.75 vs 8.86 samples/s in the HF table.",
    "early_stopping_patience": "Stop after this many evaluations without improvement (0 = off). Low effort, "
    "energy effect 'variable' (Gholap et al. 2025; Prechelt 1998).",
    "early_stopping_metric": "The metric early stopping watches.",
    "dynamic_padding": "Pad each batch to its own longest text instead of max_length. BERT-family "
    "fine-tunes ran 2-4.6x faster (CamemBERT X-NLI report).",
    "group_by_length": "Batch texts of similar length together so padding shrinks further; "
    "-27 % time reported (lit-llama #396).",
    "lora": "Train small low-rank adapters instead of all weights. About 3x less GPU memory and far "
    "fewer trainable parameters (Hu et al. 2021).",
    "lora_r": "LoRA's rank: the adapters' size. Smaller trains fewer parameters.",
    "epochs": "Passes over the training data. Energy grows about linearly with it.",
    "batch_size": "Examples per forward pass. Larger batches use the hardware better, up to memory limits.",
    "learning_rate": "Step size of the optimizer. The tiny preset uses 1e-3; the DistilBERT recipe 2e-5.",
    "weight_decay": "L2-style shrinkage of the weights (decoupled in AdamW).",
    "seed": "Random seed: the same seed and config give comparable runs.",
    "evals_per_epoch": "How often to evaluate within an epoch: more points on the curve, more energy.",
    "country": "3-letter ISO code (FRA, USA, DEU…) for the grid's carbon intensity. Empty: the world "
    "average of 475 g CO2/kWh is assumed, and the run says so.",
    "energy_budget_kwh": "Most energy this run may use (kWh); 0: no limit. A warning once the projection "
    "from the rate so far goes over it; the run stops (status stopped, the reason recorded, no final "
    "evaluation: the last one during training stands) once the measured energy does.",
    "co2_budget_kg": "Most CO2 this run may emit (kg); 0: no limit. Warned and enforced like the energy budget.",
}


def help_for(key: str) -> str:
    """Side-panel text for a config key or form field; a neutral line for anything unknown."""
    return FIELD_HELP.get(key, "Move to a field to see what it does and what to expect from it.")
