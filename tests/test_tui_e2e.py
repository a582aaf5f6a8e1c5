"""End to end, for real: fill the form with the tiny preset, start the run (a real worker subprocess
training the bundled model under CodeCarbon), watch the live panels fill, wait for completion,
find the run in history and export it to a CSV that pandas reads."""

from __future__ import annotations

import pandas as pd
import pytest
from textual.widgets import DataTable, Input, Select

from greentui.store.run_store import RunStore
from greentui.tui.app import create_app
from greentui.tui.dialogs.prompt import PromptDialog
from greentui.tui.screens.history import HistoryScreen
from greentui.tui.screens.live import LiveScreen
from greentui.tui.settings import load_last_config
from tests.support import SIZE, isolated_env, wait_until_pilot  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.slow  # trains the bundled model in real worker processes


async def test_form_to_live_to_history_to_csv(tmp_path):
    store_path = tmp_path / "runs.json"
    app = create_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        setup = app.screen
        setup.query_one("#input-preset", Select).value = "tiny"
        await pilot.pause()
        # Fewer samples and one epoch keep the real run to well under a minute on two cores.
        for key, value in (("train_samples", "192"), ("eval_samples", "96"), ("epochs", "1"),
                           ("name", "e2e tiny")):
            box = setup.query_one(f"#input-{key}", Input)
            box.focus()
            box.value = ""
            await pilot.press(*value)
        await pilot.pause()
        assert setup.validate_form() == {}
        await pilot.press("ctrl+r")

        await wait_until_pilot(pilot, lambda: isinstance(app.screen, LiveScreen), "the live screen")
        live = app.screen
        await wait_until_pilot(pilot, lambda: live.state.power and live.state.train_loss and live.state.energy,
                               "power, loss and CO2 data in the live panels")
        await wait_until_pilot(pilot, lambda: live._drawn_version == live.state.version, "a redraw")
        assert live.state.snapshot().power["RAM (CodeCarbon)"] or live.state.snapshot().power.get("GPU 0")
        assert "step " in str(live.query_one("#strip").plain)
        await wait_until_pilot(pilot, lambda: live.state.status != "running", "the run to finish")
        assert live.state.status == "completed", live.state.reason

        store = RunStore(store_path)
        await wait_until_pilot(pilot, lambda: store.all()[0].status == "completed", "the stored summary")
        record = store.all()[0]
        assert record.name == "e2e tiny" and record.metric("energy_kwh") > 0
        assert load_last_config().train_samples == 192  # the form's config is remembered

        await pilot.press("escape", "f3")
        await wait_until_pilot(pilot, lambda: isinstance(app.screen, HistoryScreen), "history")
        history = app.screen
        table = history.query_one(DataTable)
        await wait_until_pilot(pilot, lambda: table.row_count == 1 and str(table.get_row_at(0)[1]).startswith("completed"),
                               "the completed run in history")
        cells = dict(zip((str(c.label).rstrip(" ▲▼") for c in table.ordered_columns),
                         (str(cell) for cell in table.get_row_at(0)), strict=True))
        assert cells["acc"] == f"{record.metric('accuracy'):.3f}", cells

        await pilot.press("space", "e")
        await pilot.pause()
        assert isinstance(app.screen, PromptDialog)
        target = tmp_path / "e2e.csv"
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        frame = pd.read_csv(target)
        assert frame["id"].tolist() == [record.id]
        assert frame["status"].tolist() == ["completed"]
        assert frame["metrics.energy_kwh"].iloc[0] > 0
