"""Regenerate greentui's offline demo assets (deterministic, no network needed).

    .venv/bin/python assets/make_demo_assets.py

Writes, next to this file:
  sentiment-demo/{train,test}.jsonl.gz + README.md   synthetic movie-review data
  tiny-distilbert/                                   the WordPiece tokenizer

Then assets/pretrain_tiny.py pretrains the bundled models with that tokenizer. The `tiny`
preset fine-tunes tiny-distilbert on sentiment-demo, so greentui can show a complete,
measurable training run without downloading anything.
"""

import gzip
import json
import math
import random
import re
import statistics
import string
from collections import Counter
from pathlib import Path

import demo_vocab as V
import torch
from tokenizers import normalizers, pre_tokenizers
from transformers import DistilBertTokenizer

SEED = 1234
N_TRAIN, N_TEST = 5000, 1000
# These knobs were tuned so that the `tiny` preset lands near 0.89 test accuracy:
# lower MIN_MARGIN / P_AGREE or higher P_NEGATE make the task harder.
P_AGREE = 0.7     # chance that a single cue agrees with the label -> mixed reviews
P_NEGATE = 0.35   # chance that a cue is phrased through a negation
P_VERDICT = 0.5   # not every review ends with an explicit overall verdict
MIN_MARGIN = 5    # drop near-ties: the summed cue score must clear this
SENT_MEDIAN, SENT_SIGMA = 12, 0.65  # log-normal sentence count per review
HERE = Path(__file__).resolve().parent
DATA_DIR, MODEL_DIR = HERE / "sentiment-demo", HERE / "tiny-distilbert"


# --- review generator -----------------------------------------------------------
def fill(rng, template, **extra):
    """Fill a template's placeholders with random picks (unused keys are ignored)."""
    names = rng.sample(V.NAMES, 2)
    slots = dict(title=rng.choice(V.TITLE_A) + " " + rng.choice(V.TITLE_B),
                 genre=rng.choice(V.GENRES), place=rng.choice(V.PLACES),
                 name=names[0], name2=names[1], role=rng.choice(V.ROLES),
                 role2=rng.choice(V.ROLES), goal=rng.choice(V.GOALS),
                 goal2=rng.choice(V.GOALS), obstacle=rng.choice(V.OBSTACLES),
                 obstacle2=rng.choice(V.OBSTACLES), when=rng.choice(V.WHEN),
                 relative=rng.choice(V.RELATIVES), a=rng.choice(V.ASPECTS),
                 i=rng.choice(V.INTENSIFIERS))
    slots.update(extra)
    return template.format(**slots)


def adjective(rng, polarity, negate):
    """Return (adjective, score) for a cue meant to push the label towards `polarity`.

    A negated cue uses an adjective of the *opposite* polarity ("not awful") and is
    dampened to strength 1: "not brilliant" is mildly negative, not a disaster.
    """
    strength = rng.choice([1, 2])
    if negate:
        return rng.choice(V.ADJ[(-polarity, strength)]), polarity
    return rng.choice(V.ADJ[(polarity, strength)]), polarity * strength


def cue_sentence(rng, polarity):
    """One sentence carrying one (or two, for contrasts) sentiment cues -> (text, score)."""
    kind = rng.random()
    if kind < 0.2:  # contrast: the two halves point in opposite directions
        parts, score = [], 0
        for pol in (-polarity, polarity):
            negate = rng.random() < P_NEGATE
            adj, s = adjective(rng, pol, negate)
            frame = rng.choice(V.CLAUSE_NEGATED if negate else V.CLAUSE_PLAIN)
            parts.append(fill(rng, frame, adj=adj))
            score += s
        text = rng.choice(V.CONTRAST).format(s1=parts[0], s2=parts[1])
        return text[0].upper() + text[1:], score
    negate = rng.random() < P_NEGATE
    if kind < 0.4:  # verb cue: "I enjoyed the music" / "I did not enjoy the music"
        past, base = rng.choice(V.VERBS[-polarity if negate else polarity])
        frame = rng.choice(V.VERB_NEGATED if negate else V.VERB_PLAIN)
        return fill(rng, frame, past=past, base=base), polarity * (1 if negate else 2)
    adj, score = adjective(rng, polarity, negate)
    return fill(rng, rng.choice(V.CUE_NEGATED if negate else V.CUE_PLAIN), adj=adj), score


