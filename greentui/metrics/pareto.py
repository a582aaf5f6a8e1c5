"""The energy-accuracy Pareto front."""

from __future__ import annotations

from typing import Sequence


def pareto_front(points: Sequence[tuple[float, float] | None]) -> set[int]:
    """Indexes of (energy, accuracy) points that no other point beats on both (less energy, more accuracy)."""
    front = set()
    for i, point in enumerate(points):
        if point is None:
            continue
        energy, accuracy = point
        beaten = any(
            other is not None and other[0] <= energy and other[1] >= accuracy and other != point
            for j, other in enumerate(points) if j != i
        )
        if not beaten:
            front.add(i)
    return front

