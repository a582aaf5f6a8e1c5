"""Older stores migrate once: inline curves move from runs.json to RUN_DIR/curves.json, losing nothing.

The stores here are written the way greentui wrote them before curves moved out (one compact
line of JSON, each record's curves inside it), on a real disk, and opened by the real store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from greentui.cli.main import main
from greentui.metrics.curves import curves_from_events
from greentui.store.curve_migration import move_inline_curves
from greentui.store.curves import CURVES_FILE
from greentui.store.index import index_path, is_current
from greentui.store.run_store import RunStore
from greentui.tui.app import GreenTuiApp
from tests.support import fixture_events, fixture_record


def old_store(path: Path, count: int = 3, make_folders: bool = True, **changed: dict[str, Any]) -> list[dict]:
    """A runs.json as older versions wrote it: one line, every record with its curves inline.

    `changed`: fields to change per run id (a crafted run_dir, say). Returns the documents written.
    """
    store = RunStore(path)
    docs = []
    for index in range(count):
        record = fixture_record(index, store)  # makes runs/ID with its events, and a curves.json: not in old stores
        (store.runs_root / record.id / CURVES_FILE).unlink()
        if not make_folders:
            (store.runs_root / record.id / "events.jsonl").unlink()
            (store.runs_root / record.id).rmdir()
        doc = record.to_doc()
        doc["curves"] = curves_from_events(fixture_events(steps=30 + 10 * index))
        doc.update(changed.get(record.id, {}))
        docs.append(json.loads(json.dumps(doc)))  # as read back from JSON: tuples are lists
    path.write_text(json.dumps({"runs": {str(i + 1): d for i, d in enumerate(docs)}}, separators=(",", ":")))
    return docs


def shown_curves(path: Path) -> dict[str, dict]:
    store = RunStore(path)
    return {record.id: store.curves(record) for record in store.all()}


def stored_docs(path: Path) -> list[dict]:
    return list(json.loads(path.read_bytes())["runs"].values())


def test_inline_curves_move_once_and_every_curve_reads_the_same(store_path: Path) -> None:
    docs = old_store(store_path, count=4)
    RunStore(store_path).summaries()  # the store has its index, as any store greentui has opened
    before, size_before = shown_curves(store_path), store_path.stat().st_size
    assert all(before.values())

    moved = move_inline_curves(RunStore(store_path))

    assert moved is not None and (moved.moved, moved.kept) == (4, 0)
    assert moved.size_before == size_before and moved.size_after == store_path.stat().st_size < size_before / 2
    assert "moved the curves of 4 run(s)" in moved.note() and "→" in moved.note()
    assert all(doc["curves"] == {} for doc in stored_docs(store_path))
    for doc in docs:
        on_disk = json.loads((store_path.parent / doc["run_dir"] / CURVES_FILE).read_text())
        assert on_disk == doc["curves"]
    assert shown_curves(store_path) == before
    # Everything but the curves is as it was.
    assert [{**d, "curves": {}} for d in docs] == stored_docs(store_path)
    # The index still describes the rewritten file, and says what a rebuild says.
    store = RunStore(store_path)
    assert is_current(store_path, store.stamp())
    kept = store.summaries()
    index_path(store_path).unlink()
    assert RunStore(store_path).summaries() == kept

    stamp = RunStore(store_path).stamp()
    assert move_inline_curves(RunStore(store_path)) is None  # the second open does nothing
    assert RunStore(store_path).stamp() == stamp


def test_the_cli_says_it_once_on_stderr_and_the_listing_is_unchanged(store_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    old_store(store_path)
    assert main(["--store", str(store_path), "ls"]) == 0
    first = capsys.readouterr()
    assert [line for line in first.err.splitlines() if "moved the curves" in line] == [
        line for line in first.err.splitlines() if line.startswith("greentui: moved the curves of 3 run(s)")]
    assert "moved the curves of 3 run(s)" in first.err
    assert main(["--store", str(store_path), "ls"]) == 0
    second = capsys.readouterr()
    assert "moved" not in second.err and second.out == first.out


async def test_the_tui_shows_the_note_as_a_notification(store_path: Path) -> None:
    app = GreenTuiApp(RunStore(store_path), attach_running=False, notes=["moved the curves of 3 run(s) …"])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert any("moved the curves of 3 run(s)" in n.message for n in app._notifications)


def test_a_run_whose_folder_is_gone_gets_one_made_as_a_launch_makes_it(store_path: Path) -> None:
    docs = old_store(store_path, count=2, make_folders=False)
    before = shown_curves(store_path)
    moved = move_inline_curves(RunStore(store_path))
    assert moved is not None and moved.moved == 2
    for doc in docs:
        folder = store_path.parent / doc["run_dir"]
        assert folder.stat().st_mode & 0o777 == 0o700
        assert json.loads((folder / CURVES_FILE).read_text()) == doc["curves"]
    assert shown_curves(store_path) == before


def test_a_different_curves_json_already_there_is_never_overwritten(store_path: Path) -> None:
    docs = old_store(store_path, count=2)
    theirs = store_path.parent / docs[0]["run_dir"] / CURVES_FILE
    theirs.write_text('{"train_loss":[[1,9.0]]}')
    before = shown_curves(store_path)

    moved = move_inline_curves(RunStore(store_path))

    assert moved is not None and (moved.moved, moved.kept) == (1, 1) and "1 kept inline" in moved.note()
    assert theirs.read_text() == '{"train_loss":[[1,9.0]]}'
    assert stored_docs(store_path)[0]["curves"] == docs[0]["curves"]  # still inline, still what is shown
    assert shown_curves(store_path) == before


def test_a_migration_cut_short_after_the_files_finishes_next_time(store_path: Path) -> None:
    docs = old_store(store_path, count=2)
    for doc in docs:  # the first step done, the crash before runs.json was replaced
        (store_path.parent / doc["run_dir"] / CURVES_FILE).write_text(json.dumps(doc["curves"]))
    assert shown_curves(store_path) == {d["id"]: d["curves"] for d in docs}
    moved = move_inline_curves(RunStore(store_path))
    assert moved is not None and (moved.moved, moved.kept) == (2, 0)
    assert shown_curves(store_path) == {d["id"]: d["curves"] for d in docs}


def test_crafted_run_dirs_are_never_written_and_keep_their_curves_inline(tmp_path: Path) -> None:
    # The store one folder down, so that `../victim` is this test's own folder, not one other tests share.
    store_path, outside = tmp_path / "store" / "runs.json", tmp_path / "victim"
    store_path.parent.mkdir()
    outside.mkdir()
    (store_path.parent / "runs").mkdir()
    (store_path.parent / "runs" / "planted").symlink_to(outside)
    ids = [fixture_record(i, RunStore(store_path)).id for i in range(5)]
    docs = old_store(store_path, count=5, **{
        ids[0]: {"run_dir": "../victim"}, ids[1]: {"run_dir": str(outside)}, ids[2]: {"run_dir": "runs/planted"},
        ids[3]: {"run_dir": "runs/" + ids[4]},  # two records naming one folder: whose curves would it show?
    })
    before = shown_curves(store_path)

    moved = move_inline_curves(RunStore(store_path))

    assert not any(outside.iterdir())
    assert not (store_path.parent / CURVES_FILE).exists()
    assert moved is None  # nothing could move: runs.json is left as it was
    assert stored_docs(store_path) == docs
    assert shown_curves(store_path) == before


def test_bad_documents_cost_nothing_but_themselves(store_path: Path) -> None:
    docs = old_store(store_path, count=1)
    raw = json.loads(store_path.read_text())
    raw["runs"].update({"7": {"curves": {"train_loss": [[1, 2]]}}, "8": {"id": 5, "curves": {"a": 1}},
                        "9": {"id": "x", "run_dir": "runs/x", "curves": [1, 2]},
                        "10": {"id": "y", "run_dir": "runs/\x00y", "curves": {"a": 1}}})
    store_path.write_text(json.dumps(raw))
    moved = move_inline_curves(RunStore(store_path))
    assert moved is not None and (moved.moved, moved.kept) == (1, 3)
    assert stored_docs(store_path)[0] == {**docs[0], "curves": {}}
    assert [d.get("curves") for d in stored_docs(store_path)[1:]] == [{"train_loss": [[1, 2]]}, {"a": 1}, [1, 2],
                                                                      {"a": 1}]


def test_a_store_that_does_not_parse_is_left_alone(store_path: Path) -> None:
    store_path.write_text('{"runs":{"1":{"id":"a","curves":{"x":[[1,2]]}}')  # torn
    assert move_inline_curves(RunStore(store_path)) is None
    assert store_path.read_text() == '{"runs":{"1":{"id":"a","curves":{"x":[[1,2]]}}'


def test_a_store_whose_lock_cannot_be_taken_is_left_as_it_is(store_path: Path) -> None:
    old_store(store_path, count=2)
    store_path.with_name("runs.json.lock").mkdir()  # what root meets where a read-only user would be refused
    before, shown = store_path.read_bytes(), shown_curves(store_path)
    assert move_inline_curves(RunStore(store_path)) is None
    assert store_path.read_bytes() == before and shown_curves(store_path) == shown


def _read_only_command(folder: Path, command: list[str]) -> list[str]:
    """`command` run where `folder` cannot be written: by its permissions, or for root (whom permissions do not
    stop) on a read-only bind mount of it in a mount namespace of the command's own."""
    if os.geteuid() != 0:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        return command
    remount = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", remount, str(folder), "true"], capture_output=True,
                           check=False)
    if probe.returncode != 0:
        pytest.skip("running as root without mount namespaces: no way to make a folder read-only for this test")
    return ["unshare", "--mount", "sh", "-c", remount, str(folder), *command]


def test_a_read_only_store_is_listed_with_its_curves_and_left_untouched(store_path: Path) -> None:
    docs = old_store(store_path, count=2)
    RunStore(store_path).summaries()
    folder = store_path.parent
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    command = _read_only_command(folder, [sys.executable, "-m", "greentui", "--store", str(store_path), "show",
                                          docs[0]["id"], "--json"])
    try:
        shown = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120, cwd=folder)
        assert shown.returncode == 0, shown.stderr
        assert "moved" not in shown.stderr and "Traceback" not in shown.stderr
        assert json.loads(shown.stdout)["curves"] == docs[0]["curves"]
        assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
        assert not list(folder.rglob(CURVES_FILE))
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                path.chmod(0o700)
