"""SVG snapshots of each screen state, at 100x30 and 80x24 (some at 120x40), from fixed data (stable across runs).

Update the baselines after a deliberate UI change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the SVGs under tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

import json

import pytest
from textual.widgets import Input

from greentui.tui.app import create_app
from greentui.tui.screens.compare import CompareScreen
from greentui.tui.screens.live import LiveScreen
from greentui.tui.settings import HISTORY_COLUMNS_FILE, config_dir
from greentui.tui.widgets.charts import LineChart
from tests.support import isolated_env, make_store, six_run_store  # noqa: F401 - autouse fixture

SMALL = (80, 24)
LARGE = (100, 30)


async def settle(pilot, condition=lambda: True) -> None:
    """Wait for a condition (the live screen's first read is a thread), then for the screen to settle.

    Text cursors stop blinking: a blink caught half way would make the snapshot differ between runs.
    """
    for _ in range(100):
        if condition():
            break
        await pilot.pause(0.05)
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


@pytest.mark.parametrize("size", [LARGE, SMALL], ids=["100x30", "80x24"])
def test_setup_default(snap_compare, tmp_path, size):
    assert snap_compare(create_app(tmp_path / "runs.json"), terminal_size=size, run_before=settle)


def test_setup_invalid_value(snap_compare, tmp_path):
    async def type_bad_batch(pilot):
        box = pilot.app.screen.query_one("#input-batch_size", Input)
        box.focus()
        box.value = ""
        await pilot.press(*"3x")
        await settle(pilot)

    assert snap_compare(create_app(tmp_path / "runs.json"), terminal_size=LARGE, run_before=type_bad_batch)


def test_setup_technique_help_and_sgd_momentum(snap_compare, tmp_path):
    async def choose_sgd(pilot):
        screen = pilot.app.screen
        screen.query_one("#input-optimizer").value = "sgd"
        screen.query_one("#input-mixed_precision").focus()
        await settle(pilot)

    assert snap_compare(create_app(tmp_path / "runs.json"), terminal_size=LARGE, run_before=choose_sgd)


def press_then_settle_history(*keys: str):
    """Press the keys, then `settle` once the detail pane (read on a thread) shows the highlighted run."""
    async def run_before(pilot) -> None:
        await pilot.press(*keys)

        def detail_shown() -> bool:
            current = pilot.app.screen.highlighted()
            return current is None or pilot.app.screen.detail_shown_for == current.id

        await settle(pilot, detail_shown)

    return run_before


@pytest.mark.parametrize("size", [LARGE, SMALL], ids=["100x30", "80x24"])
def test_history_with_selection(snap_compare, tmp_path, size):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    assert snap_compare(app, terminal_size=size, run_before=press_then_settle_history("f3", "space", "down", "space"))


def test_history_filtered_and_sorted(snap_compare, tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    assert snap_compare(app, terminal_size=LARGE,
                        run_before=press_then_settle_history("f3", "s", "s", "S", "slash", *"tech:n2000", "enter"))


@pytest.mark.parametrize("size", [(120, 40), SMALL], ids=["120x40", "80x24"])
def test_history_chosen_columns(snap_compare, tmp_path, size):
    # The id first, kWh and CO2 before accuracy, no techniques, no date: as chosen in the columns dialog.
    folder = config_dir()
    folder.mkdir(parents=True)
    choice = ["id", "name", "energy_kwh", "emissions_kg", "accuracy", "duration_s", "status", "tags"]
    (folder / HISTORY_COLUMNS_FILE).write_text(json.dumps({"version": 1, "columns": choice}))
    store = make_store(tmp_path)
    store.update(store.all()[2].id, tags=["paper", "final"])
    app = create_app(store.path, attach_running=False)
    # `s` from the date (not shown) goes to the first column shown, then on: id, name, kWh; `S` reverses.
    assert snap_compare(app, terminal_size=size,
                        run_before=press_then_settle_history("f3", "space", "down", "s", "s", "s", "S"))


@pytest.mark.parametrize("size", [LARGE, SMALL], ids=["100x30", "80x24"])
def test_compare_three_runs(snap_compare, tmp_path, size):
    store = make_store(tmp_path)

    async def open_compare(pilot):
        runs = [r for r in store.all() if r.name in ("baseline", "bf16 cosine", "lora r8")]
        pilot.app.push_screen(CompareScreen(runs))
        await settle(pilot)

    app = create_app(store.path, attach_running=False)
    assert snap_compare(app, terminal_size=size, run_before=open_compare)


@pytest.mark.parametrize("part", ["top", "charts"])
@pytest.mark.parametrize("size", [(120, 40), SMALL], ids=["120x40", "80x24"])
def test_compare_six_runs(snap_compare, tmp_path, size, part):
    """Six runs, each in its own colour and mark: the headers at the top, the charts and their legend below."""
    store = six_run_store(tmp_path)

    async def open_compare(pilot):
        pilot.app.push_screen(CompareScreen(store.all()))
        await settle(pilot, lambda: bool(pilot.app.screen.query("#loss-overlay"))
                     and pilot.app.screen.query_one("#loss-overlay", LineChart).head.heading != "")
        if part == "charts":
            pilot.app.screen.query_one("#compare-body").scroll_end(animate=False)
            await settle(pilot)

    app = create_app(store.path, attach_running=False)
    assert snap_compare(app, terminal_size=size, run_before=open_compare)


@pytest.mark.parametrize("size", [LARGE, SMALL], ids=["100x30", "80x24"])
def test_live_finished_run(snap_compare, tmp_path, size):
    store = make_store(tmp_path, count=2)

    async def open_live(pilot):
        pilot.app.open_live(store.all()[1])
        await settle(pilot, lambda: isinstance(pilot.app.screen, LiveScreen)
                     and pilot.app.screen.state.status == "completed"
                     and pilot.app.screen._drawn_version == pilot.app.screen.state.version)

    app = create_app(store.path, attach_running=False)
    assert snap_compare(app, terminal_size=size, run_before=open_live)


def test_help_dialog(snap_compare, tmp_path):
    app = create_app(tmp_path / "runs.json")
    assert snap_compare(app, terminal_size=LARGE, press=["f1"], run_before=settle)


def test_stop_confirmation(snap_compare, tmp_path):
    import dataclasses
    import os

    store = make_store(tmp_path, count=0)
    from tests.support import fixture_record

    record = dataclasses.replace(fixture_record(1, store), status="running", pid=os.getpid())
    # The fixture's events end with a final status: cut it so the run reads as still going.
    events = record.run_dir and (store.runs_root / record.id / "events.jsonl")
    lines = events.read_text().splitlines(keepends=True)
    events.write_text("".join(lines[:-1]))
    store.insert(record)

    async def ask_stop(pilot):
        await settle(pilot, lambda: isinstance(pilot.app.screen, LiveScreen)
                     and pilot.app.screen.state.step > 0
                     and pilot.app.screen._drawn_version == pilot.app.screen.state.version)
        pilot.app.clear_notifications()  # the "re-attached" toast would time out mid-snapshot
        await pilot.press("x")
        await settle(pilot)

    assert snap_compare(create_app(store.path), terminal_size=LARGE, run_before=ask_stop)
