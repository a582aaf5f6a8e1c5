"""What every benchmark shares: the --quick flag, interleaved A/B runs, medians and the result table.

A/B pairs are measured in one process run, alternating A-B then B-A so that a machine that
warms up, throttles or gets busy during the run hurts both sides alike; medians, not means,
so that one disturbed repetition cannot move the result.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    """One line of a result table: what was measured, the figure, the target and whether it is met."""

    what: str
    measured: str
    target: str = ""
    met: bool | None = None  # None: reported without a target
    detail: str = ""


def parse_args(description: str) -> argparse.Namespace:
    """The flags every benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds: proves the benchmark still runs, figures are not meaningful")
    return parser.parse_args()


def main(title: str, doc: str, run: Callable[[bool], list[Row]]) -> None:
    """Entry point of each benchmark script: parse flags, measure, print; exit 1 on a missed target."""
    args = parse_args(doc.splitlines()[0])
    compile_greentui()
    rows = run(args.quick)
    print_table(title, rows)
    # Quick mode only proves the benchmark runs: its figures are too short to judge by.
    raise SystemExit(0 if args.quick else exit_code(rows))


def interleaved(a: Callable[[], T], b: Callable[[], T], rounds: int) -> tuple[list[T], list[T]]:
    """Run a and b `rounds` times each, alternating which goes first (ABBA...)."""
    results_a: list[T] = []
    results_b: list[T] = []
    for i in range(rounds):
        if i % 2 == 0:
            results_a.append(a())
            results_b.append(b())
        else:
            results_b.append(b())
            results_a.append(a())
    return results_a, results_b


def median(values: list[float]) -> float:
    """The median (statistics.median, named here so call sites read as the README says)."""
    return statistics.median(values)


def bootstrap_interval(values: list[float], rounds: int = 2000, level: float = 0.9) -> tuple[float, float]:
    """The central `level` interval of the median of `values`, resampled with replacement."""
    rng = random.Random(0)
    medians = sorted(median(rng.choices(values, k=len(values))) for _ in range(rounds))
    cut = int(rounds * (1 - level) / 2)
    return medians[cut], medians[-cut - 1]


def spread(values: list[float]) -> str:
    """`min–max` of the repetitions, shown next to a median so its noise is visible."""
    return f"{min(values):.3g}–{max(values):.3g}"


def print_table(title: str, rows: list[Row]) -> None:
    """A small Markdown table (pastes straight into the README)."""
    print(f"\n{title}\n")
    print("| what | measured | target | met | detail |")
    print("|---|---|---|---|---|")
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        print(f"| {row.what} | {row.measured} | {row.target} | {met} | {row.detail} |")
    sys.stdout.flush()


def machine() -> str:
    """CPU model and core count: the table means little without them."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def compile_greentui() -> None:
    """Byte-compile greentui's modules, as pip does when it installs a package.

    An editable install (a checkout) writes them on first import, unless PYTHONDONTWRITEBYTECODE
    is set (as on the machine of the README's figures): then every command compiled its modules
    again, some 25 ms of `ls` that no installed greentui pays.
    """
    import compileall

    import greentui

    compileall.compile_dir(str(Path(greentui.__file__).parent), quiet=1)


def greentui_command() -> list[str]:
    """The installed `greentui` script next to this interpreter, else `python -m greentui`."""
    script = Path(sys.executable).with_name("greentui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "greentui"]


def exit_code(rows: list[Row]) -> int:
    """1 when a target is missed, so a script can be used as a check by hand."""
    return 1 if any(row.met is False for row in rows) else 0
