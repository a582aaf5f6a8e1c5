"""The greentui Textual app, its factory (shared by the CLI and the tests) and the CLI entry point."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from greentui.report.printable import printable
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore, StoreError
from greentui.tui import partial_updates
from greentui.tui.screens.setup import SetupScreen

# Only the setup screen is imported up front: the others pull in plotext (live, compare),
# markdown-it (help) and the data table (history), which would delay the first frame by
# a large part of a second; they are imported the first time they are opened.


def _styled_as_of_now(screen: Screen) -> Screen:
    """Spare a new mode screen Textual's whole-app CSS refresh.

    Textual marks a new screen as never styled, so switching to its mode re-parses every
    stylesheet and restyles every widget of every screen, twice (0.3 s with the setup form's
    200 widgets on a 2-core VM). A new screen's widgets are styled as they mount, and the
    theme has not changed since the app's last refresh, so that refresh changes nothing. A
    theme change later still bumps the app's count and refreshes this screen as usual.

    Textual has no public way to say so: this is greentui's one write of a Textual internal
    (`_css_update_count`, verified on Textual 8.2; pyproject.toml pins it and
    tests/test_dependency_contracts.py fails, saying so, when it changes meaning).
    """
    screen._css_update_count = screen.app._css_update_count
    return screen


def _history_screen() -> Screen:
    from greentui.tui.screens.history import HistoryScreen

    return _styled_as_of_now(HistoryScreen())


def _sweep_screen() -> Screen:
    from greentui.tui.screens.sweep import SweepScreen

    return _styled_as_of_now(SweepScreen())


class GreenTuiApp(App[int]):
    """Setup and history are modes (f2 / f3); live and compare screens stack on top of them."""

    CSS_PATH = "app.tcss"
    TITLE = "greentui"
    MODES = {"setup": SetupScreen, "history": _history_screen, "sweep": _sweep_screen}
    DEFAULT_MODE = "setup"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help"),
        Binding("f2", "show_mode('setup')", "Setup"),
        Binding("f3", "show_mode('history')", "History"),
        Binding("f4", "show_mode('sweep')", "Sweep"),
        Binding("ctrl+q", "quit_app", "Quit", priority=True),
        Binding("q", "quit_app", "Quit", show=False),  # a text field takes the letter first: there it is typed
    ]

    def __init__(self, store: RunStore, attach_running: bool = True, notes: Sequence[str] = ()) -> None:
        super().__init__()
        partial_updates.install()  # over SSH: a changed clock or chart tip sends its cells, not the line up to it
        self.store = store
        self.attach_running = attach_running
        self.start_notes = tuple(notes)  # said once the app is up: what start-up did to the store
        self.sub_title = store.path.name
        self._warned: set[str] = set()

    def on_mount(self) -> None:
        """Restore the terminal on SIGHUP/SIGTERM (a dropped SSH link) by exiting cleanly; re-attach runs."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self.exit)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread (tests) or no such signal here
        for note in self.start_notes:
            self.notify(note, timeout=10)
        if self.attach_running:
            # Summaries, not records: a start-up on thousands of runs must not parse them all.
            running = [r for r in self.store.summaries() if r.status == "running"]
            latest = self.store.get(running[-1].id) if running else None
            if latest is not None:
                self.open_live(latest)
                others = len(running) - 1
                self.notify("re-attached to a run still going" + (f"; {others} more in history (f3)" if others else ""))
            self._resume_sweeps()

    @work(thread=True, group="sweeps-resume", exit_on_error=False)
    def _resume_sweeps(self) -> None:
        """Sweeps left unfinished go on: the store's queue runner is started if it is not at work.

        On a thread: finding what is left reads every sweep file and the store.
        """
        from greentui.queue.runner_process import ensure_runner
        from greentui.sweep.queue import all_sweeps, unfinished

        skipped: list[str] = []
        try:
            left = [(s, n) for s in all_sweeps(self.store, skipped.append)
                    if s.control == "active" and (n := unfinished(self.store, s))]
            if left and ensure_runner(self.store) is not None:
                for sweep, runs in left:
                    self._from_thread(self.notify, f"resuming sweep {sweep.id}: {runs} run(s) to go (f4)")
        except (StoreError, OSError) as err:
            self._from_thread(self.notify, f"sweeps not resumed: {err}", severity="error")
        for problem in skipped:
            self._from_thread(self.warn_once, problem)

    def action_quit_app(self) -> None:
        """Quit: runs and the store's queue runner go on without greentui."""
        self.exit()

    def action_help_quit(self) -> None:
        """ctrl+c: say how to quit (Textual's own hint is markup, which this app's notices never read)."""
        self.notify("press q (outside a text field) or ctrl+q to quit; runs go on either way")

    def sweep_active(self) -> bool:
        """True while the store's queue runner is at work."""
        from greentui.queue.runner_process import runner_running

        return runner_running(self.store)

    def _from_thread(self, callback: Callable[..., object], *args: object, **kwargs: object) -> None:
        """Run `callback` on the event loop, from a thread (the sweep runner's, a worker's)."""
        try:
            self.call_from_thread(callback, *args, **kwargs)
        except RuntimeError:
            pass  # the app has closed: nobody to tell, and the sweep files hold the progress

    def warn_once(self, problem: str) -> None:
        """A warning shown once a session (a broken sweep file is found on every refresh)."""
        if problem not in self._warned:
            self._warned.add(problem)
            self.notify(problem, severity="warning", timeout=10)

    def notify(self, message: str, *, markup: bool = True, **kwargs: Any) -> None:
        """Textual's notification, always as plain text (screens' notify calls come here too).

        greentui's messages carry run names, paths and typed values, never markup: read as
        markup, a name like "a[/b]" would raise and take the app down; and stored text may hold
        control codes, shown escaped (printable), never sent to the terminal.
        """
        super().notify(printable(message), markup=False, **kwargs)

    def open_live(self, record: RunRecord) -> None:
        """Show the live view of a run on top of the current screen."""
        from greentui.tui.screens.live import LiveScreen

        self.push_screen(LiveScreen(record))

    def rerun(self, record: RunRecord) -> None:
        """The setup form, filled with `record`'s config, to change and run again (nothing starts by itself)."""
        async def go() -> None:
            await self.action_show_mode("setup")
            if isinstance(self.screen, SetupScreen):
                self.screen.fill_from_run(record)

        self.call_later(go)

    async def action_show_mode(self, mode: str) -> None:
        """Go to the setup form or the history table itself, closing live/compare views above it
        (closing a live view never stops its run)."""
        await self.switch_mode(mode)
        while len(self.screen_stack) > 1 and self.screen.__class__.__name__ not in ("SetupScreen", "HistoryScreen",
                                                                                       "SweepScreen"):
            await self.pop_screen()

    def action_help(self) -> None:
        """Key reference."""
        from greentui.tui.dialogs.help import HelpDialog

        if not isinstance(self.screen, HelpDialog):
            self.push_screen(HelpDialog())


