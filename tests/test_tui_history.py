"""Pilot tests of the history screen: sort, filter, multi-select, CSV export, delete, rename, compare."""

from __future__ import annotations

import pandas as pd
from textual import events
from textual.widgets import DataTable, Input

from greentui.store.record import RunRecord
from greentui.store.run_store import AtomicJSONStorage
from greentui.tui.app import create_app
from greentui.tui.dialogs.confirm import ConfirmDialog
from greentui.tui.dialogs.prompt import PromptDialog
from greentui.tui.models.history_columns import BY_KEY
from greentui.tui.screens.compare import CompareScreen
from greentui.tui.screens.history import HistoryScreen
from greentui.tui.screens.live import LiveScreen
from greentui.tui.widgets.runs_table import MAX_WINDOW_ROWS, PAGE_ROWS, RunsTable
from tests.support import SIZE, isolated_env, make_store, press_to, wait_until_pilot  # noqa: F401 - autouse fixture


def names(screen: HistoryScreen) -> list[str]:
    """Names in table order, read from the table itself."""
    table = screen.query_one(DataTable)
    return [str(table.get_row_at(i)[0])[2:] for i in range(table.row_count)]


def detail_shown(screen: HistoryScreen) -> bool:
    """The detail pane (read on a thread) shows the highlighted run."""
    current = screen.highlighted()
    return current is None or screen.detail_shown_for == current.id


async def open_history(pilot) -> HistoryScreen:
    await pilot.press("f3")
    await pilot.pause()
    assert isinstance(pilot.app.screen, HistoryScreen)
    await wait_until_pilot(pilot, lambda: detail_shown(pilot.app.screen), "the detail pane")
    return pilot.app.screen