def make_review(rng, label):
    """Build one review whose cue scores sum to the sign of `label` (0/1)."""
    target = 1 if label == 1 else -1
    # Log-normal sentence count: most reviews are short, a few are very long (IMDB-like).
    n_sent = min(90, max(4, round(rng.lognormvariate(math.log(SENT_MEDIAN), SENT_SIGMA))))
    n_cues = max(2, round(n_sent * rng.uniform(0.2, 0.4)))
    # Plot/filler templates are drawn without repeats as far as the list allows.
    n_fill = n_sent - n_cues
    frames = rng.sample(V.FILLER * (n_fill // len(V.FILLER) + 1), n_fill)
    filler = [fill(rng, f) for f in frames]
    while True:  # rejection sampling: keep drawing cues until they agree with the label
        cues = [cue_sentence(rng, target if rng.random() < P_AGREE else -target)
                for _ in range(n_cues)]
        verdict = None
        if rng.random() < P_VERDICT:
            pol = target if rng.random() < 0.8 else -target
            verdict = (fill(rng, rng.choice(V.VERDICT[pol]),
                            adj=rng.choice(V.ADJ[(pol, 2)])), 2 * pol)
        score = sum(s for _, s in cues) + (verdict[1] if verdict else 0)
        if score * target >= MIN_MARGIN:
            break
    body = [t for t, _ in cues] + filler
    rng.shuffle(body)
    if verdict:  # verdicts usually close the review, sometimes open it
        body = body + [verdict[0]] if rng.random() < 0.8 else [verdict[0]] + body
    return " ".join(body)


def make_split(rng, n):
    labels = [0, 1] * (n // 2)  # exactly balanced
    rng.shuffle(labels)
    return [{"text": make_review(rng, y), "label": y} for y in labels]


def write_jsonl_gz(path, rows):
    # mtime=0 and no embedded filename make the .gz byte-for-byte reproducible.
    with open(path, "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as gz:
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))


# --- tokenizer and model ------------------------------------------------------------
def build_tokenizer(texts):
    """Build a lowercase BERT-style WordPiece vocab from the train split and wrap it as
    a DistilBERT tokenizer.

    Why not tokenizers' WordPieceTrainer: it breaks ties between equally frequent
    merges via Rust hash maps, so the vocabulary (and every token id) changed from run
    to run. The generator's word list is small, so a word-level WordPiece vocab loses
    nothing: each word seen at least twice is one token, and single characters (plus
    "##" continuations) spell out anything else, such as "10/10!" in user input.
    """
    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    counts = Counter(word for text in texts for word, _ in
                     pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    chars = string.ascii_lowercase + string.digits + string.punctuation
    words = sorted({w for w, c in counts.items() if c >= 2} | set(chars))
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words + ["##" + c for c in chars]
    # DistilBertTokenizer (transformers 5: always the tokenizers-backed "fast" one)
    # sets up the BERT normalizer, pre-tokenizer and [CLS] ... [SEP] template itself.
    return DistilBertTokenizer(vocab={t: i for i, t in enumerate(tokens)},
                               do_lower_case=True, model_max_length=512)


def save_tokenizer(tokenizer, out: Path) -> None:
    """Save the tokenizer without the loading flags transformers records (where it was read from)."""
    tokenizer.save_pretrained(out)
    config_file = out / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    for key in ("is_local", "local_files_only"):
        config.pop(key, None)
    config_file.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")



# --- statistics and dataset card -----------------------------------------------------
def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def bag_of_words_accuracy(train, test):
    """Unigram-presence logistic regression: shows no single word gives the label away."""
    def split(text):
        return re.findall(r"[a-z']+", text.lower())

    words = sorted({w for r in train for w in split(r["text"])})
    index = {w: i for i, w in enumerate(words)}

    def featurize(rows):
        x = torch.zeros(len(rows), len(words))
        for n, r in enumerate(rows):
            for w in split(r["text"]):
                if w in index:
                    x[n, index[w]] = 1.0
        return x, torch.tensor([r["label"] for r in rows], dtype=torch.float)

    (xtr, ytr), (xte, yte) = featurize(train), featurize(test)
    torch.manual_seed(0)
    lin = torch.nn.Linear(len(words), 1)
    opt = torch.optim.Adam(lin.parameters(), lr=0.05, weight_decay=1e-4)
    for _ in range(300):  # full-batch training is tiny and deterministic
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(lin(xtr).squeeze(1), ytr)
        loss.backward()
        opt.step()
    return ((lin(xte).squeeze(1) > 0).float() == yte).float().mean().item()


def write_card(splits, tokenizer, bow_acc):
    lines = ["| split | rows | positive | words median / p90 / max | tokens median / p90 / p99 / max | > 512 tokens |",
             "|---|---|---|---|---|---|"]
    for name, rows in splits.items():
        words = [len(r["text"].split()) for r in rows]
        encodings = tokenizer.backend_tokenizer.encode_batch([r["text"] for r in rows])
        toks = [len(e.ids) for e in encodings]  # untruncated, incl. [CLS]/[SEP]
        over = sum(t > 512 for t in toks)
        lines.append(
            f"| {name} | {len(rows)} | {sum(r['label'] for r in rows)} | "
            f"{statistics.median(words):.0f} / {pct(words, .9)} / {max(words)} | "
            f"{statistics.median(toks):.0f} / {pct(toks, .9)} / {pct(toks, .99)} / {max(toks)} | "
            f"{over} ({100 * over / len(rows):.1f}%) |")
        if name == "train":
            mean_tok = statistics.mean(min(t, 512) for t in toks)
    # The YAML header names the splits explicitly, so load_dataset(<this folder>) does
    # not depend on file-name heuristics (and does not warn about a missing card).
    card = f"""---
pretty_name: sentiment-demo (synthetic, greentui)
language: [en]
task_categories: [text-classification]
configs:
- config_name: default
  data_files:
  - split: train
    path: train.jsonl.gz
  - split: test
    path: test.jsonl.gz
---

# sentiment-demo (SYNTHETIC)

**This is synthetic demo data, not real reviews.** Every text was produced by
`assets/make_demo_assets.py` (seed {SEED}) from hand-written sentence templates and
word lists in `assets/demo_vocab.py`. The titles, names and opinions are invented.

Purpose: an offline, license-free dataset for greentui's `tiny` preset, so a complete
fine-tuning run (with energy tracking) works without network access. It is not a
benchmark and says nothing about real-world sentiment models.

Format: `train.jsonl.gz` / `test.jsonl.gz`, one JSON object per line,
`{{"text": str, "label": int}}` with 0 = negative, 1 = positive (balanced).

How labels are made: each review mixes neutral plot/filler sentences with several
sentiment cues (adjectives of two strengths, verbs, contrasts, optional overall verdict).
Cues are drawn to agree with the label only {P_AGREE:.0%} of the time, and {P_NEGATE:.0%} are
phrased through a negation ("not boring", "did not enjoy") that flips and weakens them.
The label is the sign of the summed cue scores; drafts whose sum is within
{MIN_MARGIN - 1} of zero are redrawn, so no label is a near-tie, yet (with the default
settings) about half of the reviews contain a cue pointing the other way. Plot sentences
also reuse polar words ("a cruel landlord"). A unigram logistic-regression baseline
reaches {bow_acc:.1%} test accuracy.

Lengths follow a long tail (log-normal sentence count), like IMDB. Tokens are counted
with `tiny-distilbert`'s tokenizer including [CLS]/[SEP]:

{chr(10).join(lines)}

With truncation at 512, the mean train length is {mean_tok:.0f} tokens, so padding every
batch to 512 processes about {512 / mean_tok:.1f}x the tokens that dynamic padding needs.
"""
    (DATA_DIR / "README.md").write_text(card)


def main():
    rng = random.Random(SEED)
    splits = {"train": make_split(rng, N_TRAIN), "test": make_split(rng, N_TEST)}
    DATA_DIR.mkdir(exist_ok=True)
    for name, rows in splits.items():
        write_jsonl_gz(DATA_DIR / f"{name}.jsonl.gz", rows)

    tokenizer = build_tokenizer([r["text"] for r in splits["train"]])
    MODEL_DIR.mkdir(exist_ok=True)
    save_tokenizer(tokenizer, MODEL_DIR)  # the model itself: assets/pretrain_tiny.py

    bow_acc = bag_of_words_accuracy(splits["train"], splits["test"])
    write_card(splits, tokenizer, bow_acc)
    print(f"wrote {DATA_DIR} and the tokenizer in {MODEL_DIR}; bag-of-words baseline {bow_acc:.3f}")


if __name__ == "__main__":
    main()
