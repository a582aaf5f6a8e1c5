"""A shared or crafted store can do no harm: paths, file kinds, wrong-shaped records, full disks.

Each test reproduces one way a store written by someone else (or torn, or hand-edited) used to
make greentui write where it should not, replace what it should not, or crash.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from greentui.store.record import RunRecord, utc_now
from greentui.store.run_store import RunStore
from tests.support import greentui


def crafted_store(store_path: Path, docs: list[object]) -> None:
    """A runs.json holding exactly these documents, as TinyDB lays them out."""
    store_path.write_text(json.dumps({"runs": {str(i + 1): doc for i, doc in enumerate(docs)}}))


def good(run_id: str, **fields: object) -> dict[str, object]:
    return {"id": run_id, "name": run_id, "status": "completed", "created_at": "2026-11-30T10:00:00+00:00",
            "metrics": {"accuracy": 0.9, "energy_kwh": 0.0004}, **fields}


def test_a_symlinked_store_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "runs.json"
    RunStore(target).insert(RunRecord(id="theirs", name="theirs", status="completed", created_at=utc_now()))
    mine = tmp_path / "me"
    mine.mkdir()
    link = mine / "runs.json"
    link.symlink_to(target)

    RunStore(link).insert(RunRecord(id="mine", name="mine", status="completed", created_at=utc_now()))

    assert link.is_symlink()
    assert {r.id for r in RunStore(target).all()} == {"theirs", "mine"}
    assert RunStore(link).runs_root == shared / "runs"  # run folders beside the shared file, not the link


def test_a_device_or_fifo_is_never_read_or_replaced(tmp_path: Path) -> None:
    result = greentui("ls", store=Path("/dev/null"))
    assert result.returncode == 2 and "/dev/null is not a regular file" in result.stderr
    assert Path("/dev/null").is_char_device()

    fifo = tmp_path / "runs.json"
    os.mkfifo(fifo)
    ran = greentui("run", "--preset", "tiny", store=fifo, timeout=120)  # reading a FIFO would block for ever
    assert ran.returncode == 2 and "is not a regular file" in ran.stderr
    assert fifo.is_fifo() and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("run_dir", ["../victim", "ABSOLUTE", "runs/planted", "runs/../../victim", ""])
def test_a_run_dir_outside_runs_is_refused_and_nothing_is_written_there(tmp_path: Path, run_dir: str) -> None:
    # The store one folder down, so that `../victim` is this test's own folder, not one other tests share.
    store_path, victim = tmp_path / "store" / "runs.json", tmp_path / "victim"
    victim.mkdir()
    (store_path.parent / "runs").mkdir(parents=True)
    (store_path.parent / "runs" / "planted").symlink_to(victim)  # a symlink inside runs/ escaping it
    (victim / "events.jsonl").write_text(json.dumps({"type": "step", "t": 1.0, "step": 3, "loss": 0.5}) + "\n")
    run_dir = str(victim) if run_dir == "ABSOLUTE" else run_dir
    crafted_store(store_path, [good("crafted", status="running", run_dir=run_dir, pid=None)])

    listed = greentui("ls", store=store_path)

    assert listed.returncode == 0, listed.stderr
    assert sorted(p.name for p in victim.iterdir()) == ["events.jsonl"]  # no curves.json written there
    record = RunStore(store_path).get("crafted")
    assert record is not None and record.status == "crashed"
    assert "is not a folder inside" in (record.error or "")


def test_wrong_shaped_records_are_skipped_with_one_warning_and_the_rest_shown(store_path: Path) -> None:
    crafted_store(store_path, [
        good("fine"),
        {"name": "no id at all"},
        {"id": 42, "name": "numeric id"},
        good("odd-types", name=["a", "list"], metrics="not a dict", config=[1, 2], pid="12", error=7,
             created_at=None, run_dir=5),
    ])

    listed = greentui("ls", "--json", store=store_path)
    assert listed.returncode == 0, listed.stderr
    assert sorted(r["id"] for r in json.loads(listed.stdout)) == ["fine", "odd-types"]
    assert "skipped what is not a run" in listed.stderr and str(store_path) in listed.stderr
    assert "1 more" in listed.stderr

    for _ in range(2):  # the table formats what the record kept; the second listing reads the index and warns too
        table = greentui("ls", store=store_path)
        assert table.returncode == 0 and "odd-types" in table.stdout
        assert "skipped what is not a run" in table.stderr and "1 more" in table.stderr
    shown = greentui("show", "odd-types", store=store_path)
    assert shown.returncode == 0 and "name: odd-types" in shown.stdout
    exported = greentui("export", "--all", "-o", str(store_path.parent / "all.csv"), store=store_path)
    assert exported.returncode == 0 and "wrote 2 run(s)" in exported.stdout


def test_documents_tinydb_cannot_hold_are_skipped_and_a_rewrite_refused_with_nothing_lost(store_path: Path) -> None:
    # A document that is not an object, or whose document id is not a number, crashed every
    # listing (TinyDB copies each document into a dict keyed by int(id)).
    store_path.write_text(json.dumps({"runs": {"1": 5, "x": good("lettered"), "3": good("fine")}}))
    before = store_path.read_bytes()
    for command in (["ls"], ["ls", "--json"], ["export", "--all", "-o", "-"], ["show", "fine"]):
        listed = greentui(*command, store=store_path)
        assert listed.returncode == 0, (command, listed.stderr)
        assert "fine" in listed.stdout and "lettered" not in listed.stdout
        assert "document 1: a int, not an object (and 1 more)" in listed.stderr
    tagged = greentui("tag", "fine", "paper", store=store_path)  # a rewrite through TinyDB
    assert tagged.returncode == 2 and "Traceback" not in tagged.stderr
    assert "document '1' is not a run TinyDB can keep" in tagged.stderr and str(store_path) in tagged.stderr
    assert store_path.read_bytes() == before


def test_pids_that_name_no_worker_are_never_believed(store_path: Path) -> None:
    # pid 1 is init (kill(-1) would signal every process), -1 is "all": no worker is either.
    crafted_store(store_path, [good("init", status="running", pid=1, run_dir="runs/init"),
                               good("all", status="running", pid=-1, run_dir="runs/all")])
    for run_id in ("init", "all"):
        assert RunStore(store_path).get(run_id).pid is None
        stopped = greentui("stop", run_id, store=store_path)
        assert stopped.returncode == 1 and "is not running" in stopped.stderr


def test_duplicate_ids_are_shown_and_updated_together(store_path: Path) -> None:
    crafted_store(store_path, [good("twin", name="older"), good("twin", name="newer")])
    store = RunStore(store_path)
    assert store.get("twin").name == "newer"
    store.update("twin", name="renamed")
    assert [r.name for r in RunStore(store_path).all()] == ["renamed", "renamed"]
    assert greentui("show", "twin", store=store_path).returncode == 0


def test_stale_temporary_files_of_killed_writers_are_cleared_under_the_lock(store_path: Path) -> None:
    stale = store_path.parent / ".runs.json.killed.tmp"
    fresh = store_path.parent / ".runs.json.writing.tmp"
    stale.write_bytes(b"x" * 1000)
    fresh.write_bytes(b"y")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))

    RunStore(store_path).insert(RunRecord(id="one", name="one", status="completed", created_at=utc_now()))

    assert not stale.exists()
    assert fresh.exists()  # a live writer's file is seconds old: left alone


def _tiny_file_limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG where a full disk gives ENOSPC
    resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))


def test_a_full_disk_at_launch_is_one_line_and_leaves_no_run_folder(store_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "greentui", "--store", str(store_path), "run", "--preset", "tiny"],
        capture_output=True, text=True, timeout=120, cwd=store_path.parent, preexec_fn=_tiny_file_limit,
        check=False,
    )
    assert result.returncode == 2
    assert "cannot create the run folder" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not any((store_path.parent / "runs").glob("*"))
    assert not store_path.exists()


def test_a_store_that_cannot_be_written_is_still_listed_and_says_why(store_path: Path) -> None:
    # A dead run that reconcile would mark crashed, in a store whose lock cannot be taken: the same
    # path as a read-only store (root ignores file permissions, so a directory stands in for the lock).
    crafted_store(store_path, [good("fine"), good("dead", status="running", pid=999_999_999,
                                                  created_at="2026-11-30T09:00:00+00:00")])
    store_path.with_name("runs.json.lock").mkdir()
    before = store_path.read_bytes()
    listed = greentui("ls", store=store_path)
    assert listed.returncode == 0, listed.stderr
    assert "runs left as stored" in listed.stderr and "cannot lock run store" in listed.stderr
    rows = {line.split("\t")[0]: line for line in listed.stdout.splitlines()[1:]}
    assert set(rows) == {"fine", "dead"} and "\trunning\t" in rows["dead"]
    assert store_path.read_bytes() == before  # nothing lost, nothing half-written
