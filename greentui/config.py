"""The run configuration: every key a run takes, its type and default (the rest of each key is in config_keys).

TOML files, `--set KEY=VALUE` and the TUI form all go through `RunConfig.from_mapping`,
so a bad value gets the same error naming the key wherever it comes from.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

import tomllib

from greentui.carbon import is_known_country
from greentui.config_keys import CHOICES, RANGES

MAX_CONFIG_BYTES = 1024 * 1024


class ConfigError(ValueError):
    """A config key is unknown or its value is not allowed; the message names the key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"config key '{key}': {message}")
        self.key = key


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one fine-tuning run. Field names are the config keys."""

    model: str = "bundled:tiny-distilbert"
    dataset: str = "bundled:sentiment-demo"
    text_column: str = "text"
    label_column: str = "label"
    train_samples: int = 0
    eval_samples: int = 0
    max_length: int = 256
    epochs: float = 4.0
    batch_size: int = 16
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    seed: int = 42
    mixed_precision: str = "no"
    gradient_checkpointing: bool = False
    optimizer: str = "adamw"
    momentum: float = 0.9
    lr_scheduler: str = "linear"
    warmup_ratio: float = 0.06
    label_smoothing: float = 0.0
    dropout: float = 0.0
    grad_accum_steps: int = 1
    early_stopping_patience: int = 0
    early_stopping_metric: str = "eval_loss"
    evals_per_epoch: int = 1
    dynamic_padding: bool = True
    group_by_length: bool = True
    lora: bool = False
    lora_r: int = 8
    save_model: bool = False
    distill_from: str = ""  # "": no distillation
    distill_temperature: float = 2.0
    distill_alpha: float = 0.5
    quantization: str = "none"  # post-training, for the inference phase
    pruning: float = 0.0  # fraction of weights (or heads) removed after training
    pruning_method: str = "magnitude"
    pruning_recovery_steps: int = 0
    inference_samples: int = 1000  # 0: no inference phase
    inference_batch_sizes: str = "1,32"
    country: str = ""
    pue: float = 1.0  # power usage effectiveness: facility energy / IT energy
    energy_budget_kwh: float = 0.0  # 0: no budget
    co2_budget_kg: float = 0.0  # 0: no budget
    idle_baseline_s: float = 0.0  # 0: no idle baseline
    power_limit_w: int = 0  # 0: each GPU's power limit left as found
    start_when: str = "now"  # or "low-carbon": wait for the forecast's cleanest window before the deadline
    deadline: str = "12h"  # with start_when = low-carbon: the run must be able to finish within this

    def __post_init__(self) -> None:
        for spec in fields(self):
            _check_value(spec.name, getattr(self, spec.name))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], base: RunConfig | None = None) -> RunConfig:
        """Build a config from `values` laid over `base` (defaults when None).

        String values are parsed into the key's type, so `--set epochs=2` and a form
        field hold the same thing as TOML's `epochs = 2`.
        """
        # Every value is a scalar, so a shallow copy is a whole one (asdict's deep copy cost the
        # history a second per 2,000 runs); the defaults are built and checked once.
        merged = _values_of(base) if base is not None else dict(_default_values())
        for key, raw in values.items():
            if key not in merged:
                close = difflib.get_close_matches(key, KEYS, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise ConfigError(key, f"unknown key ({hint}known keys: {', '.join(KEYS)})")
            merged[key] = coerce(key, raw)
        return cls(**merged)

    def with_values(self, **values: Any) -> RunConfig:
        """A copy with some keys changed, validated like any other input."""
        return RunConfig.from_mapping(values, base=self)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every key, ready for JSON or TOML."""
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        """TOML text that `load_toml` reads back to an equal config."""
        lines = []
        for key, value in self.to_dict().items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, str):
                text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            else:
                text = repr(value)
            lines.append(f"{key} = {text}")
        return "\n".join(lines) + "\n"

    def techniques(self) -> list[str]:
        """Short tags for where this config departs from the tiny defaults, for tables and CSV.

        Length grouping is on by default, so it is tagged when turned off.
        """
        tags = []
        if self.mixed_precision != "no":
            tags.append(self.mixed_precision)
        if self.gradient_checkpointing:
            tags.append("ckpt")
        if self.optimizer != "adamw":
            tags.append(self.optimizer)
        if self.lr_scheduler != "linear":
            tags.append(self.lr_scheduler)
        if self.label_smoothing > 0:
            tags.append(f"ls{self.label_smoothing:g}")
        if self.dropout > 0:
            tags.append(f"drop{self.dropout:g}")
        if self.grad_accum_steps > 1:
            tags.append(f"accum{self.grad_accum_steps}")
        if self.early_stopping_patience > 0:
            tags.append(f"es{self.early_stopping_patience}")
        if self.train_samples:
            tags.append(f"n{self.train_samples}")
        if not self.dynamic_padding:
            tags.append("pad-max")
        if not self.group_by_length:
            tags.append("no-group")
        if self.lora:
            tags.append(f"lora{self.lora_r}")
        if self.distill_from:
            tags.append(self._distillation_tag())
        if self.pruning > 0:
            tag = f"prune{self.pruning:g}" if self.pruning_method == "magnitude" else f"heads{self.pruning:g}"
            tags.append(tag + (f"-r{self.pruning_recovery_steps}" if self.pruning_recovery_steps else ""))
        if self.quantization != "none":
            tags.append("int8" if self.quantization == "dynamic-int8" else f"q-{self.quantization}")
        if self.power_limit_w:
            tags.append(f"cap{self.power_limit_w}W")
        if self.start_when != "now":
            tags.append(self.start_when)
        return tags

    def batch_sizes(self) -> tuple[int, ...]:
        """The inference phase's batch sizes, in the order given (checked when the config was built)."""
        return parse_batch_sizes(self.inference_batch_sizes)

    def _distillation_tag(self) -> str:
        """`kd-TEACHER`, plus alpha and temperature where not the defaults: runs distilled from
        different teachers, or weighed differently, are different techniques to compare."""
        teacher = self.distill_from.rstrip("/").split(":")[-1].split("/")[-1]
        tag = f"kd-{teacher}"
        if self.distill_alpha != 0.5:
            tag += f"-a{self.distill_alpha:g}"
        if self.distill_temperature != 2.0:
            tag += f"-t{self.distill_temperature:g}"
        return tag


