"""Sweep planning and the attribution arithmetic, on known values."""

from __future__ import annotations

import csv
import io
from math import sqrt

import pytest

from greentui.config import ConfigError, RunConfig
from greentui.report.attribution import attribute, completed_groups
from greentui.report.tables import csv_text, markdown
from greentui.store.record import RunRecord
from greentui.sweep.plan import GRID_LIMIT, SweepError, parse_techniques, plan_runs

BASE = RunConfig()
THREE = "mixed_precision=bf16,optimizer=sgd,label_smoothing=0.1"


def test_techniques_are_parsed_into_typed_checked_changes() -> None:
    assert parse_techniques(THREE, BASE) == [("mixed_precision", "bf16"), ("optimizer", "sgd"), ("label_smoothing", 0.1)]
    with pytest.raises(ConfigError, match="'mixed_precison'"):
        parse_techniques("mixed_precison=bf16", BASE)
    with pytest.raises(ConfigError, match="'optimizer'"):
        parse_techniques("optimizer=lion", BASE)
    with pytest.raises(SweepError, match="baseline's own value"):
        parse_techniques("optimizer=adamw", BASE)
    with pytest.raises(SweepError, match="KEY=VALUE"):
        parse_techniques("lora", BASE)


def test_ablation_plans_baseline_each_alone_and_all_together_with_repeats_on_new_seeds() -> None:
    runs = plan_runs(BASE, parse_techniques(THREE, BASE), "ablation", repeats=2)
    assert len(runs) == 10
    assert list(dict.fromkeys(r.role for r in runs)) == [
        "baseline", "mixed_precision", "optimizer", "label_smoothing", "mixed_precision+optimizer+label_smoothing"]
    assert [r.changes["seed"] for r in runs[:2]] == [BASE.seed, BASE.seed + 1]
    assert runs[-1].changes == {"mixed_precision": "bf16", "optimizer": "sgd", "label_smoothing": 0.1,
                                "seed": BASE.seed + 1}
    single = plan_runs(BASE, parse_techniques("lora=true", BASE), "ablation", repeats=1)
    assert [r.role for r in single] == ["baseline", "lora"]  # "all together" is the one technique: not twice


def test_grid_plans_every_combination_and_refuses_a_large_one_unless_told() -> None:
    runs = plan_runs(BASE, parse_techniques(THREE, BASE), "grid", repeats=1)
    assert len(runs) == 8 and len({r.role for r in runs}) == 8
    five = parse_techniques("mixed_precision=bf16,optimizer=sgd,label_smoothing=0.1,lora=true,dropout=0.1", BASE)
    with pytest.raises(SweepError, match=f"is 64 runs \\(more than {GRID_LIMIT}\\)"):
        plan_runs(BASE, five, "grid", repeats=2)
    assert len(plan_runs(BASE, five, "grid", repeats=2, allow_large=True)) == 64


def run(role: str, energy: float, seconds: float, accuracy: float, status: str = "completed") -> RunRecord:
    return RunRecord(id=f"{role}-{energy}", name=role, status=status, created_at="", sweep={"role": role},
                     metrics={"energy_kwh": energy, "duration_s": seconds, "emissions_kg": energy * 0.5,
                              "accuracy": accuracy})


def test_attribution_means_spreads_changes_noise_and_front() -> None:
    records = [run("baseline", 1.0, 100, 0.80), run("baseline", 1.2, 110, 0.82),
               run("bf16", 0.5, 50, 0.81), run("bf16", 0.7, 60, 0.79),  # half the energy, same accuracy
               run("sgd", 1.1, 100, 0.60), run("sgd", 1.1, 102, 0.62),  # same energy, much worse
               run("sgd", 9.9, 999, 0.1, status="failed")]  # not completed: left out
    rows = attribute(completed_groups(records, lambda r: r.sweep["role"]))
    base, bf16, sgd = rows
    assert [r.role for r in rows] == ["baseline", "bf16", "sgd"] and sgd.runs == 2
    assert base.stats["energy"].mean == pytest.approx(1.1) and base.stats["energy"].spread == pytest.approx(sqrt(0.02))
    assert bf16.change["energy"] == pytest.approx(-0.5) and bf16.change_pct["energy"] == pytest.approx(-100 * 0.5 / 1.1)
    assert bf16.change["co2"] == pytest.approx(-250.0)  # grams
    assert bf16.noise["energy"] is False  # 0.5 kWh apart, spreads 0.14 each
    assert bf16.noise["accuracy"] is True  # 0.01 apart, spreads 0.014 each: could be chance
    assert sgd.change["accuracy"] == pytest.approx(-0.20) and sgd.noise["accuracy"] is False
    assert sgd.noise["energy"] is True
    assert bf16.kwh_per_accuracy == pytest.approx(0.6 / 0.80)
    assert [r.pareto for r in rows] == [True, True, False]  # baseline: most accurate; bf16: least energy


