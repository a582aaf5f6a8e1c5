"""Regenerate the README screenshots from the real app: `python assets/make_screenshots.py`.

Works on a copy of the repository's runs.json, so the history and compare screens show the
project's reference runs, and starts a real tiny run (about a minute on 2 cores) for the live
screen, caught half way through training. Nothing in the repository is written but the SVGs.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from greentui.presets import preset
from greentui.runs.launch import launch
from greentui.runs.process import stop
from greentui.store.run_store import RunStore
from greentui.tui.app import create_app
from greentui.tui.screens.compare import CompareScreen
from greentui.tui.screens.live import LiveScreen

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "assets" / "screenshots"
SIZE = (100, 30)
COMPARED = ("baseline (tiny preset)", "tiny-distilbert bf16", "tiny-distilbert cosine ls0.1")


async def shoot(store: RunStore, name: str, action) -> None:
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await action(app, pilot)
        await pilot.pause(0.5)
        app.save_screenshot(f"{name}.svg", str(OUT))
    print("wrote", OUT / f"{name}.svg")


async def setup(app, pilot) -> None:
    await pilot.pause()


async def history(app, pilot) -> None:
    await pilot.press("f3", "down", "space", "down", "space")


async def compare(app, pilot) -> None:
    runs = {r.name: r for r in app.store.all()}
    app.push_screen(CompareScreen([runs[name] for name in COMPARED]))


def live_action(record):
    async def live(app, pilot) -> None:
        app.open_live(record)
        for _ in range(600):  # until the run is half way (at most about 5 minutes)
            screen = app.screen
            if isinstance(screen, LiveScreen):
                snap = screen.state.snapshot()
                if snap.total_steps and snap.step * 2 >= snap.total_steps:
                    break
            await pilot.pause(0.5)

    return live


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore(Path(folder) / "runs.json")
        shutil.copy(REPO / "runs.json", store.path)
        await shoot(store, "setup", setup)
        await shoot(store, "history", history)
        await shoot(store, "compare", compare)
        record = launch(preset("tiny"), store, name="screenshot run")
        try:
            await shoot(store, "live", live_action(record))
        finally:
            stop(store, store.get(record.id))


if __name__ == "__main__":
    asyncio.run(main())
