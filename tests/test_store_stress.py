"""The store under concurrent writers and writers killed mid-write."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

from greentui.store.record import RunRecord, new_run_id, utc_now
from greentui.store.run_store import RunStore


def _insert(path: str, count: int, tag: str) -> None:
    store = RunStore(Path(path))
    for i in range(count):
        store.insert(RunRecord(id=f"{tag}-{i:04d}-{new_run_id()}", name=tag, status="completed", created_at=utc_now()))


def test_two_processes_inserting_500_each(store_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_insert, args=(str(store_path), 500, tag)) for tag in ("a", "b")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=300)
        assert writer.exitcode == 0
    runs = RunStore(store_path).all()
    assert len(runs) == 1000 and len({r.id for r in runs}) == 1000


def _insert_forever(path: str, committed: multiprocessing.connection.Connection) -> None:
    store = RunStore(Path(path))
    i = 0
    while True:
        run_id = f"{os.getpid()}-{i}"
        store.insert(RunRecord(id=run_id, name="x" * 200, status="completed", created_at=utc_now(),
                               curves={"train_loss": [[s, 0.5] for s in range(200)]}))
        committed.send(run_id)  # only after insert() returned: the record is committed
        i += 1


def test_writer_killed_at_random_points_never_tears_the_store(store_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    rng = random.Random(7)
    committed: set[str] = set()
    for _ in range(100):
        receiver, sender = context.Pipe(duplex=False)
        writer = context.Process(target=_insert_forever, args=(str(store_path), sender))
        writer.start()
        time.sleep(rng.uniform(0.0, 0.08))
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()
        while receiver.poll():
            committed.add(receiver.recv())
        # The file parses (or was never written) and holds every committed record.
        if store_path.exists():
            json.loads(store_path.read_text())
        stored = {r.id for r in RunStore(store_path).all()}
        assert committed <= stored
    assert len(committed) > 0
