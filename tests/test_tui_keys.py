"""Keys a new user reaches for first: `?` for help and `q` to quit, from the first screen on."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Input, Static

from greentui.store.run_store import RunStore
from greentui.tui.app import create_app, goes_on
from greentui.tui.dialogs.help import HelpDialog
from greentui.tui.screens.history import HistoryScreen
from tests.support import SIZE, fixture_record, isolated_env, make_store, press_to  # noqa: F401 - autouse fixture


async def test_question_mark_opens_help_on_the_first_screen_and_types_nothing(tmp_path):
    app = create_app(tmp_path / "runs.json", attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        model = app.screen.query_one("#input-model", Input).value
        assert app.focused is not None and app.focused.id == "input-preset"
        side = str(app.screen.query_one("#side-help", Static).render())
        assert "pip install 'greentui[minilm]'" in side  # brackets are text, not a markup tag eaten on screen
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#input-model", Input).value == model


async def test_q_quits_outside_text_fields_and_is_typed_inside_them(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await press_to(pilot, "f3", HistoryScreen)
        await pilot.press("slash", "q")  # in the filter box: a letter of the filter
        await pilot.pause()
        assert app.screen.query_one("#filter", Input).value == "q" and app.is_running
        await pilot.press("escape", "ctrl+c")
        await pilot.pause()
        notice = app._notifications
        assert any(n.message.startswith("press q (outside a text field) or ctrl+q") for n in notice)
        assert not any("[b]" in n.message for n in notice)  # no markup shown raw
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


def test_on_quit_greentui_says_which_runs_go_on(tmp_path):
    store = RunStore(tmp_path / "runs.json")
    assert goes_on(store) == ""
    store.insert(replace(fixture_record(0, store), status="running", name="still \x1b[2Jgoing"))
    line = goes_on(RunStore(store.path))
    assert line.startswith("greentui: 1 run(s) still going (still \\x1b[2Jgoing); `greentui` re-attaches")
