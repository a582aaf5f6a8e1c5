"""`greentui report` as LaTeX and JSON, with the compute appendix, on the repo's reference runs (real records).

The reference runs are the issue-17 sweep in the repo's runs.json; the failed, contended and
hostile runs beside them are crafted from its records. The LaTeX compiles with pdflatex where
a TeX is installed (`.ci/run` installs one and sets GREENTUI_REQUIRE_PDFLATEX); elsewhere it
is checked structurally: balanced groups, booktabs rules, ASCII only.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from greentui.cli.main import main
from greentui.report.appendix import appendix_facts
from greentui.report.latex import escape
from greentui.report.render import render
from greentui.report.selection import where_selection
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore

REPO_RUNS = Path(__file__).resolve().parent.parent / "runs.json"
SWEEP = "sweep 2033"  # the history filter that picks the reference sweep's ten runs
HOSTILE = "a}\\input{/etc/passwd} $x$ #1 50% \x1b[31mred\u202e ~^_&"


def reference_store(tmp_path: Path) -> RunStore:
    path = tmp_path / "runs.json"
    shutil.copy(REPO_RUNS, path)
    return RunStore(path)


def variant(store: RunStore, source_id: str, new_id: str, **changes: object) -> RunRecord:
    """A stored copy of a reference run with some fields changed (a doc-level copy: nested values too)."""
    source = store.get(source_id)
    assert source is not None
    doc = {**source.to_doc(), "id": new_id, "sweep": {}, **changes}
    record = RunRecord.from_doc(doc)
    store.insert(record)
    return record


def pdflatex_or_structure(tex: str, tmp_path: Path) -> None:
    """Compile `tex` inside a minimal article, or where no TeX is installed check it structurally."""
    assert tex.isascii(), [c for c in tex if not c.isascii()][:5]
    document = "\\documentclass{article}\\usepackage{booktabs,graphicx}\\begin{document}\n" + tex + "\n\\end{document}\n"
    if shutil.which("pdflatex") is None:
        assert os.environ.get("GREENTUI_REQUIRE_PDFLATEX") != "1", "pdflatex is required here (.ci/run installs it)"
        body = re.sub(r"\\[{}%$#&_]", "", tex)
        assert body.count("{") == body.count("}")
        assert tex.count("\\begin{tabular}") == tex.count("\\end{tabular}") == tex.count("\\toprule")
        return
    (tmp_path / "paper.tex").write_text(document, encoding="ascii")
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "paper.tex"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "paper.pdf").read_bytes().startswith(b"%PDF")
    assert "Undefined control sequence" not in result.stdout and "Missing" not in result.stdout


def test_latex_table_and_appendix_compile(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    tex = render(where_selection(store, SWEEP), "tex", appendix=True)
    assert tex.count("\\toprule") == 2 and "\\pm" in tex and "\\approx" in tex  # training and deployed tables
    assert "$\\star$ \\\\" in tex  # the front's row is marked (pruning: least energy at equal accuracy)
    assert "\\section*{Compute appendix}" in tex and "greentui run" in tex
    pdflatex_or_structure(tex, tmp_path)


def test_stored_text_cannot_become_latex_commands(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    variant(store, "20261202-161146-2d36", "20261202-161146-9999", name=f"sweep 2033 baseline {HOSTILE}",
            created_at="2026-12-02T16:00:00+00:00")  # the oldest plain run: the baseline, named in the caption
    tex = render(where_selection(store, SWEEP), "tex", appendix=True)
    assert "\\input{" not in tex and "\x1b" not in tex and "\u202e" not in tex
    assert "\\textbackslash{}input\\{/etc/passwd\\}" in tex and "50\\%" in tex
    pdflatex_or_structure(tex, tmp_path)
    markdown = render(where_selection(store, SWEEP), "md", appendix=True)
    assert "\x1b" not in markdown and "\u202e" not in markdown and "\\x1b[31mred" in markdown
    assert escape("Δ ± ≈ ★ CO₂ é") == "$\\Delta$ $\\pm$ $\\approx$ $\\star$ CO\\textsubscript{2} e"


def test_study_total_counts_every_run_failed_and_contended_included(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    failed = variant(store, "20261202-161542-ff90", "20261202-170000-fa11", status="failed", error="CUDA OOM",
                     metrics={"energy_kwh": 0.0004, "emissions_kg": 0.00019})
    busy = store.get("20261202-161741-755a")
    assert busy is not None
    contended = variant(store, busy.id, "20261202-170100-c0de",
                        measurement={**busy.measurement, "contention": {"share": 0.6}})
    stored_no_energy = variant(store, busy.id, "20261202-170200-0e0e", status="stopped", metrics={})
    selection = where_selection(store, SWEEP)
    everyone = [r for r in RunStore(store.path).all() if "sweep 2033" in r.name]
    study = appendix_facts(selection)["study"]
    assert study["runs"] == len(everyone) == 10 + 3  # the sweep's and the three crafted
    assert study["energy_kwh"] == pytest.approx(sum(r.metric("energy_kwh") or 0.0 for r in everyone), rel=1e-12)
    assert study["by_status"] == {"completed": 11, "failed": 1, "stopped": 1}
    assert study["energy_by_status"]["failed"] == pytest.approx(failed.metric("energy_kwh"))
    assert study["contended"] == 1 and study["without_energy"] == 1
    compared = sum(row.runs for row in selection.rows)
    assert compared == 10 and contended.id not in selection.role_of and stored_no_energy.id not in selection.role_of
    text = render(selection, "md", appendix=True)
    assert f"{study['energy_kwh']:.6f} kWh" in text and "1 failed" in text and "failed: 0.000400 kWh" in text
    assert "1 run(s) stored no energy figure" in text


def test_json_report_carries_every_figure_and_the_appendix(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    out = tmp_path / "report.json"
    assert main(["--store", str(store.path), "report", "--where", SWEEP, "-o", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["schema"] == "greentui-report/1" and [r["techniques"] for r in doc["rows"]][:3] == ["baseline", "int8",
                                                                                                   "prune0.3"]
    base, int8 = doc["rows"][0], doc["rows"][1]
    assert int8["figures"]["model_size"]["change_pct"] == pytest.approx(-41.5, abs=0.1)
    assert base["figures"]["energy"]["n"] == 2 and base["figures"]["energy"]["sd"] > 0
    assert doc["appendix"]["study"]["runs"] == 10 and len(doc["appendix"]["runs"]) == 10
    assert all(run["command"].startswith("greentui run") for run in doc["appendix"]["runs"])


def test_rows_measured_on_another_setup_are_marked(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    for source, new in (("20261202-161936-ef77", "20261202-170300-aaa1"), ("20261202-162129-c3f5", "20261202-170300-aaa2")):
        record = store.get(source)
        assert record is not None
        store.delete([source])
        variant_doc = {**record.to_doc(), "id": new, "hardware": {**record.hardware, "cpu_model": "Other CPU"}}
        store.insert(RunRecord.from_doc(variant_doc))
    text = render(where_selection(store, SWEEP), "md")
    assert "| prune0.3 † |" in text and "| int8 |" in text and "†: measured on another machine" in text
    assert "Measured on 2 different setups" in text
    assert "$^\\dagger$" in render(where_selection(store, SWEEP), "tex")


@pytest.mark.parametrize(("args", "message"), [
    (["--where", "nothing-matches-this"], "--where 'nothing-matches-this': no run"),
    (["--where", "tech:int8"], "name the baseline with --baseline"),
    (["--where", SWEEP, "--format", "docx"], "--format 'docx'"),
    (["--where", SWEEP, "-o", "{tmp}/table.docx"], "cannot tell the format"),
    (["--where", SWEEP, "--format", "csv", "--appendix"], "--appendix with --format csv"),
    (["--where", SWEEP, "-o", "{tmp}/no/such/folder/t.tex"], "cannot write"),
    (["--where", SWEEP, "--runs", "x", "--baseline", "x"], "not --runs and --where"),
])
def test_bad_report_requests_are_one_line_and_write_nothing(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                            args: list[str], message: str) -> None:
    store = reference_store(tmp_path)
    before = store.path.read_bytes()
    files_before = sorted(tmp_path.rglob("*"))
    assert main(["--store", str(store.path), "report", *(a.replace("{tmp}", str(tmp_path)) for a in args)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert store.path.read_bytes() == before and sorted(tmp_path.rglob("*")) == files_before


def test_output_format_follows_the_file_name(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    for name, start in (("t.tex", "% greentui report"), ("t.md", "# 10 runs"), ("t.csv", "techniques,runs"),
                        ("t.json", "{")):
        assert main(["--store", str(store.path), "report", "--where", SWEEP, "-o", str(tmp_path / name)]) == 0
        assert (tmp_path / name).read_text(encoding="utf-8").startswith(start), name


def test_a_row_named_by_stored_text_is_no_formula_in_the_csv(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    source = store.get("20261202-161344-f268")
    assert source is not None
    variant(store, source.id, "20261202-170000-5555", config={**source.config, "model": "=HYPERLINK(\"x\")"})
    rows = list(csv.reader(io.StringIO(render(where_selection(store, SWEEP), "csv"))))
    assert any(r[0].startswith("'=HYPERLINK") for r in rows) and not any(r[0].startswith("=") for r in rows)
