"""First frame: time from launch to the home (setup) screen drawn, in a fresh process (target < 1.0 s).

The child does what `greentui` does at start-up (import the CLI, check the store, reconcile
dead runs, build the app) and runs it under Textual's pilot; the clock starts in the parent
before the child is spawned, so interpreter start-up and every import are counted, and
stops at Textual's Ready event, sent once the first frame has been drawn.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Row, main, median, spread

TARGET_S = 1.0

CHILD = r"""
import asyncio, sys, time
from pathlib import Path
import greentui.cli  # what the `greentui` script imports first
from greentui.runs.reconcile import reconcile
from greentui.store.run_store import RunStore
from greentui.tui.app import GreenTuiApp
from greentui.tui.screens.setup import SetupScreen

class FirstFrame(GreenTuiApp):
    CSS_PATH = Path(sys.modules[GreenTuiApp.__module__].__file__).with_name(GreenTuiApp.CSS_PATH)

    def on_ready(self) -> None:  # Textual: the DOM is ready and the first frame is displayed
        assert isinstance(self.screen, SetupScreen)
        print(time.time(), flush=True)
        self.exit()

store = RunStore(Path(sys.argv[1]))
store.check()
reconcile(store)
async def main():
    async with FirstFrame(store).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
asyncio.run(main())
"""


def launch_to_frame(store: Path) -> float:
    """Seconds from spawning the child to its first frame."""
    started = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, str(store)], check=True, capture_output=True, text=True)
    return float(out.stdout.split()[0]) - started


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    rounds = 2 if quick else 7
    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder:
        store = Path(folder) / "runs.json"
        launch_to_frame(store)  # warm the page cache, as on any second launch
        times = [launch_to_frame(store) for _ in range(rounds)]
    return [Row("first frame (launch → setup screen drawn)", f"{median(times):.2f} s", f"< {TARGET_S} s",
                median(times) < TARGET_S, f"median of {rounds} launches, {spread(times)} s")]


if __name__ == "__main__":
    main("first frame", __doc__, run)
