"""`greentui report --figures DIR` on the repo's reference runs: four figures, each SVG, PDF and PNG."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from greentui.cli.main import main
from greentui.report.errors import ReportError
from greentui.report.figures import write_figures
from greentui.report.selection import where_selection
from greentui.store.curves import save_curves
from greentui.store.run_dirs import run_dir_of
from tests.test_report_formats import HOSTILE, SWEEP, reference_store, variant

SVG = "{http://www.w3.org/2000/svg}"


def run_groups(svg: Path, prefix: str = "run-") -> set[str]:
    """The ids of the SVG's per-run groups: markers (`run-ID`) or curves (`curve-ID`)."""
    return {g.get("id", "") for g in ET.parse(svg).getroot().iter(f"{SVG}g") if g.get("id", "").startswith(prefix)}


def curve_groups(svg: Path) -> set[str]:
    return run_groups(svg, "curve-")


def test_four_figures_in_three_formats_one_marker_per_run(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    selection = where_selection(store, SWEEP)
    curved = selection.records[:2]
    for n, record in enumerate(curved):
        folder = run_dir_of(store, record)
        folder.mkdir(parents=True)
        save_curves(folder, {"train_loss": [[step, 0.7 - 0.001 * step * (n + 1)] for step in range(0, 400, 20)]})
    written = write_figures(selection, tmp_path / "figs", store)
    names = {p.name for p in written}
    assert names == {f"{figure}.{fmt}" for figure in ("energy_accuracy", "technique_delta", "phase_energy", "loss_curves")
                     for fmt in ("svg", "pdf", "png")}
    for path in written:
        head = path.read_bytes()[:8]
        if path.suffix == ".svg":
            ET.parse(path)  # well-formed XML
        else:
            assert head.startswith(b"%PDF" if path.suffix == ".pdf" else b"\x89PNG\r\n\x1a\n"), path
    assert run_groups(tmp_path / "figs" / "energy_accuracy.svg") == {f"run-{r.id}" for r in selection.records}
    assert curve_groups(tmp_path / "figs" / "loss_curves.svg") == {f"curve-{r.id}" for r in curved}
    text = (tmp_path / "figs" / "technique_delta.svg").read_text(encoding="utf-8")
    assert "int8 (≈ noise)" in text and "prune0.3" in text
    assert not list((tmp_path / "figs").glob(".*"))  # no temporary file left behind


def test_without_curves_the_loss_figure_is_left_out(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    written = write_figures(where_selection(store, SWEEP), tmp_path / "figs", store)
    assert not any(p.stem == "loss_curves" for p in written) and len(written) == 9


def test_stored_text_is_drawn_as_text(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    source = store.get("20261202-161542-ff90")
    assert source is not None
    variant(store, source.id, "20261202-170000-7777", config={**source.config, "distill_from": HOSTILE})
    selection = where_selection(store, SWEEP)
    assert any("$x$" in row.role and "\x1b" in row.role for row in selection.rows)  # a row named by the stored text
    written = write_figures(selection, tmp_path / "figs", store)
    svg = (tmp_path / "figs" / "energy_accuracy.svg").read_text(encoding="utf-8")
    assert "\x1b" not in svg and "\\x1b[31mred" in svg and "$x$" in svg and len(written) == 9


def test_an_unusable_folder_or_no_matplotlib_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture) -> None:
    store = reference_store(tmp_path)
    selection = where_selection(store, SWEEP)
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(ReportError, match="taken"):
        write_figures(selection, tmp_path / "taken", store)
    assert main(["--store", str(store.path), "report", "--where", SWEEP, "--figures", str(tmp_path / "taken")]) == 2
    assert "taken" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ReportError, match=r"greentui\[report\]"):
        write_figures(selection, tmp_path / "figs", store)
    assert not (tmp_path / "figs").exists()


def test_cli_writes_the_report_and_the_figures(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    store = reference_store(tmp_path)
    out = tmp_path / "out"
    assert main(["--store", str(store.path), "report", "--where", SWEEP, "--figures", str(out / "figs"),
                 "-o", str(out / "table.tex")]) == 0
    assert "wrote the report to" in capsys.readouterr().out
    assert len(list((out / "figs").iterdir())) == 9 and (out / "table.tex").exists()