KEYS: tuple[str, ...] = tuple(f.name for f in fields(RunConfig))
_TYPES: dict[str, type] = {f.name: type(f.default) for f in fields(RunConfig)}

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}



@functools.cache
def _field_names() -> tuple[str, ...]:
    return tuple(spec.name for spec in fields(RunConfig))


@functools.cache
def _default_values() -> dict[str, Any]:
    return _values_of(RunConfig())


def _values_of(config: RunConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in _field_names()}

def coerce(key: str, raw: Any) -> Any:
    """Turn `raw` (a TOML value or a string from the command line or a form) into the key's type."""
    kind = _TYPES[key]
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(key, f"{raw!r} is not a boolean (use true or false)")
    if kind is int:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ConfigError(key, f"{raw!r} is not a whole number")
        try:
            return int(str(raw).strip()) if isinstance(raw, str) else int(raw)
        except (TypeError, ValueError):
            raise ConfigError(key, f"{raw!r} is not a whole number") from None
    if kind is float:
        if isinstance(raw, bool):
            raise ConfigError(key, f"{raw!r} is not a number")
        try:
            return float(str(raw).strip()) if isinstance(raw, str) else float(raw)
        except (TypeError, ValueError):
            raise ConfigError(key, f"{raw!r} is not a number") from None
    if not isinstance(raw, str):
        raise ConfigError(key, f"{raw!r} is not text")
    if key == "country":  # ISO codes are upper case; accept "fra" as FRA.
        return raw.strip().upper()
    return raw.strip()


