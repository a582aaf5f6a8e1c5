"""runs.json on disk: TinyDB's JSON layout, one run per line, always replaced atomically.

The file is exactly what TinyDB reads and writes (`{"runs": {"1": {...}, "2": {...}}}`), laid
out with each document on a line of its own. TinyDB does not care, and it lets the two writes
every run makes (the insert at launch, the updates when it ends) splice one line into the
file's bytes instead of parsing and re-encoding every other run: with thousands of runs that
is the difference between tens of milliseconds and seconds. Anything not in this layout (an
older compact file, a hand edit) simply takes the slow path, which rewrites it in this layout.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from greentui.store.atomic import replace_file

RUNS_TABLE = "runs"
_TABLE_OPEN = b'"runs":{\n'
_TAIL = b"\n}}\n"


class StoreError(RuntimeError):
    """The store cannot be read or written; the message names the file."""


def _dumps(value: Any) -> str:
    # Compact, and ASCII-only: a newline inside a string is escaped, so a document never
    # spans two lines.
    return json.dumps(value, separators=(",", ":"))


def encode(data: Mapping[str, Mapping[str, Any]]) -> bytes:
    """The whole database in the one-run-per-line layout (other tables, if any, come first on one line).

    Raises TypeError for what `parse` would refuse to read back (anything but a mapping of tables),
    and for what JSON cannot hold: the file on disk is left as it was.
    """
    if not isinstance(data, Mapping) or not all(isinstance(table, Mapping) for table in data.values()):
        raise TypeError("a TinyDB database is a mapping of tables, each a mapping of documents")
    others = {name: table for name, table in data.items() if name != RUNS_TABLE}
    if RUNS_TABLE not in data:  # a database without runs gets none added (TinyDB lists its tables)
        return _dumps(others).encode() + b"\n"
    head = "{" + (_dumps(others)[1:-1] + "," if others else "")
    # Each line through json.dumps of a one-item dict: a key that is not text (TinyDB writes its
    # document ids as text, a direct caller may not) is converted as JSON converts it, or refused.
    lines = ",\n".join(_dumps({doc_id: doc})[1:-1] for doc_id, doc in data[RUNS_TABLE].items())
    return head.encode() + _TABLE_OPEN + lines.encode() + _TAIL


def doc_line(doc_id: int, doc: Mapping[str, Any]) -> bytes:
    """One document's line, without its separating comma."""
    return f'"{doc_id}":{_dumps(doc)}'.encode()


