"""Pretrain the bundled tiny encoders (deterministic from their seeds, no network).

    .venv/bin/python assets/make_demo_assets.py    # first: the data and the tokenizer
    .venv/bin/python assets/pretrain_tiny.py       # then both models (or name one: student, teacher)
    .venv/bin/python assets/pretrain_tiny.py --check student   # rebuild in a temp folder, compare

The corpus is 20,000 reviews from the same generator as sentiment-demo, drawn from their own seed
with the labels thrown away (neither split's texts are in it): pretraining on the downstream domain
alone works well (Krishna et al. 2022). The objectives are in pretraining.py.

Writes, next to this file:
  tiny-distilbert/   the student (2 layers, dim 64): the pretrained encoder the `tiny` preset
                     fine-tunes, saved as a masked-LM checkpoint like distilbert-base-uncased
  tiny-teacher/      a bigger encoder (4 layers, dim 128), pretrained the same way and then
                     fine-tuned on sentiment-demo's train split: a distillation teacher, and a
                     bigger base for `model = "bundled:tiny-teacher"`
and each one's README.md: how it was made, how long it took, its losses (and the teacher's accuracy).
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import make_demo_assets as demo
import torch
from model_cards import student_card, teacher_card
from pretraining import Recipe, heldout_mlm_loss, mine_lexicon, pretrain
from transformers import DistilBertConfig, DistilBertForMaskedLM, DistilBertTokenizer

CORPUS_SEED = 4321  # not the data's seed (1234): a fresh draw from the generator
N_CORPUS, N_HELDOUT = 20000, 500
THREADS = 2  # the same thread count gives the same floating-point sums, hence the same weights
HERE = Path(__file__).resolve().parent
TOKENIZER_DIR = HERE / "tiny-distilbert"  # made by make_demo_assets.py

# name: (folder, architecture, recipe)
MODELS = {
    "student": ("tiny-distilbert", dict(dim=64, n_layers=2, n_heads=2, hidden_dim=256),
                Recipe(steps_short=2500, steps_long=500)),
    # About four times the student's cost per step, so fewer steps. It leaves the MLM plateau late
    # (step 1,400) and fine-tunes to 0.935, below the student's 0.947: more steps are the next try.
    "teacher": ("tiny-teacher", dict(dim=128, n_layers=4, n_heads=4, hidden_dim=512),
                Recipe(steps_short=1800, steps_long=300)),
}


def corpus(n: int, seed: int) -> list[str]:
    """n synthetic reviews with their labels dropped (the label only steers the generator)."""
    rng = random.Random(seed)
    return [demo.make_review(rng, rng.randrange(2)) for _ in range(n)]


def model_config(shape: dict, vocab_size: int) -> DistilBertConfig:
    return DistilBertConfig(
        vocab_size=vocab_size, max_position_embeddings=512, pad_token_id=0, **shape,
        # A wider initialisation and untied output embeddings let MLM leave the unigram plateau
        # within a few hundred steps here (at DistilBERT's 0.02, tied, it sat at 4.6 nats for 1,500).
        initializer_range=0.1, tie_word_embeddings=False,
        # No dropout, as in the fine-tuning preset: on CPU it doubles the step time.
        dropout=0.0, attention_dropout=0.0, seq_classif_dropout=0.0,
        num_labels=2, id2label={0: "negative", 1: "positive"}, label2id={"negative": 0, "positive": 1})


def build(name: str, out: Path) -> dict:
    """Pretrain model `name` into folder `out`; returns the facts its card states."""
    _, shape, recipe = MODELS[name]
    torch.set_num_threads(THREADS)
    tokenizer = DistilBertTokenizer.from_pretrained(TOKENIZER_DIR)
    documents = tokenizer(corpus(N_CORPUS, CORPUS_SEED), add_special_tokens=False)["input_ids"]
    heldout = tokenizer(corpus(N_HELDOUT, CORPUS_SEED + 1), add_special_tokens=False)["input_ids"]
    lexicon = mine_lexicon(documents, tokenizer, recipe.lexicon_size)
    torch.manual_seed(recipe.seed)
    model = DistilBertForMaskedLM(model_config(shape, len(tokenizer)))
    started = time.monotonic()
    losses = pretrain(model, tokenizer, documents, lexicon, recipe)
    minutes = (time.monotonic() - started) / 60
    facts = dict(minutes=minutes, losses=losses, heldout_mlm=heldout_mlm_loss(model, tokenizer, heldout),
                 params=sum(p.numel() for p in model.parameters()), recipe=recipe, shape=shape,
                 lexicon=tokenizer.convert_ids_to_tokens(lexicon), threads=THREADS,
                 n_corpus=N_CORPUS, corpus_seed=CORPUS_SEED, n_heldout=N_HELDOUT)
    print(f"{name}: {recipe.steps} steps in {minutes:.1f} min, held-out MLM loss {facts['heldout_mlm']:.3f}")
    out.mkdir(parents=True, exist_ok=True)
    if name == "student":
        model.save_pretrained(out)  # safetensors; loads like distilbert-base-uncased's MLM checkpoint
        demo.save_tokenizer(tokenizer, out)
        (out / "README.md").write_text(student_card(facts))
    else:
        _finish_teacher(model, tokenizer, facts, out)
    return facts


def _finish_teacher(model, tokenizer, facts: dict, out: Path) -> None:
    """Fine-tune the pretrained teacher on sentiment-demo through greentui's own training path."""
    from finetune_teacher import finetune

    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        classifier, accuracy, minutes, recipe = finetune(Path(tmp), HERE / "sentiment-demo")
    classifier.save_pretrained(out)
    demo.save_tokenizer(tokenizer, out)
    facts.update(accuracy=accuracy, finetune_minutes=minutes, finetune_recipe=recipe)
    (out / "README.md").write_text(teacher_card(facts))


def digest(folder: Path) -> str:
    return hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()


def check(name: str) -> bool:
    """Rebuild `name` in a temp folder and say whether its weights match the shipped ones bit for bit."""
    shipped = HERE / MODELS[name][0]
    with tempfile.TemporaryDirectory() as tmp:
        build(name, Path(tmp))
        same = digest(Path(tmp)) == digest(shipped)
        if not same:
            from safetensors.torch import load_file

            a, b = load_file(Path(tmp) / "model.safetensors"), load_file(shipped / "model.safetensors")
            worst = max((a[k] - b[k]).abs().max().item() for k in a)
            print(f"{name}: weights differ from the shipped ones (largest difference {worst:.3g})")
    print(f"{name}: {'bit-for-bit the shipped weights' if same else 'NOT the shipped weights'}")
    return same


def main(args: list[str]) -> int:
    if args[:1] == ["--check"]:
        return 0 if all([check(name) for name in args[1:] or MODELS]) else 1
    for name in args or MODELS:
        folder = HERE / MODELS[name][0]
        if name == "teacher" and folder.exists():
            shutil.rmtree(folder)
        build(name, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
