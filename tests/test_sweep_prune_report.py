"""A pruned run wherever runs are listed: the sweep's queue, the report and its energy saved, filters, CSV,
the study total, and `--prune` given where it does not belong (one line, nothing written).

The runs are stored records, as a pruning runner leaves them (tests/test_sweep_prune.py makes them for real).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from greentui.cli.main import main
from greentui.report.appendix import appendix_facts
from greentui.report.selection import sweep_selection
from greentui.report.text import one_line_summary
from greentui.store.query import compile_query
from greentui.store.run_store import RunStore
from greentui.sweep.queue import progress_line, unfinished_sweeps
from greentui.tui.models.sweep import sweep_rows
from tests.test_sweep_queue import planned_sweep, stored

REASON = ("at step 5/20 (the 25 % rung), dominated by baseline (1 run(s)): accuracy 0.565 vs 0.670 by 25 % of the "
          "steps (-0.105, margin 0.097); projected energy 0.000410 vs 0.000400 kWh (+2 %, margin 25 %)")


def pruned_sweep(store_path: Path):
    store = RunStore(store_path)
    sweep = planned_sweep(store, repeats=1)
    stored(store, sweep, 0, "completed")  # energy 0.001 kWh
    run = stored(store, sweep, 1, "pruned")  # energy 0.002 kWh, as the stop left it
    store.update(run.id, error=REASON, metrics={"pruned_at_step": 5, "pruned_projected_kwh": 0.005,
                                                "pruned_saved_kwh": 0.003})
    return store, sweep, store.get(run.id)


def test_a_pruned_run_is_finished_and_the_report_says_what_pruning_saved(store_path: Path, capsys) -> None:
    store, sweep, run = pruned_sweep(store_path)
    assert run is not None and run.finished and unfinished_sweeps(store) == []  # never run again
    assert progress_line(store, sweep).startswith(f"{sweep.id}  ablation 2/2 finished")
    selection = sweep_selection(store, sweep)
    assert [row.role for row in selection.rows] == ["baseline"]  # out of the figures, like any run not completed
    assert "1 completed run(s) of 2 planned; 1 not completed (left out, 1 of them pruned)." in selection.notes
    assert f"Pruned label_smoothing #1 (`{run.id}`): {REASON}." in selection.notes
    # Used 0.001 + 0.002; 0.003 more had it run to the end: half of the full sweep's 0.006.
    assert ("Pruning saved an estimated 0.003000 kWh, 50 % of the full sweep's estimated 0.006000 kWh: the pruned "
            "runs' projected energy to the end of training less what they used (the sweep used 0.003000 kWh; "
            "the phases after training are not in the estimate, so it is low).") in selection.notes
    study = appendix_facts(selection)["study"]
    assert study["by_status"] == {"completed": 1, "pruned": 1} and study["energy_kwh"] == pytest.approx(0.003)
    assert one_line_summary(run).endswith(f"; {REASON}")
    assert sweep_rows(store, sweep).status_text(runner_busy=False).endswith("2 of 2 runs finished (1 pruned)")

    assert main(["--store", str(store_path), "report", sweep.id, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["pruning"]["saved_kwh"] == pytest.approx(0.003) and doc["pruning"]["runs"][0]["reason"] == REASON
    assert doc["pruning"]["runs"][0]["at_step"] == 5


def test_status_pruned_is_a_status_like_the_others(store_path: Path) -> None:
    store, _sweep, run = pruned_sweep(store_path)
    assert run is not None
    matches = compile_query("status:pruned")
    assert [r.id for r in store.all() if matches(r)] == [run.id]
    out = store_path.parent / "runs.csv"
    assert main(["--store", str(store_path), "export", "--all", "-o", str(out)]) == 0
    with open(out, newline="") as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle)}
    assert rows[run.id]["status"] == "pruned" and rows[run.id]["error"] == REASON
    assert float(rows[run.id]["metrics.pruned_saved_kwh"]) == pytest.approx(0.003)


def test_prune_given_where_it_does_not_belong_is_refused_in_one_line(store_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--store", str(store_path), "sweep", "--preset", "tiny", "--techniques", "lora=true",
              "--prune", "sometimes"])
    assert exit_info.value.code == 2 and "argument --prune: invalid choice: 'sometimes'" in capsys.readouterr().err
    assert main(["--store", str(store_path), "sweep", "--resume", "--prune", "dominated"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--prune dominated: pruning is chosen when a sweep is planned" in err
    assert not store_path.exists() and not (store_path.parent / "sweeps").exists()
