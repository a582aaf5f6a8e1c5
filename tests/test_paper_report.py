"""The issue's whole path on a real sweep: `greentui report SWEEP --appendix --figures DIR -o table.tex`, then
`greentui reproduce` of its JSON study file.

Four real runs of the bundled model (baseline and one technique, two repeats each) under the
real CodeCarbon tracker, with a PUE of 1.2; then the LaTeX compiles, the figures hold one
marker per run, and the appendix states the PUE, the dataset fingerprint and the study total.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from greentui.store.run_store import RunStore
from tests.support import greentui
from tests.test_report_formats import pdflatex_or_structure

SMALL = ["--set", "train_samples=160", "--set", "eval_samples=96", "--set", "epochs=1", "--set", "batch_size=32",
         "--set", "inference_samples=64", "--set", "pue=1.2"]


@pytest.mark.slow
def test_a_real_sweep_becomes_a_table_an_appendix_and_figures(tmp_path: Path) -> None:
    store_path = tmp_path / "runs.json"
    swept = greentui("sweep", "--preset", "tiny", *SMALL, "--techniques", "label_smoothing=0.1", "--repeats", "2",
                     store=store_path, timeout=1200)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    runs = RunStore(store_path).all()
    assert len(runs) == 4 and all(r.status == "completed" for r in runs), [(r.status, r.error) for r in runs]
    sweep_id = runs[0].sweep["id"]

    # The PUE reached CodeCarbon (its own CSV says so) and the record states it.
    for run in runs:
        assert run.measurement["pue"] == 1.2
        with open(Path(run.run_dir if Path(run.run_dir).is_absolute() else tmp_path / run.run_dir) / "emissions.csv",
                  newline="") as handle:
            assert {float(row["pue"]) for row in csv.DictReader(handle)} == {1.2}
    # Repeats draw their rows with their own seed: the fingerprint tells the two samples apart; a
    # baseline and its technique on the same seed used the same rows.
    prints = {(r.sweep["role"], r.sweep["repeat"]): r.measurement["dataset"]["fingerprint"] for r in runs}
    assert prints[("baseline", 0)] == prints[("label_smoothing", 0)] != prints[("baseline", 1)]
    assert all(p.startswith("sha256:") and len(p) == 39 for p in prints.values())

    figures, table = tmp_path / "figures", tmp_path / "table.tex"
    made = greentui("report", sweep_id, "--appendix", "--figures", str(figures), "-o", str(table), store=store_path)
    assert made.returncode == 0, made.stdout + made.stderr
    tex = table.read_text(encoding="ascii")
    assert "label\\_smoothing" in tex and "PUE: 1.2" in tex and prints[("baseline", 0)] in tex
    total = sum(r.metrics["energy_kwh"] for r in runs)
    assert f"{total:.6f} kWh" in tex
    pdflatex_or_structure(tex, tmp_path)

    svgs = sorted(figures.glob("*.svg"))
    assert {p.stem for p in svgs} >= {"energy_accuracy", "technique_delta", "phase_energy", "loss_curves"}
    for svg in svgs:
        ET.parse(svg)  # well-formed XML
        assert svg.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
        assert svg.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
    scatter = ET.parse(figures / "energy_accuracy.svg").getroot()
    marked = {g.get("id") for g in scatter.iter("{http://www.w3.org/2000/svg}g") if (g.get("id") or "").startswith("run-")}
    assert marked == {f"run-{r.id}" for r in runs}

    as_json = greentui("report", sweep_id, "--format", "json", store=store_path)
    doc = json.loads(as_json.stdout)
    assert doc["appendix"]["pue"] == [1.2] and doc["appendix"]["study"]["energy_kwh"] == pytest.approx(total)

    # The JSON report is a study file: reproduced on the same machine with the same seeds, it agrees.
    study = tmp_path / "study.json"
    study.write_text(as_json.stdout, encoding="utf-8")
    again = greentui("reproduce", str(study), store=store_path, timeout=1200)
    assert again.returncode == 0, again.stdout + again.stderr
    verdict = next(line for line in again.stdout.splitlines() if line.startswith("| label_smoothing |"))
    assert "| agrees |" in verdict, again.stdout
    reproduced = [r for r in RunStore(store_path).all() if r.sweep.get("id") != sweep_id]
    assert len(reproduced) == 4 and {r.config["seed"] for r in reproduced} == {42, 43}
    assert all(r.config["pue"] == 1.2 and r.config["label_smoothing"] in (0.0, 0.1) for r in reproduced)
