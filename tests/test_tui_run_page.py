"""The run page: Enter on a finished run opens it (never a live view of a run that is over)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from greentui.tui.app import create_app
from greentui.tui.screens.history import HistoryScreen
from greentui.tui.screens.run_page import RunPageScreen
from tests.support import SIZE, isolated_env, make_store, press_to, wait_until_pilot  # noqa: F401 - autouse fixture
from tests.test_tui_history import open_history
from tests.test_tui_snapshots import settle

REPO_RUNS = Path(__file__).resolve().parent.parent / "runs.json"


def cells(screen: RunPageScreen, table_id: str) -> list[list[str]]:
    table = screen.query_one(table_id, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_page(pilot) -> RunPageScreen:
    await press_to(pilot, "enter", RunPageScreen)
    screen = pilot.app.screen
    await wait_until_pilot(pilot, lambda: screen.query_one("#page-figures", DataTable).row_count > 0, "the page")
    return screen


async def test_enter_on_a_finished_run_opens_its_page(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        screen = await open_page(pilot)
        assert screen.record.name == "baseline"
        figures = dict((row[0], row[1]) for row in cells(screen, "#page-figures"))
        assert figures["energy (kWh)"] == "0.000512" and figures["accuracy"] == "0.842" and figures["time (s)"] == "48 s"
        config = {row[0]: (row[1], row[2]) for row in cells(screen, "#page-config")}
        assert config["train_samples"] == ("2000", "changed") and config["epochs"][1] == ""
        assert "method:" in str(screen.query_one("#page-measurement", Static).render())
        assert not screen.query_one("#page-error", Static).display  # it completed
        await press_to(pilot, "escape", HistoryScreen)


async def test_a_failed_run_shows_its_error_traceback_and_log(tmp_path):
    store = make_store(tmp_path)
    first = store.all()[0]
    store.update(first.id, status="failed", error="CUDA out of memory")
    run_dir = store.runs_root / first.id
    with open(run_dir / "events.jsonl", "a") as events:
        events.write(json.dumps({"type": "error", "t": 1795317099.0, "message": "CUDA out of memory",
                                 "traceback": "Traceback (most recent call last):\n  File \"train.py\"\nOOM"}) + "\n")
    (run_dir / "worker.log").write_text("loading\n\x1b]0;pwned\x07step 1\n")
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        screen = await open_page(pilot)
        error = str(screen.query_one("#page-error", Static).render())
        assert "failed: CUDA out of memory" in error and "Traceback (most recent call last)" in error
        log = str(screen.query_one("#page-log", Static).render())
        assert "step 1" in log and "\x1b" not in log and "\\x1b]0;pwned" in log


async def test_a_reference_run_without_its_folder_still_has_a_page(tmp_path):
    shutil.copy(REPO_RUNS, tmp_path / "runs.json")
    app = create_app(tmp_path / "runs.json", attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        screen = await open_page(pilot)
        assert "no worker log" in str(screen.query_one("#page-log", Static).render())
        phases = [row[0] for row in cells(screen, "#page-phases")]
        assert "train" in phases


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_run_page_snapshot(snap_compare, tmp_path, size):
    store = make_store(tmp_path)

    async def open_it(pilot):
        await open_history(pilot)
        await open_page(pilot)
        await settle(pilot)

    assert snap_compare(create_app(store.path, attach_running=False), terminal_size=size, run_before=open_it)


async def test_compare_with_from_the_page_takes_the_run_as_baseline(tmp_path):
    from greentui.tui.dialogs.choice import ChoiceDialog
    from greentui.tui.screens.compare import CompareScreen

    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        page = await open_page(pilot)
        await press_to(pilot, "c", ChoiceDialog)
        labels = [str(app.screen.query_one("#choice-list").get_option_at_index(i).prompt)
                  for i in range(app.screen.query_one("#choice-list").option_count)]
        assert len(labels) == 4 and not any(label.startswith("baseline ") for label in labels)  # itself not offered
        assert labels[0].startswith("half data")  # the newest first
        await press_to(pilot, "enter", CompareScreen)
        compare = app.screen
        assert [r.name for r in compare.runs] == ["baseline", "half data"] and compare.baseline == 0
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is page


async def test_rerun_fills_the_form_with_the_runs_config(tmp_path):
    from greentui.config import RunConfig
    from greentui.tui.screens.setup import SetupScreen

    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await pilot.press("down")  # bf16 cosine
        page = await open_page(pilot)
        await press_to(pilot, "R", SetupScreen)
        form = app.screen
        await wait_until_pilot(pilot, lambda: "filled from run" in str(form.query_one("#form-status").render()), "the form")
        assert form.config() == RunConfig.from_mapping(dict(page.record.config))
        assert form.config().mixed_precision == "bf16" and form.config().lr_scheduler == "cosine"
        assert not (tmp_path / "runs").exists() or len(app.store.summaries()) == 5  # nothing started by itself


async def test_delete_from_the_page_asks_then_removes_the_run(tmp_path):
    from greentui.tui.dialogs.confirm import ConfirmDialog

    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        history = await open_history(pilot)
        page = await open_page(pilot)
        await press_to(pilot, "d", ConfirmDialog)
        await pilot.press("n")  # no: nothing changes
        await pilot.pause()
        assert app.screen is page and app.store.get(page.record.id) is not None
        await press_to(pilot, "d", ConfirmDialog)
        await pilot.press("y")
        await wait_until_pilot(pilot, lambda: app.screen is history, "the page to close")
        assert app.store.get(page.record.id) is None and len(app.store.summaries()) == 4


async def test_rerun_from_the_history_fills_the_form(tmp_path):
    from greentui.config import RunConfig
    from greentui.tui.screens.setup import SetupScreen

    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        history = await open_history(pilot)
        await pilot.press("down", "down")  # lora r8
        chosen = history.highlighted()
        await press_to(pilot, "R", SetupScreen)
        form = app.screen
        await wait_until_pilot(pilot, lambda: "filled from run" in str(form.query_one("#form-status").render()), "the form")
        assert form.config() == RunConfig.from_mapping(dict(app.store.get(chosen.id).config)) and form.config().lora
