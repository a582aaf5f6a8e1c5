"""The live screen's status strip: progress, speed and energy figures of a run, from a LiveSnapshot."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from greentui.report.text import fmt, fmt_duration
from greentui.tui.models.live import LiveSnapshot

STATUS_STYLES = {"running": "bold yellow", "completed": "bold green", "stopped": "bold magenta"}


def strip_text(snap: LiveSnapshot) -> Text:
    """The strip's lines; each figure is labelled so it reads without a legend."""
    total = snap.total_steps or "?"
    text = Text()
    # Four short lines rather than two long ones: each fits an 80-column terminal.
    text.append(f" {snap.status} ", style=STATUS_STYLES.get(snap.status, "bold red") + " reverse")
    text.append(f"  step {snap.step}/{total} · epoch {fmt(snap.epoch, '.2f')} · "
                f"elapsed {fmt_duration(snap.elapsed_s)} · ETA {fmt_duration(snap.eta_s)}\n")
    text.append(f" {fmt(snap.samples_per_s, '.1f')} samples/s · accuracy {fmt(snap.accuracy, '.3f')} · "
                f"energy {fmt(snap.energy_kwh, '.6f')} kWh · CO2 {fmt(snap.emissions_kg, '.3f', 1000)} g\n")
    text.append(f" power avg {fmt(snap.avg_w, '.1f')} W · peak {fmt(snap.peak_w, '.1f')} W · "
                f"{fmt(snap.joules_per_sample, '.2f')} J/sample\n")
    text.append(f" measured by: {snap.method}", style="dim")
    if snap.reason:
        text.append(f"  reason: {snap.reason}", style="red")
    if snap.projected:
        seconds, kwh, kg = snap.projected
        text.append(f"\n projected at the end: {kwh:.6f} kWh · CO2 {kg * 1000:.3f} g · "
                    f"{fmt_duration(seconds)} of training", style="cyan")
    if snap.budget_note:
        text.append(f"\n {snap.budget_note}", style="bold red" if "exceeded:" in snap.budget_note else "yellow")
    return text


class StatusStrip(Static):
    """Shows `strip_text` of the latest snapshot."""

    def show(self, snap: LiveSnapshot) -> None:
        """Render a new snapshot."""
        self.update(strip_text(snap))
