"""What the worker reads from CodeCarbon: its running totals and how it measured the CPU.

The totals come through CodeCarbon's public output-handler hook (`BaseOutput.live_out`, called
with the cumulative `EmissionsData` every `api_call_interval` measurements; `out`, at stop).
How the CPU was measured (RAPL, load × TDP, a constant TDP, a generic TDP) has no public reading:
`cpu_power_method` is the one place that reads CodeCarbon's private attributes. Both are checked
against the installed CodeCarbon by tests/test_dependency_contracts.py; pyproject.toml pins the
range they were verified on.

Imported only once CodeCarbon is known to import (inside Telemetry.start's guard).
"""

from __future__ import annotations

import time
from typing import Any

from codecarbon.output_methods.base_output import BaseOutput
from codecarbon.output_methods.emissions_data import EmissionsData


class CodeCarbonTotals(BaseOutput):
    """An output handler that keeps CodeCarbon's latest cumulative totals, with the time they came.

    CodeCarbon calls it on its own scheduler thread; readers on other threads take `live` or
    `final`, each one reference swapped whole, so they never see half an update.
    """

    def __init__(self) -> None:
        self.live: tuple[EmissionsData, float] | None = None  # totals as of the last measurement
        self.final: tuple[EmissionsData, float] | None = None  # the totals at tracker.stop()

    def live_out(self, total: EmissionsData, delta: EmissionsData) -> None:
        """CodeCarbon's live hook: `total` is cumulative since start (`delta` is since its last output)."""
        self.live = (total, time.perf_counter())

    def out(self, total: EmissionsData, delta: EmissionsData) -> None:
        """CodeCarbon's final hook (tracker.stop, tracker.flush): the same totals its CSV gets."""
        self.final = self.live = (total, time.perf_counter())


def cpu_power_method(tracker: Any) -> str:
    """How CodeCarbon measures CPU power: its CPU mode, flagged when it fell back to a generic TDP.

    Private to CodeCarbon (verified on 3.3): `tracker._hardware` lists its hardware objects; the
    `CPU` one has `_mode` ("intel_rapl", "cpu_load", "constant"…) and `_is_generic_tdp`. A change
    there reads "unknown" here rather than failing a run.
    """
    for part in getattr(tracker, "_hardware", None) or []:
        if type(part).__name__ == "CPU":
            mode = getattr(part, "_mode", "unknown")
            generic = getattr(part, "_is_generic_tdp", False) is True
            return f"{mode}" + (" (generic TDP: CPU model unknown to CodeCarbon)" if generic else "")
    return "not measured"
