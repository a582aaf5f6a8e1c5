"""Projection of a run's final time, energy and CO2 from its rate so far."""

from __future__ import annotations

import pytest

from greentui.projection import Projector, Reading, project


def test_the_remaining_steps_cost_what_the_steps_so_far_cost() -> None:
    # Loading took 10 s and 0.002 kWh before the first reading; then 1 s a step at 0.0001 kWh a second.
    first = Reading(step=1, t=10.0, energy_kwh=0.002, emissions_kg=0.001, energy_t=10.0)
    now = Reading(step=11, t=20.0, energy_kwh=0.003, emissions_kg=0.0015, energy_t=20.0)
    got = project(first, now, total_steps=101)
    assert got.duration_s == pytest.approx(110.0)  # 20 s + 90 steps x 1 s: loading is not multiplied
    assert got.energy_kwh == pytest.approx(0.012) and got.emissions_kg == pytest.approx(0.006)
    assert got.fraction_done == pytest.approx(11 / 101)


def test_energy_measured_late_is_projected_from_when_it_was_measured() -> None:
    # The same run, but each energy figure was measured 1.5 s before its step ended: the figures
    # are smaller, and the energy still to come is 91.5 s at 0.0001 kWh/s, not 90 s.
    first = Reading(step=1, t=10.0, energy_kwh=0.00185, emissions_kg=0.000925, energy_t=8.5)
    now = Reading(step=11, t=20.0, energy_kwh=0.00285, emissions_kg=0.001425, energy_t=18.5)
    got = project(first, now, total_steps=101)
    assert got.energy_kwh == pytest.approx(0.012) and got.emissions_kg == pytest.approx(0.006)


def test_the_evaluation_after_training_is_added_to_energy_not_to_training_time() -> None:
    first = Reading(1, 10.0, 0.002, 0.001, 10.0)
    now = Reading(11, 20.0, 0.003, 0.0015, 20.0)
    got = project(first, now, total_steps=101, final_eval_s=5.0)
    assert got.duration_s == pytest.approx(110.0)
    assert got.energy_kwh == pytest.approx(0.0125)  # 5 s more at 0.0001 kWh/s


def test_nothing_is_projected_on_too_little() -> None:
    first = Reading(0, 0.0, 0.0, 0.0, 0.0)
    assert project(first, Reading(4, 4.0, 1.0, 1.0, 4.0), total_steps=10) is None  # under MIN_STEPS
    assert project(first, Reading(20, 4.0, 1.0, 1.0, 4.0), total_steps=1000) is None  # 2 % done
    assert project(first, Reading(40, 4.0, 1.0, 1.0, 1.0), total_steps=1000) is None  # energy over 1 s only
    assert project(first, Reading(40, 4.0, 1.0, 1.0, 4.0), total_steps=1000) is not None


def test_a_finished_run_projects_what_it_measured() -> None:
    first = Reading(1, 1.0, 0.001, 0.0005, 1.0)
    got = project(first, Reading(50, 30.0, 0.004, 0.002, 30.0), total_steps=50)
    assert (got.duration_s, got.energy_kwh, got.fraction_done) == (30.0, 0.004, 1.0)


def test_the_projector_keeps_its_first_reading_and_adds_the_mean_evaluation() -> None:
    projector = Projector()
    assert projector.update(Reading(1, 5.0, 0.1, 0.05, 5.0), 20) is None
    got = projector.update(Reading(11, 15.0, 0.2, 0.1, 15.0), 20)
    assert got.energy_kwh == pytest.approx(0.29) and projector.latest == got  # 9 steps x 1 s x 0.01 kWh/s
    projector.note_eval(1.0)
    projector.note_eval(3.0)
    got = projector.update(Reading(12, 16.0, 0.21, 0.105, 16.0), 20)
    assert got.energy_kwh == pytest.approx(0.21 + 0.01 * (8 + 2))  # 8 steps left, then a 2 s evaluation
