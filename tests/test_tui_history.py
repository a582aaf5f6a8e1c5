"""Pilot tests of the history screen: sort, filter, multi-select, CSV export, delete, rename, compare."""

from __future__ import annotations

import pandas as pd
from textual.widgets import DataTable, Input

from greentui.store.record import RunRecord
from greentui.store.run_store import AtomicJSONStorage
from greentui.tui.app import create_app
from greentui.tui.dialogs.confirm import ConfirmDialog
from greentui.tui.dialogs.prompt import PromptDialog
from greentui.tui.models.history import COLUMNS
from greentui.tui.screens.compare import CompareScreen
from greentui.tui.screens.history import PAGE_ROWS, HistoryScreen
from greentui.tui.screens.live import LiveScreen
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
        assert COLUMNS[screen.sort_column][0] == "acc"
        assert names(screen) == ["sgd ckpt", "lora r8", "half data", "baseline", "bf16 cosine"]
        await pilot.press("S")
        assert names(screen)[0] == "bf16 cosine"
        await pilot.press("s", "s", "s")  # -> time -> kWh -> CO2 g
        await pilot.press("s")
        assert COLUMNS[screen.sort_column][0] == "J/sample"


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


async def test_a_long_history_reaches_the_table_a_page_at_a_time_but_sorts_whole(tmp_path):
    count = 2 * PAGE_ROWS + 50
    docs = {str(i + 1): RunRecord(id=f"20261121-{i:06d}-a", name=f"run {i:03d}", status="completed",
                                  created_at=f"2026-11-21T{i // 60:02d}:{i % 60:02d}:00+00:00",
                                  metrics={"accuracy": i * 37 % count / 1000}).to_doc() for i in range(count)}
    path = tmp_path / "runs.json"
    AtomicJSONStorage(path).write({"runs": docs})
    best = next(i for i in range(count) if i * 37 % count == count - 1)  # the highest accuracy
    app = create_app(path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        table = screen.query_one(DataTable)
        assert table.row_count == PAGE_ROWS and screen.sub_title.startswith(f"{count} of {count} runs")
        await pilot.press("ctrl+end")  # the last row handed over: the next page follows
        await pilot.pause()
        assert table.row_count == 2 * PAGE_ROWS
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert table.row_count == count
        await pilot.press("s", "s", "S")  # accuracy, best first, over every run, not the first page
        assert names(screen)[0] == f"run {best:03d}"
        assert table.cursor_row < table.row_count


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
