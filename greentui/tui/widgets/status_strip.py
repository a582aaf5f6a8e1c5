"""The live screen's status strip: progress, speed and energy figures of a run, from a LiveSnapshot.

Each line is a widget of its own, and of it only the cells whose text changed are repainted: the
elapsed clock ticks every second, and over SSH a whole-strip repaint would resend five unchanged
lines with it (and a whole-line one the fifty unchanged cells around the clock).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Region
from textual.widget import Widget

from greentui.metrics.registry import fmt, fmt_duration, metric
from greentui.tui.models.live import LiveSnapshot
from greentui.tui.widgets.cell_diff import changed_spans

STATUS_STYLES = {"running": "bold yellow", "completed": "bold green", "stopped": "bold magenta",
                 "pruned": "bold magenta"}
# The figures of the strip's second line: LiveSnapshot fields named by their metric keys.
FIGURES = ("samples_per_s", "accuracy", "energy_kwh")


def co2_phrase(kg: float | None) -> str:
    """`CO2 0.243 g`, or below a gram `CO2 37.5 mg`: a short run's first minutes read as 0.000 g in grams."""
    if kg is None or kg * 1000 >= 1:
        return metric("emissions_kg").phrase(kg)
    return f"CO2 {kg * 1e6:.1f} mg"


def when_training_ends(snap: LiveSnapshot) -> str:
    """On the elapsed clock, as the first line counts: `training ends at 1 m 21 s`, or once it is over
    the measured time in its place: `training took 1 m 05 s` (a projection would only go stale)."""
    if snap.training_end_s is not None:
        return f"training ends at {fmt_duration(snap.training_end_s)}"
    if snap.training_s is not None:
        return f"training took {fmt_duration(snap.training_s)}"
    return "training time not known yet"


def strip_text(snap: LiveSnapshot) -> Text:
    """The strip's lines; each figure is labelled so it reads without a legend."""
    total = snap.total_steps or "?"
    text = Text()
    # Four short lines rather than two long ones: each fits an 80-column terminal.
    text.append(f" {snap.status} ", style=STATUS_STYLES.get(snap.status, "bold red") + " reverse")
    if snap.status == "running":
        text.append(f" {snap.activity}", style="bold")
    text.append(f"  step {snap.step}/{total} · epoch {fmt(snap.epoch, '.2f')} · "
                f"elapsed {fmt_duration(snap.elapsed_s)} · ETA {fmt_duration(snap.eta_s)}\n")
    text.append(" " + " · ".join([*(metric(k).phrase(getattr(snap, k)) for k in FIGURES),
                                   co2_phrase(snap.emissions_kg)]) + "\n")
    text.append(f" power avg {fmt(snap.avg_w, '.1f')} W · peak {fmt(snap.peak_w, '.1f')} W · "
                f"{metric('joules_per_sample').phrase(snap.joules_per_sample)}\n")
    text.append(f" measured by: {snap.method}", style="dim")
    if snap.reason:
        text.append(f"  reason: {snap.reason}", style="red")
    if snap.projected:
        kwh, kg = snap.projected
        text.append(f"\n projected at the end: {metric('energy_kwh').with_unit(kwh)} · {co2_phrase(kg)} · "
                    f"{when_training_ends(snap)}", style="cyan")
    elif snap.status == "running":
        # The line's row is kept from the start: a line that appears later moves the charts below it
        # down a row, and every cell of them is sent again.
        text.append("\n projected at the end: not known yet", style="cyan")
    if snap.budget_note:
        text.append(f"\n {snap.budget_note}", style="bold red" if "exceeded:" in snap.budget_note else "yellow")
    return text


# The most lines strip_text makes: four, a projection and a budget note.
MAX_LINES = 6


class StripLine(Widget):
    """One line of the strip; `show` repaints only the cells where its text changed."""

    # One row whatever the width: a line that wrapped in a narrow terminal changed the layout, and so
    # repainted the whole screen, each time its figures changed (every second). Cut, it ends in `…`.
    DEFAULT_CSS = "StripLine { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }"

    def __init__(self) -> None:
        super().__init__()
        self.text = Text()
        self.repaints = 0

    def render(self) -> Text:
        """The line (stored text inside it is never markup: it is a Text already)."""
        return self.text

    def show(self, text: Text) -> None:
        """Show `text`: the cells that changed, or the whole line where its length or visibility changes its layout."""
        # Rich's == compares the characters and their spans, not the whole line's style: a line that
        # turns red as a budget nears must still repaint.
        if text == self.text and text.style == self.text.style:
            return
        old, self.text = self.text, text
        self.repaints += 1
        width = self.content_size.width
        if self.display and text.plain and old.plain and width > 0:
            # Shown before and after, on its one row: no layout changes, only cells (those on screen).
            spans = [(start, min(end, width)) for start, end in changed_spans(old, text) if start < width]
            if (cell_len(old.plain) > width) != (cell_len(text.plain) > width):
                spans.append((width - 1, width))  # where the `…` of a cut line comes or goes
            if spans:
                self.refresh(*(Region(start, 0, end - start, 1) for start, end in spans))
            return
        self.display = bool(text.plain)
        self.refresh(layout=True)


class StatusStrip(Vertical):
    """Shows `strip_text` of the latest snapshot, a line per widget."""

    DEFAULT_CSS = "StatusStrip { height: auto; }"

    def compose(self) -> ComposeResult:
        """The lines, hidden until they have text."""
        for _ in range(MAX_LINES):
            line = StripLine()
            line.display = False
            yield line

    def show(self, snap: LiveSnapshot) -> None:
        """Render a new snapshot: only the lines whose text changed repaint."""
        lines = strip_text(snap).split("\n")
        for index, line in enumerate(self.query(StripLine)):
            line.show(lines[index] if index < len(lines) else Text())

    @property
    def plain(self) -> str:
        """The strip's text as shown, lines joined."""
        return "\n".join(line.text.plain for line in self.query(StripLine) if line.text.plain)
