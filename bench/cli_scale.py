"""CLI at scale: `greentui ls`, `ls --json` and `export --all` on 10,000 runs, each ≤ 3× the floor.

The floor is what no listing can beat: a fresh Python parsing the same runs.json with
`json.load`. `ls` on an empty store is held to ≤ 2× `greentui --help` (its start-up alone).
Every command runs in a fresh process, all of them taking turns in each round (the order
reversed every other round), so a machine that gets busy hurts each ratio's two sides alike;
medians quoted. The store is built as bench/store_scale.py builds one and opened once, so it
has its index as any store greentui has used does. `ls` is timed piped (as a script reads it)
and in a pseudo-terminal (the table a person sees).
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from common import Row, greentui_command, main, median, spread
from store_scale import fill_store

LIST_TARGET = 3.0  # × the floor
EMPTY_TARGET = 2.0  # × `greentui --help`


def wall(command: list[str], terminal: bool = False) -> float:
    """Seconds from spawn to exit; output thrown away (drained from a pseudo-terminal when `terminal`)."""
    started = time.perf_counter()
    if not terminal:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - started
    leader, follower = pty.openpty()
    reader = threading.Thread(target=_drain, args=(leader,), daemon=True)
    reader.start()
    try:
        subprocess.run(command, check=True, stdout=follower, stderr=subprocess.DEVNULL,
                       env={**os.environ, "COLUMNS": "160"})
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    return time.perf_counter() - started


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 1 << 16):
            pass
    except OSError:
        pass  # the terminal closed: the command is done


def rounds_of(commands: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each command once per round, in turn; every other round in reverse order."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(rounds):
        for name in (list(commands) if i % 2 == 0 else list(reversed(commands))):
            times[name].append(commands[name]())
    return times


def ratio_row(what: str, times: dict[str, list[float]], name: str, base: str, target: float) -> Row:
    ratio = median(times[name]) / median(times[base])
    return Row(what, f"{ratio:.2f}×", f"≤ {target:g}×", ratio <= target,
               f"{median(times[name]):.3f} s ({spread(times[name])}) vs {base} {median(times[base]):.3f} s, "
               f"median of {len(times[name])}")


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    from greentui.store.run_store import RunStore

    count = 300 if quick else 10_000
    cli = greentui_command()
    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder:
        path, empty = Path(folder) / "runs.json", Path(folder) / "empty.json"
        fill_store(path, count)
        fill_store(empty, 0)
        RunStore(path).summaries()  # its index, as every store greentui has used has one
        RunStore(empty).summaries()
        store = ["--store", str(path)]
        csv = str(Path(folder) / "out.csv")
        commands = {
            "floor": lambda: wall([sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"]),
            "ls": lambda: wall([*cli, *store, "ls"]),
            "ls --json": lambda: wall([*cli, *store, "ls", "--json"]),
            "export --all": lambda: wall([*cli, *store, "export", "--all", "-o", csv]),
            "ls in a terminal": lambda: wall([*cli, *store, "ls"], terminal=True),
            "--help": lambda: wall([*cli, "--help"]),
            "empty ls": lambda: wall([*cli, "--store", str(empty), "ls"]),
        }
        for command in commands.values():  # warm the page cache: later runs are what a user sees
            command()
        times = rounds_of(commands, 2 if quick else 5)
        size_mb = path.stat().st_size / 1e6
    rows = [ratio_row(f"cli scale: {name} of {count:,} runs ÷ floor", times, name, "floor", LIST_TARGET)
            for name in ("ls", "ls --json", "export --all", "ls in a terminal")]
    rows.append(ratio_row("cli scale: ls of an empty store ÷ --help", times, "empty ls", "--help", EMPTY_TARGET))
    return [*rows, Row(f"cli scale: runs.json of {count:,} runs", f"{size_mb:.0f} MB", detail="the floor parses it")]


if __name__ == "__main__":
    main("CLI at scale", __doc__, run)
