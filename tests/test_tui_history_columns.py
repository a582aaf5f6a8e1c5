"""Pilot tests of the history's columns: fitted to the terminal, chosen and ordered by the user and
remembered in the config folder, sorted by choosing one; and of the detail pane's readable text."""

from __future__ import annotations

import json
import os
import stat

from textual.widgets import OptionList

from greentui.tui.app import create_app
from greentui.tui.dialogs.choice import ChoiceDialog
from greentui.tui.dialogs.columns import ColumnList, ColumnsDialog
from greentui.tui.models.history_columns import BY_KEY, DEFAULT_KEYS, chosen_columns, fit_columns
from greentui.tui.screens.history import HistoryScreen
from greentui.tui.settings import HISTORY_COLUMNS_FILE, config_dir
from greentui.tui.widgets.runs_table import RunsTable
from tests.support import SIZE, isolated_env, make_store, press_to, wait_until_pilot  # noqa: F401 - autouse fixture
from tests.test_tui_history import names, open_history

FIGURES = ("accuracy", "duration_s", "energy_kwh", "emissions_kg")  # what must stay in view however narrow


def shown_keys(screen: HistoryScreen) -> list[str]:
    """The keys of the table's columns, left to right, read from the table itself."""
    return [str(column.key.value) for column in screen.query_one(RunsTable).ordered_columns]


def headers(screen: HistoryScreen) -> list[str]:
    return [str(column.label) for column in screen.query_one(RunsTable).ordered_columns]


def assert_fits(screen: HistoryScreen) -> None:
    """Every column is inside the table: no horizontal scrolling, nothing past the right edge."""
    table = screen.query_one(RunsTable)
    drawn = sum(column.get_render_width(table) for column in table.ordered_columns)
    assert drawn <= table.scrollable_content_region.width and table.max_scroll_x == 0, (drawn, table.size)


async def test_columns_fit_80_and_140_columns_and_keep_the_figures(tmp_path):
    store = make_store(tmp_path)
    long_name = "distilbert imdb bf16 cosine lr3e-5 warmup0.1 seed 7"
    store.update(store.all()[0].id, name=long_name)
    widths = {}
    for size in ((80, 24), (140, 40)):
        app = create_app(store.path, attach_running=False)
        async with app.run_test(size=size) as pilot:
            screen = await open_history(pilot)
            assert_fits(screen)
            keys = shown_keys(screen)
            assert set(FIGURES) <= set(keys) and keys[0] == "name", keys
            table = screen.query_one(RunsTable)
            widths[size[0]] = table.ordered_columns[0].width
            if size == (80, 24):
                assert len(keys) < len(DEFAULT_KEYS)  # the less important columns made room
            else:
                assert keys == list(DEFAULT_KEYS)  # room for all, and the name takes what is left
                assert str(table.get_row_at(0)[0]) == f"  {long_name}"
                assert sum(c.get_render_width(table) for c in table.ordered_columns) == table.scrollable_content_region.width
    assert widths[140] > widths[80] >= 16


