"""A pytest plugin that puts greentui's storage where TinyDB's own test suite expects JSONStorage.

Loaded (with `-p`) by tests/test_store_tinydb_suite.py into a pytest run over TinyDB's tests,
before they import anything: they take `JSONStorage` from `tinydb` and `tinydb.storages`, and
TinyDB itself falls back on `TinyDB.default_storage_class`. The storage is built as
RunStore builds it; GREENTUI_HOLD_READS=1 gives the one its writes use (`hold_reads=True`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tinydb
import tinydb.database
import tinydb.storages

from greentui.store.run_store import AtomicJSONStorage

HOLD_READS = os.environ.get("GREENTUI_HOLD_READS") == "1"


class GreentuiStorage(AtomicJSONStorage):
    """JSONStorage's signature; file modes, encodings and JSON keyword arguments are not greentui's to honour."""

    def __init__(self, path: str | Path, create_dirs: bool = False, encoding: str | None = None,
                 access_mode: str = "r+", **kwargs: Any) -> None:
        super().__init__(Path(path), hold_reads=HOLD_READS)


tinydb.JSONStorage = GreentuiStorage  # type: ignore[misc]
tinydb.storages.JSONStorage = GreentuiStorage  # type: ignore[misc]
tinydb.database.TinyDB.default_storage_class = GreentuiStorage
