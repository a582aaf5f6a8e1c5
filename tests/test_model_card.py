"""`greentui card RUN_ID`: a Hugging Face model card beside a saved model, its CO2-eq metadata the run's training figure.

One real run (slow) checks the card against what the worker measured; crafted records check refusals, hostile
stored text and the reproduce command.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt  # Rich's Markdown parser: CommonMark, as the Hub renders it

from greentui.cli.commands import config_from_args
from greentui.cli.main import build_parser, main
from greentui.config import RunConfig, parse_sets
from greentui.report.errors import ReportError
from greentui.report.model_card import CO2_KEYS, TOP_LEVEL_KEYS, UNKNOWN_LOCATION, hub_id, model_card
from greentui.report.reproduce import reproduce_command
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore
from tests.support import greentui
from tests.test_distillation import completed
from tests.test_fuzz_store import JSON

QUICK = ("--preset", "tiny", "--set", "train_samples=64", "--set", "eval_samples=64", "--set", "epochs=1",
         "--set", "inference_samples=64", "--set", "save_model=true")
HOSTILE = '"\n---\nmalicious: true \x1b[31m<script>alert(1)</script> [x](javascript:1) **b** \u202e ```c```'


def split_card(text: str) -> tuple[dict[str, Any], str]:
    """The card's front matter, parsed, and its body; the front matter is the first `---` line to the next."""
    assert text.startswith("---\n"), text[:80]
    front, sep, body = text[4:].partition("\n---\n")
    assert sep, "no closing --- line"
    meta = yaml.safe_load(front)
    assert isinstance(meta, dict)
    return meta, body


def training_grams(record: RunRecord) -> float:
    inference = record.phases.get("inference", {})
    return (float(record.metrics["emissions_kg"]) - float(inference.get("emissions_kg", 0.0))) * 1000


@pytest.mark.slow
def test_a_real_runs_card_carries_its_training_emissions_and_replaces_only_with_force(tmp_path: Path) -> None:
    store_path = tmp_path / "runs.json"
    record = completed(store_path, *QUICK)
    assert "inference" in record.phases  # the phase the card leaves out is there to leave out
    result = greentui("card", record.id, store=store_path)
    assert result.returncode == 0, result.stdout + result.stderr
    card = tmp_path / "runs" / record.id / "model" / "README.md"
    assert result.stdout.strip().splitlines() == [f"wrote the model card of run {record.id} to {card}"]
    meta, body = split_card(card.read_text(encoding="utf-8"))
    co2 = meta["co2_eq_emissions"]
    assert list(co2) == list(CO2_KEYS)
    assert co2["emissions"] == pytest.approx(training_grams(record), rel=1e-6)
    assert co2["emissions"] < float(record.metrics["emissions_kg"]) * 1000  # the inference phase is not training
    assert record.hardware["cpu_model"] in co2["hardware_used"]
    assert co2["training_type"] == "fine-tuning" and co2["geographical_location"] == UNKNOWN_LOCATION
    assert co2["source"] == (f"CodeCarbon {record.versions['codecarbon']} (offline), "
                             f"measured by greentui {record.versions['greentui']}")
    assert meta["metrics"][0] == "accuracy" and "base_model" not in meta  # bundled: is not a Hub id
    assert "less its inference phase" in body and f"{record.metrics['accuracy']:.4f}" in body
    assert f"± {record.measurement['uncertainty']['energy_kwh']['relative'] * 100:.0f} %" in body
    assert "greentui run --set train_samples=64 --set eval_samples=64 --set epochs=1.0 --set save_model=true " \
           "--set inference_samples=64" in body

    before = card.read_bytes()
    again = greentui("card", record.id, store=store_path)
    assert again.returncode == 2, again.stdout + again.stderr
    assert len(again.stderr.strip().splitlines()) == 1 and "README.md" in again.stderr and "--force" in again.stderr
    assert card.read_bytes() == before
    card.write_text("an old card\n", encoding="utf-8")
    forced = greentui("card", record.id, "--force", store=store_path)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert card.read_bytes() == before