def _check_value(key: str, value: Any) -> None:
    """Raise ConfigError unless `value` is allowed for `key`."""
    if key in CHOICES and value not in CHOICES[key]:
        raise ConfigError(key, f"{value!r} is not one of {', '.join(CHOICES[key])}")
    if key in RANGES:
        low, high, high_inclusive = RANGES[key]
        if value != value or value < low or value > high or (value == high and not high_inclusive):
            bracket = "]" if high_inclusive else ")"
            raise ConfigError(key, f"{value!r} is outside the allowed range [{low:g}, {high:g}{bracket}")
    if key in ("model", "dataset", "text_column", "label_column") and not value:
        raise ConfigError(key, "must not be empty")
    if key == "inference_batch_sizes":
        parse_batch_sizes(value)
    if key == "deadline":
        parse_duration(key, value)
    if key == "country" and value and not is_known_country(value):
        raise ConfigError(
            key, f"{value!r} is not a 3-letter ISO country code known to CodeCarbon (e.g. USA, FRA, DEU)"
        )


MAX_INFERENCE_BATCH = 4096
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(key: str, text: str) -> float:
    """`90s`, `45m`, `12h` or `2d` in seconds (more than 0, at most 30 days)."""
    number, unit = text.strip()[:-1], text.strip()[-1:]
    try:
        seconds = float(number) * _DURATION_UNITS[unit]
    except (KeyError, ValueError):
        raise ConfigError(key, f"{text!r} is not a duration (write it as 90s, 45m, 12h or 2d)") from None
    if not 0 < seconds <= 30 * 86400:
        raise ConfigError(key, f"{text!r} must be more than 0 and at most 30 days")
    return seconds



def parse_batch_sizes(text: str) -> tuple[int, ...]:
    """`1,32` as (1, 32): distinct whole numbers from 1 to MAX_INFERENCE_BATCH, comma separated."""
    sizes: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or not 1 <= int(part) <= MAX_INFERENCE_BATCH:
            raise ConfigError("inference_batch_sizes", f"{part!r} is not a batch size from 1 to "
                                                       f"{MAX_INFERENCE_BATCH} (write them as 1,32)")
        if int(part) not in sizes:
            sizes.append(int(part))
    return tuple(sizes)


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """Parse `KEY=VALUE` strings from `--set`; the value stays text until `coerce`."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(pair, "expected KEY=VALUE")
        values[key.strip()] = value
    return values


def load_toml(path: Path, base: RunConfig | None = None) -> RunConfig:
    """Read a config TOML file (flat `key = value` pairs; an optional `preset` key picks the base).

    An `[executor]` table says where a queue runs it (greentui.queue.executor_spec reads it), not
    what the run computes: it is no part of the config."""
    data = read_toml_doc(path)
    data.pop("executor", None)
    preset_name = data.pop("preset", None)
    if preset_name is not None:
        from greentui.presets import preset

        base = preset(str(preset_name))
    return RunConfig.from_mapping(data, base=base)


def read_toml_doc(path: Path) -> dict[str, Any]:
    """A config TOML file's document; ConfigError (key `config`) naming the file when it cannot be read."""
    try:
        with open(path, "rb") as handle:  # capped: `--config /dev/zero` must not read until memory runs out
            raw = handle.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError("config", f"{path} is larger than {MAX_CONFIG_BYTES // 1024} KiB; not a config file")
        data = tomllib.loads(raw.decode("utf-8"))
    except OSError as err:
        raise ConfigError("config", f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise ConfigError("config", f"{path} is not UTF-8 text (byte {err.start})") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError("config", f"{path} is not valid TOML: {err}") from None
    return data


def save_toml(config: RunConfig, path: Path) -> None:
    """Write `config` as TOML to `path` (private, replaced atomically)."""
    from greentui.store.atomic import replace_text

    replace_text(path, config.to_toml())
