"""Fast paths added for large stores and a quick first frame keep the behaviour they replace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from greentui.store.record import RunRecord, utc_now
from greentui.store.run_store import RunStore


def test_from_doc_copies_unless_told_the_document_is_its_own() -> None:
    doc = {"id": "a", "name": "a", "status": "completed", "created_at": utc_now(), "metrics": {"accuracy": 0.5}}
    assert RunRecord.from_doc(doc).metrics is not doc["metrics"]
    assert RunRecord.from_doc(doc, copy=False).metrics is doc["metrics"]
    assert RunRecord.from_doc(doc) == RunRecord.from_doc(doc, copy=False)


def test_cached_techniques_match_the_config_and_leave_equality_alone() -> None:
    record = RunRecord(id="a", name="a", status="completed", created_at="", config={"lora": True, "mixed_precision": "bf16"})
    tags = record.techniques()
    assert "bf16" in tags and any(t.startswith("lora") for t in tags)
    tags.append("changed by the caller")
    assert "changed by the caller" not in record.techniques()
    assert record == RunRecord.from_doc(record.to_doc())


def test_store_stamp_changes_with_every_write_only(store_path: Path) -> None:
    store = RunStore(store_path)
    assert store.stamp() is None
    store.insert(RunRecord(id="a", name="a", status="running", created_at=utc_now()))
    first = store.stamp()
    store.all()
    assert store.stamp() == first
    store.update("a", status="completed")
    assert store.stamp() != first


def test_first_frame_does_not_import_charts_markdown_or_the_history_table() -> None:
    code = ("import sys, greentui.tui.app; "
            "print([m for m in ('plotext', 'markdown_it', 'greentui.tui.screens.history') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _count_parses(monkeypatch) -> list[int]:
    from greentui.store import layout as store_file

    parses: list[int] = []
    original = store_file.parse
    monkeypatch.setattr(store_file, "parse", lambda path, raw: parses.append(1) or original(path, raw))
    return parses


def test_a_write_parses_the_store_once_and_not_at_all_once_indexed(store_path: Path, monkeypatch) -> None:
    from greentui.store.index import index_path

    store = RunStore(store_path)
    store.insert(RunRecord(id="a", name="a", status="running", created_at=utc_now()))
    parses = _count_parses(monkeypatch)
    store.insert(RunRecord(id="b", name="b", status="running", created_at=utc_now()))
    assert len(parses) == 1  # no index yet: TinyDB's path, one parse though TinyDB reads up to four times
    store.summaries()  # builds the index (one more parse)
    store.update("a", status="completed", metrics={"accuracy": 0.9})
    store.insert(RunRecord(id="c", name="c", status="running", created_at=utc_now()))
    assert len(parses) == 2  # the index vouches for the file: both writes spliced one line in
    assert [(r.id, r.status) for r in store.all()] == [("a", "completed"), ("b", "running"), ("c", "running")]
    assert store.get("a").metrics == {"accuracy": 0.9}
    index_path(store_path).unlink()
    store.update("b", status="completed")
    assert len(parses) == 4  # the all() above, then this write without an index: TinyDB's path again


def test_reading_an_unchanged_store_does_not_parse_it_again(store_path: Path, monkeypatch) -> None:
    store = RunStore(store_path)
    store.insert(RunRecord(id="a", name="a", status="running", created_at=utc_now()))
    parses = _count_parses(monkeypatch)
    first = store.all()
    assert store.all() == first and store.get("a") == first[0] and len(parses) == 1
    RunStore(store_path).update("a", status="completed")  # another writer, as a worker would be
    assert store.get("a").status == "completed"


def test_one_run_is_read_from_its_own_line_when_the_index_vouches_for_the_file(store_path: Path, monkeypatch) -> None:
    store = RunStore(store_path)
    for run_id in ("a", "b", "c"):
        store.insert(RunRecord(id=run_id, name=run_id, status="running", created_at=utc_now(), metrics={"n": 1}))
    store.summaries()  # the index
    parses = _count_parses(monkeypatch)
    reader = RunStore(store_path)
    assert reader.get("b").metrics == {"n": 1} and reader.get("c").name == "c"
    assert parses == []
    assert reader.get("zz") is None and len(parses) == 1  # not found that way: the whole file, once
    assert reader.get("a").name == "a"  # a prefix or a miss falls back to the parsed runs