def crafted(run_id: str = "20261203-120000-abcd", status: str = "completed", **fields: Any) -> RunRecord:
    """A run as the worker stores one, CPU-only, with an inference phase."""
    config = fields.pop("config", {})
    values: dict[str, Any] = {
        "id": run_id, "name": "crafted", "status": status, "created_at": "2026-12-03T12:00:00+00:00",
        "finished_at": "2026-12-03T12:01:00+00:00", "run_dir": f"runs/{run_id}",
        "config": RunConfig().with_values(save_model=True, **config).to_dict(),
        "hardware": {"cpu_model": "AMD EPYC", "cpu_count": 2, "device": "cpu", "gpus": [], "ram_gb": 23.5},
        "measurement": {"method": "codecarbon-offline", "interval_s": 1.0, "country": None,
                        "carbon_intensity_g_per_kwh": 475.0,
                        "carbon_intensity_source": "world average (assumed: no country set)",
                        "cpu": "cpu_load", "ram": "RAM power model", "gpu": "not measured", "simulated": False,
                        "uncertainty": {"energy_kwh": {"method": "TDP model + RAM model", "relative": 0.3876}}},
        "metrics": {"accuracy": 0.95, "duration_s": 50.0, "energy_kwh": 0.002, "emissions_kg": 0.00095,
                    "inference_energy_kwh": 0.0002, "eval_samples": 100, "train_samples": 200},
        "phases": {"train": {"duration_s": 50.0, "energy_kwh": 0.0018, "emissions_kg": 0.000855},
                   "inference": {"duration_s": 5.0, "energy_kwh": 0.0002, "emissions_kg": 0.000095}},
        "versions": {"greentui": "0.1.0", "codecarbon": "3.3.2", "torch": "2.13.0+cpu"},
    }
    values.update(fields)
    return RunRecord.from_doc(values)


