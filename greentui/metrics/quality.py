"""What can make a run's figures unfit to compare: contention on its devices, a simulated GPU.

Read from a record's `measurement` (untrusted: anything of the wrong shape reads as "not flagged").
A run is contended when other work used its devices for at least CONTENDED_SHARE of its measured
time (greentui.worker.contention samples it), or when it was started with --allow-overlap on a busy
device. Attribution and the Pareto front leave contended runs out by default and say so; the
history, `ls`, compare and the report mark them.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from greentui.metrics.registry import as_number

CONTENDED_SHARE = 0.10  # a tenth of the run beside other work can move its energy by more than its repeats do
CONTENDED, SIMULATED = "contended", "simulated"
BADGES = {CONTENDED: "⚠", SIMULATED: "sim"}  # how a flag shows in a status cell


def contention_share(measurement: Mapping[str, Any]) -> float | None:
    """The share of the measured time with other work on the run's devices, None where not recorded."""
    contention = measurement.get("contention")
    share = as_number(contention.get("share")) if isinstance(contention, Mapping) else None
    return share if share is not None and 0.0 <= share <= 1.0 else None


def overlapped(measurement: Mapping[str, Any]) -> bool:
    """True when the run was let start on a device another run held (--allow-overlap)."""
    lease = measurement.get("lease")
    busy = lease.get("overlapped") if isinstance(lease, Mapping) else None
    return busy is True or (isinstance(busy, Mapping) and len(busy) > 0)  # the busy devices, by key


def is_contended(measurement: Mapping[str, Any]) -> bool:
    """True when the run's figures may hold other work's energy."""
    share = contention_share(measurement)
    return overlapped(measurement) or (share is not None and share >= CONTENDED_SHARE)


def is_simulated(measurement: Mapping[str, Any]) -> bool:
    """True when a figure came from a simulated GPU (tests)."""
    return measurement.get("simulated") is True


def flags_of(measurement: Mapping[str, Any]) -> tuple[str, ...]:
    """The run's flags, in a fixed order."""
    return tuple(flag for flag, on in ((CONTENDED, is_contended(measurement)), (SIMULATED, is_simulated(measurement)))
                 if on)


def badge_text(status: str, flags: Iterable[str]) -> str:
    """A status cell: `completed`, `completed ⚠`, `completed ⚠ sim`."""
    return " ".join([status, *(BADGES[f] for f in flags if f in BADGES)])


def contention_text(measurement: Mapping[str, Any]) -> str | None:
    """`other work on its devices 35 % of the time` (with --allow-overlap noted), None when not contended."""
    if not is_contended(measurement):
        return None
    share = contention_share(measurement)
    parts = [f"other work on its devices {share * 100:.0f} % of the time" if share is not None else "other work on its devices"]
    if overlapped(measurement):
        parts.append("started with --allow-overlap on a busy device")
    return "; ".join(parts)
