"""Live screen: re-attaching from the events file, tailing new events, the 2 Hz redraw rule,
no drawing while hidden, and the confirmed stop."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess

from greentui.runs.identity import identify
from greentui.runs.process import pid_alive
from greentui.tui.app import create_app
from greentui.tui.dialogs.confirm import ConfirmDialog
from greentui.tui.models.live import LiveState
from greentui.tui.screens.live import LiveScreen
from greentui.tui.screens.setup import SetupScreen
from greentui.tui.widgets.status_strip import strip_text
from tests.support import (  # noqa: F401 - isolated_env is an autouse fixture
    SIZE,
    fixture_events,
    fixture_record,
    isolated_env,
    make_store,
    press_to,
)


def running_store(tmp_path, steps_written: int):
    """A store whose one run is `running` (worker pid: this test process, so it counts as alive),
    with the first `steps_written` step events in its events file; returns (store, record, all events)."""
    store = make_store(tmp_path, count=0)
    record = dataclasses.replace(fixture_record(0, store), status="running", pid=os.getpid(), metrics={},
                                 finished_at=None)
    events = fixture_events(steps=30, status="running")
    cut = [i for i, e in enumerate(events) if e["type"] == "step"][steps_written - 1] + 1
    path = store.runs_root / record.id / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events[:cut]))
    store.insert(record)
    final = {"type": "status", "t": events[-1]["t"] + 1, "status": "completed", "reason": None}
    return store, record, [*events[cut:], final], path


async def wait_for(pilot, condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)
    assert condition()


def test_state_figures_from_events():
    state = LiveState()
    state.feed(fixture_events(steps=40, seconds=60))
    snap = state.snapshot()
    assert (snap.status, snap.step, snap.total_steps, snap.accuracy) == ("completed", 40, 40, 0.842)
    assert snap.elapsed_s == 61.0 and snap.eta_s is None
    assert set(snap.power) == {"CPU (CodeCarbon)", "RAM (CodeCarbon)"}
    assert 20 < snap.avg_w < snap.peak_w < 30
    assert round(snap.joules_per_sample, 3) == round(snap.energy_kwh * 3.6e6 / 1280, 3)
    assert "CodeCarbon CPU+RAM estimate" in snap.method
    text = str(strip_text(snap))
    assert "step 40/40" in text and "accuracy 0.842" in text and "J/sample" in text


async def test_reattaches_to_running_run_and_tails_new_events(tmp_path):
    store, record, rest, path = running_store(tmp_path, steps_written=10)
    app = create_app(store.path)  # attach_running: a running run opens its live view at start
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LiveScreen) and app.screen.state.step == 10)
        screen = app.screen
        assert screen.record.id == record.id
        await wait_for(pilot, lambda: screen._drawn_version == screen.state.version)
        strip = str(screen.query_one("#strip").plain)
        assert "running" in strip and "step 10/30" in strip and "ETA" in strip
        with path.open("a") as handle:
            handle.write("".join(json.dumps(e) + "\n" for e in rest))
        await wait_for(pilot, lambda: screen.state.status == "completed")
        await wait_for(pilot, lambda: "completed" in str(screen.query_one("#strip").plain))
        assert screen.state.step == 30
        assert len(screen.state.train_loss) == 30 and screen.state.eval_loss
        await pilot.press("f2")  # the form itself, not the live view stacked on it
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)


async def test_hidden_screen_does_not_redraw(tmp_path):
    store, record, rest, path = running_store(tmp_path, steps_written=5)
    app = create_app(store.path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LiveScreen) and app.screen.state.step == 5)
        screen = app.screen
        await wait_for(pilot, lambda: screen._drawn_version == screen.state.version)
        drawn = screen._drawn_version
        await pilot.press("f3")  # the history mode covers the live view
        await pilot.pause()
        assert not screen.is_current
        with path.open("a") as handle:
            handle.write("".join(json.dumps(e) + "\n" for e in rest))
        await wait_for(pilot, lambda: screen.state.step == 30)  # data still arrives...
        await pilot.pause(0.6)
        assert screen._drawn_version == drawn  # ...but nothing is drawn while hidden
        await app.switch_mode("setup")  # back to the mode whose stack has the live view on top
        await wait_for(pilot, lambda: app.screen is screen and screen._drawn_version == screen.state.version)


async def test_stop_asks_and_no_keeps_the_run(tmp_path):
    store, record, _rest, _path = running_store(tmp_path, steps_written=5)
    app = create_app(store.path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LiveScreen))
        await press_to(pilot, "x", ConfirmDialog)
        await press_to(pilot, "n", LiveScreen)
        assert store.get(record.id).status == "running"
        await pilot.press("escape")  # leaving the live view does not stop the run either
        await pilot.pause()
        assert not isinstance(app.screen, LiveScreen)
        assert store.get(record.id).status == "running"


async def test_finished_run_shows_final_figures(tmp_path):
    store = make_store(tmp_path, count=4)
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        app.open_live(store.all()[3])
        await wait_for(pilot, lambda: isinstance(app.screen, LiveScreen) and app.screen.state.status == "stopped")
        await pilot.pause(0.6)
        assert app.screen.state.step == 60
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, LiveScreen)  # nothing to stop: no dialog


async def test_chart_legends_sit_outside_the_plots_and_name_every_line(tmp_path):
    """Issue 21 item 13: plotext's legend was drawn over the power lines; the legend is now a Textual row
    above each plot, in the lines' colours, whole at 80x24."""
    from rich.style import Style

    from greentui.tui.models.run_styles import hex_of
    from greentui.tui.widgets.charts import LineChart

    store = make_store(tmp_path, count=2)
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_live(store.all()[1])
        await wait_for(pilot, lambda: isinstance(app.screen, LiveScreen) and app.screen.state.status == "completed"
                       and app.screen._drawn_version == app.screen.state.version)
        for chart_id, labels in (("#power-chart", ["CPU", "RAM"]), ("#loss-chart", ["train", "eval"])):
            chart = app.screen.query_one(chart_id, LineChart)
            assert [label for label, _ in chart.head.entries] == labels
            head = chart.head.render().plain
            assert all(f"━ {label}" in head for label in labels) and len(head.splitlines()) == 1  # one row, not cut
            plot = chart.plot.render()
            assert not any(label in plot.plain for label in labels)  # nothing written over the lines
            styles = [Style.parse(str(span.style)) for span in plot.spans]
            drawn = {style.color.triplet.hex for style in styles if style.color and style.color.triplet}
            assert {hex_of(colour) for _, colour in chart.head.entries} <= drawn


