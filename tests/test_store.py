"""The run store: records round-trip, writes are atomic and private, a corrupt file is never touched."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from greentui.store.record import RunRecord, new_run_id, utc_now
from greentui.store.run_store import RunStore, StoreError


def make_record(name: str = "baseline", **fields: object) -> RunRecord:
    return RunRecord(id=new_run_id(), name=name, status="completed", created_at=utc_now(), **fields)  # type: ignore[arg-type]


def test_insert_update_get(store_path: Path) -> None:
    store = RunStore(store_path)
    record = make_record(metrics={"accuracy": 0.9})
    store.insert(record)
    updated = store.update(record.id, status="completed", metrics={"energy_kwh": 0.001})
    assert updated.metrics == {"accuracy": 0.9, "energy_kwh": 0.001}  # dict fields merge
    assert store.get(record.id) == updated
    assert store.get(record.id[:17]) == updated  # a unique prefix is enough
    with pytest.raises(StoreError, match="already"):
        store.insert(record)


def test_records_do_not_share_state_with_the_store(store_path: Path) -> None:
    store = RunStore(store_path)
    record = make_record(metrics={"accuracy": 0.5})
    store.insert(record)
    fetched = store.get(record.id)
    assert fetched is not None
    fetched.metrics["accuracy"] = 1.0  # type: ignore[index]
    assert store.get(record.id).metrics["accuracy"] == 0.5  # type: ignore[union-attr]


def test_store_file_is_private_and_atomic(store_path: Path) -> None:
    old = os.umask(0o022)
    try:
        RunStore(store_path).insert(make_record())
    finally:
        os.umask(old)
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    leftovers = [p.name for p in store_path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_corrupt_store_is_refused_and_left_unchanged(store_path: Path) -> None:
    store_path.write_text('{"runs": {"1": {"id": "a"')
    before = store_path.read_bytes()
    store = RunStore(store_path)
    with pytest.raises(StoreError, match=str(store_path)):
        store.all()
    with pytest.raises(StoreError, match="not valid JSON"):
        store.insert(make_record())
    assert store_path.read_bytes() == before
