"""`greentui run` without --detach: a progress bar fed by the run's events, folded by the one reducer."""

from __future__ import annotations

import time

from greentui.events.log import EVENTS_FILE, EventTail
from greentui.events.reducer import RunReducer, RunSnapshot
from greentui.events.schema import BudgetEvent
from greentui.report.printable import printable
from greentui.report.text import fmt, fmt_duration
from greentui.runs.process import worker_alive
from greentui.runs.reconcile import reconcile
from greentui.store.record import FINISHED, RunRecord
from greentui.store.run_dirs import run_dir_of
from greentui.store.run_store import RunStore

POLL_S = 0.5


def follow(store: RunStore, record: RunRecord) -> None:
    """Show a progress bar from the run's events until a final status arrives or the worker vanishes."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    tail = EventTail(run_dir_of(store, record) / EVENTS_FILE)
    reducer = RunReducer()
    # A short bar leaves room on an 80-column terminal for the figures and the projection.
    # markup=False: the description can hold text from the events file (a lease holder, a status).
    columns = (TextColumn("{task.description}", markup=False), BarColumn(bar_width=16), MofNCompleteColumn(),
               TextColumn("{task.fields[info]}", markup=False), TimeElapsedColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("loading", total=None, info="")
        while True:
            events = tail.read_new()
            if events:
                reducer.feed(events)
                run = reducer.snapshot()
                for event in events:
                    if isinstance(event, BudgetEvent):
                        progress.console.print(printable(event.message), style="red" if event.state == "exceeded" else "yellow",
                                               markup=False, highlight=False)
                if run.status in FINISHED:
                    progress.update(task, description=printable(run.status), info="")
                    return
                # The bar counts training steps; the other phases say how far they are in words.
                training = run.phase == "training"
                progress.update(task, description=printable(run.activity) if not training else "training",
                                completed=run.step, total=run.total_steps, info=progress_text(run) if training else "")
            if not worker_alive(store, store.get(record.id) or record):
                reconcile(store)
                return
            time.sleep(POLL_S)


def progress_text(run: RunSnapshot) -> str:
    """`loss 0.4123  26 W  0.012 g CO2`, and below it the projection at the end of training once there is one."""
    loss = run.curves["train_loss"][-1][1] if run.curves["train_loss"] else None
    watts = run.curves["power_w"][-1][1] if run.curves["power_w"] else None
    text = (f"loss {fmt(loss, '.4f')}  {fmt(watts, '.0f')}{' W' if watts is not None else ''}  "
            f"{fmt(run.emissions_kg, '.3f', 1000)}{' g CO2' if run.emissions_kg is not None else ''}")
    if run.projection is not None:
        # Training time, energy and CO2 at the end, at the rate so far (see greentui.projection), on a line
        # of its own: beside the figures it pushed the bar and the step count off an 80-column terminal.
        # Times on the run's elapsed clock (the bar's), so the projection and the elapsed time agree.
        end = f"training ends at {fmt_duration(run.training_end_s)}" if run.training_end_s is not None else ""
        text += (f"\nprojected {run.projection.energy_kwh:.6f} kWh · {run.projection.emissions_kg * 1000:.3f} g"
                 + (f" · {end}" if end else ""))
    return text