def check_regular(path: Path) -> None:
    """StoreError unless `path` is missing or a regular file: a device, FIFO or folder is never read or replaced."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as err:
        raise StoreError(f"cannot read run store {path}: {err.strerror}") from None
    if not stat.S_ISREG(mode):
        raise StoreError(f"run store {path} is not a regular file; greentui will not read or replace it")


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, None when it does not exist."""
    check_regular(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise StoreError(f"cannot read run store {path}: {err.strerror}") from None


def parse(path: Path, raw: bytes) -> dict[str, dict[str, Any]] | None:
    """The database in `raw`, None when empty; StoreError naming `path` when it is not a TinyDB file."""
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise StoreError(
            f"run store {path} is not valid JSON ({err}); greentui will not touch it: repair it or move it aside"
        ) from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise StoreError(f"run store {path} does not hold TinyDB tables; greentui will not touch it")
    return data


def read_tables(path: Path) -> dict[str, dict[str, Any]] | None:
    """The database in the file at `path`; None when missing or empty (StoreError as `parse` raises it)."""
    raw = read_bytes(path)
    return parse(path, raw) if raw is not None else None


def check_tinydb_can_keep(path: Path, data: Mapping[str, Mapping[str, Any]]) -> None:
    """StoreError unless every document is an object under a numeric id: TinyDB crashes on anything else.

    Reads skip such a document (a line of warning); a write that goes through TinyDB refuses
    the whole file instead, which it would otherwise have crashed on half way.
    """
    for doc_id, doc in data.get(RUNS_TABLE, {}).items():
        if not doc_id.isdecimal() or not isinstance(doc, dict):
            raise StoreError(f"run store {path}: document {doc_id[:40]!r} is not a run TinyDB can keep; greentui will "
                             "not rewrite the store: repair or remove that document, or move the store aside")


def appended(raw: bytes, doc: Mapping[str, Any]) -> tuple[int, list[bytes | memoryview]] | None:
    """(new document id, the pieces of the new file) with `doc` added as the last run; None off-layout.

    The new id is one above the last line's, as TinyDB would pick; should that id be taken
    anywhere in the file (only possible after hand edits) the caller takes the slow path.
    """
    if not raw.endswith(_TAIL) or _TABLE_OPEN not in raw[:4096]:
        return None
    body_end = len(raw) - len(_TAIL)
    if raw.endswith(b"{\n" + _TAIL):  # no runs yet: the table's opening line is the last
        return 1, [raw[:body_end], doc_line(1, doc), _TAIL]
    last = raw.rfind(b"\n", 0, body_end) + 1
    try:
        doc_id = int(raw[last + 1:raw.index(b'"', last + 1)]) + 1
    except ValueError:
        return None
    if b'\n"%d":' % doc_id in raw:
        return None
    return doc_id, [memoryview(raw)[:body_end], b",\n", doc_line(doc_id, doc), _TAIL]


def mentions_id(raw: bytes, run_id: str) -> bool:
    """True when `raw` may hold a document with this id: the insert's fast path then leaves it to TinyDB.

    The id is looked for as this module writes it (JSON-escaped: `é` is `\\u00e9`, a quote `\\"`)
    and as another writer may have (raw UTF-8). False positives only cost the slow path.
    """
    escaped = b'"id":' + _dumps(run_id).encode()
    plain = b'"id":"' + run_id.encode("utf-8", "surrogatepass") + b'"'
    return escaped in raw or plain in raw


def _locate(raw: bytes, run_id: str) -> tuple[int, int] | None:
    """(start, end) of run `run_id`'s line, None unless exactly one line is that run's.

    Runs are stored with `id` as their first key, so `:{"id":"<run id>",` right after a
    line's document id finds it; anything else leaves the work to the slow path.
    """
    if not raw.endswith(_TAIL):
        return None
    needle = b':{"id":' + _dumps(run_id).encode() + b","
    at = raw.find(needle)
    if at < 0 or raw.find(needle, at + 1) >= 0:
        return None
    start, end = raw.rfind(b"\n", 0, at) + 1, raw.find(b"\n", at)
    if raw.find(b":", start) != at:  # a nested {"id": ...} somewhere, not a run's own line
        return None
    return start, end


def _line_doc(line: bytes) -> tuple[bytes, dict[str, Any]] | None:
    key, _, body = line.rstrip(b",").partition(b":")
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return (key, doc) if isinstance(doc, dict) else None


def find(raw: bytes, run_id: str) -> dict[str, Any] | None:
    """Run `run_id`'s document, parsed from its line alone; None when not found this way."""
    span = _locate(raw, run_id)
    found = _line_doc(raw[span[0]:span[1]]) if span else None
    return found[1] if found else None


def replaced(raw: bytes, run_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]
             ) -> tuple[dict[str, Any], list[bytes | memoryview]] | None:
    """(the changed document, the pieces of the new file) with run `run_id`'s line rewritten; None off-layout."""
    span = _locate(raw, run_id)
    if span is None:
        return None
    start, end = span
    line = raw[start:end]
    found = _line_doc(line)
    if found is None:
        return None
    doc = change(found[1])
    new_line = found[0] + b":" + _dumps(doc).encode() + (b"," if line.endswith(b",") else b"")
    view = memoryview(raw)
    return doc, [view[:start], new_line, view[end:]]


def write_atomically(path: Path, pieces: Iterable[bytes | memoryview]) -> None:
    """Replace the store file durably and atomically (see greentui.store.atomic); StoreError naming it."""
    try:
        replace_file(path, pieces)
    except OSError as err:
        raise StoreError(f"cannot write run store {path}: {err.strerror or err}") from None
