"""Which runs a sweep makes: the baseline, techniques alone and together (ablation), or every combination (grid)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

from greentui.config import RunConfig

PLANS = ("ablation", "grid")
REPRODUCE = "reproduce"  # a sweep `greentui reproduce` made from a study file: its entries are the study's runs
QUEUED_RUN = "run"  # one run `greentui run --queue` put in the store's queue: a sweep of one entry, no study
FILE_PLANS = (*PLANS, REPRODUCE, QUEUED_RUN)  # what a sweep file may hold
GRID_LIMIT = 32  # runs a grid may plan without --yes: 2^5 configs, or 2^4 with two repeats
BASELINE = "baseline"
PRUNE_MODES = ("off", "dominated")  # `--prune`: dominated stops runs another config clearly beats (prune_rule.py)


class SweepError(ValueError):
    """A sweep cannot be planned, found or resumed; the message says which value or file."""


@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep: its role (`baseline` or the technique keys joined by +), config changes and repeat."""

    role: str
    changes: dict[str, Any]
    repeat: int


def parse_techniques(text: str, baseline: RunConfig) -> list[tuple[str, Any]]:
    """`mixed_precision=bf16,optimizer=sgd` into checked (key, value) pairs, each a change from the baseline."""
    pairs: list[tuple[str, Any]] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, raw = item.partition("=")
        if not sep:
            raise SweepError(f"technique {item!r}: write it as KEY=VALUE, e.g. mixed_precision=bf16")
        key = key.strip()
        value = getattr(baseline.with_values(**{key: raw.strip()}), key)  # bad key or value: ConfigError names it
        if value == getattr(baseline, key):
            raise SweepError(f"technique {key}={raw.strip()} is the baseline's own value: nothing to study")
        if (key, value) in pairs:
            raise SweepError(f"technique {key}={raw.strip()} is given twice")
        # A key may come with several values (power_limit_w=150,power_limit_w=200): levels of one
        # technique, each run against the baseline, never combined with each other.
        pairs.append((key, value))
    if not pairs:
        raise SweepError("no techniques given: --techniques KEY=VALUE[,KEY=VALUE...]")
    return pairs


def role_of(keys: tuple[str, ...]) -> str:
    """The role name of a combination of technique keys."""
    return "+".join(keys) or BASELINE


def _names(techniques: list[tuple[str, Any]]) -> list[str]:
    """Each technique's name in roles: its key, or `key=value` where the key comes with several values."""
    keys = [k for k, _ in techniques]
    return [k if keys.count(k) == 1 else f"{k}={v}" for k, v in techniques]


def plan_runs(baseline: RunConfig, techniques: list[tuple[str, Any]], plan: str, repeats: int,
              allow_large: bool = False) -> list[PlannedRun]:
    """Every run the sweep makes, config by config, each config `repeats` times (seed, seed+1, ...).

    Two values of one key are two levels of a technique: each is run alone against the baseline, and
    no combination holds both (ablation: "all together" takes each key once, its first value)."""
    if plan not in PLANS:
        raise SweepError(f"plan {plan!r}: choose one of {', '.join(PLANS)}")
    if repeats < 1:
        raise SweepError(f"repeats {repeats}: at least 1")
    indexes = tuple(range(len(techniques)))
    if plan == "ablation":
        firsts = tuple(i for i in indexes if all(techniques[j][0] != techniques[i][0] for j in range(i)))
        combos = [(), *((i,) for i in indexes)] + ([firsts] if len(firsts) > 1 else [])
    else:
        combos = [c for size in range(len(indexes) + 1) for c in combinations(indexes, size)
                  if len({techniques[i][0] for i in c}) == len(c)]
    total = len(combos) * repeats
    if plan == "grid" and total > GRID_LIMIT and not allow_large:
        raise SweepError(f"a grid of {len(techniques)} techniques x {repeats} repeats is {total} runs "
                         f"(more than {GRID_LIMIT}); pass --yes to run them all")
    names = _names(techniques)
    runs = []
    for combo in combos:
        changes = {techniques[i][0]: techniques[i][1] for i in combo}
        RunConfig.from_mapping(changes, base=baseline)  # every combination must be a valid config
        for repeat in range(repeats):
            runs.append(PlannedRun(role_of(tuple(names[i] for i in combo)), {**changes, "seed": baseline.seed + repeat},
                                   repeat))
    return runs
