"""`greentui report --figures DIR` on the repo's reference runs: four figures, each SVG, PDF and PNG."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from greentui.cli.main import main
from greentui.report import figures
from greentui.report.errors import ReportError
from greentui.report.figures import write_figures
from greentui.report.printable import printable
from greentui.report.selection import Selection, where_selection
from greentui.store.curves import save_curves
from greentui.store.record import RunRecord
from greentui.store.run_dirs import run_dir_of
from greentui.store.run_store import RunStore
from tests.test_report_formats import HOSTILE, SWEEP, reference_store, variant

SVG = "{http://www.w3.org/2000/svg}"
NAMES = ("energy_accuracy", "technique_delta", "phase_energy", "loss_curves")


def groups(svg: Path, prefix: str) -> dict[str, ET.Element]:
    """The SVG's groups whose id starts with `prefix` (each run's marker, each run's curve), by id."""
    return {g.get("id", ""): g for g in ET.parse(svg).getroot().iter(f"{SVG}g") if g.get("id", "").startswith(prefix)}


def svg_text(svg: Path) -> str:
    """All the text an SVG shows (svg.fonttype none: labels are <text>, not glyph paths)."""
    return " ".join("".join(t.itertext()) for t in ET.parse(svg).getroot().iter(f"{SVG}text"))


def with_curves(store: RunStore, selection: Selection, count: int = 2) -> list[RunRecord]:
    """Real loss curves saved in the run folders of the first `count` compared runs."""
    curved = [r for r in selection.records if r.id in selection.role_of][:count]
    for n, record in enumerate(curved):
        folder = run_dir_of(store, record)
        folder.mkdir(parents=True, exist_ok=True)
        save_curves(folder, {"train_loss": [[step, 0.7 - 0.001 * step * (n + 1)] for step in range(0, 400, 20)],
                             "eval_loss": [[200, 0.6], [400, 0.5]]})
    return curved


def test_four_figures_in_three_formats_one_marker_per_run(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    selection = where_selection(store, SWEEP)
    assert len(selection.role_of) == 10 and selection.rows[0].role == "baseline"  # the sweep's ten runs
    curved = with_curves(store, selection)
    written = write_figures(selection, tmp_path / "figs", store)
    assert {p.name for p in written} == {f"{name}.{fmt}" for name in NAMES for fmt in ("svg", "pdf", "png")}
    for path in written:
        body = path.read_bytes()
        assert path.is_file() and body, path
        if path.suffix == ".svg":
            ET.fromstring(body)  # well-formed XML
        else:
            assert body.startswith(b"%PDF-" if path.suffix == ".pdf" else b"\x89PNG\r\n\x1a\n"), path
    markers = groups(tmp_path / "figs" / "energy_accuracy.svg", "run-")
    assert set(markers) == {f"run-{run_id}" for run_id in selection.role_of}
    assert all(len(list(g.iter(f"{SVG}use"))) == 1 for g in markers.values())  # exactly one marker each
    assert set(groups(tmp_path / "figs" / "loss_curves.svg", "curve-")) == {f"curve-{r.id}" for r in curved}
    assert svg_text(tmp_path / "figs" / "loss_curves.svg").split().count("baseline") == 1  # one entry per row
    delta = svg_text(tmp_path / "figs" / "technique_delta.svg")
    assert "int8 (≈ noise)" in delta and "prune0.3" in delta and "prune0.3 (≈ noise)" not in delta
    assert "baseline" not in delta.replace("against the baseline", "")  # the baseline is no bar of its own
    assert all(phase in svg_text(tmp_path / "figs" / "phase_energy.svg") for phase in ("load", "train", "eval"))
    assert not list((tmp_path / "figs").glob(".*"))  # no temporary file left behind


def test_the_same_runs_give_the_same_bytes(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    selection = where_selection(store, SWEEP)
    with_curves(store, selection)
    first = write_figures(selection, tmp_path / "a", store)
    second = write_figures(selection, tmp_path / "b", store)
    assert len(first) == 12 and [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert b"CreationDate" not in first[1].read_bytes() and first[1].suffix == ".pdf"


def test_without_curves_the_loss_figure_is_left_out(tmp_path: Path) -> None:
    store = reference_store(tmp_path)
    written = write_figures(where_selection(store, SWEEP), tmp_path / "figs", store)
    assert not any(p.stem == "loss_curves" for p in written) and len(written) == 9
    assert not (tmp_path / "figs" / "loss_curves.svg").exists()


@pytest.mark.parametrize("hostile", [HOSTILE, "$\x1b[31m$x"])
def test_stored_text_is_drawn_as_text(tmp_path: Path, hostile: str) -> None:
    store = reference_store(tmp_path)
    source = store.get("20261202-161542-ff90")
    assert source is not None
    variant(store, source.id, "20261202-170000-7777", config={**source.config, "distill_from": hostile})
    selection = where_selection(store, SWEEP)
    role = next(row.role for row in selection.rows if "\x1b" in row.role and "$x" in row.role)  # named by the stored text
    written = write_figures(selection, tmp_path / "figs", store)
    assert len(written) == 9
    for name in ("energy_accuracy", "technique_delta", "phase_energy"):
        raw = (tmp_path / "figs" / f"{name}.svg").read_text(encoding="utf-8")
        assert "\x1b" not in raw
        assert printable(role) in svg_text(tmp_path / "figs" / f"{name}.svg"), name  # `$` shown, not typeset


def test_an_unusable_folder_or_no_matplotlib_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture) -> None:
    store = reference_store(tmp_path)
    selection = where_selection(store, SWEEP)
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(ReportError, match="taken") as raised:
        write_figures(selection, tmp_path / "taken", store)
    assert "\n" not in str(raised.value)
    assert main(["--store", str(store.path), "report", "--where", SWEEP, "--figures", str(tmp_path / "taken")]) == 2
    assert "taken" in capsys.readouterr().err
    assert (tmp_path / "taken").read_text() == "a file"
    with pytest.raises(ReportError, match="under"):
        write_figures(selection, tmp_path / "taken" / "under", store)


def test_a_folder_that_refuses_files_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = reference_store(tmp_path)
    selection = where_selection(store, SWEEP)

    def refused(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")  # what a read-only folder answers (the tests may run as root)

    monkeypatch.setattr(figures.tempfile, "mkstemp", refused)
    with pytest.raises(ReportError, match=r"cannot write .*energy_accuracy\.svg: Permission denied"):
        write_figures(selection, tmp_path / "ro", store)


def test_without_matplotlib_the_error_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = reference_store(tmp_path)
    selection = where_selection(store, SWEEP)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ReportError, match=r"pip install 'greentui\[report\]'"):
        write_figures(selection, tmp_path / "figs", store)
    assert not (tmp_path / "figs").exists()


def test_cli_writes_the_report_and_the_figures(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    store = reference_store(tmp_path)
    with_curves(store, where_selection(store, SWEEP))
    out = tmp_path / "out" / "figs"
    assert main(["--store", str(store.path), "report", "--where", SWEEP, "--figures", str(out)]) == 0
    printed = capsys.readouterr()
    assert "| int8 |" in printed.out and "wrote 12 figure file(s)" in printed.err  # the Markdown table on stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.{fmt}" for name in NAMES for fmt in ("svg", "pdf", "png"))
