"""Which GPUs a run uses: CUDA_VISIBLE_DEVICES read the way CUDA reads it, mapped to NVML devices.

CUDA takes a comma-separated list of device indices or UUIDs (`GPU-8f3e…`, or any prefix of one
that names a single GPU). It stops at the first entry that names no device, so `-1` or an empty
value hides every GPU; unset, every GPU is visible. Only those GPUs are the run's to measure.

NVML numbers GPUs in PCI bus order. CUDA does too under CUDA_DEVICE_ORDER=PCI_BUS_ID; by default
it puts the fastest first, which is the same order on a machine whose GPUs are all one model. On
a mixed machine without that setting an index may name another GPU for CUDA than for NVML, and
the selection says so. UUIDs are never ambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Selection:
    """The NVML indices of the run's GPUs, in CUDA's order, and anything the record should know about it."""

    indices: tuple[int, ...]
    note: str = ""


def select_gpus(visible: str | None, uuids: Sequence[str], names: Sequence[str],
                device_order: str | None = None) -> Selection:
    """The GPUs CUDA_VISIBLE_DEVICES (`visible`; None when unset) leaves a run, among NVML's `uuids`."""
    if visible is None:
        return Selection(tuple(range(len(uuids))))
    chosen: list[int] = []
    notes: list[str] = []
    by_index = False
    for raw in visible.split(",") if visible.strip() else []:
        entry = raw.strip()
        index = _resolve(entry, uuids)
        if index is None:
            notes.append(f"CUDA_VISIBLE_DEVICES entry {entry!r} names no GPU here: it and any after it are "
                         "ignored, as CUDA ignores them")
            break
        by_index = by_index or entry.isdigit()
        if index not in chosen:  # a GPU named twice is still measured once
            chosen.append(index)
    if by_index and len(set(names)) > 1 and (device_order or "").strip().upper() != "PCI_BUS_ID":
        notes.append("CUDA_VISIBLE_DEVICES gives indices on a machine with several GPU models and "
                     "CUDA_DEVICE_ORDER is not PCI_BUS_ID: they were read in NVML's (PCI bus) order, "
                     "which CUDA may not share")
    return Selection(tuple(chosen), "; ".join(notes))


def _resolve(entry: str, uuids: Sequence[str]) -> int | None:
    """The NVML index an entry names, or None: an index out of range, an unknown or ambiguous UUID, `-1`, MIG."""
    if entry.isascii() and entry.isdigit():
        index = int(entry)
        return index if index < len(uuids) else None
    if entry[:4].upper() == "GPU-" and len(entry) > 4:
        matches = [i for i, uuid in enumerate(uuids) if uuid.lower().startswith(entry.lower())]
        return matches[0] if len(matches) == 1 else None
    return None  # MIG instances are slices of a GPU whose power NVML gives only whole
