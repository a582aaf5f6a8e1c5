"""Chart cost: time to redraw the three live panels with 10,000 points each (target < 50 ms).

The real LiveScreen in a pilot-driven app, its LiveState fed 10,000 step, power and energy
events; one redraw is the screen's own `redraw` (snapshot, downsample, chart set-up) plus
each chart's render (plotext builds the picture there), timed together.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from common import Row, main, median, spread

TARGET_MS = 50.0


def events(count: int) -> list[dict]:
    """`count` step, power and energy events, one second apart, shaped as the worker writes them."""
    out: list[dict] = [{"type": "info", "t": 0.0, "message": "training started", "total_steps": count}]
    for i in range(1, count + 1):
        t = float(i)
        out.append({"type": "step", "t": t, "step": i, "total_steps": count, "epoch": i / count,
                    "loss": 0.7 / (1 + i / 500), "lr": 1e-3, "samples": 16 * i})
        out.append({"type": "power", "t": t, "cpu_w": 20.0 + (i % 7), "ram_w": 5.0})
        out.append({"type": "energy", "t": t, "energy_kwh": i * 7e-6, "cpu_energy_kwh": i * 5e-6,
                    "gpu_energy_kwh": 0.0, "ram_energy_kwh": i * 2e-6, "emissions_kg": i * 3.3e-6})
        if i % 100 == 0:
            out.append({"type": "eval", "t": t, "step": i, "epoch": i / count, "accuracy": 0.8,
                        "f1": 0.8, "eval_loss": 0.5})
    return out


async def measure(points: int, repeats: int) -> list[float]:
    """Milliseconds per full redraw of the three panels."""
    from greentui.store.record import RunRecord, utc_now
    from greentui.tui.app import create_app
    from greentui.tui.screens.live import LiveScreen
    from greentui.tui.widgets.charts import LineChart

    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder:
        app = create_app(Path(folder) / "runs.json", attach_running=False)
        record = RunRecord(id="bench", name="bench", status="running", created_at=utc_now(), run_dir="runs/bench")
        async with app.run_test(size=(120, 40)) as pilot:
            screen = LiveScreen(record)
            app.push_screen(screen)
            await pilot.pause()
            screen.state.feed(events(points))
            charts = list(screen.query(LineChart))
            times = []
            for _ in range(repeats):
                screen.state.version += 1  # new data arrived: what a tick with events looks like
                started = time.perf_counter()
                screen.redraw()
                for chart in charts:
                    chart.plot.render()  # the plotext build: what a redraw costs
                times.append((time.perf_counter() - started) * 1000)
                await pilot.pause()
        return times


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    points = 1000 if quick else 10_000
    times = asyncio.run(measure(points, 3 if quick else 21))
    return [Row(f"chart cost (redraw 3 live panels, {points:,} points each)", f"{median(times):.1f} ms",
                f"< {TARGET_MS:.0f} ms", median(times) < TARGET_MS,
                f"median of {len(times)} redraws at 120×40, {spread(times)} ms")]


if __name__ == "__main__":
    main("chart cost", __doc__, run)
