"""The README.md written next to each bundled model: how it was made, on what, how long, how well."""

from __future__ import annotations


def _polar_words() -> set[str]:
    """The generator's own polar adjectives and verbs: what a perfect mining would find."""
    import demo_vocab as vocab

    verbs = {form for pairs in vocab.VERBS.values() for pair in pairs for form in pair}
    return {word for words in vocab.ADJ.values() for word in words} | verbs


def _made(facts: dict) -> str:
    recipe, shape = facts["recipe"], facts["shape"]
    polar = len(set(facts["lexicon"]) & _polar_words())
    tokens = recipe.steps_short * recipe.batch_short * 64 + recipe.steps_long * recipe.batch_long * 256
    lexicon = ", ".join(facts["lexicon"])
    return f"""Architecture: DistilBERT, {shape['n_layers']} layers, dim {shape['dim']}, {shape['n_heads']} heads, feed-forward
{shape['hidden_dim']}, no dropout, {facts['params'] / 1e6:.2f} M parameters (with the MLM head); the lowercase
WordPiece vocabulary `assets/make_demo_assets.py` builds from sentiment-demo's train split.

Corpus: {facts['n_corpus']:,} **unlabelled synthetic reviews**, the sentiment-demo generator's texts drawn
from their own seed ({facts['corpus_seed']}; labels discarded, no text of either split among them);
nothing downloaded.

Pretraining (`assets/pretrain_tiny.py`, objectives in `assets/pretraining.py`, seed {recipe.seed}):
- masked-language modelling, BERT's masking (15 % of tokens predicted; of those 80 % [MASK],
  10 % a random token, 10 % unchanged), with the words of a sentiment lexicon masked at
  {recipe.lexicon_mask_prob:.0%} instead (selective masking, Gu et al. 2020);
- from the [CLS] vector, predict which lexicon words occur in the sequence (SKEP's [CLS]-level
  objective, Tian et al. 2020), weight {recipe.lexicon_weight:g}: MLM alone left [CLS] untrained here
  (a linear probe on it scored 0.54, and SGD fine-tuning stayed at 0.50).

The lexicon is mined without labels: the {len(facts['lexicon'])} words whose reviews contain the positive seeds
(good, excellent) much more or much less often than the negative ones (bad, awful), as in Turney
(2002). {polar} of them are among the generator's polar adjectives and verbs; the rest are words the
seeds' co-occurrence could not tell from those (names, plot words, "but"): {lexicon}.

Schedule: {recipe.steps_short:,} steps of {recipe.batch_short} windows of 64 tokens, then {recipe.steps_long:,} steps of
{recipe.batch_long} windows of 256 (so every position fine-tuning uses is trained; BERT does the same
with 128 and 512), {tokens / 1e6:.1f} M tokens in all; AdamW at lr {recipe.learning_rate:g} ({recipe.warmup:.0%} warm-up,
linear decay), weight decay {recipe.weight_decay:g}, gradient clipping at 1. It took
**{facts['minutes']:.1f} min on {facts['threads']} CPU threads**.

Losses: MLM {facts['losses']['mlm']:.3f} and [CLS] sentiment-word {facts['losses']['cls']:.4f} (mean of the last 100 steps);
**held-out MLM loss {facts['heldout_mlm']:.3f} nats** on {facts['n_heldout']} held-out generator reviews (plain 15 % masking,
fixed masks). The corpus's unigram entropy is 4.97 nats; the generator's templates make the words
between two neighbours nearly certain, so this loss is far lower than a real corpus would give: it
says the encoder has learnt the domain, not English.

Rebuilding: `python assets/make_demo_assets.py && python assets/pretrain_tiny.py` repeats every
random draw from its seed; `python assets/pretrain_tiny.py --check` rebuilds in a temporary folder and
says whether the weights are bit-for-bit the shipped ones. Another CPU, torch build or thread count
can change the last float bits, and so the weights and the figures above by a little.
"""


def student_card(facts: dict) -> str:
    return f"""# tiny-distilbert (pretrained on synthetic text, greentui)

The base the `tiny` preset fine-tunes: a small encoder pretrained by the project, so that the
offline default behaves like fine-tuning a real pretrained DistilBERT (SGD with momentum and LoRA
train it; tests/test_pretrained_base.py checks their floors). The checkpoint holds the encoder and
its MLM head, like `distilbert-base-uncased`; `AutoModelForSequenceClassification.from_pretrained`
adds a new classification head.

{_made(facts)}"""


def teacher_card(facts: dict) -> str:
    changes = ", ".join(f"{k} {v:g}" for k, v in facts["finetune_recipe"].items())
    recipe = f"the `tiny` preset's settings but {changes}" if changes else "the `tiny` preset's settings"
    return f"""# tiny-teacher (pretrained on synthetic text, fine-tuned on sentiment-demo, greentui)

A bigger sibling of tiny-distilbert, for distillation and for "model choice" (bigger vs smaller)
offline: `model = "bundled:tiny-teacher"`. It is a fine-tuned sentiment classifier already.

**Test accuracy on sentiment-demo: {facts['accuracy']:.3f}** (1,000 test reviews), after fine-tuning on
the 5,000 train reviews with {recipe}
({facts['finetune_minutes']:.1f} min on {facts['threads']} CPU threads, `assets/finetune_teacher.py`).

{_made(facts)}"""
