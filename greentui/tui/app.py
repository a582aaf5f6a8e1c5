"""The greentui Textual app, its factory (shared by the CLI and the tests) and the CLI entry point."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore, StoreError
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
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, store: RunStore, attach_running: bool = True) -> None:
        super().__init__()
        self.store = store
        self.attach_running = attach_running
        self.sub_title = store.path.name
        self._sweeps: list[dict] = []  # sweeps waiting for the one queue runner (one run at a time)
        self._sweep_lock = threading.Lock()
        self._runner_busy = False

    def on_mount(self) -> None:
        """Restore the terminal on SIGHUP/SIGTERM (a dropped SSH link) by exiting cleanly; re-attach runs."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self.exit)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread (tests) or no such signal here
        if self.attach_running:
            # Summaries, not records: a start-up on thousands of runs must not parse them all.
            running = [r for r in self.store.summaries() if r.status == "running"]
            latest = self.store.get(running[-1].id) if running else None
            if latest is not None:
                self.open_live(latest)
                others = len(running) - 1
                self.notify("re-attached to a run still going" + (f"; {others} more in history (f3)" if others else ""))
            self._resume_sweeps()

    def _resume_sweeps(self) -> None:
        """Sweeps left unfinished by an earlier greentui go on (their finished runs are not run again)."""
        from greentui.sweep.queue import all_sweeps, unfinished

        for sweep in all_sweeps(self.store):
            left = unfinished(self.store, sweep)
            if left:
                self.notify(f"resuming sweep {sweep['id']}: {left} run(s) to go (f4)")
                self.queue_sweep(sweep)

    def queue_sweep(self, sweep: dict) -> None:
        """Run a sweep after any already queued, on a thread of this app."""
        with self._sweep_lock:
            self._sweeps.append(sweep)
            if self._runner_busy:
                return
            self._runner_busy = True
        self._run_sweeps()

    def sweep_active(self) -> bool:
        """True while the queue runner has work."""
        return self._runner_busy

    @work(thread=True, group="sweeps", exit_on_error=False)
    def _run_sweeps(self) -> None:
        from greentui.sweep.queue import run_queue

        worker = get_current_worker()
        while True:
            with self._sweep_lock:  # taken with the append in queue_sweep: no sweep is left unrun
                if not self._sweeps or worker.is_cancelled:
                    self._runner_busy = False
                    return
                sweep = self._sweeps.pop(0)
            try:
                run_queue(self.store, sweep, say=lambda text: self.call_from_thread(self.notify, text),
                          should_stop=lambda: worker.is_cancelled)
            except Exception as err:  # noqa: BLE001 - shown, and the next sweep still runs
                if not worker.is_cancelled:
                    self.call_from_thread(self.notify, f"sweep {sweep['id']}: {err}", severity="error")

    def notify(self, message: str, *, markup: bool = True, **kwargs) -> None:
        """Textual's notification, always as plain text (screens' notify calls come here too).

        greentui's messages carry run names, paths and typed values, never markup: read as
        markup, a name like "a[/b]" would raise and take the app down.
        """
        super().notify(message, markup=False, **kwargs)

    def open_live(self, record: RunRecord) -> None:
        """Show the live view of a run on top of the current screen."""
        from greentui.tui.screens.live import LiveScreen

        self.push_screen(LiveScreen(record))

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
    """Mark dead runs crashed, then run the TUI; 2 with the store's error if runs.json is unreadable."""
    from greentui.runs.reconcile import reconcile

    store = RunStore(Path(store_path))
    try:
        store.check()
        reconcile(store)
    except StoreError as err:
        print(f"greentui: {err}", file=sys.stderr)
        return 2
    app = GreenTuiApp(store)  # the same store object: its parse of runs.json is reused
    app.run()
    return app.return_code or 0
