"""Every benchmark in one table: `python bench/run_all.py` (minutes) or `--quick` (CI: proves they run).

`--only NAME...` runs some of them. Each area is also a script of its own in this folder.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import time

from common import Row, compile_greentui, exit_code, machine, print_table

# Cheap, light measurements first; the training ones last (they take most of the time).
AREAS = ("startup", "first_frame", "chart_cost", "idle_cpu", "terminal_traffic", "store_scale", "cli_scale", "store_migration",
         "peers", "padding", "techniques")


def main() -> int:
    """Run the chosen areas and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds each; figures not meaningful")
    parser.add_argument("--only", nargs="+", choices=AREAS, default=list(AREAS))
    args = parser.parse_args()
    rows: list[Row] = []
    started = time.monotonic()
    compile_greentui()
    for area in args.only:
        rows += importlib.import_module(area).run(args.quick)
    title = (f"greentui benchmarks{' (quick mode: figures not meaningful)' if args.quick else ''} — "
             f"{machine()}, Python {platform.python_version()}, {time.monotonic() - started:.0f} s")
    print_table(title, rows)
    # Quick mode only proves the benchmarks run; its figures are too short to judge targets by.
    return 0 if args.quick else exit_code(rows)


if __name__ == "__main__":
    raise SystemExit(main())
