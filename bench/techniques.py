"""Techniques on this CPU, reported without targets: bf16 autocast, gradient checkpointing, LoRA.

Each is the tiny preset with one technique switched on against the same run without it,
interleaved, medians quoted.
"""

from __future__ import annotations

from common import Row, interleaved, median, parse_args, print_table
from train_rate import config, samples_per_s, trainable_fraction


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    samples = 64 if quick else 960
    rounds = 1 if quick else 3
    base = config(train_samples=samples)
    rows = []

    bf16, fp32 = interleaved(lambda: samples_per_s(base.with_values(mixed_precision="bf16")),
                             lambda: samples_per_s(base), rounds)
    rows.append(Row("bf16 autocast ÷ fp32 samples/s", f"{median(bf16) / median(fp32):.2f}",
                    detail=f"{median(bf16):.0f} vs {median(fp32):.0f} samples/s"))

    ckpt, plain = interleaved(lambda: samples_per_s(base.with_values(gradient_checkpointing=True)),
                              lambda: samples_per_s(base), rounds)
    slowdown = 1 - median(ckpt) / median(plain)
    rows.append(Row("gradient checkpointing slowdown", f"{slowdown:.0%}",
                    detail=f"{median(ckpt):.0f} vs {median(plain):.0f} samples/s"))

    lora_cfg = base.with_values(lora=True)
    trainable, total = trainable_fraction(lora_cfg)
    lora, full = interleaved(lambda: samples_per_s(lora_cfg), lambda: samples_per_s(base), rounds)
    rows.append(Row("LoRA (r=8) trainable parameters", f"{trainable / total:.1%}",
                    detail=f"{trainable:,} of {total:,}"))
    rows.append(Row("LoRA ÷ full fine-tuning samples/s", f"{median(lora) / median(full):.2f}",
                    detail=f"{median(lora):.0f} vs {median(full):.0f} samples/s"))
    return rows


if __name__ == "__main__":
    args = parse_args(__doc__.splitlines()[0])
    print_table("techniques (no targets)", run(args.quick))
