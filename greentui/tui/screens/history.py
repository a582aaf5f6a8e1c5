"""All runs in the store: sortable, filterable table with multi-select, a detail pane and run actions.

The table works on the store's short summaries (its index), not on whole records, and holds
a window of the sorted, filtered runs a few pages long (widgets/runs_table.py: Textual measures
every cell of every row it is given). Its columns are the user's choice (`C`), remembered in the
config folder, and those that fit the terminal's width. Whole records are read only for the
detail pane and the actions that need them.

The clock's reloads, the detail pane and the writes (delete, rename) run on threads and send
their results back as messages: a write may wait up to a minute for the store's lock, and the
screen must keep answering keys meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from greentui.report.csv_export import write_csv
from greentui.report.printable import printable
from greentui.store.query import QueryError
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore, RunSummary, StoreError
from greentui.tui.app_access import app_of
from greentui.tui.dialogs.choice import ChoiceDialog
from greentui.tui.dialogs.columns import ColumnsDialog
from greentui.tui.dialogs.confirm import ConfirmDialog
from greentui.tui.dialogs.prompt import PromptDialog, ask_path_and_write
from greentui.tui.models.history import DATE_COLUMN, SORT_MARKS, visible_runs
from greentui.tui.models.history_columns import BY_KEY, DEFAULT_COLUMNS, chosen_columns, stored_choice
from greentui.tui.models.run_detail import detail_pane_text
from greentui.tui.settings import HISTORY_COLUMNS_FILE, load_choice, save_choice
from greentui.tui.widgets.footer import Footer
from greentui.tui.widgets.runs_table import RunsTable

RELOAD_INTERVAL_S = 2.0


# Textual's messages set their own fields as they travel, so they cannot be frozen; what they carry is.
@dataclass
class RunsLoaded(Message):
    """A fresh read of the store (None: it could not be read, keep what is shown)."""

    runs: tuple[RunSummary, ...] | None


@dataclass
class RecordsRead(Message):
    """Whole records read for an action: `compare` the runs, or open the `live` view of the first."""

    purpose: str
    records: list[RunRecord]


@dataclass
class DetailRead(Message):
    """The detail pane's text for one run."""

    run_id: str
    text: str


@dataclass
class StoreWritten(Message):
    """A delete or rename has ended: `note` says how (empty: nothing to say), `failed` if it was refused."""

    note: str
    failed: bool = False