def stored(store_path: Path, record: RunRecord, model: bool = True) -> Path:
    """Insert `record`; with `model`, give it a saved model folder. Returns where its card goes."""
    RunStore(store_path).insert(record)
    folder = store_path.parent / "runs" / record.id / "model"
    folder.mkdir(parents=True)
    if model:
        (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder / "README.md"


def card_refused(store_path: Path, run_id: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["--store", str(store_path), "card", run_id]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("greentui: "), err
    return err


def test_a_card_needs_a_completed_run_that_saved_its_model(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    running = crafted("20261203-120000-0001", status="running")
    stored(store_path, running)
    assert "running" in card_refused(store_path, running.id, capsys)
    no_model = crafted("20261203-120000-0002")
    card = stored(store_path, no_model, model=False)
    assert "saved no model" in card_refused(store_path, no_model.id, capsys)
    assert "no run" in card_refused(store_path, "20261203-120000-9999", capsys)
    assert not card.exists() and not (store_path.parent / "runs" / running.id / "model" / "README.md").exists()


def test_crafted_card_states_training_emissions_and_writes_atomically(store_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    record = crafted(config={"lora": True})
    card = stored(store_path, record)
    assert main(["--store", str(store_path), "card", record.id]) == 0
    assert capsys.readouterr().out.strip() == f"wrote the model card of run {record.id} to {card}"
    meta, body = split_card(card.read_text(encoding="utf-8"))
    assert meta["co2_eq_emissions"]["emissions"] == pytest.approx((0.00095 - 0.000095) * 1000, rel=1e-6)
    assert meta["co2_eq_emissions"]["training_type"] == "fine-tuning (LoRA)"
    assert "0.0018 kWh ± 39 %" in body and "475 g CO2-eq/kWh" in body and "Training time: 50.0 s" in body
    assert card.stat().st_mode & 0o777 == 0o600  # greentui.store.atomic's private file
    assert not list(card.parent.glob(".README.md.*"))


def test_a_symlinked_card_is_refused_and_with_force_replaced_never_followed(
        store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = crafted()
    card = stored(store_path, record)
    elsewhere = store_path.parent / "elsewhere.md"
    elsewhere.write_text("not greentui's\n", encoding="utf-8")
    card.symlink_to(elsewhere)
    assert "README.md" in card_refused(store_path, record.id, capsys)
    assert main(["--store", str(store_path), "card", record.id, "--force"]) == 0
    assert not card.is_symlink() and card.read_text(encoding="utf-8").startswith("---\n")
    assert elsewhere.read_text(encoding="utf-8") == "not greentui's\n"


def test_hostile_stored_text_keeps_the_yaml_and_the_markdown_intact(store_path: Path) -> None:
    record = crafted(name=f"run{HOSTILE}\udcff", config={"dataset": f"imdb{HOSTILE}", "model": f"m{HOSTILE}",
                                                         "distill_from": f"t{HOSTILE}"},
                     hardware={"cpu_model": f"AMD{HOSTILE}", "cpu_count": 2, "gpus": [f"gpu{HOSTILE}"]},
                     measurement={"country": f"FRA{HOSTILE}", "carbon_intensity_g_per_kwh": 56.0,
                                  "carbon_intensity_source": f"src{HOSTILE}", "method": f"x{HOSTILE}",
                                  "cpu": f"c{HOSTILE}"},
                     versions={"codecarbon": f"3{HOSTILE}", "greentui": "0.1.0", f"lib{HOSTILE}": "1"})
    card = stored(store_path, record)
    assert main(["--store", str(store_path), "card", record.id]) == 0
    text = card.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\u202e" not in text and "\udcff" not in text
    meta, body = split_card(text)
    assert set(meta) == {"co2_eq_emissions", "metrics", "library_name", "pipeline_tag", "tags"} <= set(TOP_LEVEL_KEYS)
    assert list(meta["co2_eq_emissions"]) == list(CO2_KEYS)
    assert "malicious" not in meta and not any("malicious" in str(v) and "\n" in str(v) for v in meta.values())
    assert "AMD" in meta["co2_eq_emissions"]["hardware_used"]
    lines = body.splitlines()
    assert "---" not in lines and not any(line.startswith("malicious") for line in lines)  # no new front matter
    assert "````sh" in lines  # the reproduce block's fence outgrows the backticks in the command
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(body)
    assert "<script" not in html and "&lt;script&gt;" in html  # shown, never markup
    assert "<a " not in html and "<strong>" not in html and "<hr" not in html and "<del>" not in html
    assert html.count("<h1>") == 1 and html.count("<h2>") == 4  # the card's own headings, no others
    assert html.count("<pre>") == 1 and "malicious: true" in html  # all of it shown, as text


def test_a_simulated_gpu_is_said_plainly(store_path: Path) -> None:
    record = crafted(measurement={"method": "codecarbon-offline", "simulated": True, "gpus": [{"name": "Fake H100"}],
                                  "carbon_intensity_g_per_kwh": 475.0})
    meta, body = split_card(model_card(record))
    assert "SIMULATED GPU Fake H100" in meta["co2_eq_emissions"]["hardware_used"]
    assert "**Simulated GPU.**" in body and "not a measurement" in body


def test_hub_metadata_only_for_clean_hub_ids() -> None:
    record = crafted(config={"model": "distilbert-base-uncased", "dataset": "stanfordnlp/imdb", "distill_from":
                             "bundled:tiny-teacher", "country": "FRA"})
    meta, _ = split_card(model_card(record))
    assert meta["base_model"] == "distilbert-base-uncased" and meta["datasets"] == ["stanfordnlp/imdb"]
    assert meta["co2_eq_emissions"]["training_type"] == "knowledge distillation from bundled:tiny-teacher"
    for unclean in ("bundled:tiny-distilbert", "/home/me/model", "../up", "a/b/c", "a--b", "-a", "x" * 97, "", "a b"):
        assert hub_id(unclean) is None, unclean


def test_a_country_is_the_location() -> None:
    record = crafted(measurement={"method": "codecarbon-offline", "country": "FRA"})
    assert split_card(model_card(record))[0]["co2_eq_emissions"]["geographical_location"] == "FRA"


@pytest.mark.parametrize("changes", [
    {},
    {"model": "org/some-model", "dataset": "my data's \"set\"", "learning_rate": 2e-5, "lora": True, "lora_r": 4,
     "epochs": 1.5, "dynamic_padding": False, "inference_batch_sizes": "1,8", "country": "FRA", "seed": 7,
     "save_model": True, "text_column": "a $HOME `b` ; rm -rf x", "distill_from": "line\nbreak"},
])
def test_the_reproduce_command_parses_back_to_the_same_config(changes: dict[str, Any]) -> None:
    config = RunConfig().with_values(**changes)
    record = RunRecord(id="r", name="r", status="completed", created_at="", config=config.to_dict())
    command = reproduce_command(record)
    tokens = shlex.split(command)
    assert tokens[:2] == ["greentui", "run"] and tokens[2::2] == ["--set"] * len(changes)
    assert RunConfig.from_mapping(parse_sets(tokens[3::2])).to_dict() == config.to_dict()
    # And through the real command line's parser, preset and all.
    assert config_from_args(build_parser().parse_args(tokens[1:])).to_dict() == config.to_dict()


def test_the_card_needs_no_training_stack() -> None:
    from tests.test_light_imports import HEAVY, imported_after

    modules = imported_after("import greentui.cli.card, greentui.report.model_card, greentui.report.reproduce")
    assert not modules & set(HEAVY) and "textual" not in modules


@settings(max_examples=60, deadline=None)
@given(parts=st.fixed_dictionaries({}, optional={key: JSON for key in (
           "hardware", "measurement", "metrics", "phases", "versions", "config", "name", "finished_at")}),
       inner=st.dictionaries(st.sampled_from(["cpu_model", "cpu_count", "gpus", "ram_gb", "country", "simulated",
                                              "uncertainty", "carbon_intensity_g_per_kwh", "gpu", "method",
                                              "emissions_kg", "energy_kwh", "inference", "duration_s", "accuracy",
                                              "codecarbon", "greentui", "contention", "lease"]), JSON, max_size=6))
def test_any_stored_junk_gives_a_card_or_a_report_error(parts: dict[str, Any], inner: dict[str, Any]) -> None:
    record = crafted()
    doc = record.to_doc()
    doc.update(parts)
    for key in ("hardware", "measurement", "metrics", "phases", "versions"):  # junk inside the mappings too
        if isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **inner}
    try:
        text = model_card(RunRecord.from_doc(doc))
    except ReportError:
        return
    meta, _ = split_card(text)
    assert set(meta) <= set(TOP_LEVEL_KEYS) and list(meta["co2_eq_emissions"]) == list(CO2_KEYS)
    assert isinstance(meta["co2_eq_emissions"]["emissions"], float)
    assert "\x1b" not in text and "\u202e" not in text
