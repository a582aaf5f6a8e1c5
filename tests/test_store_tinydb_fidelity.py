"""The store's storage behaves as TinyDB's own where greentui relies on it (bugs TinyDB's suite found)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tinydb import TinyDB

from greentui.store.layout import encode
from greentui.store.record import RunRecord, utc_now
from greentui.store.run_store import AtomicJSONStorage, RunStore, StoreError


def run(run_id: str) -> RunRecord:
    return RunRecord(id=run_id, name=f"run {run_id}", status="running", created_at=utc_now())


@pytest.mark.parametrize("run_id", ["caf\u00e9", 'a"b', "back\\slash", "tab\there", "\u202eevil"])
def test_an_id_that_needs_escaping_is_still_refused_twice(store_path: Path, run_id: str) -> None:
    store = RunStore(store_path)
    store.insert(run("first"))
    store.summaries()  # now the index vouches for the file: the inserts take the fast path
    store.insert(run(run_id))
    with pytest.raises(StoreError, match="already in"):
        store.insert(run(run_id))
    assert [doc["id"] for doc in json.loads(store_path.read_bytes())["runs"].values()] == ["first", run_id]
    assert store.get(run_id) is not None and store.get(run_id).id == run_id  # type: ignore[union-attr]


def test_an_id_written_unescaped_by_another_tool_is_refused_too(store_path: Path) -> None:
    store_path.write_bytes('{"runs":{\n"1":{"id":"caf\u00e9","name":"x","status":"failed","created_at":""}\n}}\n'.encode())
    store = RunStore(store_path)
    store.summaries()
    with pytest.raises(StoreError, match="already in"):
        store.insert(run("caf\u00e9"))


def test_a_database_without_runs_gets_no_empty_runs_table(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    db = TinyDB(path, storage=AtomicJSONStorage)
    db.insert({"a": 1})
    assert db.tables() == {"_default"}
    assert set(json.loads(path.read_bytes())) == {"_default"}
    db.close()


@pytest.mark.parametrize("data", [{"runs": [1, 2]}, {"name": "not a table"}, [{"1": {}}], {"runs": {"1": {"x": {1, 2}}}}])
def test_write_refuses_what_read_would_refuse_and_leaves_the_file(tmp_path: Path, data: object) -> None:
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"runs": {"1": {"id": "r1"}}})
    before = path.read_bytes()
    with pytest.raises(TypeError):
        storage.write(data)  # type: ignore[arg-type]
    assert path.read_bytes() == before and storage.read() == {"runs": {"1": {"id": "r1"}}}


def test_a_doc_id_that_is_not_text_is_written_as_json_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    AtomicJSONStorage(path).write({"runs": {1: {"id": "r1"}}})  # type: ignore[dict-item]
    assert AtomicJSONStorage(path).read() == {"runs": {"1": {"id": "r1"}}}
    assert encode({"runs": {"1": {"id": "r1"}}}) == path.read_bytes()


def test_a_failed_write_under_hold_reads_does_not_stay_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    db = TinyDB(path, storage=AtomicJSONStorage, hold_reads=True)
    db.insert_multiple([{"n": 1}, {"n": 2}])
    with pytest.raises(TypeError):
        db.insert({"n": object()})  # TinyDB adds it to the held dict, then the write refuses it
    assert db.all() == [{"n": 1}, {"n": 2}]
    db.insert({"n": 3})
    assert [doc["n"] for doc in TinyDB(path, storage=AtomicJSONStorage).all()] == [1, 2, 3]
