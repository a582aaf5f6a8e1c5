"""The command line end to end: a real tiny run in a real worker under the real CodeCarbon tracker."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from greentui.events.log import EVENTS_FILE, read_all
from greentui.metrics.registry import BY_KEY
from greentui.store.run_store import RunStore
from tests.support import greentui, wait_until


def run_id_from(stdout: str) -> str:
    first = stdout.splitlines()[0]
    assert first.startswith("run "), stdout
    return first.split()[1]


@pytest.mark.slow
def test_tiny_preset_completes_and_exports(store_path: Path) -> None:
    result = greentui("run", "--preset", "tiny", "--name", "e2e baseline", store=store_path)
    assert result.returncode == 0, result.stdout + result.stderr
    run_id = run_id_from(result.stdout)
    assert f"{run_id} completed" in result.stdout

    record = RunStore(store_path).get(run_id)
    assert record is not None and record.status == "completed"
    metrics = record.metrics
    assert metrics["accuracy"] >= 0.85
    assert metrics["energy_kwh"] > 0 and metrics["emissions_kg"] > 0
    assert metrics["joules_per_sample"] > 0 and metrics["samples_per_s"] > 0
    assert set(metrics) - set(BY_KEY) == set()  # every metric the worker stores is declared
    assert record.measurement["method"] == "codecarbon-offline"
    assert "world average" in record.measurement["carbon_intensity_source"]
    assert record.hardware["cpu_count"] >= 1 and record.versions["torch"]
    assert not record.curves  # they live in the run folder, keeping runs.json small
    assert 0 < len(RunStore(store_path).curves(record)["train_loss"]) <= 300

    # The last cumulative energy event is CodeCarbon's final figure.
    events = read_all(store_path.parent / record.run_dir / EVENTS_FILE)
    last_energy = [e for e in events if e.kind == "energy"][-1]
    assert last_energy.emissions_kg == pytest.approx(metrics["emissions_kg"])
    assert {"status", "phase", "step", "eval", "power", "energy", "summary"} <= {e.kind for e in events}
    # One evaluation per epoch and no second one at the end: the last step's is the result.
    evals = [e for e in events if e.kind == "eval"]
    assert len(evals) == record.config["epochs"] * record.config["evals_per_epoch"]
    assert [e.final for e in evals].count(True) == 1 and evals[-1].final

    listed = greentui("ls", "--json", store=store_path)
    assert [r["id"] for r in json.loads(listed.stdout)] == [run_id]

    csv_path = store_path.parent / "runs.csv"
    exported = greentui("export", "--all", "-o", str(csv_path), store=store_path)
    assert exported.returncode == 0 and "wrote 1 run" in exported.stdout
    frame = pd.read_csv(csv_path)
    assert len(frame) == 1 and frame.loc[0, "metrics.accuracy"] == pytest.approx(metrics["accuracy"])


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--set", "optimizer=rmsprop"], "'optimizer'"),
        (["--set", "epochs=-2"], "'epochs'"),
        (["--set", "bogus=1"], "'bogus'"),
        (["--preset", "giant"], "'preset'"),
        (["--set", "model=bundled:nothing"], "'model'"),
        (["--set", "dataset=/no/such/folder/or-hub-id"], "'dataset'"),
        (["--config", "missing.toml"], "missing.toml"),
    ],
)
def test_bad_input_names_the_key_and_changes_nothing(store_path: Path, args: list[str], named: str) -> None:
    store_path.write_text('{"runs": {}}')
    before = store_path.read_bytes()
    result = greentui("run", *args, store=store_path)
    assert result.returncode != 0
    assert named in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert store_path.read_bytes() == before
    assert not (store_path.parent / "runs").exists()


def test_reference_preset_fails_at_once_without_the_hub(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HOME", str(store_path.parent / "empty-hf-home"))  # nothing cached
    result = greentui("run", "--preset", "distilbert-imdb", store=store_path)
    assert result.returncode != 0
    assert "distilbert-base-uncased" in result.stderr and "--preset tiny" in result.stderr
    assert not store_path.exists()


def test_corrupt_store_is_refused_untouched(store_path: Path) -> None:
    store_path.write_text("{not json")
    result = greentui("ls", store=store_path)
    assert result.returncode == 2 and str(store_path.name) in result.stderr
    assert store_path.read_text() == "{not json"


@pytest.mark.slow
def test_stop_keeps_partial_results(store_path: Path) -> None:
    result = greentui("run", "--detach", "--set", "epochs=20", store=store_path)
    assert result.returncode == 0, result.stderr
    run_id = run_id_from(result.stdout)
    events_path = store_path.parent / "runs" / run_id / EVENTS_FILE
    wait_until(lambda: any(e.kind == "step" for e in read_all(events_path)), "a training step")
    stopped = greentui("stop", run_id, store=store_path)
    assert stopped.returncode == 0, stopped.stderr
    record = RunStore(store_path).get(run_id)
    assert record is not None and record.status == "stopped"
    assert record.metrics["energy_kwh"] > 0 and 0 < record.metrics["steps"] < record.metrics["total_steps"]
    assert RunStore(store_path).curves(record)["train_loss"]
    # The derived metrics of a stopped run, and no metric the registry does not declare.
    assert record.metrics["samples_trained"] > 0 and record.metrics["duration_s"] > 0
    assert record.metrics["joules_per_sample"] > 0 and record.metrics["samples_per_s"] > 0
    assert set(record.metrics) - set(BY_KEY) == set()


def test_output_cut_short_by_a_closed_pipe_is_quiet(store_path: Path) -> None:
    import subprocess
    import sys

    from greentui.store.record import RunRecord
    from greentui.store.run_store import AtomicJSONStorage

    docs = {str(i): RunRecord(id=f"r{i}", name=f"run {i}", status="completed", created_at="").to_doc()
            for i in range(1, 400)}  # far more JSON than a pipe holds
    AtomicJSONStorage(store_path).write({"runs": docs})
    done = subprocess.run(f"{sys.executable} -m greentui --store {store_path} ls --json | head -c 10",
                          shell=True, capture_output=True, text=True)
    assert done.stdout.startswith("[") and done.stderr == ""


def test_the_progress_line_keeps_the_projection_on_a_line_of_its_own() -> None:
    """At 80 columns the projection beside the figures pushed the bar and the step count off the line."""
    from greentui.cli.follow import progress_text
    from greentui.events.reducer import fold
    from greentui.events.schema import ProjectionEvent, to_dict
    from tests.support import fixture_events

    events = fixture_events(steps=40, status="running")
    half = events[: len(events) // 2]
    projection = ProjectionEvent(t=half[-1]["t"], step=20, total_steps=40, duration_s=95.0, energy_kwh=0.000789,
                                 emissions_kg=0.000375)
    figures, projected = progress_text(fold([*half, to_dict(projection)])).split("\n")
    assert figures.startswith("loss ") and "projected" not in figures
    # 95 s of training from its start at 5.2 s, told on the run's elapsed clock, as the bar counts.
    assert projected == "projected 0.000789 kWh · 0.375 g · training ends at 1 m 40 s"
    assert "\n" not in progress_text(fold(half))  # no projection yet: one line
