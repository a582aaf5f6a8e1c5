"""`greentui reproduce`: a study file read back, planned again, and judged row by row.

The study here is the JSON report of the repo's reference sweep (real records); its "reproduction"
is the same runs, so every row must agree, and an edit to the file must make exactly that row
differ. The real round trip (train, write the study, train again, judge) is in test_paper_report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from greentui.cli.main import main
from greentui.report.errors import ReportError
from greentui.report.render import render
from greentui.report.reproduction import AGREES, DIFFERS, NOT_COMPARABLE, plan_reproduction, verdicts
from greentui.report.selection import where_selection
from greentui.report.study import load_study
from tests.test_report_formats import SWEEP, reference_store

ROWS = ["baseline", "int8", "prune0.3", "kd-tiny-teacher", "kd-tiny-teacher prune0.3 int8"]


def study_file(tmp_path: Path, edit=None) -> Path:
    store = reference_store(tmp_path)
    doc = json.loads(render(where_selection(store, SWEEP), "json"))
    if edit is not None:
        edit(doc)
    path = tmp_path / "study.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def judge(tmp_path: Path, path: Path) -> dict[str, tuple[str, str]]:
    """The study against the very runs it was made from: (verdict, why) per row."""
    study = load_study(path)
    plan = plan_reproduction(study)
    (tmp_path / "again").mkdir(exist_ok=True)
    selection = where_selection(reference_store(tmp_path / "again"), SWEEP)
    return {v.row: (v.verdict, v.reason) for v in verdicts(study, plan, selection.rows, selection.records)}


def test_the_study_plans_its_own_runs_and_agrees_with_itself(tmp_path: Path) -> None:
    path = study_file(tmp_path)
    plan = plan_reproduction(load_study(path))
    assert plan.rows == ROWS and not plan.skipped and len(plan.runs) == 10
    assert {r.role for r in plan.runs} == set(ROWS)
    # Each run's own config: the repeats differ by seed, a technique by its keys.
    assert [r.changes for r in plan.runs if r.role == "baseline"] == [{}, {"seed": 43}]
    assert plan.runs[2].changes == {"quantization": "dynamic-int8"}
    assert {row: v for row, (v, _) in judge(tmp_path, path).items()} == dict.fromkeys(ROWS[1:], AGREES)
    again = plan_reproduction(load_study(path), repeats=3, only=["int8"])
    assert [(r.role, r.changes.get("seed")) for r in again.runs] == [
        ("baseline", None), ("baseline", 43), ("baseline", 44), ("int8", None), ("int8", 43), ("int8", 44)]


def test_a_change_far_outside_its_spread_differs_on_that_row_only(tmp_path: Path) -> None:
    def edit(doc: dict) -> None:
        doc["rows"][2]["figures"]["energy"]["change_pct"] += 40.0  # prune0.3: -7 % becomes +33 %

    verdict = judge(tmp_path, study_file(tmp_path, edit))
    assert verdict["prune0.3"][0] == DIFFERS and "energy outside the tolerance" in verdict["prune0.3"][1]
    assert all(v == AGREES for row, (v, _) in verdict.items() if row != "prune0.3")


def test_other_hardware_is_compared_on_ratios_and_says_so(tmp_path: Path) -> None:
    def edit(doc: dict) -> None:
        for run in doc["runs"]:
            run["hardware"]["cpu_model"] = "Some Other CPU"

    verdict = judge(tmp_path, study_file(tmp_path, edit))
    assert all(v == AGREES and "other hardware (Some Other CPU ×2, no GPU → AMD EPYC ×2, no GPU)" in why
               and "changes compared, not absolute figures" in why for v, why in verdict.values())


def test_a_key_this_greentui_does_not_know_leaves_that_row_out_and_the_rest_in(tmp_path: Path,
                                                                               capsys: pytest.CaptureFixture) -> None:
    def edit(doc: dict) -> None:
        for run in doc["runs"]:
            if run["row"] == "int8":
                run["config"]["quantisation_bits"] = 4

    path = study_file(tmp_path, edit)
    plan = plan_reproduction(load_study(path))
    assert "quantisation_bits" in plan.skipped["int8"] and "int8" not in {r.role for r in plan.runs}
    assert len(plan.runs) == 8
    verdict = judge(tmp_path, path)
    assert verdict["int8"][0] == NOT_COMPARABLE and "quantisation_bits" in verdict["int8"][1]
    assert verdict["prune0.3"][0] == AGREES


def test_a_model_that_cannot_be_loaded_is_named(tmp_path: Path) -> None:
    def refuse_the_teacher(config) -> None:
        if config.distill_from:
            raise RuntimeError(f"distill_from {config.distill_from!r} is not here")

    plan = plan_reproduction(load_study(study_file(tmp_path)), loadable=refuse_the_teacher)
    assert set(plan.skipped) == {"kd-tiny-teacher", "kd-tiny-teacher prune0.3 int8"}
    assert "bundled:tiny-teacher" in plan.skipped["kd-tiny-teacher"]


@pytest.mark.parametrize(("content", "message"), [
    ('{"schema": "greentui-report/0", "rows": [], "runs": []}', "schema 'greentui-report/0' is not"),
    ("not json", "is not valid JSON"),
    ('{"schema": "greentui-report/1", "rows": [], "runs": []}', "needs a list of rows"),
])
def test_a_file_that_is_not_a_study_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture, content: str,
                                                message: str) -> None:
    path = tmp_path / "study.json"
    path.write_text(content, encoding="utf-8")
    assert main(["--store", str(tmp_path / "runs.json"), "reproduce", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs.json").exists() and not (tmp_path / "sweeps").exists()


def test_only_names_a_row_of_the_study(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="--only 'lora'.*'baseline', 'int8'"):
        plan_reproduction(load_study(study_file(tmp_path)), only=["lora"])


def test_resume_needs_a_reproduction_sweep(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = study_file(tmp_path)
    store = str(tmp_path / "runs.json")
    assert main(["--store", store, "reproduce", str(path), "--resume", "nosuch"]) == 2
    assert "no sweep 'nosuch'" in capsys.readouterr().err
    assert main(["--store", store, "reproduce", str(path), "--repeats", "0"]) == 2
    assert "--repeats 0: at least 1" in capsys.readouterr().err
    assert not (tmp_path / "sweeps").exists()


def test_the_shipped_reference_study_is_a_study_this_greentui_can_plan() -> None:
    shipped = Path(__file__).resolve().parent.parent / "assets" / "studies" / "offline-ablation.json"
    plan = plan_reproduction(load_study(shipped))
    assert plan.rows[0] == "baseline" and not plan.skipped
    # The contended run the study left out is not run again; each other compared run is, on its own seed.
    assert len(plan.runs) == 11 and sum(r.role == "train_samples" for r in plan.runs) == 1
