"""Pilot tests of the setup (home) screen: defaults, inline validation, presets, technique
parameters, the help panel, TOML save/load and the remembered config."""

from __future__ import annotations

import subprocess
import sys

import pytest
from textual.widgets import Button, Input, Select

from greentui.config import RunConfig
from greentui.presets import PRESETS
from greentui.store.run_store import RunStore
from greentui.tui.app import create_app, run_app
from greentui.tui.dialogs.prompt import PromptDialog
from greentui.tui.screens.live import LiveScreen
from greentui.tui.screens.setup import SetupScreen
from greentui.tui.settings import config_dir, save_last_config
from greentui.tui.widgets.config_field import ConfigField
from tests.support import SIZE, isolated_env, press_to, wait_until_pilot  # noqa: F401 - autouse fixture


def fields(app) -> dict[str, ConfigField]:
    return app.screen.fields()


async def type_into(pilot, key: str, text: str) -> None:
    """Clear a field's input and type `text` key by key, as a user would."""
    box = pilot.app.screen.query_one(f"#input-{key}", Input)
    box.focus()
    box.value = ""
    await pilot.press(*text)
    await pilot.pause()


async def test_form_starts_with_offline_default(tmp_path):
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, SetupScreen)
        assert app.screen.config() == PRESETS["tiny"]
        assert fields(app)["model"].raw_value == "bundled:tiny-distilbert"
        assert fields(app)["preset"].raw_value == "tiny"
        assert not app.screen.query_one("#run-button", Button).disabled
        await pilot.pause()


async def test_invalid_value_shows_reason_and_refuses_run(tmp_path):
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "batch_size", "3x")
        batch = fields(app)["batch_size"]
        assert batch.has_class("invalid")
        assert "'3x' is not a whole number" in str(batch.query_one(".field-error").render())
        assert app.screen.query_one("#run-button", Button).disabled
        await press_to(pilot, "ctrl+r", SetupScreen)
        assert any("Run refused: batch_size" in n.message for n in app._notifications)
        assert not (tmp_path / "runs.json").exists()  # nothing was launched or stored
        await type_into(pilot, "batch_size", "16")
        assert not batch.has_class("invalid")
        assert not app.screen.query_one("#run-button", Button).disabled


async def test_out_of_range_and_unknown_country_name_the_limit(tmp_path):
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "dropout", "1.5")
        await type_into(pilot, "country", "XYZ")
        errors = app.screen.validate_form()
        assert "outside the allowed range [0, 1)" in errors["dropout"]
        assert "'XYZ'" in errors["country"]


async def test_preset_fills_the_form(tmp_path):
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#input-preset", Select).value = "distilbert-imdb"
        await pilot.pause()
        assert app.screen.config() == PRESETS["distilbert-imdb"]
        assert fields(app)["learning_rate"].raw_value == "2e-05"
        assert fields(app)["max_length"].raw_value == "512"


async def test_choosing_the_same_preset_again_resets_the_edited_form(tmp_path):
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        box = app.screen.query_one("#input-preset", Select)
        assert box.value == "tiny"
        await type_into(pilot, "learning_rate", "0.001")
        await pilot.pause()
        assert box.value == Select.NULL and box.prompt == "(edited)"  # the box no longer claims the form is tiny
        box.focus()
        await pilot.press("enter")  # open the list, as a user would, and choose tiny in it
        await pilot.pause()
        await pilot.press(*["down"] * list(PRESETS).index("tiny"), "down", "enter")
        await wait_until_pilot(pilot, lambda: box.value == "tiny", "tiny to be chosen")
        assert app.screen.config() == PRESETS["tiny"]
        assert fields(app)["learning_rate"].raw_value == repr(PRESETS["tiny"].learning_rate)


async def test_the_focused_row_is_marked_and_only_it(tmp_path):
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in ("preset", "name", "model"):
            lit = list(app.screen.query(".has-focus"))
            assert lit == [fields(app)[key]], (key, lit)
            await pilot.press("tab")
            await pilot.pause()


async def test_technique_parameters_appear_with_their_technique(tmp_path):
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        rows = fields(app)
        assert not rows["momentum"].display and not rows["lora_r"].display
        app.screen.query_one("#input-optimizer", Select).value = "sgd"
        await pilot.pause()
        assert rows["momentum"].display
        app.screen.query_one("#input-lora").focus()
        await pilot.press("space")
        await pilot.pause()
        assert rows["lora_r"].display
        assert app.screen.config().lora is True
        assert "on" in str(rows["lora"].control.label)