async def test_resizing_the_terminal_fits_the_columns_again(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_history(pilot)
        assert "date" in shown_keys(screen)
        await pilot.resize_terminal(80, 24)
        await wait_until_pilot(pilot, lambda: "date" not in shown_keys(screen), "the columns fitted to 80")
        assert_fits(screen)
        assert set(FIGURES) <= set(shown_keys(screen))


def test_fit_drops_the_least_important_column_first_and_gives_the_rest_to_the_name():
    columns = [BY_KEY[k] for k in ("name", "joules_per_sample", "accuracy")]
    natural = {"name": 30, "joules_per_sample": 8, "accuracy": 5}
    assert [(c.key, w) for c, w in fit_columns(columns, natural, 200)] == [("name", 200 - 8 - 5 - 6),
                                                                          ("joules_per_sample", 8), ("accuracy", 5)]
    assert [c.key for c, _ in fit_columns(columns, natural, 18 + 5 + 4)] == ["name", "accuracy"]
    assert [c.key for c, _ in fit_columns(columns, natural, 5)] == ["name"]  # never none


async def choose_columns(pilot, *keys: str) -> None:
    """In the columns dialog: move to each key's row and press the key."""
    dialog = pilot.app.screen
    assert isinstance(dialog, ColumnsDialog)
    for step in keys:
        await pilot.press(step)
        await pilot.pause()


async def test_the_chooser_hides_and_reorders_columns_and_a_restart_keeps_them(tmp_path):
    store = make_store(tmp_path)
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        assert "id" not in shown_keys(screen)
        await press_to(pilot, "C", ColumnsDialog)
        order = app.screen.order
        assert order[:len(DEFAULT_KEYS)] == list(DEFAULT_KEYS) and "id" in order
        techniques, ident = order.index("techniques"), order.index("id")
        await choose_columns(pilot, *["down"] * techniques, "space")  # hide the techniques
        await choose_columns(pilot, *["down"] * (ident - techniques), "space", *["u"] * ident)  # show the id, first
        assert app.screen.query_one(ColumnList).highlighted == 0
        await press_to(pilot, "enter", HistoryScreen)
        keys = shown_keys(screen)
        assert keys[:2] == ["id", "name"] and "techniques" not in keys, keys
        assert str(screen.query_one(RunsTable).get_row_at(0)[0]) == "  20261121-100100-a000"
        path = config_dir() / HISTORY_COLUMNS_FILE
        await wait_until_pilot(pilot, path.exists, "the columns file (written on a thread)")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert json.loads(path.read_text())["columns"][:2] == ["id", "name"]

    again = create_app(store.path, attach_running=False)  # a new session, the same config folder
    async with again.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        assert shown_keys(screen) == keys
        await press_to(pilot, "C", ColumnsDialog)
        await choose_columns(pilot, "r")  # back to the defaults
        await press_to(pilot, "escape", HistoryScreen)
        assert shown_keys(screen) == list(DEFAULT_KEYS)


async def test_a_corrupt_or_foreign_columns_file_is_ignored(tmp_path):
    folder = config_dir()
    folder.mkdir(parents=True)
    store = make_store(tmp_path)
    for content, expected in (
        ("{not json", list(DEFAULT_KEYS)),
        (json.dumps({"columns": ["kWh?", 3, None, "energy_kwh", "name", "name", {"x": 1}]}), ["energy_kwh", "name"]),
        (json.dumps({"columns": "name"}), list(DEFAULT_KEYS)),
        (json.dumps({"columns": ["[red]x"]}), list(DEFAULT_KEYS)),
        ("[" * 60_000 + "]" * 60_000, list(DEFAULT_KEYS)),  # nested past the parser's recursion limit
        ("[" * 100_000, list(DEFAULT_KEYS)),  # too large to be ours
        (b"\xff\xfe{}", list(DEFAULT_KEYS)),  # not UTF-8
    ):
        path = folder / HISTORY_COLUMNS_FILE
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        app = create_app(store.path, attach_running=False)
        async with app.run_test(size=(140, 40)) as pilot:
            screen = await open_history(pilot)
            assert shown_keys(screen) == expected, content[:80]
            assert len(names(screen)) == 5
    assert [c.key for c in chosen_columns([1, 2])] == list(DEFAULT_KEYS)


async def test_sort_by_choosing_a_column_and_again_to_reverse(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        assert "date ▲" in headers(screen)
        await press_to(pilot, "o", ChoiceDialog)
        listed = [str(option.id) for option in app.screen.query_one(OptionList).options]
        assert listed == shown_keys(screen) and app.screen.query_one(OptionList).highlighted == listed.index("date")
        await pilot.press(*["down"] * (listed.index("energy_kwh") - listed.index("date")))
        await press_to(pilot, "enter", HistoryScreen)
        assert screen.sort_key == "energy_kwh" and not screen.sort_reverse
        assert names(screen) == ["sgd ckpt", "half data", "lora r8", "bf16 cosine", "baseline"]
        assert "kWh ▲" in headers(screen) and "date" in headers(screen)
        await press_to(pilot, "o", ChoiceDialog)
        await press_to(pilot, "enter", HistoryScreen)  # it opens on the current column: again reverses
        assert screen.sort_reverse and names(screen)[0] == "baseline" and "kWh ▼" in headers(screen)
        await press_to(pilot, "o", ChoiceDialog)
        await press_to(pilot, "escape", HistoryScreen)  # nothing chosen: as it was
        assert screen.sort_key == "energy_kwh" and screen.sort_reverse


async def test_a_click_on_a_header_sorts_by_it_and_shows_the_arrow(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        table = screen.query_one(RunsTable)
        index = shown_keys(screen).index("accuracy")
        x = sum(column.get_render_width(table) for column in table.ordered_columns[:index]) + 2
        await pilot.click("#runs-table", offset=(x, 0))
        await pilot.pause()
        assert screen.sort_key == "accuracy" and "acc ▲" in headers(screen) and "date" in headers(screen)
        assert names(screen)[0] == "sgd ckpt"


async def test_the_detail_pane_shows_hyperparameters_and_the_measurement_in_words(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await pilot.press("down")
        await wait_until_pilot(pilot, lambda: screen.detail_shown_for == screen.highlighted().id, "the detail pane")
        text = str(screen.query_one("#detail").render())
        assert "name: bf16 cosine" in text
        assert ("hyper-parameters: model bundled:tiny-distilbert, dataset bundled:sentiment-demo, learning rate 0.001, "
                "batch size 16, epochs 4") in text
        assert "changed from the defaults: train_samples 2000, mixed_precision bf16, lr_scheduler cosine" in text
        assert "stated uncertainty of the energy: ±41%" in text and "method: codecarbon-offline" in text
        assert '{"method"' not in text and "measurement: {" not in text  # no JSON dump
