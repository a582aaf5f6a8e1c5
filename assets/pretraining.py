"""Pretraining objectives for the bundled tiny encoders (plain torch, one seeded generator).

Two self-supervised losses, on unlabelled reviews:

- masked-language modelling (BERT's 15 % masking, 80/10/10), with the sentiment words of a mined
  lexicon masked more often (selective masking, Gu et al. 2020);
- a sentiment-word objective on [CLS]: from the [CLS] vector, predict which lexicon words occur in
  the sequence (multi-label), as SKEP's [CLS]-level objective does (Tian et al. 2020).

Why both: on this corpus MLM alone learns the templates (held-out loss 0.69 nats, near what the
neighbouring words allow) but leaves [CLS] untrained: a linear probe on it scores 0.54, and SGD
fine-tuning stays at 0.50. Real DistilBERT's [CLS] carries sentence-level features from its
pretraining; the second loss is the cheapest way to give the tiny model the same.

The lexicon is mined without labels (Turney 2002's semantic orientation: how much more often a
word shares a review with positive than with negative seed words), so the only human input is
four seed words.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

MASK_PROB = 0.15  # BERT: 15 % of tokens are predicted; of those 80 % [MASK], 10 % random, 10 % kept
SEEDS = (("good", "excellent"), ("bad", "awful"))  # Turney-style seed words: positive, negative


@dataclass(frozen=True)
class Recipe:
    """How one encoder is pretrained; every field is recorded in the model card."""

    steps_short: int  # steps on 64-token windows (most of the learning, cheaply)
    steps_long: int  # then steps on 256-token windows, so every position fine-tuning uses is trained
    batch_short: int = 64
    batch_long: int = 16
    learning_rate: float = 2e-3
    warmup: float = 0.1
    weight_decay: float = 0.01
    lexicon_size: int = 64
    lexicon_mask_prob: float = 0.5
    lexicon_weight: float = 10.0  # the [CLS] loss is a mean over the lexicon: scaled to MLM's size
    seed: int = 0

    @property
    def steps(self) -> int:
        return self.steps_short + self.steps_long


def mine_lexicon(documents: Sequence[Sequence[int]], tokenizer, size: int, min_share: float = 0.01) -> list[int]:
    """Token ids of the `size` words with the strongest semantic orientation (half each way).

    SO(w) = log of how much likelier w is in reviews with a positive seed than in reviews with a
    negative one; words in under `min_share` of the reviews are too rare to judge.
    """
    vocab = tokenizer.get_vocab()
    positive = {vocab[w] for w in SEEDS[0]}
    negative = {vocab[w] for w in SEEDS[1]}
    sets = [set(doc) for doc in documents]
    with_pos = [s for s in sets if s & positive]
    with_neg = [s for s in sets if s & negative]
    # In id order: get_vocab's order changes from process to process, and ties must not.
    candidates = sorted(i for t, i in vocab.items() if t.isalpha() and not t.startswith("["))
    minimum = min_share * len(sets)

    def orientation(token: int) -> float:
        hits_pos = sum(token in s for s in with_pos)
        hits_neg = sum(token in s for s in with_neg)
        return math.log((hits_pos + 0.5) / len(with_pos)) - math.log((hits_neg + 0.5) / len(with_neg))

    frequent = [i for i in candidates if sum(i in s for s in sets) >= minimum]
    scored = sorted(frequent, key=orientation)
    return sorted(scored[: size // 2] + scored[-(size - size // 2):])


def windows(documents: Sequence[Sequence[int]], tokenizer, width: int, batch: int,
            rng: random.Random) -> Iterator[torch.Tensor]:
    """Endless batches of [CLS] window [SEP] from random reviews, padded to the batch's longest."""
    body = width - 2
    while True:
        rows = []
        for index in rng.sample(range(len(documents)), batch):
            ids = list(documents[index])
            if len(ids) > body:
                start = rng.randrange(len(ids) - body + 1)
                ids = ids[start:start + body]
            rows.append([tokenizer.cls_token_id, *ids, tokenizer.sep_token_id])
        yield padded(rows, tokenizer.pad_token_id)


def padded(rows: list[list[int]], pad_id: int) -> torch.Tensor:
    """The rows as one tensor, each padded to the longest."""
    longest = max(map(len, rows))
    return torch.tensor([row + [pad_id] * (longest - len(row)) for row in rows])


