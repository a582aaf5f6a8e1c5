"""First frame: time from launch to the home (setup) screen drawn, in a fresh process (target < 1.0 s,
and ≤ 1.5× a bare one-widget Textual app's first frame).

The child does what `greentui` does at start-up (import the CLI, check the store, move an older
store's inline curves out, reconcile dead runs, build the app) and runs it under Textual's
pilot; the clock starts in the parent before the child is spawned, so interpreter start-up and
every import are counted, and stops at Textual's Ready event, sent once the first frame has
been drawn. The bare app is timed the same way (python -c, its imports, run_test at 100×30,
the time printed at on_ready), the two taking turns: what is left of the ratio is greentui's
own, not Python's or Textual's. A third child, greentui with the setup form's rows left out
(its groups emptied before the screen is built), takes the same turns: what the app around the
form costs, i.e. how close to the bare app any form could bring the first frame.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Row, interleaved, main, median, spread

TARGET_S = 1.0
RATIO_TARGET = 1.5  # × the bare app

CHILD = r"""
import asyncio, sys, time
from pathlib import Path
import greentui.cli  # what the `greentui` script imports first
from greentui.runs.reconcile import reconcile
from greentui.store.curve_migration import move_inline_curves
from greentui.store.run_store import RunStore
from greentui.tui.app import GreenTuiApp
from greentui.tui.screens import setup
from greentui.tui.screens.setup import SetupScreen

if sys.argv[2:] == ["no-rows"]:  # the app without the form's rows: see the module's docstring
    setup.GROUPS, setup.SUB_FIELDS = (), {}
    setup.SetupScreen.fill = lambda self, config, preset=None: None

class FirstFrame(GreenTuiApp):
    CSS_PATH = Path(sys.modules[GreenTuiApp.__module__].__file__).with_name(GreenTuiApp.CSS_PATH)

    def on_ready(self) -> None:  # Textual: the DOM is ready and the first frame is displayed
        assert isinstance(self.screen, SetupScreen)
        print(time.time(), flush=True)
        self.exit()

store = RunStore(Path(sys.argv[1]))
store.check()
move_inline_curves(store)
reconcile(store)
async def main():
    async with FirstFrame(store).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
asyncio.run(main())
"""


BARE_CHILD = r"""
import asyncio, time
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("ready")

    def on_ready(self) -> None:
        print(time.time(), flush=True)
        self.exit()

async def main():
    async with Bare().run_test(size=(100, 30)) as pilot:
        await pilot.pause()
asyncio.run(main())
"""


def launch_to_frame(store: Path, child: str = CHILD, *args: str) -> float:
    """Seconds from spawning the child to its first frame."""
    started = time.time()
    out = subprocess.run([sys.executable, "-c", child, str(store), *args], check=True, capture_output=True,
                         text=True)
    return float(out.stdout.split()[0]) - started


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    rounds = 2 if quick else 7
    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder:
        store = Path(folder) / "runs.json"
        launch_to_frame(store)  # warm the page cache, as on any second launch
        launch_to_frame(store, BARE_CHILD)
        times, bare = interleaved(lambda: launch_to_frame(store), lambda: launch_to_frame(store, BARE_CHILD), rounds)
        shell, bare_too = interleaved(lambda: launch_to_frame(store, CHILD, "no-rows"),
                                      lambda: launch_to_frame(store, BARE_CHILD), rounds)
    ratio = median(times) / median(bare)
    shell_ratio = median(shell) / median(bare_too)
    return [Row("first frame (launch → setup screen drawn)", f"{median(times):.2f} s", f"< {TARGET_S} s",
                median(times) < TARGET_S, f"median of {rounds} launches, {spread(times)} s"),
            Row("first frame ÷ a bare one-widget Textual app's", f"{ratio:.2f}×", f"≤ {RATIO_TARGET}×",
                ratio <= RATIO_TARGET, f"{median(times):.2f} s vs {median(bare):.2f} s ({spread(bare)} s), "
                f"taking turns, median of {rounds} each"),
            Row("first frame without the form's rows ÷ the bare app's", f"{shell_ratio:.2f}×",
                detail=f"{median(shell):.2f} s vs {median(bare_too):.2f} s: the app around the form, taking turns")]


if __name__ == "__main__":
    main("first frame", __doc__, run)
