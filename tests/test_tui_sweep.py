"""The Sweep screen: plan a sweep in the form, run it for real, and watch the attribution table fill in."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, Input, Static

from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore
from greentui.sweep.queue import all_sweeps
from greentui.tui.app import create_app
from greentui.tui.dialogs.confirm import ConfirmDialog
from greentui.tui.screens.sweep import SweepScreen
from tests.support import SIZE, greentui, isolated_env, press_to, wait_until_pilot  # noqa: F401 - autouse fixture
from tests.test_tui_history import answer_prompt
from tests.test_tui_snapshots import LARGE, settle

SHORT = "train_samples=320 eval_samples=200 batch_size=32 epochs=2"


def status_of(screen: SweepScreen) -> str:
    return str(screen.query_one("#sweep-status", Static).render())


def table_rows(screen: SweepScreen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def queue_from_the_form(pilot) -> SweepScreen:
    """Open the sweep screen, fill the short baseline against label smoothing, one repeat, and press ctrl+r."""
    await press_to(pilot, "f4", SweepScreen)
    screen = pilot.app.screen
    screen.query_one("#sweep-baseline", Input).value = SHORT
    screen.query_one("#sweep-techniques", Input).value = "label_smoothing=0.1"
    screen.query_one("#sweep-repeats", Input).value = "1"
    await pilot.press("ctrl+r")
    return screen


async def test_a_sweep_planned_in_the_form_runs_and_fills_the_table(tmp_path):
    app = create_app(tmp_path / "runs.json", attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await queue_from_the_form(pilot)
        # The store's runner, a process of its own, runs it: this greentui may close and it goes on.
        await wait_until_pilot(pilot, app.sweep_active, "the store's queue runner to start", timeout=60)
        for _ in range(600):  # two real runs of the tiny model
            await pilot.pause(0.25)
            if "2 of 2 runs finished" in status_of(screen) and len(table_rows(screen)) == 2:
                break
        assert "2 of 2 runs finished" in status_of(screen), status_of(screen)
        rows = table_rows(screen)
        assert [r[0].strip("★ ") for r in rows] == ["baseline", "label_smoothing"]
        assert rows[0][3] == "baseline" and rows[1][3].endswith(("%", "?"))  # a change against the baseline
        await pilot.press("ctrl+t")  # the paper report of the sweep shown, as LaTeX with its appendix
        await pilot.pause()
        await answer_prompt(pilot, str(tmp_path / "sweep.tex"))
        await wait_until_pilot(pilot, lambda: (tmp_path / "sweep.tex").exists(), "the report to be written")
        tex = (tmp_path / "sweep.tex").read_text(encoding="ascii")
        assert "\\toprule" in tex and "label\\_smoothing" in tex and "Compute appendix" in tex
        await wait_until_pilot(pilot, lambda: any("wrote the LaTeX report (2 rows, with the compute appendix)"
                                                  in n.message for n in app._notifications), "the report's notice")
    runs = RunStore(tmp_path / "runs.json").all()
    assert sorted(r.sweep["role"] for r in runs) == ["baseline", "label_smoothing"]
    assert all(r.status == "completed" for r in runs)


async def test_bad_sweep_input_is_named_and_nothing_is_queued(tmp_path):
    app = create_app(tmp_path / "runs.json", attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await press_to(pilot, "f4", SweepScreen)
        app.screen.query_one("#sweep-techniques", Input).value = "optimizer=lion"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert any("config key 'optimizer'" in str(n.message) for n in app._notifications)
        preview = app.screen.query_one("#sweep-preview", Static)
        app.screen.query_one("#sweep-techniques", Input).value = "label_smoothing=0.1,lora=true"
        await pilot.pause()
        assert str(preview.render()) == "ctrl+r queues ablation: 4 configs × 2 repeat(s) = 8 runs"
        app.screen.query_one("#sweep-techniques", Input).value = ","  # the form's words, not the command line's
        await pilot.pause()
        assert "the techniques field: KEY=VALUE, comma-separated" in str(preview.render())
        assert "--techniques" not in str(preview.render())
        assert "≈ within the spread" in str(app.screen.query_one("#sweep-legend", Static).render())
    assert all_sweeps(RunStore(tmp_path / "runs.json")) == []


def sweep_fixture(tmp_path) -> None:
    """A finished two-repeat ablation of label smoothing, with fixed figures."""
    store = RunStore(tmp_path / "runs.json")
    sweep_id = "20261122-090000-5eed"
    entries = []
    figures = {("baseline", 0): (0.00040, 49.0, 0.881), ("baseline", 1): (0.00042, 51.0, 0.877),
               ("label_smoothing", 0): (0.00036, 45.0, 0.889), ("label_smoothing", 1): (0.00037, 46.0, 0.887)}
    for n, ((role, repeat), (kwh, seconds, acc)) in enumerate(figures.items()):
        run_id = f"20261122-09{n:02d}00-a{n:03d}"
        store.insert(RunRecord(id=run_id, name=f"sweep 5eed {role} #{repeat + 1}", status="completed",
                               created_at=f"2026-11-22T09:{n:02d}:00+00:00",
                               metrics={"energy_kwh": kwh, "duration_s": seconds, "emissions_kg": kwh * 0.475,
                                        "accuracy": acc},
                               sweep={"id": sweep_id, "role": role, "repeat": repeat}))
        entries.append({"role": role, "changes": {}, "repeat": repeat, "run_id": run_id})
    folder = tmp_path / "sweeps"
    folder.mkdir()
    (folder / f"{sweep_id}.json").write_text(json.dumps({
        "id": sweep_id, "created_at": "2026-11-22T09:00:00+00:00", "plan": "ablation", "repeats": 2,
        "techniques": [["label_smoothing", 0.1]], "baseline": {}, "entries": entries}))


def test_sweep_screen_snapshot(snap_compare, tmp_path):
    sweep_fixture(tmp_path)

    async def show(pilot):
        await pilot.press("f4")
        # The table is read on a thread: wait for its rows, not just the screen.
        await settle(pilot, lambda: isinstance(pilot.app.screen, SweepScreen)
                     and pilot.app.screen.query_one(DataTable).row_count == 2)

    assert snap_compare(create_app(tmp_path / "runs.json", attach_running=False), terminal_size=LARGE, run_before=show)


async def test_a_broken_sweep_file_is_a_warning_naming_it_and_the_tui_starts(tmp_path):
    sweep_fixture(tmp_path)
    broken = tmp_path / "sweeps" / "20261122-100000-bad0.json"
    broken.write_text('{"id": "20261122-100000-bad0", "entries": "not a list"}')
    app = create_app(tmp_path / "runs.json")  # attached: start-up looks for sweeps to resume
    async with app.run_test(size=SIZE) as pilot:
        warned = await wait_until_pilot(
            pilot, lambda: [n for n in app._notifications if str(broken) in n.message], "the warning")
        assert warned[0].severity == "warning" and len(warned) == 1
        await press_to(pilot, "f4", SweepScreen)
        await wait_until_pilot(pilot, lambda: "20261122-090000-5eed" in status_of(app.screen), "the good sweep")
        assert len(table_rows(app.screen)) == 2
        assert len([n for n in app._notifications if str(broken) in n.message]) == 1  # said once, not each refresh
    assert broken.read_text().startswith('{"id"')  # left as it was


async def test_the_sweep_form_starts_on_its_first_row_and_shows_where_the_focus_is(tmp_path):
    app = create_app(tmp_path / "runs.json", attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await press_to(pilot, "f4", SweepScreen)
        screen = app.screen
        assert screen.focused is screen.query_one("#sweep-preset")
        await pilot.press("tab")  # the baseline's changes, on the same first row
        await pilot.press(*"epochs=2")
        await pilot.pause()
        assert screen.query_one("#sweep-baseline", Input).value == "epochs=2"
        assert screen.query_one("#sweep-techniques", Input).value == ""
        lit = [row for row in screen.query(".has-focus")]
        assert len(lit) == 1 and screen.query_one("#sweep-baseline") in lit[0].walk_children()
        repeats = screen.query_one("#sweep-repeats", Input)
        repeats.focus()
        await pilot.pause()
        repeats.value = "01"
        await pilot.press("shift+tab")  # leaving the box shows what `01` is read as
        await pilot.pause()
        assert repeats.value == "1"


async def test_pruning_is_chosen_in_the_form_and_kept_in_the_sweep_file(tmp_path):
    from textual.widgets import Select

    app = create_app(tmp_path / "runs.json", attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await press_to(pilot, "f4", SweepScreen)
        screen = app.screen
        screen.query_one("#sweep-baseline", Input).value = SHORT
        screen.query_one("#sweep-techniques", Input).value = "learning_rate=1e-7"
        screen.query_one("#sweep-prune", Select).value = "dominated"
        await pilot.pause()
        assert "dominated runs pruned" in str(screen.query_one("#sweep-preview", Static).render())
        await pilot.press("ctrl+r")
        await wait_until_pilot(pilot, lambda: all_sweeps(RunStore(tmp_path / "runs.json")), "the sweep file")
        [sweep] = all_sweeps(RunStore(tmp_path / "runs.json"))
        await cancel_through_the_screen(pilot, app)  # what is queued is the point here, not running it
        assert sweep.prune == "dominated"


async def cancel_through_the_screen(pilot, app) -> None:
    """ctrl+y on the sweep screen, confirmed: the runner stops the running run and exits."""
    from greentui.queue.runner_process import runner_running

    await wait_until_pilot(pilot, lambda: app.screen.sweep_id is not None, "the sweep to be shown", timeout=60)
    await pilot.press("ctrl+y")
    await wait_until_pilot(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question", timeout=30)
    await pilot.press("y")
    store = RunStore(app.store.path)
    await wait_until_pilot(pilot, lambda: not runner_running(store), "the runner to stop the cancelled sweep",
                           timeout=120)
    [sweep] = all_sweeps(store)
    assert sweep.control == "cancelled"
    assert all(r.finished for r in store.all())  # nothing left running: a cancelled run is stopped


@pytest.mark.slow
async def test_a_sweep_is_paused_and_resumed_from_its_screen(tmp_path):
    from greentui.queue.runner_process import runner_running

    app = create_app(tmp_path / "runs.json", attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await queue_from_the_form(pilot)
        await wait_until_pilot(pilot, lambda: screen.sweep_id is not None, "the sweep to be shown", timeout=60)
        store = RunStore(tmp_path / "runs.json")
        await wait_until_pilot(pilot, lambda: len(store.all()) == 1, "the first run to start", timeout=60)
        await pilot.press("ctrl+o")
        await wait_until_pilot(pilot, lambda: all_sweeps(store)[0].control == "paused", "the pause", timeout=30)
        await wait_until_pilot(pilot, lambda: "paused (ctrl+o resumes)" in status_of(screen), "the status", timeout=30)
        # Paused: the run going on finishes, the next one never starts, and the runner exits.
        await wait_until_pilot(pilot, lambda: not runner_running(store), "the runner to go idle", timeout=300)
        assert len(store.all()) == 1
        await pilot.press("ctrl+o")
        await wait_until_pilot(pilot, lambda: len(store.all()) == 2, "the resumed sweep's second run", timeout=60)
        await cancel_through_the_screen(pilot, app)


async def test_run_next_moves_the_shown_sweep_to_the_front_of_the_queue(tmp_path):
    from filelock import FileLock

    from greentui.config import RunConfig
    from greentui.queue.runner_process import RUNNER_LOCK
    from greentui.queue.state import queue_sweeps
    from greentui.sweep.plan import parse_techniques, plan_runs
    from greentui.sweep.queue import create_sweep, sweeps_dir

    store = RunStore(tmp_path / "runs.json")
    baseline = RunConfig()
    made = []
    for technique in ("label_smoothing=0.1", "epochs=2"):
        techniques = parse_techniques(technique, baseline)
        made.append(create_sweep(store, baseline, techniques, "ablation", 1,
                                 plan_runs(baseline, techniques, "ablation", 1)))
    # As the store's runner holds its lock: the screen's action changes the files, and nothing runs.
    with FileLock(str(sweeps_dir(store) / RUNNER_LOCK)):
        app = create_app(tmp_path / "runs.json", attach_running=False)
        async with app.run_test(size=SIZE) as pilot:
            await press_to(pilot, "f4", SweepScreen)
            # Made in the same second, either may count as the newest: the one shown is moved.
            await wait_until_pilot(pilot, lambda: app.screen.sweep_id is not None, "a sweep shown", timeout=30)
            shown = app.screen.sweep_id
            if shown == made[0].id:  # already first: put it last from the command line, then bring it back
                assert greentui("queue", "move", shown, "2", store=store.path).returncode == 0
            other = next(s.id for s in made if s.id != shown)
            assert [s.id for s in queue_sweeps(store)] == [other, shown]
            await pilot.press("ctrl+n")
            await wait_until_pilot(pilot, lambda: queue_sweeps(store)[0].id == shown, "the move", timeout=30)
        assert [s.id for s in queue_sweeps(store)] == [shown, other]
        assert store.all() == []