async def answer_prompt(pilot, text: str) -> None:
    assert isinstance(pilot.app.screen, PromptDialog)
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_table_lists_runs_oldest_first_with_figures(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        assert names(screen) == ["baseline", "bf16 cosine", "lora r8", "sgd ckpt", "half data"]
        row = screen.query_one(DataTable).get_row_at(1)
        assert [str(cell) for cell in row] == ["  bf16 cosine", "completed", "11-21 10:05", "bf16 cosine n2000",
                                               "0.851", "36 s", "0.000398", "0.189", "0.72"]
        assert "name: baseline" in str(screen.query_one("#detail").render())


async def test_a_name_with_brackets_shows_as_typed(tmp_path):
    # Names are the user's text, never markup: "[/b]" would otherwise be a markup error.
    store = make_store(tmp_path)
    first = store.all()[0]
    store.update(first.id, name="[red]lr 1e-3[/b] run")
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        assert names(screen)[0] == "[red]lr 1e-3[/b] run"
        assert "name: [red]lr 1e-3[/b] run" in str(screen.query_one("#detail").render())
        await pilot.press("d")  # the delete question names the run
        assert isinstance(app.screen, ConfirmDialog) and "[/b]" in str(app.screen.query_one(".dialog-question").render())
        await pilot.press("n", "space", "space", "c")  # compare: column labels and the baseline title
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        assert "[red]lr 1e-3[/b] run" in str(app.screen.query_one("#metrics-title").render())


async def test_sort_by_any_column_and_reverse(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await pilot.press("s", "s")  # date -> techniques -> accuracy
        assert BY_KEY[screen.sort_key].title == "acc"
        assert names(screen) == ["sgd ckpt", "lora r8", "half data", "baseline", "bf16 cosine"]
        await pilot.press("S")
        assert names(screen)[0] == "bf16 cosine"
        await pilot.press("s", "s", "s")  # -> time -> kWh -> CO2 g
        await pilot.press("s")
        assert BY_KEY[screen.sort_key].title == "J/sample"


async def test_filter_by_text_status_and_technique(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await pilot.press("slash", *"status:stopped")
        await pilot.pause()
        assert names(screen) == ["sgd ckpt"]
        screen.query_one("#filter", Input).value = "tech:lora"
        await pilot.pause()
        assert names(screen) == ["lora r8"]
        screen.query_one("#filter", Input).value = "half"
        await pilot.pause()
        assert names(screen) == ["half data"]
        screen.query_one("#filter", Input).value = "status:completed tech:n2000"
        await pilot.pause()
        assert names(screen) == ["baseline", "bf16 cosine", "lora r8"]
        every = len(screen.runs)
        screen.query_one("#filter", Input).value = "acc>"  # half typed: said, and the runs stay in view
        await pilot.pause()
        assert "filter 'acc>'" in screen.sub_title and len(screen.shown) == every
        screen.query_one("#filter", Input).value = "acc>0.845 status:completed"
        await pilot.pause()
        assert set(names(screen)) == {r.name for r in screen.runs if r.status == "completed"
                                      and (r.metric("accuracy") or 0) > 0.845} and "filter" not in screen.sub_title
        assert 0 < len(screen.shown) < every


async def test_multi_select_and_export_writes_the_file(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    target = tmp_path / "out" / "two.csv"
    target.parent.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await pilot.press("space", "down", "space")  # baseline, skip bf16 cosine, lora r8
        assert {r.name for r in screen.shown if r.id in screen.selected} == {"baseline", "lora r8"}
        assert str(screen.query_one(DataTable).get_row_at(0)[0]) == "● baseline"
        await pilot.press("e")
        await pilot.pause()
        await answer_prompt(pilot, str(target))
        frame = pd.read_csv(target)
        assert list(frame["name"]) == ["baseline", "lora r8"]
        assert frame["metrics.energy_kwh"].tolist() == [0.000512, 0.000301]
        assert any(f"wrote 2 rows to {target}" in n.message for n in app._notifications)


async def test_export_to_unwritable_path_names_it(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await pilot.press("e")
        await pilot.pause()
        await answer_prompt(pilot, str(tmp_path / "missing-dir" / "x.csv"))
        assert any("cannot write" in n.message and "missing-dir" in n.message for n in app._notifications)


async def test_delete_asks_first(tmp_path):
    store = make_store(tmp_path)
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await press_to(pilot, "d", ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert len(store.all()) == 5
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await wait_until_pilot(pilot, lambda: len(screen.runs) == 4, "the delete (on a thread) and the reload")
        assert [r.name for r in store.all()] == ["bf16 cosine", "lora r8", "sgd ckpt", "half data"]
        assert names(screen)[0] == "bf16 cosine"
        assert (store.runs_root / "20261121-100100-a000").is_dir()  # the run folder is kept


async def test_rename(tmp_path):
    store = make_store(tmp_path)
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await pilot.press("down", "n")
        await pilot.pause()
        await answer_prompt(pilot, "bf16 + cosine, 2 epochs")
        await wait_until_pilot(pilot, lambda: names(screen)[1] != "bf16 cosine", "the rename (on a thread) and the reload")
        assert store.get("20261121-100500-a001").name == "bf16 + cosine, 2 epochs"
        assert names(screen)[1] == "bf16 + cosine, 2 epochs"


async def test_compare_needs_two_runs_then_opens(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await pilot.press("space", "c")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert any("two or more" in n.message for n in app._notifications)
        await pilot.press("space", "c")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        assert [r.name for r in app.screen.runs] == ["baseline", "bf16 cosine"]


async def test_enter_opens_the_live_view_of_a_running_run(tmp_path):
    store = make_store(tmp_path)
    store.update(store.all()[0].id, status="running")  # finished runs open their page (test_tui_run_page)
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await press_to(pilot, "enter", LiveScreen)
        assert app.screen.record.name == "baseline"
        await press_to(pilot, "escape", HistoryScreen)


async def test_question_mark_opens_help_from_the_table(tmp_path):
    from greentui.tui.dialogs.help import HelpDialog

    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await press_to(pilot, "question_mark", HelpDialog)
        await press_to(pilot, "escape", HistoryScreen)


def write_many_runs(tmp_path, count: int):
    """A store of `count` runs named `run 000`… in date order, accuracies shuffled; returns its path and the best run."""
    docs = {str(i + 1): RunRecord(id=f"20261121-{i:06d}-a", name=f"run {i:03d}", status="completed",
                                  created_at=f"2026-11-21T{i // 60:02d}:{i % 60:02d}:00+00:00",
                                  metrics={"accuracy": i * 37 % count / 1000}).to_doc() for i in range(count)}
    path = tmp_path / "runs.json"
    AtomicJSONStorage(path).write({"runs": docs})
    return path, next(i for i in range(count) if i * 37 % count == count - 1)  # the highest accuracy


def highlighted_name(screen: HistoryScreen) -> str:
    current = screen.highlighted()
    assert current is not None
    return current.name


async def test_end_and_home_reach_the_last_and_first_of_many_runs_a_page_at_a_time(tmp_path):
    count = 2 * PAGE_ROWS + 50
    path, best = write_many_runs(tmp_path, count)
    app = create_app(path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        table = screen.query_one(RunsTable)
        assert table.row_count == PAGE_ROWS and screen.sub_title.startswith(f"{count} of {count} runs")
        await pilot.press("end")  # the last run, not the last of the first page
        await pilot.pause()
        assert highlighted_name(screen) == f"run {count - 1:03d}"
        assert table.row_count <= MAX_WINDOW_ROWS and str(table.get_row_at(table.cursor_row)[0])[2:] == f"run {count - 1:03d}"
        await pilot.press("home")
        await pilot.pause()
        assert highlighted_name(screen) == "run 000"
        await pilot.press("G")
        await pilot.pause()
        assert highlighted_name(screen) == f"run {count - 1:03d}"
        await pilot.press("g")
        for _ in range(2 * count):  # page down from the top: across the first page's end, to the last run
            await pilot.press("pagedown")
            if screen.highlighted() is not None and screen.highlighted().name == f"run {count - 1:03d}":
                break
        assert highlighted_name(screen) == f"run {count - 1:03d}"
        await pilot.press("s", "s", "S")  # accuracy, best first, over every run, not the first page
        await pilot.pause()
        assert highlighted_name(screen) == f"run {count - 1:03d}"  # the cursor stays on its run
        await pilot.press("ctrl+home")
        await pilot.pause()
        assert highlighted_name(screen) == f"run {best:03d}" and names(screen)[0] == f"run {best:03d}"


async def test_the_mouse_wheel_past_the_loaded_page_brings_the_next(tmp_path):
    path, _best = write_many_runs(tmp_path, 2 * PAGE_ROWS + 50)
    app = create_app(path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        table = screen.query_one(RunsTable)
        assert names(screen)[-1] == f"run {PAGE_ROWS - 1:03d}"
        x, y = table.region.x + 10, table.region.y + 5
        for _ in range(2 * PAGE_ROWS):  # a wheel scrolls a few rows a notch
            if f"run {PAGE_ROWS:03d}" in names(screen):
                break
            # As the terminal driver sends it: to the app, which routes it to the widget under the pointer.
            app.post_message(events.MouseScrollDown(None, x, y, 0, 1, 0, False, False, False, x, y))
            await pilot.pause()
        assert f"run {PAGE_ROWS:03d}" in names(screen)  # the next page came without moving the cursor
        assert highlighted_name(screen) == "run 000"


async def test_a_click_on_a_row_highlights_it_and_a_second_opens_it(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await pilot.click("#runs-table", offset=(5, 3))  # the header, then rows 0, 1, 2
        await wait_until_pilot(pilot, lambda: detail_shown(screen), "the detail pane")
        assert highlighted_name(screen) == "lora r8" and app.screen is screen
        assert "name: lora r8" in str(screen.query_one("#detail").render())


async def test_a_write_to_a_store_broken_after_opening_is_an_error_and_the_app_goes_on(tmp_path):
    store = make_store(tmp_path)
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        store.path.write_text("{not json")  # replaced by something that does not parse, after the app opened

        def refusals(word: str) -> list[str]:
            return [str(n.message) for n in app._notifications if n.message.startswith(word)]

        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        failed = await wait_until_pilot(pilot, lambda: refusals("not deleted"), "the delete's refusal")
        assert str(store.path) in failed[0] and "not valid JSON" in failed[0], failed
        assert app.is_running and app.screen is screen
        assert len(names(screen)) == 5  # the table keeps what it showed

        await pilot.press("n")
        await pilot.pause()
        await answer_prompt(pilot, "new [b]name[/b]")  # shown as plain text, never as markup
        failed = await wait_until_pilot(pilot, lambda: refusals("not renamed"), "the rename's refusal")
        assert str(store.path) in failed[0], failed
        await press_to(pilot, "down", HistoryScreen)  # still answering keys
        assert app.is_running and store.path.read_text() == "{not json"  # left as it was
