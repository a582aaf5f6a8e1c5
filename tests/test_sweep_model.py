"""Sweep files as frozen dataclasses: the round trip, progress by replacement, and broken files skipped by name."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from greentui.cli.main import main
from greentui.config import RunConfig
from greentui.queue.runner import work
from greentui.queue.runner_process import runner_running
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore
from greentui.sweep.model import SweepFileError, parse_sweep, read_sweep_file, sweep_to_doc
from greentui.sweep.plan import parse_techniques, plan_runs
from greentui.sweep.queue import all_sweeps, create_sweep, save_sweep, scan_sweeps, sweeps_dir

SHORT = RunConfig().with_values(train_samples=320, epochs=2)


def planned(store: RunStore):
    techniques = parse_techniques("label_smoothing=0.1", SHORT)
    return create_sweep(store, SHORT, techniques, "ablation", 1, plan_runs(SHORT, techniques, "ablation", 1))


def test_a_sweep_file_reads_back_equal_and_progress_is_a_new_sweep(store_path: Path) -> None:
    store = RunStore(store_path)
    sweep = planned(store)
    path = sweeps_dir(store) / f"{sweep.id}.json"
    assert read_sweep_file(path) == sweep
    assert sweep.config_of(sweep.entries[1]).label_smoothing == pytest.approx(0.1)
    noted = sweep.with_run(1, "run-b")
    assert sweep.entries[1].run_id is None  # the old one is untouched
    assert [e.run_id for e in noted.entries] == [None, "run-b"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        noted.entries[1].run_id = "other"  # type: ignore[misc]
    save_sweep(store, noted)
    assert json.loads(path.read_text())["entries"][1]["run_id"] == "run-b"
    assert read_sweep_file(path) == noted


BROKEN = {
    "not-json": "{not json",
    "a-list": "[1, 2]",
    "no-entries": {"drop": "entries"},
    "bad-repeats": {"repeats": "two"},
    "bad-plan": {"plan": "random"},
    "bad-baseline": {"baseline": {"optimizer": "lion"}},
    "bad-entry": {"entries": [{"role": "baseline", "changes": {"epochs": [1]}, "repeat": 0, "run_id": None}]},
    "bad-repeat": {"entries": [{"role": "baseline", "changes": {}, "repeat": -1, "run_id": None}]},
    "escaping-id": {"id": "../../etc"},
    "bad-prune": {"prune": "sometimes"},
    "prune-not-text": {"prune": ["dominated"]},
    "pruned-reproduction": {"plan": "reproduce", "prune": "dominated"},
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_sweep_file_is_skipped_with_its_name(store_path: Path, case: str, capsys) -> None:
    store = RunStore(store_path)
    good = planned(store)
    change = BROKEN[case]
    if isinstance(change, str):
        text = change
    else:
        doc = {**sweep_to_doc(good), "id": "20260101-000000-bad0"}
        doc.pop(change.get("drop", ""), None)
        doc.update({k: v for k, v in change.items() if k != "drop"})
        text = json.dumps(doc)
    broken = sweeps_dir(store) / "20260101-000000-bad0.json"
    broken.write_text(text)
    sweeps, skipped = scan_sweeps(store)
    assert sweeps == [good]
    assert len(skipped) == 1 and str(broken) in skipped[0]
    assert broken.read_text() == text  # never changed
    assert main(["--store", str(store_path), "sweep", "--list"]) == 0
    out = capsys.readouterr()
    assert good.id in out.out and str(broken) in out.err


def test_a_sweep_remembers_whether_it_prunes_and_older_files_do_not(store_path: Path) -> None:
    store = RunStore(store_path)
    techniques = parse_techniques("label_smoothing=0.1", SHORT)
    sweep = create_sweep(store, SHORT, techniques, "grid", 1, plan_runs(SHORT, techniques, "grid", 1), "dominated")
    path = sweeps_dir(store) / f"{sweep.id}.json"
    assert read_sweep_file(path).prune == "dominated" and json.loads(path.read_text())["prune"] == "dominated"
    doc = json.loads(path.read_text())
    del doc["prune"]  # written before pruning existed
    assert parse_sweep(doc, "old.json").prune == "off"
    with pytest.raises(SweepFileError, match=r"sweep file x\.json: prune 'always' is not one of off, dominated"):
        parse_sweep({**doc, "prune": "always"}, "x.json")


def test_parse_names_the_field_at_fault() -> None:
    with pytest.raises(SweepFileError, match=r"sweep file x\.json: techniques is not a list"):
        parse_sweep({"id": "s1", "created_at": "now", "plan": "grid", "repeats": 1, "techniques": {"a": 1},
                     "baseline": {}, "entries": []}, "x.json")


def test_the_runner_adopts_runs_already_made_and_exits_once_nothing_is_left(store_path: Path) -> None:
    store = RunStore(store_path)
    first, second = planned(store), planned(store)
    for sweep in (first, second):  # every run already ended: the runner only notes them
        for entry in sweep.entries:
            store.insert(RunRecord(id=f"{sweep.id}-{entry.role}", name=entry.label, status="completed",
                                   created_at="2026-11-22T09:00", sweep=entry.tag(sweep.id)))
    said: list[str] = []
    assert work(store, said.append) == 0
    assert said[-1].endswith("nothing left to do")
    noted = {s.id: s for s in all_sweeps(store)}
    for sweep in (first, second):
        assert [e.run_id for e in noted[sweep.id].entries] == [f"{sweep.id}-{e.role}" for e in sweep.entries]
    assert len(store.all()) == 2 * len(first.entries)  # nothing launched
    assert not runner_running(store)  # its lock went with it
