"""One finished run on a page: every figure with its unit, energy by phase, how it was measured, the
config, its curves, the error with its traceback, and the end of the worker's log.

A running run opens the live view instead (history decides). The page reads the run folder on a
thread: a slow disk or a large log never holds up the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from greentui.report.printable import printable
from greentui.store.record import RunRecord
from greentui.tui.app_access import app_of
from greentui.tui.models.run_page import RunPage
from greentui.tui.widgets.charts import LineChart
from greentui.tui.widgets.footer import Footer

# How many other runs `c` offers to compare with: the newest, where a store may hold thousands.
COMPARE_CHOICES = 200


@dataclass
class OtherRunRead(Message):
    """The run chosen to compare with, read off the event loop (None: gone from the store)."""

    record: RunRecord | None


@dataclass
class Deleted(Message):
    """The delete ended: `note` says how, `failed` when the store refused it."""

    note: str
    failed: bool = False


@dataclass
class PageRead(Message):
    """The page's sections, its curves and the worker log's end, read off the event loop."""

    page: RunPage
    curves: dict
    log: str


class RunPageScreen(Screen):
    """The page of `record`: compare it with another run, rerun it with changes, export or delete it."""

    BINDINGS = [Binding("c", "compare", "Compare with…"), Binding("R", "rerun", "Rerun…"),
                Binding("e", "export", "Export CSV"), Binding("d", "delete", "Delete"),
                Binding("escape", "back", "Back")]

    def __init__(self, record: RunRecord) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        """Sections in one scrolling column, so the page reads at 80×24 too."""
        yield Header()
        with VerticalScroll(id="page-body"):
            yield Static("", id="page-error", markup=False)
            yield Label("Figures", classes="group-title")
            yield DataTable(id="page-figures", cursor_type="none", show_cursor=False)
            yield Label("Energy by phase", classes="group-title")
            yield DataTable(id="page-phases", cursor_type="none", show_cursor=False)
            yield LineChart(id="page-loss")
            yield Label("How it was measured", classes="group-title")
            yield Static("", id="page-measurement", markup=False)
            yield Label("Config (changed: not the tiny preset's value)", classes="group-title")
            yield DataTable(id="page-config", cursor_type="none", show_cursor=False)
            yield Label("Worker log (its end)", classes="group-title")
            yield Static("", id="page-log", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Title now; the sections once the run folder has been read."""
        self.sub_title = printable(f"{self.record.name}  ({self.record.id}, {self.record.status})")
        for table_id, columns in (("#page-figures", ("figure", "value")), ("#page-phases", ("phase", "time", "kWh", "share")),
                                  ("#page-config", ("key", "value", ""))):
            self.query_one(table_id, DataTable).add_columns(*columns)
        self._read()

    @work(thread=True, group="run-page", exit_on_error=False)
    def _read(self) -> None:
        from greentui.runs.launch import WORKER_LOG
        from greentui.store.run_dirs import RunDirRefused, run_dir_of
        from greentui.tui.models.run_page import log_tail, run_page

        store = app_of(self).store
        try:
            run_dir = run_dir_of(store, self.record)
        except RunDirRefused:
            run_dir = None  # a folder outside the store's runs/ is never read
        self.post_message(PageRead(run_page(self.record, run_dir), store.curves(self.record), log_tail(run_dir, WORKER_LOG)))

    @on(PageRead)
    def _show(self, message: PageRead) -> None:
        page = message.page
        error = self.query_one("#page-error", Static)
        error.update(page.error)
        error.display = bool(page.error)
        for table_id, rows in (("#page-figures", page.figures), ("#page-phases", page.phases),
                               ("#page-config", page.config)):
            table = self.query_one(table_id, DataTable)
            table.clear()
            table.add_rows(rows)
        self.query_one("#page-measurement", Static).update("\n".join(page.measurement))
        loss = {name: message.curves.get(name) or [] for name in ("train_loss", "eval_loss")}
        self.query_one("#page-loss", LineChart).show("loss by step", {k.replace("_", " "): v for k, v in loss.items()})
        self.query_one("#page-log", Static).update(message.log)

    def action_export(self) -> None:
        """This run's record as one CSV row."""
        from greentui.report.csv_export import write_csv
        from greentui.tui.dialogs.prompt import ask_path_and_write

        record = self.record

        def export(target: Path) -> str:
            write_csv([record], target)
            return f"wrote run {record.id} to {target}"

        ask_path_and_write(self, f"Export run {record.id} to CSV file:", f"{record.id}.csv", export)

    def action_compare(self) -> None:
        """Choose another run (newest first); the comparison takes this run as its baseline."""
        from greentui.report.text import list_row
        from greentui.store.run_store import StoreError
        from greentui.tui.dialogs.choice import ChoiceDialog

        try:
            others = [r for r in app_of(self).store.summaries() if r.id != self.record.id and r.status != "running"]
        except (StoreError, OSError) as err:
            self.notify(f"cannot read the runs: {err}", severity="error")
            return
        if not others:
            self.notify("no other finished run to compare with", severity="warning")
            return
        newest = sorted(others, key=lambda r: r.created_at, reverse=True)[:COMPARE_CHOICES]
        # name, date, techniques and the figures, as the history lists them
        choices = [(r.id, "  ".join(list_row(r)[1:2] + list_row(r)[3:])) for r in newest]

        def chosen(run_id: str | None) -> None:
            if run_id:
                self._read_other(run_id)

        self.app.push_screen(ChoiceDialog(f"Compare {self.record.name} with:", choices), chosen)

    @work(thread=True, group="run-page-other", exit_on_error=False)
    def _read_other(self, run_id: str) -> None:
        self.post_message(OtherRunRead(app_of(self).store.get(run_id)))

    @on(OtherRunRead)
    def _compare(self, message: OtherRunRead) -> None:
        from greentui.tui.screens.compare import CompareScreen

        if message.record is None:
            self.notify("that run is gone from the store", severity="warning")
            return
        self.app.push_screen(CompareScreen([self.record, message.record]))

    def action_rerun(self) -> None:
        """The setup form, filled with this run's config, to change and run again."""
        app_of(self).rerun(self.record)

    def action_delete(self) -> None:
        """Delete this run from the store, after asking; the page closes."""
        from greentui.tui.dialogs.confirm import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete()

        self.app.push_screen(ConfirmDialog(f"Delete run {self.record.id} ({self.record.name}) from the store? "
                                           "A saved model is deleted; the run folder's logs stay on disk.", "Delete"),
                             answered)

    @work(thread=True, group="run-page-delete", exit_on_error=False)
    def _delete(self) -> None:
        # A write may wait for the store's lock: never on the event loop.
        from greentui.store.run_store import StoreError

        store = app_of(self).store
        try:
            deleted = store.delete([self.record.id])
        except StoreError as err:
            self.post_message(Deleted(f"not deleted: {err}", failed=True))
        except OSError as err:
            self.post_message(Deleted(f"not deleted: cannot write {store.path}: {err.strerror or err}", failed=True))
        else:
            self.post_message(Deleted(f"deleted run {self.record.id}" if deleted else f"run {self.record.id} was already gone"))

    @on(Deleted)
    def _deleted(self, message: Deleted) -> None:
        if message.failed:
            self.notify(message.note, title="store not changed", severity="error", timeout=10)
            return
        self.notify(message.note)
        if self.is_current:
            self.app.pop_screen()

    def action_back(self) -> None:
        """Back to where the page was opened from."""
        self.app.pop_screen()
