"""Python's cyclic garbage collector held off while a whole store is parsed into records.

Parsing 10,000 runs makes about a million dicts, lists and floats; each few hundred new
containers start a collection, and as the heap grows the full ones walk everything parsed so
far: a quarter of `greentui ls --json`'s time on such a store. Parsed JSON holds no reference
cycles, so there is nothing for the collector to find until the parse is done.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is as it was after it (nested blocks too)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
