"""runs.json's one-run-per-line layout and its index: fast writes that stay TinyDB files and never touch a broken one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tinydb import TinyDB

from greentui.store.index import index_path
from greentui.store.record import RunRecord, utc_now
from greentui.store.run_store import RunStore, RunSummary, StoreError


def run(run_id: str, **fields: object) -> RunRecord:
    return RunRecord(id=run_id, name=f"run {run_id}", status="running", created_at=utc_now(), **fields)  # type: ignore[arg-type]


def plain_tinydb_docs(path: Path) -> list[dict]:
    db = TinyDB(path)  # TinyDB's own storage, as any other tool would open the file
    try:
        return [dict(d) for d in db.table("runs").all()]
    finally:
        db.close()


def test_fast_writes_leave_a_file_tinydb_reads_and_an_index_equal_to_a_rebuild(store_path: Path) -> None:
    store = RunStore(store_path)
    store.summaries()  # an empty store gets its (empty) index
    for n in range(5):
        store.insert(run(f"r{n}", config={"lora": n % 2 == 1}))
    store.update("r1", status="completed", metrics={"accuracy": 0.75, "energy_kwh": 0.001})
    store.update("r4", name='a "quoted"\nname')
    store.delete(["r2"])
    docs = plain_tinydb_docs(store_path)
    assert [d["id"] for d in docs] == ["r0", "r1", "r3", "r4"]
    assert docs[1]["metrics"] == {"accuracy": 0.75, "energy_kwh": 0.001} and docs[3]["name"] == 'a "quoted"\nname'
    assert len(store_path.read_bytes().splitlines()) == 2 + 4  # the table's opening line, four runs, the close
    kept = store.summaries()
    index_path(store_path).unlink()
    rebuilt = RunStore(store_path).summaries()
    assert kept == rebuilt
    assert [s.tags for s in rebuilt] == [(), ("lora8",), ("lora8",), ()]
    assert rebuilt[1] == RunSummary("r1", "run r1", "completed", rebuilt[1].created_at, ("lora8",),
                                    {"accuracy": 0.75, "energy_kwh": 0.001})


def test_an_old_compact_file_is_read_and_rewritten_in_the_layout(store_path: Path) -> None:
    docs = {str(i + 1): run(f"old{i}").to_doc() for i in range(3)}
    store_path.write_text(json.dumps({"runs": docs}))
    store = RunStore(store_path)
    assert [s.id for s in store.summaries()] == ["old0", "old1", "old2"]
    store.insert(run("new"))
    assert store_path.read_bytes().count(b"\n") == 6
    assert [d["id"] for d in plain_tinydb_docs(store_path)] == ["old0", "old1", "old2", "new"]


def test_an_edit_by_another_tool_makes_the_index_stale_and_it_is_rebuilt(store_path: Path) -> None:
    store = RunStore(store_path)
    store.insert(run("a"))
    assert store.summaries()[0].status == "running"
    data = json.loads(store_path.read_text())
    data["runs"]["1"]["status"] = "stopped"
    store_path.write_text(json.dumps(data))  # compact again, and a new stamp
    assert RunStore(store_path).summaries()[0].status == "stopped"


def test_a_broken_file_in_the_layout_is_never_spliced_into(store_path: Path) -> None:
    store = RunStore(store_path)
    store.insert(run("a"))
    store.insert(run("b"))
    store.summaries()
    lines = store_path.read_bytes().split(b"\n")
    lines[1] = lines[1][:40]  # a hand edit cuts run a's line short; the head and tail still look right
    store_path.write_bytes(b"\n".join(lines))
    before = store_path.read_bytes()
    for write in (lambda: store.insert(run("c")), lambda: store.update("b", status="stopped")):
        with pytest.raises(StoreError, match="not valid JSON"):
            write()
    assert store_path.read_bytes() == before


def test_a_torn_index_is_rebuilt(store_path: Path) -> None:
    store = RunStore(store_path)
    store.insert(run("a"))
    store.summaries()
    store.insert(run("b"))
    path = index_path(store_path)
    path.write_bytes(path.read_bytes()[:-7])  # a crash cut the last line (the stamp) short
    assert [s.id for s in RunStore(store_path).summaries()] == ["a", "b"]
    assert path.read_bytes().endswith(b"]\n")  # written afresh