def create_app(store_path: Path, attach_running: bool = True) -> GreenTuiApp:
    """The app for a store file; nothing is read or written until it runs."""
    return GreenTuiApp(RunStore(Path(store_path)), attach_running=attach_running)


def run_app(store_path: Path) -> int:
    """Move an older store's inline curves out, mark dead runs crashed, then run the TUI; 2 with the store's
    error if runs.json is unreadable."""
    from greentui.runs.reconcile import reconcile
    from greentui.store.curve_migration import move_inline_curves

    store = RunStore(Path(store_path))
    try:
        store.check()
        moved = move_inline_curves(store)
        reconcile(store)
    except StoreError as err:
        print(f"greentui: {err}", file=sys.stderr)
        return 2
    # The same store object: its parse of runs.json is reused.
    app = GreenTuiApp(store, notes=[moved.note()] if moved else [])
    app.run()
    print(goes_on(store), end="")
    return app.return_code or 0


def goes_on(store: RunStore) -> str:
    """What carries on after the TUI has quit, in a line each (nothing when nothing does)."""
    try:
        running = [r for r in store.summaries() if r.status == "running"]
    except StoreError:
        return ""
    if not running:
        return ""
    names = ", ".join(printable(r.name) for r in running[:3]) + (f" and {len(running) - 3} more" if len(running) > 3 else "")
    return (f"greentui: {len(running)} run(s) still going ({names}); `greentui` re-attaches, "
            "`greentui ls` lists them, `greentui stop ID` stops one\n")
