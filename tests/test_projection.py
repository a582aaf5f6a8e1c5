"""Projection of a run's final time, energy and CO2 from its rate so far."""

from __future__ import annotations

import pytest

from greentui.projection import Projector, Reading, project


def test_the_remaining_steps_cost_what_the_steps_so_far_cost() -> None:
    first = Reading(step=1, t=10.0, energy_kwh=0.002, emissions_kg=0.001)  # loading cost 10 s, 0.002 kWh
    now = Reading(step=11, t=20.0, energy_kwh=0.003, emissions_kg=0.0015)  # then 1 s, 0.0001 kWh a step
    got = project(first, now, total_steps=101)
    assert got.duration_s == pytest.approx(110.0)  # 20 s + 90 steps x 1 s: loading is not multiplied
    assert got.energy_kwh == pytest.approx(0.012) and got.emissions_kg == pytest.approx(0.006)
    assert got.fraction_done == pytest.approx(11 / 101)


def test_nothing_is_projected_on_too_little() -> None:
    first = Reading(0, 0.0, 0.0, 0.0)
    assert project(first, Reading(4, 4.0, 1.0, 1.0), total_steps=10) is None  # under MIN_STEPS
    assert project(first, Reading(20, 4.0, 1.0, 1.0), total_steps=1000) is None  # 2 % done
    assert project(first, Reading(40, 4.0, 1.0, 1.0), total_steps=1000) is not None


def test_the_projector_keeps_its_first_reading_and_its_last_projection() -> None:
    projector = Projector()
    assert projector.update(Reading(1, 5.0, 0.1, 0.05), 20) is None
    got = projector.update(Reading(11, 15.0, 0.2, 0.1), 20)
    assert got.energy_kwh == pytest.approx(0.29) and projector.latest == got