async def test_stop_confirmed_signals_the_worker_process_group(tmp_path):
    """A real process in its own session stands in for the worker (the one real training run is the
    e2e test's): after `x` and `y` it must be gone, and the TUI says so."""
    store, record, _rest, _path = running_store(tmp_path, steps_written=5)
    process = subprocess.Popen(["sleep", "120"], start_new_session=True)
    try:
        identity = identify(process.pid)  # recorded as the launch records its worker's
        store.update(record.id, pid=process.pid, process=identity.to_doc() if identity else {})
        app = create_app(store.path)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, LiveScreen))
            await pilot.press("x")
            await pilot.pause()
            await pilot.press("y")
            await wait_for(pilot, lambda: process.poll() is not None)
            assert not pid_alive(process.pid)
            await wait_for(pilot, lambda: any("stopped" in n.message for n in app._notifications))
    finally:
        process.kill()
        process.wait()


def test_summary_gives_the_final_step_between_logged_steps():
    state = LiveState()
    events = [e for e in fixture_events(steps=40, seconds=60) if not (e["type"] == "step" and e["step"] == 40)]
    state.feed(events)
    assert state.snapshot().step == 39
    state.feed([{"type": "summary", "t": events[-1]["t"], "status": "completed", "metrics": {"steps": 40}}])
    assert state.snapshot().step == 40