def mask(ids: torch.Tensor, tokenizer, in_lexicon: torch.Tensor, recipe: Recipe,
         generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking with lexicon words chosen more often: (inputs, labels with -100 elsewhere)."""
    special = (ids == tokenizer.cls_token_id) | (ids == tokenizer.sep_token_id) | (ids == tokenizer.pad_token_id)
    chance = torch.where(in_lexicon[ids], recipe.lexicon_mask_prob, MASK_PROB)
    chosen = (torch.rand(ids.shape, generator=generator) < chance) & ~special
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (roll < 0.8)] = tokenizer.mask_token_id
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    # Random replacements skip the five special tokens at the start of the vocabulary.
    inputs[swap] = torch.randint(5, len(tokenizer), ids.shape, generator=generator)[swap]
    return inputs, labels


def pretrain(model, tokenizer, documents: Sequence[Sequence[int]], lexicon: list[int], recipe: Recipe,
             log=print) -> dict[str, float]:
    """Train `model` (a DistilBertForMaskedLM) in place; returns the last 100 steps' mean losses."""
    vocab_size = len(tokenizer)
    in_lexicon = torch.zeros(vocab_size, dtype=torch.bool)
    in_lexicon[lexicon] = True
    slot = torch.full((vocab_size,), len(lexicon), dtype=torch.long)  # lexicon position, or the spare slot
    slot[lexicon] = torch.arange(len(lexicon))
    cls_head = torch.nn.Linear(model.config.dim, len(lexicon))  # thrown away after pretraining
    params = list(model.parameters()) + list(cls_head.parameters())
    optimizer = torch.optim.AdamW(params, lr=recipe.learning_rate, weight_decay=recipe.weight_decay)
    warmup = max(1, int(recipe.warmup * recipe.steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (recipe.steps - step) / (recipe.steps - warmup))))
    generator, rng = torch.Generator().manual_seed(recipe.seed), random.Random(recipe.seed)
    short = windows(documents, tokenizer, 64, recipe.batch_short, rng)
    long = windows(documents, tokenizer, 256, recipe.batch_long, rng)
    model.train()
    recent: list[tuple[float, float]] = []
    for step in range(recipe.steps):
        ids = next(short if step < recipe.steps_short else long)
        attention = (ids != tokenizer.pad_token_id).long()
        inputs, labels = mask(ids, tokenizer, in_lexicon, recipe, generator)
        # Every other short batch sits at a random place among the 256 positions fine-tuning uses,
        # so all their embeddings learn the local patterns (the rest start at 0, as fine-tuning does).
        offset = rng.randrange(256 - ids.shape[1] + 1) if step < recipe.steps_short and step % 2 else 0
        positions = torch.arange(offset, offset + ids.shape[1]).expand_as(ids)
        hidden = model.distilbert(input_ids=inputs, attention_mask=attention, position_ids=positions).last_hidden_state
        logits = model.vocab_projector(model.vocab_layer_norm(F.gelu(model.vocab_transform(hidden))))
        mlm = F.cross_entropy(logits.view(-1, vocab_size), labels.view(-1), ignore_index=-100)
        present = torch.zeros(len(ids), len(lexicon) + 1).scatter_(1, slot[ids], 1.0)[:, :-1]
        cls = F.binary_cross_entropy_with_logits(cls_head(hidden[:, 0]), present)
        (mlm + recipe.lexicon_weight * cls).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        recent = [*recent[-99:], (mlm.item(), cls.item())]
        if (step + 1) % 100 == 0:
            log(f"  step {step + 1}: MLM loss {_mean(recent, 0):.3f}, [CLS] sentiment-word loss {_mean(recent, 1):.4f}")
    return {"mlm": _mean(recent, 0), "cls": _mean(recent, 1)}


def _mean(pairs: list[tuple[float, float]], index: int) -> float:
    return sum(p[index] for p in pairs) / max(1, len(pairs))


@torch.no_grad()
def heldout_mlm_loss(model, tokenizer, documents: Sequence[Sequence[int]]) -> float:
    """Plain MLM loss (15 %, no lexicon boost) on held-out reviews' first 254 tokens, fixed masks."""
    model.eval()
    generator = torch.Generator().manual_seed(12345)
    no_lexicon = torch.zeros(len(tokenizer), dtype=torch.bool)
    plain = Recipe(steps_short=0, steps_long=0)
    total, count = 0.0, 0
    for start in range(0, len(documents), 32):
        rows = [[tokenizer.cls_token_id, *doc[:254], tokenizer.sep_token_id] for doc in documents[start:start + 32]]
        ids = padded(rows, tokenizer.pad_token_id)
        inputs, labels = mask(ids, tokenizer, no_lexicon, plain, generator)
        out = model(input_ids=inputs, attention_mask=(ids != tokenizer.pad_token_id).long(), labels=labels)
        n = int((labels != -100).sum())
        total += out.loss.item() * n
        count += n
    return total / count
