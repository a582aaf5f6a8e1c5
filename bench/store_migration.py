"""Store migration: an older 10,000-run store with its curves inline in runs.json, moved to the run folders once.

Older greentui versions kept each run's downsampled curves inside its record; the first
`greentui` (any command but `doctor`) on such a store moves them to RUN_DIR/curves.json
(greentui.store.curve_migration). The store is written as those versions wrote it (one compact
line of JSON, records shaped like bench/store_scale.py's with curves of a real run's size,
their run folders without curves.json); the migration is timed in a fresh `greentui ls`, whose
first line on stderr is the note. Then `ls --json` on the migrated store is timed against the
floor (a fresh Python's json.load of the same file), as bench/cli_scale.py does, and what every
later open pays to find nothing to move (one read and scan of runs.json) is timed in-process.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cli_scale import rounds_of, wall
from common import Row, greentui_command, main, median, spread
from store_scale import realistic_record

LIST_TARGET = 3.0  # × the floor, as bench/cli_scale.py holds `ls --json`
SIZE_TARGET = 0.4  # runs.json after ÷ before: curves were about four fifths of it


def old_curves(rng: random.Random) -> dict[str, list[list[float]]]:
    """Curves the size a tiny-preset run stored (about 6 kB): loss by step, evals, power, energy and CO₂ by second."""
    def series(count: int, x_step: float, start: float, scale: float) -> list[list[float]]:
        return [[round(i * x_step, 1), float(f"{start + scale * rng.random():.4g}")] for i in range(count)]

    return {"train_loss": series(160, 8, 0.3, 0.4), "eval_loss": series(8, 156, 0.3, 0.1),
            "eval_accuracy": series(8, 156, 0.8, 0.15), "power_w": series(100, 0.6, 20, 8),
            "energy_kwh": series(100, 0.6, 0, 6e-4), "emissions_kg": series(60, 1, 0, 3e-4)}


def write_old_store(path: Path, count: int) -> None:
    """runs.json as versions before the curves moved wrote it, with each run's folder (events aside)."""
    rng = random.Random(0)
    docs = {}
    for i in range(count):
        doc = realistic_record(i, rng).to_doc()
        doc["curves"] = old_curves(rng)
        (path.parent / doc["run_dir"]).mkdir(parents=True, mode=0o700)
        docs[str(i + 1)] = doc
    path.write_text(json.dumps({"runs": docs}, separators=(",", ":")))


def migrate(cli: list[str], path: Path) -> tuple[float, str]:
    """Seconds for the first `greentui ls` on an old store (the migration and the listing), and its note."""
    started = time.perf_counter()
    out = subprocess.run([*cli, "--store", str(path), "ls"], check=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - started, out.stderr.strip().splitlines()[0] if out.stderr.strip() else ""


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    from greentui.store.curve_migration import move_inline_curves
    from greentui.store.run_store import RunStore

    count = 300 if quick else 10_000
    cli = greentui_command()
    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder:
        path = Path(folder) / "runs.json"
        write_old_store(path, count)
        RunStore(path).summaries()  # its index, as every store greentui has used has one
        before = path.stat().st_size
        # The move alone, in this process, and the first `greentui ls` that does it, on copies of the same store.
        started = time.perf_counter()
        moved = move_inline_curves(RunStore(path))
        alone = time.perf_counter() - started
        assert moved is not None and moved.moved == count, moved
        after = path.stat().st_size
        checks = []
        for _ in range(5):
            started = time.perf_counter()
            assert move_inline_curves(RunStore(path)) is None
            checks.append(time.perf_counter() - started)
        second = Path(folder) / "second" / "runs.json"
        second.parent.mkdir()
        write_old_store(second, count)
        RunStore(second).summaries()
        first_ls, note = migrate(cli, second)
        assert "moved the curves" in note, note
        store = ["--store", str(path)]
        commands = {
            "floor": lambda: wall([sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"]),
            "ls --json": lambda: wall([*cli, *store, "ls", "--json"]),
            "ls": lambda: wall([*cli, *store, "ls"]),
        }
        for command in commands.values():  # warm the page cache
            command()
        times = rounds_of(commands, 2 if quick else 5)
    ratio = median(times["ls --json"]) / median(times["floor"])
    return [
        Row(f"store migration: runs.json of {count:,} runs with inline curves, after ÷ before",
            f"{after / before:.2f}", f"≤ {SIZE_TARGET}", after / before <= SIZE_TARGET,
            f"{before / 1e6:.1f} MB → {after / 1e6:.1f} MB; the note: “{note.removeprefix('greentui: ')}”"),
        Row(f"store migration: moving {count:,} runs' curves out, once", f"{alone:.2f} s", "—", None,
            f"in-process; the first `greentui ls` on a copy, migration and listing: {first_ls:.2f} s; every later "
            f"open finds nothing to move in {median(checks) * 1000:.0f} ms"),
        Row(f"store migration: ls --json of the migrated {count:,} runs ÷ floor", f"{ratio:.2f}×",
            f"≤ {LIST_TARGET:g}×", ratio <= LIST_TARGET,
            f"{median(times['ls --json']):.3f} s ({spread(times['ls --json'])}) vs floor "
            f"{median(times['floor']):.3f} s; `ls` (which now reads runs.json to find nothing to move) "
            f"{median(times['ls']):.3f} s; median of {len(times['floor'])}"),
    ]


if __name__ == "__main__":
    main("store migration", __doc__, run)
