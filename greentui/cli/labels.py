"""`greentui tag` and `greentui note`: the user's labels on a run, for filters (`tag:paper`), the history and the CSV."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from greentui.store.record import RunRecord
    from greentui.store.run_store import RunStore


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The `tag` and `note` sub-commands."""
    tag = sub.add_parser("tag", help="add tags to a run (or --remove them); the history filters them with tag:NAME")
    tag.add_argument("run_id", metavar="RUN_ID")
    tag.add_argument("tags", nargs="*", metavar="TAG", help="tags to add; none: print the run's tags")
    tag.add_argument("--remove", nargs="+", default=[], metavar="TAG", help="tags to take off")
    note = sub.add_parser("note", help="set a run's note (an empty text clears it)")
    note.add_argument("run_id", metavar="RUN_ID")
    note.add_argument("text", help="the note, in quotes")


def _record(store_path: Path, run_id: str) -> tuple[RunStore, RunRecord]:
    from greentui.store.run_store import RunStore, StoreError

    store = RunStore(store_path)
    record = store.get(run_id) if store_path.exists() else None
    if record is None:
        raise StoreError(f"no run {run_id!r} in {store_path}")
    return store, record


def cmd_tag(args: argparse.Namespace, store_path: Path) -> int:
    """Add or remove tags; without either, print them."""
    from greentui.labels import with_tags
    from greentui.report.printable import printable

    store, record = _record(store_path, args.run_id)
    tags = with_tags(record.tags, args.tags, args.remove)  # LabelError names a bad tag before anything is written
    if args.tags or args.remove:
        store.update(record.id, tags=tags)
    print(f"run {record.id}: " + (", ".join(printable(t) for t in tags) or "no tags"))
    return 0


def cmd_note(args: argparse.Namespace, store_path: Path) -> int:
    """Set (or with an empty text, clear) the run's note."""
    from greentui.labels import checked_note

    store, record = _record(store_path, args.run_id)
    note = checked_note(args.text)
    store.update(record.id, notes=note)
    print(f"run {record.id}: " + ("note set" if note else "note cleared"))
    return 0
