"""Contended and simulated runs: flagged wherever a run is listed, and left out where runs are judged."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from greentui.metrics.quality import CONTENDED_SHARE, badge_text, flags_of, is_contended
from greentui.report.attribution import attribute, completed_groups, contended_note
from greentui.store.run_store import RunStore
from tests.support import fixture_record, greentui, make_store

CONTENDED = {"contention": {"share": 0.35, "others": [{"pid": 4242, "comm": "python3"}]}}


@pytest.mark.parametrize(("measurement", "flags"), [
    ({}, ()),
    ({"contention": {"share": CONTENDED_SHARE / 2}}, ()),
    ({"contention": {"share": CONTENDED_SHARE}}, ("contended",)),
    ({"lease": {"overlapped": True}}, ("contended",)),
    ({"simulated": True, **CONTENDED}, ("contended", "simulated")),
    # Stored data is untrusted: junk flags nothing and breaks nothing.
    ({"contention": {"share": "35 %"}, "simulated": "yes", "lease": []}, ()),
    ({"contention": {"share": 7.0}}, ()),
    ({"contention": [0.5]}, ()),
])
def test_flags_come_from_the_measurement(measurement: dict, flags: tuple) -> None:
    assert flags_of(measurement) == flags
    assert badge_text("completed", flags).startswith("completed")


def test_ls_and_show_mark_a_contended_and_a_simulated_run(tmp_path: Path) -> None:
    store = make_store(tmp_path, count=2)
    first = fixture_record(0, store)
    store.update(first.id, measurement={**first.measurement, **CONTENDED, "simulated": True})
    listed = greentui("ls", store=store.path)
    row = next(line for line in listed.stdout.splitlines() if line.startswith(first.id))
    assert "completed ⚠ sim" in row
    other = next(line for line in listed.stdout.splitlines() if line.startswith(fixture_record(1, store).id))
    assert "⚠" not in other
    shown = greentui("show", first.id, store=store.path)
    assert "contended: other work on its devices 35 % of the time" in shown.stdout
    assert "simulated GPU" in shown.stdout
    # The index keeps the flags: a second listing (read from it) shows the same.
    assert greentui("ls", store=store.path).stdout == listed.stdout


def test_attribution_leaves_contended_runs_out_unless_asked(tmp_path: Path) -> None:
    store = make_store(tmp_path, count=3)
    records = RunStore(store.path).all()
    records[1] = replace(records[1], measurement={**records[1].measurement, **CONTENDED})
    assert is_contended(records[1].measurement)
    groups = completed_groups(records, lambda r: r.name)
    assert records[1].name not in groups and len(groups) == 2
    assert "1 contended run(s) left out" in (contended_note(records, included=False) or "")
    kept = completed_groups(records, lambda r: r.name, include_contended=True)
    assert records[1].name in kept and "included" in (contended_note(records, included=True) or "")
    assert [row.role for row in attribute(groups, baseline=records[0].name)] == [records[0].name, records[2].name]
