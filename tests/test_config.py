"""The run config: parsing, validation that names the key, TOML and presets."""

from __future__ import annotations

from pathlib import Path

import pytest

from greentui.config import (
    KEYS,
    ConfigError,
    RunConfig,
    load_toml,
    parse_sets,
    save_toml,
)
from greentui.presets import PRESETS, preset


def test_every_design_key_exists() -> None:
    design_keys = (
        "model dataset text_column label_column train_samples eval_samples max_length epochs batch_size "
        "learning_rate seed mixed_precision gradient_checkpointing optimizer momentum lr_scheduler "
        "warmup_ratio label_smoothing dropout grad_accum_steps early_stopping_patience dynamic_padding "
        "group_by_length lora lora_r country"
    ).split()
    assert set(design_keys) <= set(KEYS)


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("optimizer", "rmsprop", "adamw, adam, sgd"),
        ("mixed_precision", "fp8", "no, fp16, bf16"),
        ("lr_scheduler", "step", "linear, cosine, constant"),
        ("epochs", "0", "outside the allowed range"),
        ("batch_size", "two", "not a whole number"),
        ("learning_rate", "-1", "outside the allowed range"),
        ("dropout", "1.0", "outside the allowed range"),
        ("momentum", "1", "outside the allowed range"),
        ("lora", "maybe", "not a boolean"),
        ("country", "XYZ", "ISO country code"),
        ("model", "", "must not be empty"),
        ("no_such_key", "1", "unknown key"),
    ],
)
def test_bad_values_name_the_key(key: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_mapping({key: value})
    assert f"'{key}'" in str(caught.value)
    assert fragment in str(caught.value)


def test_strings_are_parsed_into_each_keys_type() -> None:
    config = RunConfig.from_mapping(
        {"epochs": "2", "batch_size": "16", "lora": "on", "optimizer": "sgd", "momentum": "0.8", "country": "fra"}
    )
    assert config.epochs == 2.0 and config.batch_size == 16 and config.lora is True
    assert config.momentum == 0.8 and config.country == "FRA"


def test_toml_round_trip_with_preset_base(tmp_path: Path) -> None:
    config = preset("tiny").with_values(optimizer="sgd", lora=True, lora_r=4, label_smoothing=0.1)
    path = tmp_path / "run.toml"
    save_toml(config, path)
    assert load_toml(path) == config
    path.write_text('preset = "distilbert-imdb"\nepochs = 1\n')
    loaded = load_toml(path)
    assert loaded.model == "distilbert-base-uncased" and loaded.epochs == 1.0


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("epochs = = 2\n")
    with pytest.raises(ConfigError, match="broken.toml"):
        load_toml(path)


def test_parse_sets_requires_key_value() -> None:
    assert parse_sets(["epochs=2", "model=a=b"]) == {"epochs": "2", "model": "a=b"}
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_sets(["epochs"])


def test_presets() -> None:
    assert PRESETS["tiny"].model.startswith("bundled:")
    reference = PRESETS["distilbert-imdb"]
    assert (reference.model, reference.dataset, reference.learning_rate, reference.batch_size, reference.epochs) == (
        "distilbert-base-uncased", "imdb", 2e-5, 16, 2.0)
    assert reference.dynamic_padding
    with pytest.raises(ConfigError, match="tiny"):
        preset("huge")


def test_technique_tags() -> None:
    assert RunConfig().techniques() == []
    tags = RunConfig().with_values(mixed_precision="bf16", lora=True, optimizer="sgd").techniques()
    assert tags == ["bf16", "sgd", "lora8"]
    # Distillation is tagged by its teacher (weights and temperature where not the defaults); saving is no technique.
    assert RunConfig(distill_from="bundled:tiny-teacher", save_model=True).techniques() == ["kd-tiny-teacher"]
    assert RunConfig(distill_from="20261202-051631-eb16", distill_alpha=1.0,
                     distill_temperature=4.0).techniques() == ["kd-20261202-051631-eb16-a1-t4"]


def test_every_config_key_is_declared_with_a_group_and_help() -> None:
    from greentui.config_keys import KEY_SPECS, SPECS, groups

    assert sorted(SPECS) == sorted(KEYS) and len(KEY_SPECS) == len(KEYS)  # each declared once, nothing else
    for key in KEYS:
        assert SPECS[key].group.strip(), f"config key {key} has no form group"
        assert SPECS[key].help.strip(), f"config key {key} has no help text"
    assert sorted(k for _title, keys in groups() for k in keys) == sorted(KEYS)  # the form shows every key once


def test_the_checks_read_the_declarations() -> None:
    from greentui.config_keys import SPECS

    with pytest.raises(ConfigError, match=", ".join(SPECS["optimizer"].choices)):
        RunConfig.from_mapping({"optimizer": "lion"})
    low, high, _ = SPECS["dropout"].range or (0, 0, True)
    with pytest.raises(ConfigError, match=rf"\[{low:g}, {high:g}\)"):
        RunConfig.from_mapping({"dropout": high})
    with pytest.raises(ConfigError, match="did you mean epochs"):
        RunConfig.from_mapping({"epoch": 2})