async def test_distillation_parameters_appear_with_a_teacher(tmp_path):
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        rows = fields(app)
        assert not rows["distill_temperature"].display and not rows["distill_alpha"].display
        await type_into(pilot, "distill_from", "bundled:tiny-teacher")
        assert rows["distill_temperature"].display and rows["distill_alpha"].display
        await type_into(pilot, "distill_alpha", "1.5")
        assert "distill_alpha" in app.screen.validate_form()  # checked like every other key
        await type_into(pilot, "distill_alpha", "0.7")
        assert app.screen.config().distill_from == "bundled:tiny-teacher" and app.screen.config().distill_alpha == 0.7


async def test_side_panel_explains_the_focused_technique(tmp_path):
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#input-mixed_precision").focus()
        await pilot.pause()
        text = str(app.screen.query_one("#side-help").render())
        assert "2x throughput" in text
        app.screen.query_one("#input-gradient_checkpointing").focus()
        await pilot.pause()
        assert "20-30 % slower" in str(app.screen.query_one("#side-help").render())


async def test_save_and_load_toml(tmp_path):
    app = create_app(tmp_path / "runs.json")
    target = tmp_path / "mine.toml"
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "epochs", "2")
        await press_to(pilot, "ctrl+s", PromptDialog)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert "epochs = 2.0" in target.read_text()
        await type_into(pilot, "epochs", "7")
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert fields(app)["epochs"].raw_value == "2.0"


async def test_loading_a_bad_toml_names_the_file_and_keeps_the_form(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = 'many'\n")
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one(Input).value = str(bad)
        await pilot.press("enter")
        await pilot.pause()
        assert any("config key 'epochs'" in n.message for n in app._notifications)
        assert app.screen.config() == PRESETS["tiny"]


async def test_last_used_config_is_remembered(tmp_path):
    assert save_last_config(RunConfig(epochs=2.0, optimizer="sgd")) is None
    assert (config_dir() / "last-config.toml").is_file()
    assert str(config_dir()).startswith(str(tmp_path))  # XDG_CONFIG_HOME is honoured
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.config() == RunConfig(epochs=2.0, optimizer="sgd")
        assert fields(app)["momentum"].display


def test_corrupt_store_is_reported_and_left_alone(tmp_path, capsys):
    store = tmp_path / "runs.json"
    store.write_text("{not json")
    assert run_app(store) == 2
    assert store.read_text() == "{not json"
    assert "runs.json is not valid JSON" in capsys.readouterr().err


def test_tui_does_not_import_torch():
    code = ("import sys, greentui.tui.app, greentui.tui.screens.compare; "
            "heavy = [m for m in ('torch', 'transformers', 'datasets', 'codecarbon', 'peft') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_unloadable_model_is_refused_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no hub here: the preflight must say so, not hang
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "model", "no-such-org/no-such-model")
        await pilot.press("ctrl+r")
        for _ in range(100):
            if any("config key 'model'" in n.message for n in app._notifications):
                break
            await pilot.pause(0.1)
        reason = str(app.screen.query_one("#form-status").render())
        assert "config key 'model'" in reason and "no-such-org/no-such-model" in reason
        assert isinstance(app.screen, SetupScreen)
        assert not app.screen.query_one("#run-button", Button).disabled  # the form stays usable
        assert not (tmp_path / "runs.json").exists()


@pytest.mark.slow  # starts a real worker
async def test_a_launched_run_whose_config_cannot_be_remembered_is_launched_with_a_warning(tmp_path):
    config_dir().parent.mkdir(parents=True, exist_ok=True)
    config_dir().write_text("a file where the config folder should be")  # so remembering the config fails
    store_path = tmp_path / "runs.json"
    app = create_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        for key, value in (("train_samples", "64"), ("eval_samples", "32"), ("epochs", "0.5")):
            await type_into(pilot, key, value)
        await pilot.press("ctrl+r")
        await wait_until_pilot(pilot, lambda: isinstance(app.screen, LiveScreen), "the live screen")
        warnings = [n for n in app._notifications if n.title == "config not remembered"]
        assert len(warnings) == 1 and warnings[0].severity == "warning"
        assert str(config_dir() / "last-config.toml") in warnings[0].message
        assert not any(n.title == "run not started" for n in app._notifications)
        live = app.screen
        await wait_until_pilot(pilot, lambda: live.state.status != "running", "the run to finish")
    assert [r.status for r in RunStore(store_path).all()] == ["completed"]