class HistoryScreen(Screen):
    """The run table; reloads the store every two seconds while showing, so running runs update."""

    # The table has focus from the start, not the filter box first: each focus change that
    # changes the keys shown rebuilds the footer.
    AUTO_FOCUS = "#runs-table"
    BINDINGS = [
        Binding("space", "toggle_select", "Select"),
        # The footer has 100 columns to show the keys in: `a` and `s` are in the help (f1) instead.
        Binding("a", "select_all", "All", show=False),
        Binding("c", "compare", "Compare"),
        Binding("e", "export", "Export"),
        Binding("d", "delete", "Delete"),
        Binding("n", "rename", "Rename"),
        Binding("t", "tag", "Tags"),
        Binding("N", "note", "Note", show=False),
        Binding("R", "rerun", "Rerun", show=False),  # the form filled with the run's config
        Binding("o", "sort_by", "Sort"),  # a list of the columns to choose from
        Binding("s", "sort", "Sort", show=False),
        Binding("S", "sort_reverse", "Reverse", show=False),
        Binding("C", "columns", "Columns"),
        Binding("slash", "filter", "Filter"),
        Binding("escape", "leave_filter", "Table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[RunSummary] = []
        self.shown: list[RunSummary] = []
        self.selected: set[str] = set()
        self.sort_key = DATE_COLUMN
        self.sort_reverse = False
        self.chosen = DEFAULT_COLUMNS  # the user's choice is read on mount
        self._loading = False
        self.detail_shown_for: str | None = None  # the run whose detail the pane shows

    def compose(self) -> ComposeResult:
        """Filter, table, detail pane."""
        yield Header()
        yield Input(placeholder="/ filter: text  status:completed  tech:lora  acc>0.9  kwh<0.001  time<60s",
                    id="filter", compact=True)
        yield RunsTable(id="runs-table")
        with VerticalScroll(id="detail-pane"):
            yield Static("no run highlighted", id="detail", markup=False)  # run names are text, not markup
        yield Footer()

    def on_mount(self) -> None:
        """The chosen columns, first load, and the reload clock."""
        self.chosen = chosen_columns(load_choice(HISTORY_COLUMNS_FILE))  # a bad or foreign file gives the defaults
        # The first read is here, not on a thread: keys pressed as the screen opens act on its rows.
        # It is a read (the index, or a parse), never a wait for the write lock.
        try:
            self.runs = app_of(self).store.summaries()
        except (StoreError, OSError) as err:
            self.notify(f"cannot read the runs: {err}", severity="error", timeout=10)
        self.rebuild()
        self.query_one(RunsTable).focus()
        self.set_interval(RELOAD_INTERVAL_S, self._tick)

    def _tick(self) -> None:
        if self.is_current:
            self.reload()

    def reload(self) -> None:
        """Read the store on a thread and redraw if the runs changed (no second read while one is on its way)."""
        if not self._loading:
            self._loading = True
            self._load()

    @work(thread=True, group="history-load")
    def _load(self) -> None:
        self._post_runs()

    def _post_runs(self) -> None:
        # On a thread. The store parses the file again only when it changed: an idle tick costs a stat.
        try:
            runs: tuple[RunSummary, ...] | None = tuple(app_of(self).store.summaries())
        except (StoreError, OSError):
            runs = None  # keep showing what we have; a broken store is reported at start-up and on writes
        self.post_message(RunsLoaded(runs))

    @on(RunsLoaded)
    def _runs_loaded(self, message: RunsLoaded) -> None:
        """Redraw only when the store changed."""
        self._loading = False
        if message.runs is not None and list(message.runs) != self.runs:
            self.runs = list(message.runs)
            self.rebuild()

    def on_screen_resume(self) -> None:
        """Coming back from another screen (or first shown): show changes at once."""
        self.reload()

    def rebuild(self, at: int | None = None) -> None:
        """Fill the table from `runs`, keeping the highlighted run where it is (or on shown[at])."""
        table = self.query_one(RunsTable)
        current = self.highlighted()
        query = self.query_one("#filter", Input).value
        problem = ""
        try:
            self.shown = visible_runs(self.runs, query, self.sort_key, self.sort_reverse)
        except QueryError as err:  # half-typed (`acc>`) or wrong: say so, and show the runs unfiltered meanwhile
            problem = f" · {err}"
            self.shown = visible_runs(self.runs, "", self.sort_key, self.sort_reverse)
        ids = {r.id for r in self.runs}
        self.selected &= ids
        if at is None:
            at = next((i for i, r in enumerate(self.shown) if current is not None and r.id == current.id), None)
        table.show_runs(self.shown, self.chosen, self.sort_key, self.sort_reverse, self.selected, at)
        self.sub_title = (f"{len(self.shown)} of {len(self.runs)} runs · sorted by {BY_KEY[self.sort_key].title} "
                          f"{SORT_MARKS[self.sort_reverse]} · {len(self.selected)} selected{problem}")
        self.show_detail()

    def highlighted(self) -> RunSummary | None:
        """The run under the cursor."""
        index = self.query_one(RunsTable).cursor_index()
        return self.shown[index] if index is not None and index < len(self.shown) else None

    def targets(self) -> list[RunSummary]:
        """Selected runs in table order, else the highlighted one."""
        chosen = [r for r in self.shown if r.id in self.selected]
        current = self.highlighted()
        return chosen or ([current] if current else [])

    def records(self, summaries: list[RunSummary]) -> list[RunRecord]:
        """The whole records of some runs (gone ones left out), for the actions that need them."""
        found = [app_of(self).store.get(s.id) for s in summaries]
        return [r for r in found if r is not None]

    def show_detail(self) -> None:
        """Detail pane for the highlighted run, read on a thread; the pane keeps its text until it comes."""
        summary = self.highlighted()
        if summary is None:
            self.detail_shown_for = None
            self.query_one("#detail", Static).update("no run highlighted")
        elif summary.id != self.detail_shown_for:
            self._read_detail(summary.id)

    @work(thread=True, exclusive=True, group="history-detail")
    def _read_detail(self, run_id: str) -> None:
        # Read from the run's own line of the store (see RunStore.get).
        try:
            record = app_of(self).store.get(run_id)
            text = detail_pane_text(record) if record else f"run {run_id} is gone from the store"
        except (StoreError, OSError) as err:
            text = f"cannot read run {run_id}: {err}"
        self.post_message(DetailRead(run_id, text))

    @on(DetailRead)
    def _detail_read(self, message: DetailRead) -> None:
        summary = self.highlighted()
        if summary is not None and summary.id == message.run_id:  # the cursor may have moved on
            self.detail_shown_for = message.run_id
            self.query_one("#detail", Static).update(message.text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The detail pane follows the cursor (the table brings the next page itself)."""
        self.show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter opens a running run's live view, and a finished run's page (never a live view of nothing)."""
        summary = self.highlighted()
        if summary is None:
            return
        if summary.status != "running":
            self._read_records([summary], "page")
            return
        if not summary.run_dir:
            self.notify(f"run {summary.id} has no run folder to show live", severity="warning")
            return
        self._read_records([summary], "live")

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a header sorts by it (again: reverses)."""
        if event.column_key.value in BY_KEY:
            self.sort_by(event.column_key.value)

    def sort_by(self, key: str) -> None:
        """Sort by a column, ascending; by the one already sorted by: the other way."""
        self.sort_reverse = not self.sort_reverse if key == self.sort_key else False
        self.sort_key = key
        self.rebuild()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter as the user types."""
        self.rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter goes back to the table."""
        self.query_one(RunsTable).focus()

    def action_filter(self) -> None:
        """Focus the filter box."""
        self.query_one("#filter", Input).focus()

    def action_leave_filter(self) -> None:
        """Escape: back to the table."""
        self.query_one(RunsTable).focus()

    def action_sort(self) -> None:
        """Sort by the next column shown, keeping the direction."""
        keys = [c.key for c in self.query_one(RunsTable).shown_columns]
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)] if self.sort_key in keys else keys[0]
        self.rebuild()

    def action_sort_by(self) -> None:
        """Choose the column to sort by from a list of those shown; the current one again reverses."""
        def label(key: str, title: str) -> str:
            return f"{title} {SORT_MARKS[self.sort_reverse]} (now; again: the other way)" if key == self.sort_key else title

        columns = self.query_one(RunsTable).shown_columns
        choices = [(c.key, label(c.key, f"{c.title:<11} {c.description}")) for c in columns]

        def chosen(key: str | None) -> None:
            if key is not None and key in BY_KEY:
                self.sort_by(key)

        self.app.push_screen(ChoiceDialog("Sort the runs by:", choices, self.sort_key), chosen)

    def action_columns(self) -> None:
        """Choose and order the table's columns; the choice is remembered in the config folder."""
        fitting = {c.key for c in self.query_one(RunsTable).shown_columns}

        def chosen(keys: tuple[str, ...] | None) -> None:
            if keys:
                self.chosen = tuple(BY_KEY[k] for k in keys)
                self.rebuild()
                self._remember_columns(stored_choice(self.chosen))

        self.app.push_screen(ColumnsDialog(self.chosen, fitting), chosen)

    @work(thread=True, group="history-settings")
    def _remember_columns(self, choice: dict[str, Any]) -> None:
        problem = save_choice(HISTORY_COLUMNS_FILE, choice)
        if problem:
            self.app.call_from_thread(self.notify, problem, severity="warning")

    def action_sort_reverse(self) -> None:
        """Flip the sort order."""
        self.sort_reverse = not self.sort_reverse
        self.rebuild()

    def action_toggle_select(self) -> None:
        """Select or unselect the highlighted run, then move down."""
        record = self.highlighted()
        if record is None:
            return
        self.selected ^= {record.id}
        index = self.query_one(RunsTable).cursor_index() or 0
        self.rebuild(at=min(index + 1, len(self.shown) - 1))

    def action_select_all(self) -> None:
        """Select every shown run, or clear the selection when all are selected."""
        shown = {r.id for r in self.shown}
        self.selected = set() if shown <= self.selected else self.selected | shown
        self.rebuild()

    def action_compare(self) -> None:
        """Compare the selected runs (two or more), their records read on a thread."""
        chosen = [r for r in self.shown if r.id in self.selected]
        if len(chosen) < 2:
            self.notify("select two or more runs with space, then press c", severity="warning")
            return
        self._read_records(chosen, "compare")

    @work(thread=True, group="history-records")
    def _read_records(self, summaries: list[RunSummary], purpose: str) -> None:
        try:
            found = self.records(summaries)
        except (StoreError, OSError) as err:
            self.app.call_from_thread(self.notify, f"cannot read the runs: {err}", severity="error")
            return
        self.post_message(RecordsRead(purpose, found))

    @on(RecordsRead)
    def _records_read(self, message: RecordsRead) -> None:
        if message.purpose == "live":
            if message.records:
                app_of(self).open_live(message.records[0])
            return
        if message.purpose == "rerun":
            if message.records:
                app_of(self).rerun(message.records[0])
            return
        if message.purpose == "note":
            if message.records:
                self._ask_note(message.records[0])
            return
        if message.purpose == "page":
            if message.records:
                from greentui.tui.screens.run_page import RunPageScreen

                self.app.push_screen(RunPageScreen(message.records[0]))
            return
        if len(message.records) < 2:
            self.notify("fewer than two of those runs are still in the store", severity="warning")
            return
        from greentui.tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(message.records))

    def action_export(self) -> None:
        """Write the selected runs (else the highlighted one) to a CSV file; asks for the path."""
        runs = self.targets()
        if not runs:
            self.notify("no runs to export", severity="warning")
            return

        def export(target: Path) -> str:
            rows = write_csv(self.records(runs), target)
            return f"wrote {rows} row{'s' if rows != 1 else ''} to {target}"

        ask_path_and_write(self, f"Export {len(runs)} run(s) to CSV file:", "greentui-runs.csv", export)

    def action_delete(self) -> None:
        """Delete the selected runs (else the highlighted one) from the store, after asking."""
        runs = self.targets()
        running = [r.name for r in runs if r.status == "running"]
        if running:
            self.notify(f"stop {', '.join(running)} first: a running run cannot be deleted", severity="error")
            return
        if not runs:
            return

        def delete(yes: bool | None) -> None:
            if yes:
                ids = [r.id for r in runs]
                self._write(lambda store: f"deleted {store.delete(ids)} run(s) from {store.path.name}", "not deleted")

        names = ", ".join(r.name for r in runs[:3]) + (" …" if len(runs) > 3 else "")
        self.app.push_screen(ConfirmDialog(f"Delete {len(runs)} run(s) from the store? ({names}) "
                                           "Saved models are deleted; their run folders' logs stay on disk.", "Delete"), delete)

    def action_rename(self) -> None:
        """Rename the highlighted run."""
        record = self.highlighted()
        if record is None:
            return

        shown = printable(record.name)  # the field shows the stored name escaped, never its control codes

        def rename(name: str | None) -> None:
            if name and name != shown:
                def store_name(store: RunStore) -> str:
                    store.update(record.id, name=name)
                    return ""  # the table shows the new name: nothing to say

                self._write(store_name, "not renamed")

        self.app.push_screen(PromptDialog(f"New name for {record.id}:", shown), rename)

    def action_tag(self) -> None:
        """Edit the highlighted run's tags: words, space-separated (`paper final`); filter them with tag:NAME."""
        from greentui.labels import checked_tags

        summary = self.highlighted()
        if summary is not None:
            self._ask_and_store(summary.id, f"Tags for {summary.id} (space-separated; empty: none):",
                                " ".join(printable(t) for t in summary.labels), "tags",
                                lambda text: checked_tags(text.split()),
                                lambda tags: f"tags of {summary.id}: {', '.join(tags) or 'none'}")

    def action_rerun(self) -> None:
        """Rerun the highlighted run with the same or changed config: the setup form, filled with it."""
        summary = self.highlighted()
        if summary is not None:
            self._read_records([summary], "rerun")

    def action_note(self) -> None:
        """Write the highlighted run's note (empty clears it); its record, which holds the note, is read first."""
        summary = self.highlighted()
        if summary is not None:
            self._read_records([summary], "note")

    def _ask_note(self, record: RunRecord) -> None:
        from greentui.labels import checked_note

        self._ask_and_store(record.id, f"Note on {record.id} (empty: none):", printable(record.notes), "notes",
                            checked_note, lambda note: f"note of {record.id} {'set' if note else 'cleared'}")

    def _ask_and_store(self, run_id: str, question: str, shown: str, field: str, parse: Callable[[str], Any],
                       said: Callable[[Any], str]) -> None:
        """Ask for a label's new text; store what `parse` makes of it (a LabelError is said, nothing written)."""
        from greentui.labels import LabelError

        def answered(text: str | None) -> None:
            if text is None or text == shown:
                return
            try:
                value = parse(text)
            except LabelError as err:
                self.notify(str(err), severity="error")
                return

            def store_it(store: RunStore) -> str:
                store.update(run_id, **{field: value})
                return said(value)

            self._write(store_it, f"{field} not changed")

        self.app.push_screen(PromptDialog(question, shown, allow_empty=True), answered)

    @work(thread=True, group="history-write")
    def _write(self, change: Callable[[RunStore], str], refusal: str) -> None:
        """Change the store off the event loop (a write may wait a minute for the lock), then re-read it."""
        store = app_of(self).store
        try:
            self.post_message(StoreWritten(change(store)))
        except StoreError as err:  # its message names the file
            self.post_message(StoreWritten(f"{refusal}: {err}", failed=True))
        except OSError as err:
            self.post_message(StoreWritten(f"{refusal}: cannot write {store.path}: {err.strerror or err}", failed=True))
        self._post_runs()

    @on(StoreWritten)
    def _written(self, message: StoreWritten) -> None:
        # The highlighted run may be the one changed, and a change the table does not show (a note)
        # leaves the list as it was: its pane is read again now.
        self.detail_shown_for = None
        self.show_detail()
        if message.failed:
            self.notify(message.note, title="store not changed", severity="error", timeout=10)
        elif message.note:
            self.notify(message.note)
