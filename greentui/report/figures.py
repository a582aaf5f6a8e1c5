"""The report's figures for a paper, with matplotlib (the optional extra `greentui[report]`).

Four figures, each as SVG, PDF and PNG: energy against accuracy with one marker per run and the
Pareto front; the change in energy per technique with its spread; energy by phase per row; and
the loss curves. Colours are the Okabe–Ito palette (safe for colour-blind readers) and every
series also differs by marker, hatch or line style, so the figures survive black-and-white
printing. Stored text (roles, names) is drawn as plain text, never as mathtext.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from math import isfinite, sqrt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from greentui.report.attribution import Attribution
from greentui.report.errors import ReportError
from greentui.report.printable import printable
from greentui.report.selection import Selection
from greentui.store.record import RunRecord

if TYPE_CHECKING:
    from greentui.store.run_store import RunStore

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")
LINESTYLES = ("-", "--", ":", "-.")
PHASES = ("load", "train", "eval", "save", "inference")
FORMATS = ("svg", "pdf", "png")
# No timestamp in the files, so the same runs give the same bytes (each backend names its date differently).
UNDATED: dict[str, dict[str, None]] = {".svg": {"Date": None}, ".pdf": {"CreationDate": None}}


def _plain(text: object, width: int = 26) -> str:
    """Stored text as a label: `$` would start mathtext (a stored name could fail the figure or typeset
    as math); long technique combinations wrap at their `+` so the axes keep their width."""
    label = printable(text).replace("$", r"\$").replace("+", " + ")
    return textwrap.fill(label, width, break_long_words=True) if len(label) > width else label


def _smoothed(pairs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A centred rolling mean over about a twentieth of the points: per-step loss is too noisy to compare."""
    half = max(1, len(pairs) // 40)
    ys = [y for _, y in pairs]
    return [(x, sum(ys[max(0, i - half):i + half + 1]) / len(ys[max(0, i - half):i + half + 1]))
            for i, (x, _) in enumerate(pairs)]


def _style(index: int) -> dict[str, Any]:
    return {"color": OKABE_ITO[index % len(OKABE_ITO)], "marker": MARKERS[index % len(MARKERS)]}


def write_figures(selection: Selection, folder: Path, store: RunStore) -> list[Path]:
    """Write the figures (three files each) into `folder`; the paths written. Without any loss curve,
    that figure is left out rather than drawn empty."""
    try:
        import matplotlib
    except ImportError:
        raise ReportError("--figures needs matplotlib: pip install 'greentui[report]'") from None
    matplotlib.use("Agg")  # no display: over SSH, in CI
    import matplotlib.pyplot as plt

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReportError(f"--figures {folder}: cannot make the folder: {err.strerror}") from None
    if not folder.is_dir():
        raise ReportError(f"--figures {folder}: not a folder")
    runs = [r for r in selection.records if r.id in selection.role_of]
    colour = {row.role: i for i, row in enumerate(selection.rows)}
    makers: dict[str, Callable[[Any], bool]] = {
        "energy_accuracy": lambda ax: _energy_accuracy(ax, selection.rows, runs, selection.role_of, colour),
        "technique_delta": lambda ax: _technique_delta(ax, selection.rows, colour),
        "phase_energy": lambda ax: _phase_energy(ax, selection.rows, runs, selection.role_of),
        "loss_curves": lambda ax: _loss_curves(ax, runs, selection.role_of, colour, store),
    }
    written: list[Path] = []
    with plt.rc_context({"svg.hashsalt": "greentui", "svg.fonttype": "none", "text.usetex": False,
                         "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}):
        for name, draw in makers.items():
            figure, axes = plt.subplots(figsize=(6.0, 3.8), layout="constrained")
            try:
                if draw(axes):
                    written += [_save(figure, folder / f"{name}.{fmt}") for fmt in FORMATS]
            finally:
                plt.close(figure)
    return written


def _save(figure: Any, target: Path) -> Path:
    """Write one file whole: to a temporary file beside it, then renamed over the target."""
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=target.suffix)
    except OSError as err:
        raise ReportError(f"--figures: cannot write {target}: {err.strerror}") from None
    os.close(handle)
    try:
        figure.savefig(temporary, format=target.suffix[1:], dpi=200, metadata=UNDATED.get(target.suffix))
        os.replace(temporary, target)
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        raise ReportError(f"--figures: cannot write {target}: {err.strerror}") from None
    return target


def _energy_accuracy(ax: Any, rows: list[Attribution], runs: list[RunRecord], role_of: dict[str, str],
                     colour: dict[str, int]) -> bool:
    shown: set[str] = set()
    for run in runs:
        energy, accuracy = run.metric("energy_kwh"), run.metric("accuracy")
        if energy is None or accuracy is None:
            continue
        role = role_of[run.id]
        style = _style(colour[role])
        points = ax.scatter([energy], [accuracy], color=style["color"], marker=style["marker"], s=42,
                            edgecolors="black", linewidths=0.5, label=None if role in shown else _plain(role), zorder=3)
        points.set_gid(f"run-{run.id}")  # one group per run in the SVG: a reader (or a test) can find each
        shown.add(role)
    front = sorted((r.stats["energy"].mean, r.stats["accuracy"].mean) for r in rows
                   if r.pareto and r.stats["energy"] and r.stats["accuracy"])
    if front:  # each front row's mean, ringed, and joined where there are several
        ax.plot(*zip(*front, strict=True), color="grey", linestyle="--", linewidth=1, drawstyle="steps-post",
                marker="o", markersize=14, markerfacecolor="none", label="Pareto front (row means)", zorder=2)
    ax.set(xlabel="energy per run (kWh)", ylabel="accuracy", title="Energy against accuracy, one marker per run")
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    ax.legend(fontsize=7, loc="best", frameon=False)
    return bool(shown)


def _technique_delta(ax: Any, rows: list[Attribution], colour: dict[str, int]) -> bool:
    base = rows[0].stats["energy"] if rows else None
    bars = [r for r in rows[1:] if r.change_pct["energy"] is not None]
    if not bars or base is None:
        return False
    errors = []
    for row in bars:
        own = row.stats["energy"]
        spread = sqrt(base.spread ** 2 + own.spread ** 2) if own and base.spread is not None and own.spread is not None else 0
        errors.append(100 * spread / base.mean if base.mean else 0)
    positions = range(len(bars))
    for i, row in zip(positions, bars, strict=True):
        style = _style(colour[row.role])
        # Hatched only where the change is within the spread: the hatch means "≈ noise", as its label says.
        ax.barh(i, row.change_pct["energy"], xerr=errors[i] or None, color=style["color"], edgecolor="black",
                hatch="///" if row.noise["energy"] else None, capsize=3, linewidth=0.5)
    marks = {True: " (≈ noise)", None: " (? no spread)", False: ""}
    ax.set_yticks(list(positions), [_plain(r.role) + marks[r.noise["energy"]] for r in bars])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.invert_yaxis()
    ax.set(xlabel="change in energy against the baseline (%)", title="What each technique costs or saves in energy")
    ax.text(1, -0.22, "error bars: combined spread over repeats, √(sd₁² + sd₂²)", transform=ax.transAxes,
            ha="right", fontsize=7)
    return True


def _phase_energy(ax: Any, rows: list[Attribution], runs: list[RunRecord], role_of: dict[str, str]) -> bool:
    means: dict[str, list[float]] = {}
    for phase in PHASES:
        per_row = []
        for row in rows:
            values = [float(p["energy_kwh"]) for r in runs if role_of[r.id] == row.role
                      and isinstance(p := r.phases.get(phase), dict) and isinstance(p.get("energy_kwh"), (int, float))]
            per_row.append(sum(values) / len(values) if values else 0.0)
        if any(per_row):
            means[phase] = per_row
    if not means:
        return False
    left = [0.0] * len(rows)
    for i, (phase, values) in enumerate(means.items()):
        ax.barh(range(len(rows)), values, left=left, color=OKABE_ITO[i], hatch=HATCHES[i], edgecolor="black",
                linewidth=0.5, label=phase)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(range(len(rows)), [_plain(r.role) for r in rows])
    ax.invert_yaxis()
    ax.set(xlabel="mean energy per run (kWh)", title="Where the energy goes, by phase")
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return True


def _loss_curves(ax: Any, runs: list[RunRecord], role_of: dict[str, str], colour: dict[str, int],
                 store: RunStore) -> bool:
    drawn, repeat = 0, dict.fromkeys(role_of.values(), 0)
    for run in runs:
        # The store's reader: inline curves or the run folder's, a folder outside runs/ never read.
        points = store.curves(run).get("train_loss")
        if not isinstance(points, list):
            continue  # none, or not a list of points: no curve rather than no report
        pairs = [(float(p[0]), float(p[1])) for p in points
                 if isinstance(p, (list, tuple)) and len(p) == 2
                 and all(isinstance(v, (int, float)) and isfinite(v) for v in p)]
        if not pairs:
            continue
        role = role_of[run.id]
        style = _style(colour[role])
        line, = ax.plot(*zip(*_smoothed(pairs), strict=True), color=style["color"], linewidth=1,
                        linestyle=LINESTYLES[repeat[role] % len(LINESTYLES)],
                        label=None if repeat[role] else _plain(role))  # a legend entry per row; repeats: line styles
        line.set_gid(f"curve-{run.id}")
        repeat[role] += 1
        drawn += 1
    if drawn:
        ax.set(xlabel="optimizer step", ylabel="training loss (rolling mean)", title="Training loss per run")
        ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return drawn > 0