def test_a_single_repeat_has_no_spread_and_says_so() -> None:
    rows = attribute(completed_groups([run("baseline", 1.0, 100, 0.8), run("x", 0.9, 90, 0.8)],
                                      lambda r: r.sweep["role"]))
    assert rows[1].stats["energy"].spread is None and rows[1].noise["energy"] is None
    text = markdown(rows, "t")
    assert "| x | 1 | 0.900000 | -0.100000 (-10.0 %) ? |" in text


def test_report_markdown_and_csv_carry_the_same_figures() -> None:
    records = [run("baseline", 1.0, 100, 0.80), run("baseline", 1.2, 110, 0.82),
               run("bf16", 0.5, 50, 0.81), run("bf16", 0.7, 60, 0.79)]
    rows = attribute(completed_groups(records, lambda r: r.sweep["role"]))
    text = markdown(rows, "Sweep s", ["a note"])
    assert "| bf16 | 2 | 0.600000 ± 0.141421 | -0.500000 (-45.5 %) |" in text
    assert "| 0.800 ± 0.014 | -1.0 ≈ |" in text and text.count("★") == 2 + 1  # two rows and the legend
    table = list(csv.DictReader(io.StringIO(csv_text(rows))))
    assert float(table[1]["energy_kwh_change"]) == pytest.approx(-0.5)
    assert table[1]["accuracy_within_noise"] == "True" and table[0]["energy_kwh_change"] == "0.0"


def test_any_runs_group_by_technique_tags_against_a_chosen_baseline(store_path) -> None:
    from greentui.report.render import render
    from greentui.report.selection import runs_selection
    from greentui.store.run_store import RunStore

    store = RunStore(store_path)
    for n, (config, kwh) in enumerate([({}, 1.0), ({}, 1.2), ({"lora": True}, 0.5), ({"lora": True}, 0.7)]):
        store.insert(RunRecord(id=f"r{n}", name=f"r{n}", status="completed", created_at=f"2026-11-22T09:0{n}",
                               config=RunConfig().with_values(**config).to_dict(),
                               metrics={"energy_kwh": kwh, "duration_s": 10.0, "accuracy": 0.8}))
    text = render(runs_selection(store, ["r1", "r2", "r3"], baseline_id="r0"), "md")
    assert "| baseline | 2 | 1.100000 ± 0.141421 |" in text
    assert "| lora8 | 2 | 0.600000 ± 0.141421 | -0.500000 (-45.5 %) |" in text
    with pytest.raises(SweepError, match="no run 'nope'"):
        runs_selection(store, ["nope"], baseline_id="r0")


def test_several_values_of_one_key_are_levels_run_alone_never_combined() -> None:
    from greentui.presets import preset
    from greentui.sweep.plan import SweepError, parse_techniques, plan_runs

    base = preset("tiny")
    techniques = parse_techniques("power_limit_w=150,power_limit_w=200,lora=true", base)
    ablation = plan_runs(base, techniques, "ablation", 1)
    assert [r.role for r in ablation] == ["baseline", "power_limit_w=150", "power_limit_w=200", "lora",
                                          "power_limit_w=150+lora"]
    assert ablation[2].changes["power_limit_w"] == 200
    grid = plan_runs(base, techniques, "grid", 1)
    assert [r.role for r in grid][-2:] == ["power_limit_w=150+lora", "power_limit_w=200+lora"]
    assert all("power_limit_w=150+power_limit_w=200" not in r.role for r in grid)
    with pytest.raises(SweepError, match="power_limit_w=150 is given twice"):
        parse_techniques("power_limit_w=150,power_limit_w=150", base)


def test_the_report_names_the_lowest_energy_cap_within_the_time_budget() -> None:
    from greentui.report.power_caps import cap_notes

    records = [run("baseline", 1.0, 100, 0.8), run("baseline", 1.0, 100, 0.8),
               run("power_limit_w=250", 0.95, 104, 0.8), run("power_limit_w=250", 0.95, 104, 0.8),
               run("power_limit_w=200", 0.85, 108, 0.8), run("power_limit_w=200", 0.85, 108, 0.8),
               run("power_limit_w=150", 0.80, 130, 0.8), run("power_limit_w=150", 0.80, 130, 0.8),
               run("power_limit_w=150+lora", 0.5, 90, 0.7)]
    rows = attribute(completed_groups(records, lambda r: r.sweep["role"]))
    [note] = cap_notes(rows, 10.0)
    # 150 W saves most but is 30 % slower: within +10 %, 200 W is the pick; a combination is no cap row.
    assert note.startswith("Power caps: within a time budget of +10 % against the uncapped baseline, "
                           "power_limit_w=200 uses the least energy: -15.0 %, time +8.0 %")
    assert "over the budget: power_limit_w=150 (time +30.0 %)" in note and "lora" not in note
    assert "power_limit_w=150 uses the least energy: -20.0 %" in cap_notes(rows, 50.0)[0]
    assert cap_notes(rows, 1.0)[0].startswith("Power caps: none keeps within a time budget of +1 %")
    assert cap_notes(rows[:1]) == []  # no cap rows: nothing said
